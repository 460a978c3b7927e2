// What to capture: the settings istio-iptables takes as flags, validated and
// normalised once so that rule generation, the dry-run text and the injector's
// annotation checks all agree on what a value means.

/** `'*'` captures everything; a list captures only those entries; an empty list captures nothing. */
export type PortSelection = '*' | number[];
export type CidrSelection = '*' | string[];

export interface CaptureConfig {
  /** Outbound capture listener (istio-iptables -p). */
  proxyPort: number;
  /** Inbound capture listener (-z). */
  inboundCapturePort: number;
  /** The proxy's uids: their traffic is never redirected again (-u). */
  proxyUids: number[];
  /** The proxy's gids (-g); the uids when not given. */
  proxyGids: number[];
  /** Only REDIRECT is implemented; TPROXY needs mangle-table marks and a transparent proxy socket. */
  interceptionMode: 'REDIRECT';
  /** Inbound ports redirected to inboundCapturePort (-b). */
  includeInboundPorts: PortSelection;
  /** Inbound ports left alone when includeInboundPorts is '*' (-d). */
  excludeInboundPorts: number[];
  /** Outbound destinations redirected to proxyPort (-i). */
  includeOutboundIpRanges: CidrSelection;
  /** Outbound destinations never redirected (-x). */
  excludeOutboundIpRanges: string[];
  /** Outbound destination ports never redirected (-o). */
  excludeOutboundPorts: number[];
  /** Outbound destination ports always redirected, whatever the destination (-q). */
  includeOutboundPorts: number[];
  /** Istio's HBONE tunnel port, never captured inbound nor looped back (-t). */
  inboundTunnelPort: number;
}

/** Istio's defaults when a flag is absent: nothing is captured until -b / -i say so. */
export const DEFAULT_CAPTURE: CaptureConfig = {
  proxyPort: 15001,
  inboundCapturePort: 15006,
  proxyUids: [1337],
  proxyGids: [1337],
  interceptionMode: 'REDIRECT',
  includeInboundPorts: [],
  excludeInboundPorts: [],
  includeOutboundIpRanges: [],
  excludeOutboundIpRanges: [],
  excludeOutboundPorts: [],
  includeOutboundPorts: [],
  inboundTunnelPort: 15008,
};

/** A value that does not fit; `field` names the flag or annotation it came from. */
export class CaptureConfigError extends Error {
  readonly field: string;
  readonly value: string;
  constructor(field: string, value: string, reason: string) {
    super(`${field}: ${reason} (got ${JSON.stringify(value)})`);
    this.field = field;
    this.value = value;
  }
}

export function parsePort(field: string, raw: string): number {
  const s = raw.trim();
  if (!/^\d+$/.test(s)) throw new CaptureConfigError(field, raw, 'expected a port number between 1 and 65535');
  const n = Number(s);
  if (n < 1 || n > 65535) throw new CaptureConfigError(field, raw, 'expected a port number between 1 and 65535');
  return n;
}

/** A comma-separated port list; empty entries are ignored, duplicates dropped, order kept. */
export function parsePortList(field: string, raw: string): number[] {
  const out: number[] = [];
  for (const part of raw.split(',')) {
    if (part.trim() === '') continue;
    const port = parsePort(field, part);
    if (!out.includes(port)) out.push(port);
  }
  return out;
}

/** `*` or a port list. */
export function parsePortSelection(field: string, raw: string): PortSelection {
  return raw.trim() === '*' ? '*' : parsePortList(field, raw);
}

export function parseIdList(field: string, raw: string): number[] {
  const out: number[] = [];
  for (const part of raw.split(',')) {
    const s = part.trim();
    if (s === '') continue;
    if (!/^\d+$/.test(s) || Number(s) > 0xffffffff) throw new CaptureConfigError(field, raw, 'expected numeric ids separated by commas');
    if (!out.includes(Number(s))) out.push(Number(s));
  }
  if (out.length === 0) throw new CaptureConfigError(field, raw, 'expected at least one numeric id');
  return out;
}

function parseIpv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
}

function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * An IPv4 CIDR (or a bare address, meaning /32) in the form iptables-save
 * prints it: host bits cleared, prefix length always present.
 */
export function normalizeCidr(field: string, raw: string): string {
  const s = raw.trim();
  if (s.includes(':')) throw new CaptureConfigError(field, raw, 'IPv6 ranges are not supported (only IPv4 traffic is captured)');
  const [addr, len, extra] = s.split('/');
  const ip = parseIpv4(addr);
  const prefix = len === undefined ? 32 : /^\d{1,2}$/.test(len) ? Number(len) : NaN;
  if (ip === undefined || extra !== undefined || !(prefix >= 0 && prefix <= 32)) {
    throw new CaptureConfigError(field, raw, 'expected an IPv4 CIDR such as 10.0.0.0/8 or an address such as 10.1.2.3');
  }
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return `${formatIpv4((ip & mask) >>> 0)}/${prefix}`;
}

export function parseCidrList(field: string, raw: string): string[] {
  const out: string[] = [];
  for (const part of raw.split(',')) {
    if (part.trim() === '') continue;
    const cidr = normalizeCidr(field, part);
    if (!out.includes(cidr)) out.push(cidr);
  }
  return out;
}

/** `*` or a CIDR list. */
export function parseCidrSelection(field: string, raw: string): CidrSelection {
  return raw.trim() === '*' ? '*' : parseCidrList(field, raw);
}

export function parseInterceptionMode(field: string, raw: string): 'REDIRECT' {
  const mode = raw.trim();
  if (mode === 'REDIRECT') return 'REDIRECT';
  if (mode === 'TPROXY') throw new CaptureConfigError(field, raw, 'TPROXY interception is not supported; use REDIRECT');
  throw new CaptureConfigError(field, raw, 'expected REDIRECT');
}
