// Text forms of a ruleset: iptables-restore input (which is also exactly what
// iptables-save prints once the rules are installed in a fresh namespace), and
// the equivalent `iptables` commands for people who read rules that way.
import { NAT_BUILTIN_CHAINS, ruleLine, type NatRuleset } from './rules.ts';

/**
 * iptables-restore input for the whole nat table. Fed to `iptables-restore`
 * it replaces the nat table; it is also, line for line, the `iptables-save -t nat`
 * output of a namespace holding only these rules (without the comment lines).
 */
export function renderRestore(ruleset: NatRuleset): string {
  const lines = ['*nat'];
  for (const chain of NAT_BUILTIN_CHAINS) lines.push(`:${chain} ACCEPT [0:0]`);
  for (const chain of ruleset.chains) lines.push(`:${chain} - [0:0]`);
  for (const rule of ruleset.rules) lines.push(ruleLine(rule));
  lines.push('COMMIT');
  return lines.join('\n') + '\n';
}

/** The same rules as `iptables -t nat ...` commands. */
export function renderCommands(ruleset: NatRuleset): string {
  const lines = ruleset.chains.map((c) => `iptables -t nat -N ${c}`);
  for (const rule of ruleset.rules) lines.push(`iptables -t nat ${ruleLine(rule)}`);
  return lines.join('\n') + '\n';
}

/**
 * The nat section of `iptables-save` output with comments dropped and packet
 * counters zeroed, so that two saves (or a save and renderRestore) compare as text.
 */
export function normalizeSave(text: string): string {
  const out: string[] = [];
  let inNat = false;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      inNat = line === '*nat';
      if (inNat) out.push(line);
      continue;
    }
    if (!inNat) continue;
    out.push(line.replace(/^(:\S+ \S+) \[\d+:\d+\]$/, '$1 [0:0]').replace(/^\[\d+:\d+\] /, ''));
    if (line === 'COMMIT') inNat = false;
  }
  return out.length ? out.join('\n') + '\n' : '';
}
