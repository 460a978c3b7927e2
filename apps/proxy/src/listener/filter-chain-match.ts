// Envoy's filter chain match (envoy.config.listener.v3.FilterChainMatch):
// the chains are pruned criterion by criterion, in Envoy's documented order,
// keeping at each step only the chains that match the connection MOST
// specifically (no backtracking: a more specific chain that later fails a
// criterion does not give way to a less specific one):
//   1. destination port      exact, else chains without one
//   2. destination IP        longest prefix_ranges match, else chains without ranges
//   3. server name (SNI)     exact, then `*.suffix` longest first, else chains without server_names
//   4. transport protocol    exact ("raw_buffer" when nothing was detected), else chains without one
//   5. application protocols the connection's protocols in order, else chains without any
//   6. direct source IP      longest direct_source_prefix_ranges match, else chains without
//   7. source type           SAME_IP_OR_LOOPBACK / EXTERNAL, else ANY
//   8. source IP             longest source_prefix_ranges match, else chains without
//   9. source port           exact, else chains without source_ports
// A listener with two chains that match the same connections is refused, as
// Envoy refuses it ("multiple filter chains with the same matching rules").
import net from 'node:net';
import type { CidrRange__Output, FilterChainMatch__Output } from '@mesh/xds';
import { invalid, wrapped } from '../config/proto-values.ts';

export interface Cidr {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  readonly prefixLen: number;
  readonly text: string;
}

export type SourceType = 'ANY' | 'SAME_IP_OR_LOOPBACK' | 'EXTERNAL';

export interface ChainMatch {
  readonly destinationPort: number | undefined;
  readonly prefixRanges: readonly Cidr[];
  readonly serverNames: readonly string[];
  readonly transportProtocol: string;
  readonly applicationProtocols: readonly string[];
  readonly directSourcePrefixRanges: readonly Cidr[];
  readonly sourceType: SourceType;
  readonly sourcePrefixRanges: readonly Cidr[];
  readonly sourcePorts: readonly number[];
}

/** What the listener knows of a connection when it picks a chain. */
export interface ConnectionFacts {
  readonly destinationIp: string;
  readonly destinationPort: number;
  readonly sourceIp: string;
  readonly sourcePort: number;
  /** The peer of the TCP connection itself (differs from sourceIp only behind PROXY protocol, which this proxy does not take). */
  readonly directSourceIp: string;
  /** SNI, or '' when none was detected. */
  readonly serverName: string;
  /** "tls" when tls_inspector saw a ClientHello, else "raw_buffer". */
  readonly transportProtocol: string;
  /** ALPN (tls_inspector) or the HTTP version (http_inspector). */
  readonly applicationProtocols: readonly string[];
}

/** Cap on the combinations one listener's chains expand to when checking for duplicates. */
export const MAX_MATCH_COMBINATIONS = 100_000;

// ---------------------------------------------------------------------------
// Addresses

export function ipBytes(ip: string): { family: 4 | 6; bytes: Uint8Array } | undefined {
  if (net.isIPv4(ip)) return { family: 4, bytes: Uint8Array.from(ip.split('.').map(Number)) };
  if (!net.isIPv6(ip)) return undefined;
  let text = ip;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = v4[1].split('.').map(Number);
    text = text.slice(0, -v4[1].length) + ((b[0] << 8) | b[1]).toString(16) + ':' + ((b[2] << 8) | b[3]).toString(16);
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) return undefined;
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    bytes[i * 2] = v >> 8;
    bytes[i * 2 + 1] = v & 0xff;
  });
  return { family: 6, bytes };
}

function compileCidr(c: CidrRange__Output, path: string): Cidr {
  const prefix = c.addressPrefix ?? '';
  const ip = ipBytes(prefix);
  if (ip === undefined) invalid(`${path}.addressPrefix`, `must be an IP address, got ${JSON.stringify(prefix)}`);
  const len = wrapped(c.prefixLen, 0);
  const max = ip.family === 4 ? 32 : 128;
  if (!(Number.isInteger(len) && len >= 0 && len <= max)) invalid(`${path}.prefixLen`, `must be 0..${max} for ${prefix}, got ${len}`);
  return { family: ip.family, bytes: ip.bytes, prefixLen: len, text: `${prefix}/${len}` };
}

function inCidr(ip: { family: 4 | 6; bytes: Uint8Array }, c: Cidr): boolean {
  if (ip.family !== c.family) return false;
  const full = c.prefixLen >> 3;
  for (let i = 0; i < full; i++) if (ip.bytes[i] !== c.bytes[i]) return false;
  const rest = c.prefixLen & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (ip.bytes[full] & mask) === (c.bytes[full] & mask);
}

function isLoopback(ip: { family: 4 | 6; bytes: Uint8Array }): boolean {
  if (ip.family === 4) return ip.bytes[0] === 127;
  return ip.bytes.every((b, i) => (i === 15 ? b === 1 : b === 0));
}

// ---------------------------------------------------------------------------
// Compiling

const SOURCE_TYPES: Record<string, SourceType> = { ANY: 'ANY', SAME_IP_OR_LOOPBACK: 'SAME_IP_OR_LOOPBACK', EXTERNAL: 'EXTERNAL', '0': 'ANY', '1': 'SAME_IP_OR_LOOPBACK', '2': 'EXTERNAL' };

export function compileChainMatch(m: FilterChainMatch__Output | undefined, path: string): ChainMatch {
  const match: FilterChainMatch__Output = m ?? {};
  let destinationPort: number | undefined;
  if (match.destinationPort !== undefined && match.destinationPort !== null) {
    destinationPort = wrapped(match.destinationPort, 0);
    if (!(Number.isInteger(destinationPort) && destinationPort >= 1 && destinationPort <= 65535)) invalid(`${path}.destinationPort`, `must be a port in 1..65535, got ${destinationPort}`);
  }
  const serverNames = (match.serverNames ?? []).map((n, i) => {
    const p = `${path}.serverNames[${i}]`;
    if (typeof n !== 'string' || n === '') invalid(p, 'must not be empty');
    if (n === '*') invalid(p, '"*" is not a valid server name: omit server_names to match any');
    if (n.includes('*') && !(n.startsWith('*.') && !n.slice(2).includes('*') && n.length > 2)) invalid(p, `only a leading "*." wildcard is supported, got ${JSON.stringify(n)}`);
    return n;
  });
  const appProtocols = (match.applicationProtocols ?? []).map((a, i) => {
    if (typeof a !== 'string' || a === '') invalid(`${path}.applicationProtocols[${i}]`, 'must not be empty');
    return a;
  });
  const sourcePorts = (match.sourcePorts ?? []).map((p, i) => {
    if (!(Number.isInteger(p) && p >= 1 && p <= 65535)) invalid(`${path}.sourcePorts[${i}]`, `must be a port in 1..65535, got ${p}`);
    return p;
  });
  const st = SOURCE_TYPES[String(match.sourceType ?? 'ANY')];
  if (st === undefined) invalid(`${path}.sourceType`, `must be ANY, SAME_IP_OR_LOOPBACK or EXTERNAL, got ${String(match.sourceType)}`);
  return {
    destinationPort,
    prefixRanges: (match.prefixRanges ?? []).map((c, i) => compileCidr(c, `${path}.prefixRanges[${i}]`)),
    serverNames,
    transportProtocol: match.transportProtocol ?? '',
    applicationProtocols: appProtocols,
    directSourcePrefixRanges: (match.directSourcePrefixRanges ?? []).map((c, i) => compileCidr(c, `${path}.directSourcePrefixRanges[${i}]`)),
    sourceType: st,
    sourcePrefixRanges: (match.sourcePrefixRanges ?? []).map((c, i) => compileCidr(c, `${path}.sourcePrefixRanges[${i}]`)),
    sourcePorts,
  };
}

/** Whether a chain needs the server name (SNI), transport or application protocol, which only listener filters detect. */
export function needsInspection(m: ChainMatch): boolean {
  return m.serverNames.length > 0 || m.transportProtocol !== '' || m.applicationProtocols.length > 0;
}

/**
 * Throws naming both chains when two of them match the same connections.
 * `chains` carries each chain's field path for the message.
 */
export function checkDistinct(chains: ReadonlyArray<{ match: ChainMatch; path: string }>, listenerPath: string): void {
  const seen = new Map<string, string>();
  let count = 0;
  const any = ['*'];
  for (const { match: m, path } of chains) {
    const dims: string[][] = [
      [String(m.destinationPort ?? '*')],
      m.prefixRanges.length ? m.prefixRanges.map((c) => canonicalCidr(c)) : any,
      m.serverNames.length ? [...m.serverNames] : any,
      [m.transportProtocol || '*'],
      m.applicationProtocols.length ? [...m.applicationProtocols] : any,
      m.directSourcePrefixRanges.length ? m.directSourcePrefixRanges.map((c) => canonicalCidr(c)) : any,
      [m.sourceType],
      m.sourcePrefixRanges.length ? m.sourcePrefixRanges.map((c) => canonicalCidr(c)) : any,
      m.sourcePorts.length ? m.sourcePorts.map(String) : any,
    ];
    const size = dims.reduce((n, d) => n * d.length, 1);
    count += size;
    if (count > MAX_MATCH_COMBINATIONS) invalid(listenerPath, `the filter chain matches expand to more than ${MAX_MATCH_COMBINATIONS} combinations`);
    const mine = new Set<string>();
    const walk = (i: number, key: string) => {
      if (i === dims.length) {
        if (mine.has(key)) return;
        mine.add(key);
        const other = seen.get(key);
        if (other !== undefined) invalid(path, `matches the same connections as ${other} (Envoy refuses a listener with two filter chains of the same match)`);
        seen.set(key, path);
        return;
      }
      for (const v of dims[i]) walk(i + 1, key === '' ? v : `${key}\u0000${v}`);
    };
    walk(0, '');
  }
}

/** The range's network address (host bits cleared), so 10.1.2.3/8 and 10.0.0.0/8 are the same match. */
function canonicalCidr(c: Cidr): string {
  const b = Uint8Array.from(c.bytes);
  for (let bit = c.prefixLen; bit < b.length * 8; bit++) b[bit >> 3] &= ~(0x80 >> (bit & 7));
  return `${c.family}:${Buffer.from(b).toString('hex')}/${c.prefixLen}`;
}

// ---------------------------------------------------------------------------
// Selecting

/** Keeps the candidates whose ranges hold `ip` with the longest prefix; else those without ranges. */
function byRanges<T>(cands: T[], ranges: (c: T) => readonly Cidr[], ip: { family: 4 | 6; bytes: Uint8Array } | undefined): T[] {
  let best = -1;
  let winners: T[] = [];
  const open: T[] = [];
  for (const c of cands) {
    const rs = ranges(c);
    if (rs.length === 0) {
      open.push(c);
      continue;
    }
    if (ip === undefined) continue;
    let len = -1;
    for (const r of rs) if (r.prefixLen > len && inCidr(ip, r)) len = r.prefixLen;
    if (len < 0) continue;
    if (len > best) {
      best = len;
      winners = [c];
    } else if (len === best) winners.push(c);
  }
  return winners.length > 0 ? winners : open;
}

function byExact<T, V>(cands: T[], values: (c: T) => readonly V[], v: V | undefined): T[] {
  if (v !== undefined) {
    const exact = cands.filter((c) => values(c).includes(v));
    if (exact.length > 0) return exact;
  }
  return cands.filter((c) => values(c).length === 0);
}

function byServerName<T>(cands: T[], names: (c: T) => readonly string[], sni: string): T[] {
  if (sni !== '') {
    const exact = cands.filter((c) => names(c).includes(sni));
    if (exact.length > 0) return exact;
    // *.b.c before *.c: the longest wildcard suffix that matches.
    for (let dot = sni.indexOf('.'); dot >= 0 && dot < sni.length - 1; dot = sni.indexOf('.', dot + 1)) {
      const wildcard = `*${sni.slice(dot)}`;
      const hit = cands.filter((c) => names(c).includes(wildcard));
      if (hit.length > 0) return hit;
    }
  }
  return cands.filter((c) => names(c).length === 0);
}

/**
 * The chain Envoy would pick for a connection among `chains`, or undefined
 * (then the listener's default chain, if any, serves it).
 */
export function selectChain<T extends { readonly match: ChainMatch }>(chains: readonly T[], f: ConnectionFacts): T | undefined {
  let c: T[] = [...chains];
  if (c.length === 0) return undefined;
  c = byExact(c, (x) => (x.match.destinationPort === undefined ? [] : [x.match.destinationPort]), f.destinationPort);
  const dst = ipBytes(f.destinationIp);
  c = byRanges(c, (x) => x.match.prefixRanges, dst);
  c = byServerName(c, (x) => x.match.serverNames, f.serverName);
  c = byExact(c, (x) => (x.match.transportProtocol === '' ? [] : [x.match.transportProtocol]), f.transportProtocol || 'raw_buffer');
  // The connection's application protocols in its order of preference: the first that some chain lists wins.
  let byApp: T[] | undefined;
  for (const p of f.applicationProtocols) {
    const hit = c.filter((x) => x.match.applicationProtocols.includes(p));
    if (hit.length > 0) {
      byApp = hit;
      break;
    }
  }
  c = byApp ?? c.filter((x) => x.match.applicationProtocols.length === 0);
  c = byRanges(c, (x) => x.match.directSourcePrefixRanges, ipBytes(f.directSourceIp));
  const src = ipBytes(f.sourceIp);
  const local = src !== undefined && (isLoopback(src) || f.sourceIp === f.destinationIp);
  const specific = c.filter((x) => x.match.sourceType === (local ? 'SAME_IP_OR_LOOPBACK' : 'EXTERNAL'));
  c = specific.length > 0 ? specific : c.filter((x) => x.match.sourceType === 'ANY');
  c = byRanges(c, (x) => x.match.sourcePrefixRanges, src);
  c = byExact(c, (x) => x.match.sourcePorts, f.sourcePort);
  return c[0];
}
