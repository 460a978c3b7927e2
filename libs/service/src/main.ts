// The shared shape of every app's entry point: parse flags (print help on
// --help, a clear message on a bad flag), then run.
import { FlagError, parseFlags, usage, type FlagSpec, type FlagValues } from './flags.ts';

export async function runMain<T extends Record<string, FlagSpec>>(
  program: string,
  summary: string,
  specs: T,
  run: (flags: FlagValues<T> & { _: string[] }) => Promise<void>,
): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage(program, summary, specs));
    return;
  }
  let flags: FlagValues<T> & { _: string[] };
  try {
    flags = parseFlags(specs, argv);
  } catch (err) {
    if (err instanceof FlagError) {
      process.stderr.write(`${program}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  try {
    await run(flags);
  } catch (err) {
    process.stderr.write(`${program}: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  }
}
