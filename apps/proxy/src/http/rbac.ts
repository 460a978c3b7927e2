// Envoy's RBAC filters at run time (config/rbac-config.ts compiles them):
// the HTTP filter decides per request, before the fault filter and routing
// (Envoy's filter chain order), and answers a denied request 403
// `RBAC: access denied`; the network filter decides once per connection,
// before the TCP proxy opens anything upstream, and closes a denied one.
//
// ALLOW: allowed when a policy matches (no policies: nothing is allowed).
// DENY: denied when a policy matches. LOG: always allowed, counted as
// logged/not_logged. Shadow rules are evaluated and counted, never enforced.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { CompiledRules, PeerIdentity, RbacContext, RbacFilterConfig } from '../config/rbac-config.ts';
import type { RequestHead } from '../config/matchers.ts';
import { destinationOf, normalizeIp } from '../listener/original-destination.ts';
import { connectionInfo } from '../listener/connection-info.ts';

export const RBAC_DENIED_BODY = 'RBAC: access denied';
/** Envoy's response flag for a request the RBAC filter denied. */
export const RBAC_FLAG = 'RBAC';

/** Counters by full stat name (e.g. `rbac.allowed` under an HCM's `http.<prefix>.`). */
export type Counters = Map<string, number>;

function count(counters: Counters, name: string): void {
  counters.set(name, (counters.get(name) ?? 0) + 1);
}

// ---------------------------------------------------------------------------
// The downstream peer's identity

const kPeer = Symbol('rbacPeer');
type PeerSocket = Socket & { [kPeer]?: PeerIdentity | null };

/** A subjectaltname entry's value: Node quotes values with special characters as JSON strings. */
function sanValue(v: string): string {
  if (v.startsWith('"')) {
    try {
      return JSON.parse(v) as string;
    } catch {
      return v;
    }
  }
  return v;
}

function splitSans(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  // Entries are ", "-separated; a quoted value may itself hold ", ".
  const re = /([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (m[0] === '') break;
    out.push([m[1], sanValue(m[2])]);
  }
  return out;
}

function subjectText(subject: Record<string, string | string[]> | undefined): string {
  if (!subject) return '';
  return Object.entries(subject)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(',');
}

/**
 * The identity of the connection's peer as RBAC's `authenticated` sees it:
 * the SANs and subject of the client certificate the TLS handshake verified
 * (the listener's DownstreamConnectionInfo, listener/connection-info.ts, or
 * the TLS socket itself). Undefined for plaintext, for a TLS connection
 * without a client certificate, and for one whose certificate did not verify
 * (a chain without a validation context): such a peer is never "authenticated".
 */
export function peerIdentityOf(socket: Socket): PeerIdentity | undefined {
  const s = socket as PeerSocket;
  const cached = s[kPeer];
  if (cached !== undefined) return cached ?? undefined;
  let identity: PeerIdentity | undefined;
  const tls = socket as Partial<TLSSocket>;
  // Only what the handshake verified against the trust bundle identifies anyone.
  if (tls.encrypted === true && tls.authorized === true) {
    const info = connectionInfo(socket);
    if (info !== undefined) {
      if (info.peerCertificateDer !== undefined) identity = { uriSans: info.peerUriSans, dnsSans: info.peerDnsSans, subject: info.peerSubject };
    } else if (typeof tls.getPeerCertificate === 'function') {
      const cert = tls.getPeerCertificate();
      if (cert && Object.keys(cert).length > 0) {
        const sans = typeof cert.subjectaltname === 'string' ? splitSans(cert.subjectaltname) : [];
        identity = {
          uriSans: sans.filter(([k]) => k === 'URI').map(([, v]) => v),
          dnsSans: sans.filter(([k]) => k === 'DNS').map(([, v]) => v),
          subject: subjectText(cert.subject as unknown as Record<string, string | string[]> | undefined),
        };
      }
    }
  }
  // Only a finished handshake's answer is kept (a TLS socket is authorized once, before any request).
  s[kPeer] = identity ?? null;
  return identity;
}

// ---------------------------------------------------------------------------
// Evaluation

/** Whether the rules let the request (or connection) through, and whether a policy matched. */
export function evaluate(rules: CompiledRules, ctx: RbacContext): { allowed: boolean; matched: string | undefined } {
  let matched: string | undefined;
  for (const p of rules.policies) {
    if (p.matches(ctx)) {
      matched = p.name;
      break;
    }
  }
  switch (rules.action) {
    case 'ALLOW':
      return { allowed: matched !== undefined, matched };
    case 'DENY':
      return { allowed: matched === undefined, matched };
    default:
      return { allowed: true, matched };
  }
}

/** Dynamic metadata by filter namespace, as the filters of one request (or connection) write and read it. */
export type DynamicMetadata = Record<string, Record<string, unknown>>;

/** The RBAC filters' dynamic metadata namespaces (Envoy's canonical filter names). */
export const HTTP_RBAC_NAMESPACE = 'envoy.filters.http.rbac';
export const NETWORK_RBAC_NAMESPACE = 'envoy.filters.network.rbac';

/**
 * Runs one filter's rules and shadow rules against a context; counts under `<root><statPrefix>rbac.*`.
 * The shadow engine's verdict goes into `sink[namespace]` as Envoy's well-known dynamic metadata:
 * `<shadow_rules_stat_prefix>shadow_effective_policy_id` (the matched policy, when one matched) and
 * `<shadow_rules_stat_prefix>shadow_engine_result` ('allowed' or 'denied'), which later filters
 * (ext_authz's filter_enabled_metadata) read.
 */
export function runFilter(filter: RbacFilterConfig, ctx: RbacContext, counters: Counters, root: string, sink?: DynamicMetadata, namespace?: string): boolean {
  let allowed = true;
  const rules = filter.rules;
  if (rules !== undefined) {
    const r = evaluate(rules, ctx);
    const p = `${root}${filter.statPrefix}rbac.`;
    if (rules.action === 'LOG') count(counters, `${p}${r.matched !== undefined ? 'logged' : 'not_logged'}`);
    else count(counters, `${p}${r.allowed ? 'allowed' : 'denied'}`);
    allowed = r.allowed;
  }
  const shadow = filter.shadowRules;
  if (shadow !== undefined) {
    const r = evaluate(shadow, ctx);
    const p = `${root}${filter.shadowStatPrefix}rbac.`;
    if (shadow.action === 'LOG') count(counters, `${p}${r.matched !== undefined ? 'logged' : 'not_logged'}`);
    else count(counters, `${p}${r.allowed ? 'shadow_allowed' : 'shadow_denied'}`);
    if (sink !== undefined && namespace !== undefined) {
      const md = (sink[namespace] ??= {});
      const prefix = filter.shadowMetadataPrefix;
      if (r.matched !== undefined) md[`${prefix}shadow_effective_policy_id`] = r.matched;
      md[`${prefix}shadow_engine_result`] = r.allowed ? 'allowed' : 'denied';
    }
  }
  return allowed;
}

function ipOf(address: string | undefined): string {
  return address ? normalizeIp(address) : '';
}

/** What a network RBAC filter sees: the connection only. */
class ConnectionContext implements RbacContext {
  readonly request: RequestHead | undefined = undefined;
  readonly urlPath: string | undefined = undefined;
  readonly directRemoteIp: string;
  readonly remoteIp: string;
  readonly destinationIp: string;
  readonly destinationPort: number;
  readonly serverName: string;
  readonly peer: PeerIdentity | undefined;

  /** `remoteIp`: the trusted client address (HTTP: from X-Forwarded-For as the HCM says); the peer by default (no PROXY protocol here). */
  constructor(socket: Socket, remoteIp?: string) {
    this.directRemoteIp = ipOf(socket.remoteAddress);
    this.remoteIp = remoteIp ?? this.directRemoteIp;
    const dst = destinationOf(socket);
    this.destinationIp = dst?.address ?? '';
    this.destinationPort = dst?.port ?? 0;
    this.serverName = connectionInfo(socket)?.sni || (socket as Partial<TLSSocket>).servername || '';
    this.peer = peerIdentityOf(socket);
  }

  /** Dynamic metadata by filter namespace (HTTP: what jwt_authn wrote); a connection has none. */
  dynamicMetadata: Readonly<Record<string, Record<string, unknown>>> | undefined = undefined;

  metadata(filter: string): Record<string, unknown> | undefined {
    return this.dynamicMetadata?.[filter];
  }
}

/** What an HTTP RBAC filter sees: the connection and the request. */
class HttpContext extends ConnectionContext {
  override readonly request: RequestHead;
  override readonly urlPath: string;

  constructor(head: RequestHead, socket: Socket, clientAddress: string, metadata: Readonly<Record<string, Record<string, unknown>>> | undefined) {
    super(socket, clientAddress);
    this.request = head;
    this.dynamicMetadata = metadata;
    const path = head.path;
    let end = path.indexOf('?');
    const hash = path.indexOf('#');
    if (hash >= 0 && (end < 0 || hash < end)) end = hash;
    this.urlPath = end < 0 ? path : path.slice(0, end);
  }
}

/**
 * The connection manager's RBAC filters, in order, for one request: false
 * when one of them denies it (the caller answers 403). Counters go under the
 * HCM's `http.<prefix>.` namespace. `metadata`: the request's dynamic metadata by
 * filter namespace (what jwt_authn wrote), which metadata matchers read.
 */
export function checkHttpRbac(
  filters: readonly RbacFilterConfig[],
  head: RequestHead,
  socket: Socket,
  clientAddress: string,
  counters: Counters,
  metadata?: DynamicMetadata,
): boolean {
  const ctx = new HttpContext(head, socket, clientAddress, metadata);
  for (const f of filters) if (!runFilter(f, ctx, counters, '', metadata, HTTP_RBAC_NAMESPACE)) return false;
  return true;
}

/**
 * A chain's network RBAC filter for a new connection, writing its shadow verdict into `metadata`
 * (the connection's dynamic metadata, read by a network ext_authz filter after it).
 */
export function checkNetworkRbacFilter(filter: RbacFilterConfig, socket: Socket, counters: Counters, metadata: DynamicMetadata): boolean {
  const ctx = new ConnectionContext(socket);
  ctx.dynamicMetadata = metadata;
  return runFilter(filter, ctx, counters, '', metadata, NETWORK_RBAC_NAMESPACE);
}

/** A chain's network RBAC filters, in order, for a new connection: false when one denies it (the caller closes it). */
export function checkNetworkRbac(filters: readonly RbacFilterConfig[], socket: Socket, counters: Counters): boolean {
  if (filters.length === 0) return true;
  const ctx = new ConnectionContext(socket);
  // The network filter's counters live under its own stat_prefix (compiled into statPrefix), not a connection manager's.
  for (const f of filters) if (!runFilter(f, ctx, counters, '')) return false;
  return true;
}
