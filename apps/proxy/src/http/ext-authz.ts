// Envoy's ext_authz at run time (config/ext-authz-config.ts compiles it): one
// authorization call per request (HTTP filter) or per connection (network
// filter) to an HTTP service or to envoy.service.auth.v3.Authorization/Check,
// through one of this proxy's own clusters, so the cluster's TLS (mTLS to a
// mesh authorizer), load balancing, circuit breakers and stats apply.
//
// Every call is bounded: a timeout, a cap on the answer's size, and a cap on
// the request body held for it. Whatever goes wrong - no cluster, no host,
// overflow, timeout, a reset, a malformed or oversized answer, a 5xx from the
// HTTP service, a gRPC status other than OK, even a bug that throws - is an
// `error` outcome: the filter then answers status_on_error (403) unless
// failure_mode_allow says otherwise. Nothing here ever allows by accident.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { decodeMessage, messageType } from '@mesh/xds';
import type { AttributeContextPeer, CheckRequest, CheckResponse__Output, HeaderValueOption__Output } from '@mesh/xds';
import {
  MAX_AUTHZ_RESPONSE_BYTES,
  matchesList,
  type GrpcAuthzService,
  type HttpAuthzService,
  type HttpExtAuthzConfig,
  type NameList,
} from '../config/ext-authz-config.ts';
import type { ClusterManager } from '../upstream/cluster-manager.ts';
import type { H1Controller, H1Handler } from '../upstream/h1-pool.ts';
import { destinationOf, normalizeIp } from '../listener/original-destination.ts';
import { peerIdentityOf } from './rbac.ts';
import { parseSubjectAltName } from '../upstream/tls-contexts.ts';

/** The namespaces of Envoy's filters as dynamic metadata and counters know them. */
export const HTTP_EXT_AUTHZ_NAMESPACE = 'envoy.filters.http.ext_authz';

export type Header = readonly [string, string];

/** What the authorization service decided. */
export type AuthzOutcome =
  | {
      readonly kind: 'ok';
      /** Set on the upstream request (replacing a header of the same name). */
      readonly setHeaders: readonly Header[];
      /** Appended to the upstream request. */
      readonly appendHeaders: readonly Header[];
      /** Removed from the upstream request. */
      readonly removeHeaders: readonly string[];
      /** Set on the client's response. */
      readonly clientHeaders: readonly Header[];
    }
  | { readonly kind: 'denied'; readonly status: number; readonly headers: readonly Header[]; readonly body: Buffer }
  | { readonly kind: 'error'; readonly reason: string };

/** The request an HTTP ext_authz filter asks about. */
export interface AuthzRequest {
  readonly method: string;
  /** The path with its query, as the upstream would get it before route rewrites. */
  readonly path: string;
  readonly authority: string;
  readonly scheme: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly socket: Socket;
  /** 'HTTP/1.1', 'HTTP/2', ... */
  readonly protocol: string;
  readonly requestId: string | undefined;
  /** The buffered body (with_request_body); undefined when not buffered. */
  readonly body: { readonly data: Buffer; readonly partial: boolean } | undefined;
}

/** A running check: its answer, and a way to give up on it (the client went away). */
export interface PendingCheck {
  readonly outcome: Promise<AuthzOutcome>;
  cancel(): void;
}

const ERR = (reason: string): AuthzOutcome => ({ kind: 'error', reason });

// ---------------------------------------------------------------------------
// One bounded request through a cluster

interface UpstreamReply {
  status: number;
  headers: Record<string, string | string[]>;
  trailers: Record<string, string | string[]> | undefined;
  body: Buffer;
}

interface SideRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: string[];
  readonly body: Buffer | null;
  readonly http2: boolean;
}

class SideCallError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** Reads one response into memory, up to `max` bytes; settles once. */
class CollectingHandler implements H1Handler {
  status = 0;
  headers: Record<string, string | string[]> = {};
  readonly chunks: Buffer[] = [];
  size = 0;
  controller: H1Controller | undefined;
  settled = false;
  readonly #max: number;
  readonly #done: (err: Error | undefined, reply?: UpstreamReply) => void;

  constructor(max: number, done: (err: Error | undefined, reply?: UpstreamReply) => void) {
    this.#max = max;
    this.#done = done;
  }

  settle(err: Error | undefined, reply?: UpstreamReply): void {
    if (this.settled) return;
    this.settled = true;
    this.#done(err, reply);
  }

  abort(err: Error): void {
    this.controller?.abort(err);
    this.settle(err);
  }

  onRequestStart(controller: H1Controller): void {
    this.controller = controller;
    if (this.settled) controller.abort(new Error('side call abandoned'));
  }

  onResponseStart(_c: H1Controller, status: number, headers: Record<string, string | string[]>): void {
    this.status = status;
    this.headers = headers;
  }

  onResponseData(_c: H1Controller, chunk: Buffer): void {
    if (this.settled) return;
    this.size += chunk.length;
    // An authorizer that answers without end cannot make the proxy hold it all.
    if (this.size > this.#max) return this.abort(new SideCallError('too_large', `the answer is larger than ${this.#max} bytes`));
    this.chunks.push(chunk);
  }

  onResponseEnd(_c: H1Controller, trailers?: Record<string, string | string[]>): void {
    this.settle(undefined, { status: this.status, headers: this.headers, trailers, body: Buffer.concat(this.chunks, this.size) });
  }

  onResponseError(_c: H1Controller, err: Error): void {
    this.settle(err);
  }
}

/**
 * Sends one request to a host of `clusterName`, honouring the cluster's circuit breaker and
 * counting it in the cluster's stats, with a deadline and a cap on the answer.
 */
function sideCall(clusters: ClusterManager, clusterName: string, req: SideRequest, timeoutMs: number, maxBytes: number): { reply: Promise<UpstreamReply>; cancel: () => void } {
  const cluster = clusters.get(clusterName);
  if (cluster === undefined) return { reply: Promise.reject(new SideCallError('no_cluster', `unknown cluster ${clusterName}`)), cancel: () => {} };
  const spec = cluster.spec;
  const cstats = cluster.stats;
  if (cstats.rqActive >= spec.maxRequests) {
    cstats.rqPendingOverflow++;
    return { reply: Promise.reject(new SideCallError('overflow', `cluster ${clusterName} is at its request limit`)), cancel: () => {} };
  }
  const host = cluster.pick(undefined);
  if (host === undefined || host.closed) return { reply: Promise.reject(new SideCallError('no_healthy_upstream', `no healthy host in ${clusterName}`)), cancel: () => {} };
  host.active++;
  host.rqTotal++;
  cstats.rqActive++;
  const started = performance.now();
  let cancel: () => void = () => {};
  const reply = new Promise<UpstreamReply>((resolve, reject) => {
    const handler: CollectingHandler = new CollectingHandler(maxBytes, (err, r) => {
      clearTimeout(timer);
      host.active--;
      cstats.rqActive--;
      if (err !== undefined) {
        const code = (err as { code?: string }).code;
        cluster.recordOutcome(host, 0, code === 'timeout' ? 'timeout' : code === 'ECONNREFUSED' ? 'connect' : 'reset');
        if (code === 'timeout') cstats.rqTimeout++;
        host.rqError++;
        reject(err);
        return;
      }
      cluster.recordOutcome(host, r!.status);
      cstats.record(r!.status, performance.now() - started, '-');
      resolve(r!);
    });
    const timer = setTimeout(() => handler.abort(new SideCallError('timeout', `no answer within ${timeoutMs} ms`)), timeoutMs);
    cancel = () => handler.abort(new SideCallError('cancelled', 'the request went away'));
    try {
      const pool = req.http2 ? host.http2Pool() : host.pool;
      pool.dispatch({ method: req.method, path: req.path, headers: req.headers, body: req.body === null ? null : [req.body] as unknown as AsyncIterable<Buffer> }, handler);
    } catch (err) {
      handler.settle(err as Error);
    }
  });
  // The caller may stop listening (cancel): the rejection is still handled.
  reply.catch(() => {});
  return { reply, cancel };
}

function errorReason(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e?.code ? `${e.code}: ${e.message ?? ''}` : String(e?.message ?? err);
}

// ---------------------------------------------------------------------------
// Header lists

// Hop-by-hop headers and the ones the proxy frames itself never cross from an authorization answer.
const NEVER_COPIED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'content-length', 'host', ':authority', 'server']);

function pairs(headers: Record<string, string | string[]>, keep: (name: string) => boolean): Header[] {
  const out: Header[] = [];
  for (const name in headers) {
    if (NEVER_COPIED.has(name) || name.startsWith(':') || !keep(name)) continue;
    const v = headers[name];
    if (typeof v === 'string') out.push([name, v]);
    else for (const x of v) out.push([name, x]);
  }
  return out;
}

function first(v: string | string[] | undefined): string | undefined {
  return typeof v === 'string' ? v : v?.[0];
}

// Envoy's HTTP service always sends these client headers, whatever allowed_headers says.
const ALWAYS_SENT = new Set(['host', 'content-length', 'authorization']);
// When allowed_client_headers is set, these still reach the client (Envoy's list).
const CLIENT_ALWAYS = new Set(['path', 'status', 'content-length', 'www-authenticate', 'location']);

function allowedRequestHeader(config: HttpExtAuthzConfig, name: string, defaultAll: boolean): boolean {
  if (config.disallowedHeaders !== undefined && matchesList(config.disallowedHeaders, name)) return false;
  if (config.allowedHeaders === undefined) return defaultAll;
  return matchesList(config.allowedHeaders, name);
}

// ---------------------------------------------------------------------------
// HTTP service

function httpCheck(config: HttpExtAuthzConfig, service: HttpAuthzService, req: AuthzRequest, clusters: ClusterManager): PendingCheck {
  const out: string[] = ['host', req.authority];
  for (const name in req.headers) {
    const v = req.headers[name];
    if (v === undefined || name === 'host' || name === 'content-length' || name === 'transfer-encoding' || name === 'connection') continue;
    if (!(ALWAYS_SENT.has(name) || allowedRequestHeader(config, name, false))) continue;
    if (typeof v === 'string') out.push(name, v);
    else for (const x of v) out.push(name, x);
  }
  const body = req.body;
  if (body !== undefined) out.push('x-envoy-auth-partial-body', body.partial ? 'true' : 'false');
  for (const [k, v] of service.headersToAdd) {
    for (let i = out.length - 2; i >= 0; i -= 2) if (out[i] === k) out.splice(i, 2);
    out.push(k, v);
  }
  out.push('content-length', String(body?.data.length ?? 0));
  const call = sideCall(clusters, service.cluster, { method: req.method, path: service.pathPrefix + req.path, headers: out, body: body?.data ?? null, http2: false }, service.timeoutMs, MAX_AUTHZ_RESPONSE_BYTES);
  const outcome = call.reply.then(
    (r) => httpOutcome(service, r),
    (err) => ERR(errorReason(err)),
  );
  return { outcome, cancel: call.cancel };
}

function httpOutcome(service: HttpAuthzService, r: UpstreamReply): AuthzOutcome {
  const h = r.headers;
  if (r.status === 200) {
    const pick = (list: NameList | undefined) => (list === undefined ? [] : pairs(h, (n) => matchesList(list, n)));
    const remove = first(h['x-envoy-auth-headers-to-remove']);
    return {
      kind: 'ok',
      setHeaders: pick(service.allowedUpstreamHeaders),
      appendHeaders: pick(service.allowedUpstreamHeadersToAppend),
      removeHeaders: remove === undefined ? [] : remove.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '' && s !== 'host' && !s.startsWith(':')),
      clientHeaders: pick(service.allowedClientHeadersOnSuccess),
    };
  }
  // Envoy's HTTP client reads a 5xx from the authorization service as a failed call, not a verdict.
  if (r.status >= 500 || r.status < 200) return ERR(`the authorization service answered ${r.status}`);
  const list = service.allowedClientHeaders;
  const headers = pairs(h, (n) => list === undefined || CLIENT_ALWAYS.has(n) || matchesList(list, n));
  return { kind: 'denied', status: r.status, headers, body: r.body };
}

// ---------------------------------------------------------------------------
// gRPC service (envoy.service.auth.v3.Authorization/Check)

const CHECK_PATH = '/envoy.service.auth.v3.Authorization/Check';

function addressOf(ip: string, port: number): AttributeContextPeer['address'] {
  return { socketAddress: { address: ip, portValue: port } };
}

function principalOf(sans: { uriSans: readonly string[]; dnsSans: readonly string[]; subject: string } | undefined): string {
  if (sans === undefined) return '';
  return sans.uriSans[0] ?? sans.dnsSans[0] ?? sans.subject;
}

/** The proxy's own identity on this connection: its certificate's URI SAN (Envoy's destination principal). */
function localPrincipal(socket: Socket): string {
  const t = socket as Partial<TLSSocket>;
  if (t.encrypted !== true || typeof t.getCertificate !== 'function') return '';
  const cert = t.getCertificate();
  if (!cert || !('subjectaltname' in cert)) return '';
  const sans = parseSubjectAltName((cert as { subjectaltname?: string }).subjectaltname);
  return sans.uri[0] ?? sans.dns[0] ?? '';
}

/** The source and destination peers of a connection, as Envoy fills a CheckRequest. */
function peers(socket: Socket): { source: AttributeContextPeer; destination: AttributeContextPeer } {
  const dst = destinationOf(socket);
  return {
    source: { address: addressOf(socket.remoteAddress ? normalizeIp(socket.remoteAddress) : '', socket.remotePort ?? 0), principal: principalOf(peerIdentityOf(socket)) },
    destination: { address: addressOf(dst?.address ?? '', dst?.port ?? 0), principal: localPrincipal(socket) },
  };
}

function timestamp(ms: number): { seconds: number; nanos: number } {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

let checkRequestType: ReturnType<typeof messageType> | undefined;

function encodeCheckRequest(request: CheckRequest): Buffer {
  const type = (checkRequestType ??= messageType('envoy.service.auth.v3.CheckRequest'));
  const message = Buffer.from(type.encode(type.fromObject(request)).finish());
  // gRPC's length-prefixed message: not compressed, 4-byte big-endian length.
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  return frame;
}

function grpcTimeout(ms: number): string {
  return `${Math.max(1, Math.ceil(ms))}m`;
}

function grpcCall(service: GrpcAuthzService, request: CheckRequest, clusters: ClusterManager): { reply: Promise<CheckResponse__Output>; cancel: () => void } {
  const headers = ['host', service.authority, 'content-type', 'application/grpc', 'te', 'trailers', 'grpc-timeout', grpcTimeout(service.timeoutMs)];
  for (const [k, v] of service.initialMetadata) headers.push(k, v);
  let frame: Buffer;
  try {
    frame = encodeCheckRequest(request);
  } catch (err) {
    return { reply: Promise.reject(new SideCallError('encode', errorReason(err))), cancel: () => {} };
  }
  const call = sideCall(clusters, service.cluster, { method: 'POST', path: CHECK_PATH, headers, body: frame, http2: true }, service.timeoutMs, MAX_AUTHZ_RESPONSE_BYTES + 5);
  const reply = call.reply.then((r) => {
    if (r.status !== 200) throw new SideCallError('grpc', `HTTP ${r.status} from the authorization service`);
    const status = first(r.trailers?.['grpc-status']) ?? first(r.headers['grpc-status']);
    if (status !== '0') {
      const message = first(r.trailers?.['grpc-message']) ?? first(r.headers['grpc-message']) ?? '';
      throw new SideCallError('grpc', `grpc-status ${status ?? '(none)'} ${decodeURIComponent(message)}`);
    }
    const b = r.body;
    if (b.length < 5 || b[0] !== 0) throw new SideCallError('grpc', 'the answer is not one uncompressed gRPC message');
    const len = b.readUInt32BE(1);
    if (len !== b.length - 5) throw new SideCallError('grpc', 'the answer is not exactly one gRPC message');
    return decodeMessage<CheckResponse__Output>('envoy.service.auth.v3.CheckResponse', b.subarray(5));
  });
  reply.catch(() => {});
  return { reply, cancel: call.cancel };
}

function optionPairs(options: HeaderValueOption__Output[] | undefined): { set: Header[]; append: Header[] } {
  const set: Header[] = [];
  const append: Header[] = [];
  for (const o of options ?? []) {
    const key = o.header?.key?.toLowerCase();
    if (!key || key.startsWith(':') || key === 'host' || NEVER_COPIED.has(key)) continue;
    const value = o.header?.value ?? '';
    // append defaults to false in CheckResponse messages; append_action (newer) says the same thing.
    const appendIt = o.append?.value === true || o.appendAction === 'APPEND_IF_EXISTS_OR_ADD';
    (appendIt ? append : set).push([key, value]);
  }
  return { set, append };
}

let statusCodes: Record<string, number> | undefined;

function deniedStatus(code: unknown): number {
  if (typeof code === 'number' && code >= 200 && code <= 599) return code;
  if (typeof code === 'string') {
    statusCodes ??= messageType('envoy.type.v3.HttpStatus').root.lookupEnum('envoy.type.v3.StatusCode').values;
    const n = statusCodes[code];
    if (n !== undefined && n >= 200 && n <= 599) return n;
  }
  return 403;
}

function grpcOutcome(r: CheckResponse__Output): AuthzOutcome {
  const code = Number(r.status?.code ?? 0);
  if (code === 0) {
    const ok = r.okResponse;
    const upstream = optionPairs(ok?.headers);
    const client = optionPairs(ok?.responseHeadersToAdd);
    return {
      kind: 'ok',
      setHeaders: upstream.set,
      appendHeaders: upstream.append,
      removeHeaders: (ok?.headersToRemove ?? []).map((h) => h.toLowerCase()).filter((h) => h !== 'host' && !h.startsWith(':')),
      clientHeaders: [...client.set, ...client.append],
    };
  }
  const d = r.deniedResponse;
  const headers = optionPairs(d?.headers);
  return { kind: 'denied', status: deniedStatus(d?.status?.code), headers: [...headers.set, ...headers.append], body: Buffer.from(d?.body ?? '') };
}

function grpcHttpCheck(config: HttpExtAuthzConfig, service: GrpcAuthzService, req: AuthzRequest, clusters: ClusterManager): PendingCheck {
  const headers: Record<string, string> = { ':authority': req.authority, ':method': req.method, ':path': req.path, ':scheme': req.scheme };
  for (const name in req.headers) {
    const v = req.headers[name];
    if (v === undefined || !allowedRequestHeader(config, name, true)) continue;
    headers[name] = typeof v === 'string' ? v : v.join(name === 'cookie' ? '; ' : ',');
  }
  const body = req.body;
  if (body !== undefined) headers['x-envoy-auth-partial-body'] = body.partial ? 'true' : 'false';
  const cl = first(req.headers['content-length']);
  const http: NonNullable<NonNullable<NonNullable<CheckRequest['attributes']>['request']>['http']> = {
    id: req.requestId ?? '',
    method: req.method,
    headers,
    path: req.path,
    host: req.authority,
    scheme: req.scheme,
    protocol: req.protocol,
    size: cl !== undefined && /^\d+$/.test(cl) ? cl : -1,
  };
  if (body !== undefined) {
    if (config.withRequestBody?.packAsBytes) http.rawBody = body.data;
    else http.body = body.data.toString('utf8');
  }
  const { source, destination } = peers(req.socket);
  const call = grpcCall(service, { attributes: { source, destination, request: { time: timestamp(Date.now()), http } } }, clusters);
  return { outcome: call.reply.then(grpcOutcome, (err) => ERR(errorReason(err))), cancel: call.cancel };
}

// ---------------------------------------------------------------------------
// Entry points

/** Starts the HTTP filter's check of one request. Never rejects: failures are `error` outcomes. */
export function checkRequest(config: HttpExtAuthzConfig, req: AuthzRequest, clusters: ClusterManager): PendingCheck {
  try {
    const service = config.service;
    const pending = service.kind === 'http' ? httpCheck(config, service, req, clusters) : grpcHttpCheck(config, service, req, clusters);
    return { outcome: pending.outcome.catch((err: unknown) => ERR(errorReason(err))), cancel: pending.cancel };
  } catch (err) {
    return { outcome: Promise.resolve(ERR(errorReason(err))), cancel: () => {} };
  }
}

/** Starts the network filter's check of one connection (no HTTP attributes). Never rejects. */
export function checkConnection(service: GrpcAuthzService, socket: Socket, clusters: ClusterManager): PendingCheck {
  try {
    const { source, destination } = peers(socket);
    const call = grpcCall(service, { attributes: { source, destination } }, clusters);
    return { outcome: call.reply.then(grpcOutcome, (err) => ERR(errorReason(err))).catch((err: unknown) => ERR(errorReason(err))), cancel: call.cancel };
  } catch (err) {
    return { outcome: Promise.resolve(ERR(errorReason(err))), cancel: () => {} };
  }
}
