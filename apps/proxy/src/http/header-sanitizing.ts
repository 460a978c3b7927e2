// Envoy's "HTTP header sanitizing": whether a request is internal or
// external, and the x-envoy-* headers an external client may not set.
//
// The trusted client address (Envoy's "x-forwarded-for" doc), which RBAC's
// remote_ip, source-IP hashing, x-envoy-external-address and the access log's
// downstream address use:
// - use_remote_address true: the peer, or with xff_num_trusted_hops N > 0 the
//   Nth address from the right of the XFF the request arrived with (the peer
//   being the last trusted proxy);
// - use_remote_address false: the (N+1)th address from the right of XFF.
// When XFF has too few entries, or that entry is not an IP, the peer.
//
// Internal or external:
// - use_remote_address true: the trusted client address decides;
// - use_remote_address false: the X-Forwarded-For header decides - a request
//   with no XFF, or whose single XFF entry is an internal address, is internal.
// An address is internal only by the HCM's internal_address_config
// cidr_ranges. Without one, no address is internal: Envoy's current default
// (its old one trusted RFC 1918 and loopback peers, so anything that reached a
// gateway through a NAT or a local hop could set retries and timeouts).
//
// Internal requests get `x-envoy-internal: true`; external ones lose every
// header below (so a client cannot pick retries, timeouts, stat names or
// pretend to be internal), and on the edge (use_remote_address) get
// `x-envoy-external-address` set to the peer's address.
import { BlockList, isIP, isIPv4 } from 'node:net';
import { normalizeIp } from '../listener/original-destination.ts';

/** The internal-only headers removed from external requests (Envoy's header sanitizing list). */
export const INTERNAL_ONLY_HEADERS: readonly string[] = [
  'x-envoy-decorator-operation',
  'x-envoy-downstream-service-cluster',
  'x-envoy-downstream-service-node',
  'x-envoy-expected-rq-timeout-ms',
  'x-envoy-external-address',
  'x-envoy-force-trace',
  'x-envoy-hedge-on-per-try-timeout',
  'x-envoy-internal',
  'x-envoy-ip-tags',
  'x-envoy-max-retries',
  'x-envoy-original-path',
  'x-envoy-original-url',
  'x-envoy-retry-grpc-on',
  'x-envoy-retry-on',
  'x-envoy-upstream-alt-stat-name',
  'x-envoy-upstream-rq-per-try-timeout-ms',
  'x-envoy-upstream-rq-timeout-alt-response',
  'x-envoy-upstream-rq-timeout-ms',
  'x-envoy-upstream-stream-duration-ms',
];

/** Removes the internal-only headers (an external request). */
export function stripInternalHeaders(headers: Record<string, string | string[] | undefined>): void {
  for (let i = 0; i < INTERNAL_ONLY_HEADERS.length; i++) {
    const name = INTERNAL_ONLY_HEADERS[i];
    if (headers[name] !== undefined) delete headers[name];
  }
}

export interface CidrRange {
  readonly addressPrefix: string;
  readonly prefixLen: number;
}

const lists = new WeakMap<readonly CidrRange[], BlockList>();

function blockList(ranges: readonly CidrRange[]): BlockList {
  let list = lists.get(ranges);
  if (list === undefined) {
    list = new BlockList();
    for (const r of ranges) list.addSubnet(r.addressPrefix, r.prefixLen, isIPv4(r.addressPrefix) ? 'ipv4' : 'ipv6');
    lists.set(ranges, list);
  }
  return list;
}

/** Whether an address (no port) is internal under `cidrs` (internal_address_config); without it, none is. */
export function isInternalAddress(ip: string, cidrs: readonly CidrRange[] | undefined): boolean {
  ip = normalizeIp(ip);
  if (ip === '' || cidrs === undefined) return false;
  try {
    return blockList(cidrs).check(ip, isIPv4(ip) ? 'ipv4' : 'ipv6');
  } catch {
    return false; // not an address at all (a forged XFF entry): external
  }
}

/**
 * The address `skip` entries from the right end of X-Forwarded-For (0: the
 * last), normalized; undefined when XFF has no such entry or it is not an IP.
 */
export function xffAddressFromRight(xff: string | string[] | undefined, skip: number): string | undefined {
  const v = typeof xff === 'string' ? xff : Array.isArray(xff) ? xff.join(',') : undefined;
  if (v === undefined) return undefined;
  let end = v.length;
  for (let i = 0; i < skip; i++) {
    end = v.lastIndexOf(',', end - 1);
    if (end < 0) return undefined;
  }
  const entry = v.slice(v.lastIndexOf(',', end - 1) + 1, end).trim();
  if (isIP(entry) === 0) return undefined;
  return normalizeIp(entry);
}

/** The trusted client address of a request (see the top of this file); `peer` is the connection's remote IP. */
export function trustedClientAddress(xff: string | string[] | undefined, peer: string, useRemoteAddress: boolean, trustedHops: number): string {
  if (useRemoteAddress) return trustedHops > 0 ? (xffAddressFromRight(xff, trustedHops - 1) ?? peer) : peer;
  return xffAddressFromRight(xff, trustedHops) ?? peer;
}

/**
 * Internal or external, for use_remote_address false: by X-Forwarded-For.
 * No XFF: internal. One entry: internal when that address is. More: external.
 */
export function internalByXff(xff: string | string[] | undefined, cidrs: readonly CidrRange[] | undefined): boolean {
  if (xff === undefined) return true;
  if (typeof xff !== 'string' || xff.includes(',')) return false;
  const entry = xff.trim();
  return isIP(entry) !== 0 && isInternalAddress(entry, cidrs);
}
