// Flags and environment variables, declared once with their help text so that
// `--help` and the docs say the same thing. A flag beats its env var, which
// beats the default.

export type FlagType = 'string' | 'number' | 'boolean' | 'list';
export interface FlagSpec {
  type: FlagType;
  help: string;
  env?: string;
  default?: string | number | boolean | string[];
}
type ValueOf<S extends FlagSpec> = S['type'] extends 'number'
  ? number
  : S['type'] extends 'boolean'
    ? boolean
    : S['type'] extends 'list'
      ? string[]
      : string;
export type FlagValues<T extends Record<string, FlagSpec>> = { [K in keyof T]: ValueOf<T[K]> };

export class FlagError extends Error {}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

function convert(name: string, spec: FlagSpec, raw: string): string | number | boolean | string[] {
  switch (spec.type) {
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new FlagError(`--${kebab(name)}: expected a number, got "${raw}"`);
      return n;
    }
    case 'boolean':
      if (['true', '1', 'yes', ''].includes(raw)) return true;
      if (['false', '0', 'no'].includes(raw)) return false;
      throw new FlagError(`--${kebab(name)}: expected true or false, got "${raw}"`);
    case 'list':
      return raw.split(',').map((s) => s.trim()).filter(Boolean);
    default:
      return raw;
  }
}

export function usage(program: string, summary: string, specs: Record<string, FlagSpec>): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const flag = `--${kebab(name)}${s.type === 'boolean' ? '' : ' <' + s.type + '>'}`;
    const env = s.env ? ` [env ${s.env}]` : '';
    const def = s.default !== undefined && s.default !== '' ? ` (default ${JSON.stringify(s.default)})` : '';
    return `  ${flag.padEnd(34)} ${s.help}${env}${def}`;
  });
  return `${program}: ${summary}\n\nOptions:\n${rows.join('\n')}\n  ${'--help'.padEnd(34)} show this help\n`;
}

/**
 * Parses `--name value`, `--name=value` and bare boolean `--name` / `--no-name`.
 * Unknown flags are an error that names the flag, so typos do not go unnoticed.
 */
export function parseFlags<T extends Record<string, FlagSpec>>(
  specs: T,
  argv: string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): FlagValues<T> & { _: string[] } {
  const byKebab = new Map(Object.keys(specs).map((k) => [kebab(k), k]));
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const fromEnv = spec.env ? env[spec.env] : undefined;
    if (fromEnv !== undefined) out[name] = convert(name, spec, fromEnv);
    else if (spec.default !== undefined) out[name] = spec.default;
    else out[name] = spec.type === 'boolean' ? false : spec.type === 'list' ? [] : spec.type === 'number' ? 0 : '';
  }
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    let [key, value] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    let negated = false;
    if (!byKebab.has(key) && key.startsWith('no-') && byKebab.has(key.slice(3))) {
      key = key.slice(3);
      negated = true;
    }
    const name = byKebab.get(key);
    if (!name) throw new FlagError(`unknown flag --${key} (see --help)`);
    const spec = specs[name];
    if (spec.type === 'boolean') {
      out[name] = negated ? false : value === undefined ? true : convert(name, spec, value);
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new FlagError(`--${key} needs a value`);
    }
    out[name] = convert(name, spec, value);
  }
  out._ = positional;
  return out as FlagValues<T> & { _: string[] };
}
