// `proxy init`: what the istio-init container runs. Parses istio-iptables
// flags, then prints (--dry-run), installs or removes (--cleanup) the rules.
// stdout carries only rules text (the dry-run input, or the nat table as
// installed) so it can be piped; diagnostics go to stderr.
import { InitArgsError, initUsage, parseInitArgs } from './args.ts';
import { applyRuleset, cleanupRules, IptablesError, readNatTable } from './apply.ts';
import { normalizeSave, renderRestore } from './render.ts';
import { buildRules } from './rules.ts';

export interface InitIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIo: InitIo = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
};

function log(io: InitIo, level: string, msg: string, fields: Record<string, unknown> = {}): void {
  io.stderr(JSON.stringify({ time: new Date().toISOString(), level, component: 'proxy-init', msg, ...fields }) + '\n');
}

/** Runs `proxy init <istio-iptables flags>`; resolves with the process exit code (0 ok, 1 failed, 2 bad flags). */
export async function runInit(argv: string[], io: InitIo = processIo): Promise<number> {
  let options;
  try {
    options = parseInitArgs(argv);
  } catch (err) {
    if (err instanceof InitArgsError) {
      io.stderr(`proxy init: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (options.help) {
    io.stdout(initUsage());
    return 0;
  }
  const bins = { iptablesRestore: options.iptablesRestore, iptablesSave: options.iptablesSave };
  try {
    if (options.cleanup) {
      if (options.dryRun) {
        io.stdout('# --cleanup with --dry-run: nothing is read or changed\n');
        return 0;
      }
      const plan = await cleanupRules(bins);
      log(io, 'info', plan ? 'removed the ISTIO_* chains and the jumps into them' : 'no ISTIO_* rules were installed');
      return 0;
    }
    const ruleset = buildRules(options.capture);
    if (options.dryRun) {
      io.stdout(renderRestore(ruleset));
      return 0;
    }
    await applyRuleset(ruleset, bins);
    io.stdout(normalizeSave(await readNatTable(bins)));
    log(io, 'info', 'iptables rules installed', { capture: options.capture });
    return 0;
  } catch (err) {
    if (err instanceof IptablesError) {
      log(io, 'error', 'installing the iptables rules failed', { err: err.message });
      return 1;
    }
    throw err;
  }
}
