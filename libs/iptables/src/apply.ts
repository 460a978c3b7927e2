// Installing and removing the rules with iptables-restore --noflush: one
// atomic transaction that leaves every rule we do not own alone. Re-running
// is safe: the ISTIO_* chains are flushed and refilled by being declared, and
// the jumps from the built-in chains are added only when missing (stale ones
// from an earlier run with other settings are deleted).
import { spawn } from 'node:child_process';
import { ISTIO_CHAINS, NAT_BUILTIN_CHAINS, ruleLine, type NatRuleset } from './rules.ts';
import { normalizeSave } from './render.ts';

export interface Binaries {
  iptablesRestore: string;
  iptablesSave: string;
}

export const DEFAULT_BINARIES: Binaries = { iptablesRestore: 'iptables-restore', iptablesSave: 'iptables-save' };

const builtin = new Set<string>(NAT_BUILTIN_CHAINS);
const owned = new Set<string>(ISTIO_CHAINS);

/** The `-A` lines of built-in chains that jump into one of our chains, as iptables-save printed them. */
function existingJumps(save: string): string[] {
  return normalizeSave(save)
    .split('\n')
    .filter((l) => {
      const m = /^-A (\S+) .*-j (\S+)$/.exec(l);
      return m !== null && builtin.has(m[1]) && owned.has(m[2]);
    });
}

function existingChains(save: string): string[] {
  return normalizeSave(save)
    .split('\n')
    .map((l) => /^:(\S+) - /.exec(l)?.[1])
    .filter((c): c is string => c !== undefined && owned.has(c));
}

/** iptables-restore --noflush input that turns the table described by `currentSave` into one holding `ruleset`. */
export function planApply(ruleset: NatRuleset, currentSave: string): string {
  const have = existingJumps(currentSave);
  const want = ruleset.rules.filter((r) => builtin.has(r.chain)).map(ruleLine);
  const lines = ['*nat', ...ruleset.chains.map((c) => `:${c} - [0:0]`)];
  // Each stale jump is deleted once per occurrence (a crashed older tool may have added duplicates).
  const keep = new Set<string>();
  for (const line of have) {
    if (want.includes(line) && !keep.has(line)) keep.add(line);
    else lines.push(line.replace(/^-A /, '-D '));
  }
  for (const rule of ruleset.rules) {
    const line = ruleLine(rule);
    if (builtin.has(rule.chain) && keep.has(line)) continue;
    lines.push(line);
  }
  lines.push('COMMIT');
  return lines.join('\n') + '\n';
}

/** iptables-restore --noflush input that removes our chains and every jump into them; empty when there is nothing to remove. */
export function planCleanup(currentSave: string): string {
  const jumps = existingJumps(currentSave);
  const chains = existingChains(currentSave);
  if (jumps.length === 0 && chains.length === 0) return '';
  const lines = ['*nat', ...jumps.map((l) => l.replace(/^-A /, '-D '))];
  for (const c of chains) lines.push(`-F ${c}`);
  for (const c of chains) lines.push(`-X ${c}`);
  lines.push('COMMIT');
  return lines.join('\n') + '\n';
}

export class IptablesError extends Error {}

function run(bin: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      reject(new IptablesError(`cannot run ${bin}: ${(err as Error).message}`));
      return;
    }
    let out = '';
    let errText = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (errText += d));
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(new IptablesError(err.code === 'ENOENT' ? `${bin} not found (install Debian's iptables package)` : `cannot run ${bin}: ${err.message}`)),
    );
    child.once('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new IptablesError(`${bin} ${args.join(' ')} exited with ${code}: ${errText.trim() || out.trim()}`));
    });
    child.stdin.on('error', () => {}); // the close handler reports the failure
    child.stdin.end(input ?? '');
  });
}

export async function readNatTable(bins: Binaries = DEFAULT_BINARIES): Promise<string> {
  return run(bins.iptablesSave, ['-t', 'nat']);
}

/** Installs the ruleset atomically; returns the restore input it applied. */
export async function applyRuleset(ruleset: NatRuleset, bins: Binaries = DEFAULT_BINARIES): Promise<string> {
  const plan = planApply(ruleset, await readNatTable(bins));
  await run(bins.iptablesRestore, ['--noflush'], plan);
  return plan;
}

/** Removes our chains and the jumps into them; returns the restore input it applied ('' when nothing was installed). */
export async function cleanupRules(bins: Binaries = DEFAULT_BINARIES): Promise<string> {
  const plan = planCleanup(await readNatTable(bins));
  if (plan) await run(bins.iptablesRestore, ['--noflush'], plan);
  return plan;
}
