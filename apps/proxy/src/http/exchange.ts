// One downstream request from arrival to the last response byte: route
// selection, the fault filter, local replies (direct response, redirect,
// errors), and the router - host selection, upstream attempts through the
// host's undici pool with streaming both ways, per-try and route timeouts,
// retries; gRPC (local replies as trailers-only responses, grpc-timeout,
// retries on grpc-status, trailers passed through) and HTTP/1.1 upgrades
// (WebSocket: upgrade.ts). The same for HTTP/1.1 and HTTP/2 clients: the codec
// is behind DownstreamRequest / DownstreamResponse. This is the hot path: one
// Exchange object and one Attempt object per request, no closures, no regexes
// built, nothing logged unless enabled.
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { H1Controller } from '../upstream/h1-pool.ts';
import type { DownstreamEvents, DownstreamRequest, DownstreamResponse } from './downstream.ts';
import { getHeader, removeHeader, setHeader, type HeaderContext, type HeaderMutation } from '../config/header-mutation.ts';
import type { RequestHead } from '../config/matchers.ts';
import { RetryPolicy, stripPort, type ForwardAction, type Route, type RouteTable, type VirtualHost, type WeightedTarget } from '../config/route-table.ts';
import type { FaultConfig } from '../config/fault-config.ts';
import type { Cluster } from '../upstream/cluster.ts';
import type { Host } from '../upstream/host.ts';
import { hash32 } from '../upstream/load-balancer.ts';
import type { ClusterManager } from '../upstream/cluster-manager.ts';
import type { HcmConfig } from '../config/hcm-config.ts';
import type { HttpStats } from '../stats.ts';
import type { AccessLogSink } from './access-log.ts';
import { decideFault, faultEnded, faultStarted } from './fault.ts';
import { corsOutcome } from './cors.ts';
import { encodeGrpcMessage, FAULT_ABORT, FLAGS, httpToGrpcStatus, isGrpcContentType, NO_HEALTHY_UPSTREAM, parseGrpcTimeout, STREAM_TIMEOUT, UPSTREAM_TIMEOUT, upstreamResetBody } from './local-reply.ts';
import { dispatchUpgrade, Tunnel, type UpgradeHandler } from './upgrade.ts';
import { originalDestinationOf } from '../listener/original-destination.ts';
import { ReplayableBody } from './replayable-body.ts';
import { sendShadow } from './shadow.ts';
import { validAuthority } from './h1-server.ts';
import { normalizationEnabled, normalizePath, PATH_REJECTED } from './path-normalization.ts';
import { internalByXff, isInternalAddress, stripInternalHeaders, trustedClientAddress } from './header-sanitizing.ts';
import { applyXfcc } from './xfcc.ts';
import { checkHttpRbac, RBAC_DENIED_BODY, RBAC_FLAG } from './rbac.ts';
import { checkRequest, type AuthzOutcome } from './ext-authz.ts';
import type { HttpExtAuthzConfig } from '../config/ext-authz-config.ts';
import { Readable } from 'node:stream';
import { JWT_AUTHN_METADATA, runJwtAuthn, type JwtOutcome } from './jwt-authn.ts';

/** What one listener's HTTP connection manager serves with; replaced as a whole on config change. */
export interface ActiveHttpConfig {
  readonly hcm: HcmConfig;
  readonly routes: RouteTable;
  readonly stats: HttpStats;
  readonly accessLog: AccessLogSink | undefined;
}

/** What every exchange of one listener shares. */
export interface ExchangeContext {
  readonly listenerName: string;
  readonly clusters: ClusterManager;
  readonly random: () => number;
  /** Responses carry `connection: close` while the listener drains. */
  readonly draining: boolean;
}

const REPLAY_LIMIT = 1024 * 1024;

// Hop-by-hop headers (RFC 9110 §7.6.1) and the ones the proxy sets itself.
const SKIP_REQUEST: Record<string, 1> = Object.assign(Object.create(null), {
  host: 1,
  connection: 1,
  'keep-alive': 1,
  'proxy-connection': 1,
  'transfer-encoding': 1,
  upgrade: 1,
  te: 1,
  trailer: 1,
  'x-forwarded-for': 1,
  'x-forwarded-proto': 1,
  'x-request-id': 1,
  // Consumed by this hop's router, as Envoy does: the next proxy must not apply them again.
  'x-envoy-upstream-rq-timeout-ms': 1,
  'x-envoy-upstream-rq-per-try-timeout-ms': 1,
});
// A Connection header may name hop-by-hop headers to drop, but never these: the
// request's authority and framing are not the client's to remove ("Connection: host").
const NEVER_NOMINATED: Record<string, 1> = Object.assign(Object.create(null), {
  host: 1,
  'content-length': 1,
  'transfer-encoding': 1,
  te: 1,
  connection: 1,
  'keep-alive': 1,
  close: 1,
});

/** Header names a request's Connection header nominates as hop-by-hop (undefined: none). */
function nominated(connection: string | string[] | undefined): Set<string> | undefined {
  if (typeof connection !== 'string' || connection === 'keep-alive' || connection === 'close') return undefined;
  let set: Set<string> | undefined;
  for (const token of connection.split(',')) {
    const t = token.trim().toLowerCase();
    if (t && NEVER_NOMINATED[t] !== 1) (set ??= new Set()).add(t);
  }
  return set;
}

/** Per downstream connection: whether its peer is internal, and under which internal_address_config. */
const kInternal = Symbol('internal');
type SocketWithInternal = Socket & { [kInternal]?: { cidrs: unknown; internal: boolean } };

const SKIP_RESPONSE: Record<string, 1> = Object.assign(Object.create(null), {
  connection: 1,
  'keep-alive': 1,
  'proxy-connection': 1,
  'transfer-encoding': 1,
  upgrade: 1,
  trailer: 1,
  server: 1,
});

/** An upstream response's headers as name/value pairs for the downstream, hop-by-hop and internal ones left out. */
function responseHeaderPairs(headers: Record<string, string | string[]>): string[] {
  const out: string[] = [];
  for (const name in headers) {
    if (SKIP_RESPONSE[name] === 1) continue;
    const v = headers[name];
    if (typeof v === 'string') out.push(name, v);
    else for (let i = 0; i < v.length; i++) out.push(name, v[i]);
  }
  return out;
}

const kExchanges = Symbol('exchanges');
type TrackedSocket = Socket & { [kExchanges]?: Set<Exchange> };

/** Installed once per downstream connection: a closed connection cancels its exchanges' upstream work. */
export function onDownstreamSocketClose(this: TrackedSocket): void {
  const set = this[kExchanges];
  if (set === undefined) return;
  for (const ex of set) ex.downstreamClosed();
  set.clear();
}

const ACTIVE = 0;
const ABANDONED = 1;

/** One upstream try: the undici dispatch handler. Callbacks of an abandoned attempt are ignored. */
class Attempt implements UpgradeHandler {
  state = ACTIVE;
  controller: H1Controller | undefined = undefined;
  timer: NodeJS.Timeout | undefined = undefined;
  perTryTimedOut = false;
  readonly startedAt: number;

  readonly exchange: Exchange;
  readonly host: Host;

  constructor(exchange: Exchange, host: Host) {
    this.exchange = exchange;
    this.host = host;
    this.startedAt = performance.now();
  }

  onRequestStart(controller: H1Controller): void {
    // undici's HTTP/2 client re-sends, once and by itself, a bodiless stream the upstream refused
    // (REFUSED_STREAM, or a stream above a GOAWAY's last id): a second start is that replay. Whether a
    // refused stream is retried is the route's retry policy's decision, as in Envoy, so it is stopped here.
    const replay = this.controller !== undefined;
    this.controller = controller;
    if (this.state !== ACTIVE) controller.abort(new Error('attempt abandoned'));
    else if (replay) controller.abort(Object.assign(new Error('upstream refused the stream'), { code: REFUSED_STREAM }));
  }

  onResponseStart(_controller: H1Controller, status: number, headers: Record<string, string | string[]>): void {
    if (this.state === ACTIVE) this.exchange.upstreamResponse(this, status, headers);
  }

  onResponseData(controller: H1Controller, chunk: Buffer): void {
    if (this.state === ACTIVE) this.exchange.upstreamData(controller, chunk);
  }

  onResponseEnd(_controller: H1Controller, trailers?: Record<string, string | string[]>): void {
    if (this.state === ACTIVE) this.exchange.upstreamEnd(this, trailers);
  }

  onUpgrade(_controller: H1Controller, headers: Record<string, string | string[]>, socket: Socket, rest: Buffer): void {
    if (this.state === ACTIVE) this.exchange.upstreamUpgraded(this, headers, socket, rest);
    else socket.destroy();
  }

  onResponseError(_controller: H1Controller, err: Error): void {
    if (this.state === ACTIVE) this.exchange.upstreamError(this, err);
  }

  /** Stops this attempt; its later callbacks are ignored. */
  abandon(reason: Error): void {
    if (this.state !== ACTIVE) return;
    this.state = ABANDONED;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.exchange.releaseHost(this.host);
    this.controller?.abort(reason);
  }
}

function onRouteTimeout(ex: Exchange): void {
  ex.routeTimeout();
}

function onPerTryTimeout(attempt: Attempt): void {
  attempt.exchange.perTryTimeout(attempt);
}

function onRetryTimer(ex: Exchange): void {
  ex.retryTimer = undefined;
  ex.startAttempt();
}

function onTunnelClosed(ex: Exchange, attempt: Attempt): void {
  ex.tunnelClosed(attempt);
}

function onFaultDelay(ex: Exchange): void {
  ex.faultDelayDone();
}

type AttemptFailure = 'connect' | 'reset' | 'refused' | 'protocol' | 'timeout';

const REFUSED_STREAM = 'UPSTREAM_REFUSED_STREAM';
const NGHTTP2_REFUSED_STREAM = 7;

function classify(err: Error & { code?: string; http2ErrorCode?: number }): AttemptFailure {
  if (err.http2ErrorCode === NGHTTP2_REFUSED_STREAM) return 'refused';
  switch (err.code) {
    case REFUSED_STREAM:
      return 'refused';
    case 'UND_ERR_RES_PROTOCOL':
      // A response the upstream codec refused (both Transfer-Encoding and Content-Length, bad bytes, ...).
      return 'protocol';
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'CERT_HAS_EXPIRED':
    case 'ERR_TLS_SAN_MISMATCH':
    case 'ERR_TLS_SECRET_MISSING':
    case 'ERR_TLS_CONTEXT_INVALID':
      return 'connect';
    default:
      // A TLS handshake the upstream (or its certificate) failed: no connection was made.
      return err.code !== undefined && (err.code.startsWith('ERR_SSL_') || /CERT|ISSUER/.test(err.code)) ? 'connect' : 'reset';
  }
}

function ipOf(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export class Exchange implements RequestHead, DownstreamEvents {
  // RequestHead
  method: string;
  authority = '';
  path = '';
  scheme: string;
  headers: Record<string, string | string[] | undefined>;

  readonly req: DownstreamRequest;
  readonly res: DownstreamResponse;
  readonly ctx: ExchangeContext;
  readonly cfg: ActiveHttpConfig;
  readonly startedAt: number;
  readonly startedAtMs: number;

  virtualHost: VirtualHost | undefined = undefined;
  route: Route | undefined = undefined;
  action: ForwardAction | undefined = undefined;
  weighted: WeightedTarget | undefined = undefined;
  cluster: Cluster | undefined = undefined;
  host: Host | undefined = undefined;
  attempt: Attempt | undefined = undefined;
  attempts = 0;
  tried: Host[] | undefined = undefined;
  retryCounted = false;
  upstreamHeaders: string[] | undefined = undefined;
  upstreamPath = '';
  requestId: string | undefined = undefined;
  body: AsyncIterable<Buffer> | ReplayableBody | null = null;
  routeTimer: NodeJS.Timeout | undefined = undefined;
  retryTimer: NodeJS.Timeout | undefined = undefined;
  faultTimer: NodeJS.Timeout | undefined = undefined;
  faultAbort = 0;
  faultActive = false;
  status = 0;
  flags: string = FLAGS.NONE;
  bytesSent = 0;
  upstreamServiceTime = -1;
  paused: H1Controller | undefined = undefined;
  onDrain: (() => void) | undefined = undefined;
  done = false;
  /** The path before a route rewrite (only the proxy sets x-envoy-original-path). */
  originalPath: string | undefined = undefined;
  /** Envoy's internal request (header sanitizing); decided in start(). */
  internal = false;
  /** The trusted client address (the peer, or from X-Forwarded-For per xff_num_trusted_hops); decided in start(). */
  clientAddress = '';
  /** Hash cookies generated for this request (route hash policy with a ttl), set on the upstream response. */
  setCookies: Array<{ name: string; value: string; header: string }> | undefined = undefined;
  /** A gRPC request (content-type application/grpc*): local replies are gRPC trailers-only responses. */
  grpc = false;
  /** The Upgrade value of an upgrade request this route allows (lower case); undefined for ordinary requests. */
  upgrade: string | undefined = undefined;
  /** The route's retry policy, or one the request's x-envoy-retry-* headers asked for (internal requests). */
  retry: RetryPolicy | undefined = undefined;
  /** Each attempt's timeout (0: none): the retry policy's, or an internal client's x-envoy-upstream-rq-per-try-timeout-ms. */
  perTryTimeoutMs = 0;
  /** An upgraded (101) connection pair. */
  tunnel: Tunnel | undefined = undefined;
  /** Dynamic metadata by filter namespace (jwt_authn's verified payloads, RBAC shadow verdicts), read by later filters. */
  dynamicMetadata: Record<string, Record<string, unknown>> | undefined = undefined;
  /** Gives up on a running ext_authz check (the request ended first). */
  authzCancel: (() => void) | undefined = undefined;
  /** Headers an ext_authz service allowed added to the client's response. */
  authzResponseHeaders: ReadonlyArray<readonly [string, string]> | undefined = undefined;
  /** The CORS filter's response headers (name/value pairs) for an allowed origin. */
  corsHeaders: string[] | undefined = undefined;
  /** The request body after ext_authz buffered part of it (with_request_body); undefined: the codec's stream. */
  bodyOverride: Readable | null | undefined = undefined;

  constructor(ctx: ExchangeContext, cfg: ActiveHttpConfig, req: DownstreamRequest, res: DownstreamResponse) {
    this.ctx = ctx;
    this.cfg = cfg;
    this.req = req;
    this.res = res;
    this.method = req.method ?? 'GET';
    this.headers = req.headers;
    this.scheme = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    this.startedAt = performance.now();
    this.startedAtMs = Date.now();
    req.events = this;
  }

  start(): void {
    const cfg = this.cfg;
    const hcm = cfg.hcm;
    cfg.stats.rqTotal++;
    cfg.stats.rqActive++;
    const socket = this.req.socket as TrackedSocket;
    let set = socket[kExchanges];
    if (set === undefined) socket[kExchanges] = set = new Set();
    set.add(this);

    const url = this.req.url ?? '/';
    if (url.charCodeAt(0) === 47 /* / */) {
      this.path = url;
      this.authority = (this.headers.host as string | undefined) ?? '';
    } else if (url.startsWith('http://') || url.startsWith('https://')) {
      // Absolute-form (explicit proxy): the URI's authority wins over Host (RFC 9112 §3.2.2).
      const start = url.indexOf('//') + 2;
      let end = url.indexOf('/', start);
      const q = url.indexOf('?', start);
      if (q >= 0 && (end < 0 || q < end)) end = q;
      this.authority = end < 0 ? url.slice(start) : url.slice(start, end);
      this.path = end < 0 ? '/' : url.charCodeAt(end) === 63 ? '/' + url.slice(end) : url.slice(end);
      // Userinfo (user@host) or anything else that is not an authority: refused, never stripped and guessed at.
      if (!validAuthority(this.authority)) {
        this.localReply(400, undefined, FLAGS.NONE, false);
        return;
      }
    } else {
      this.path = url;
      this.authority = (this.headers.host as string | undefined) ?? (this.method === 'CONNECT' ? url : '');
    }
    const ct = this.headers['content-type'];
    if (typeof ct === 'string' && ct.charCodeAt(0) === 97 /* a */ && isGrpcContentType(ct)) this.grpc = true;
    if (hcm.stripAnyHostPort) this.authority = stripPort(this.authority);
    else if (hcm.stripMatchingHostPort) {
      const local = this.req.socket.localPort;
      if (this.authority.endsWith(`:${local}`)) this.authority = stripPort(this.authority);
    }
    if (!hcm.useRemoteAddress) {
      const xfp = this.headers['x-forwarded-proto'];
      if (xfp === 'https' || xfp === 'http') this.scheme = xfp;
    }
    // Envoy refuses a fragment in the request target (http_reject_path_with_fragment).
    if (this.path.indexOf('#') >= 0) {
      this.localReply(400, undefined, FLAGS.NONE, false);
      return;
    }
    // Path normalization before anything looks at the path (routes, faults, the upstream request).
    const pn = hcm.pathNormalization;
    if (normalizationEnabled(pn)) {
      const normalized = normalizePath(this.path, pn);
      if (typeof normalized !== 'string') {
        if (normalized === PATH_REJECTED || this.grpc) {
          cfg.stats.rqFailedPathNormalization++;
          this.localReply(400, undefined, FLAGS.NONE, false);
          return;
        }
        cfg.stats.rqRedirectedWithNormalizedPath++;
        this.path = (normalized as { redirect: string }).redirect;
        this.sendLocal(307, undefined, FLAGS.NONE, ['location', this.path], false);
        return;
      }
      this.path = normalized;
    }
    this.sanitize();
    // Envoy's filter order: jwt_authn, then the RBAC filters (which read its metadata), before the fault filter and the router.
    const jwt = hcm.jwtAuthn;
    if (jwt !== undefined) {
      const verified: Record<string, unknown> = {};
      this.dynamicMetadata = { [JWT_AUTHN_METADATA]: verified };
      const outcome = runJwtAuthn(jwt, this, verified);
      if (outcome instanceof Promise) {
        outcome.then((o) => this.jwtDecided(o)).catch((err: unknown) => this.jwtCrashed(err));
        return;
      }
      if (!outcome.allowed) return this.jwtRejected(outcome);
    }
    this.authorizeAndRoute();
  }

  /** The jwt_authn filter's asynchronous answer (signature verification). */
  jwtDecided(o: JwtOutcome): void {
    if (this.done) return;
    if (!o.allowed) return this.jwtRejected(o);
    this.authorizeAndRoute();
  }

  jwtRejected(o: JwtOutcome): void {
    const counters = this.cfg.stats.rbac;
    counters.set('jwt_authn.denied', (counters.get('jwt_authn.denied') ?? 0) + 1);
    const extra = o.wwwAuthenticate !== undefined ? ['www-authenticate', o.wwwAuthenticate] : [];
    if (o.body !== undefined) extra.push('content-type', 'text/plain');
    this.sendLocal(o.status ?? 401, o.body === undefined ? undefined : Buffer.from(o.body), FLAGS.NONE, extra, false);
  }

  /** Something after the verification threw: the request is answered 500 rather than left hanging. */
  jwtCrashed(_err: unknown): void {
    if (this.done) return;
    this.localReply(500, undefined, FLAGS.NONE, false);
  }

  /** From the authorization filters on: RBAC and ext_authz in their order, route selection, the fault filter, the router. */
  authorizeAndRoute(): void {
    const cfg = this.cfg;
    const hcm = cfg.hcm;
    if (hcm.jwtAuthn !== undefined) {
      const counters = cfg.stats.rbac;
      counters.set('jwt_authn.allowed', (counters.get('jwt_authn.allowed') ?? 0) + 1);
    }
    this.runAuthz(0);
  }

  /** The authorization filters from `from` on; an ext_authz filter suspends the request until its answer. */
  runAuthz(from: number): void {
    const cfg = this.cfg;
    const steps = cfg.hcm.authz;
    for (let i = from; i < steps.length; i++) {
      const step = steps[i];
      if (step.kind === 'rbac') {
        // Shadow verdicts are written as dynamic metadata for the filters after this one.
        if (step.config.shadowRules !== undefined) this.dynamicMetadata ??= {};
        if (!checkHttpRbac([step.config], this, this.req.socket, this.clientAddress, cfg.stats.rbac, this.dynamicMetadata)) {
          this.localReply(403, RBAC_DENIED_BODY, RBAC_FLAG, false);
          return;
        }
        continue;
      }
      const config = step.config;
      if (config.enabled !== undefined && !config.enabled((f) => this.dynamicMetadata?.[f])) {
        this.countAuthz(config, 'disabled');
        continue;
      }
      this.startExtAuthz(config, i);
      return;
    }
    this.routeRequest();
  }

  countAuthz(config: HttpExtAuthzConfig, name: string): void {
    const counters = this.cfg.stats.rbac;
    const key = `ext_authz.${config.statPrefix}${name}`;
    counters.set(key, (counters.get(key) ?? 0) + 1);
  }

  /** Buffers the body when the filter sends it, then asks the authorization service. */
  startExtAuthz(config: HttpExtAuthzConfig, index: number): void {
    const settings = config.withRequestBody;
    const stream = settings !== undefined ? this.req.body() : null;
    if (settings === undefined || stream === null) {
      this.askExtAuthz(config, index, undefined);
      return;
    }
    const max = settings.maxRequestBytes;
    const declared = Number(this.headers['content-length'] ?? -1);
    // Envoy answers 413 when the body outgrows the buffer and a partial body was not allowed (even with failure_mode_allow).
    if (!settings.allowPartialMessage && declared > max) {
      this.localReply(413, 'Payload Too Large', FLAGS.NONE, false);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (ended: boolean) => {
      if (settled) return;
      settled = true;
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      this.authzCancel = undefined;
      if (this.done) return;
      stream.pause();
      const data = Buffer.concat(chunks, size);
      const partial = !ended;
      if (partial && !settings.allowPartialMessage) {
        this.localReply(413, 'Payload Too Large', FLAGS.NONE, false);
        return;
      }
      // The upstream gets the whole body: what was read, then the rest of the stream.
      this.bodyOverride = ended ? Readable.from([data], { objectMode: false }) : prepend(data, stream);
      this.askExtAuthz(config, index, { data: data.subarray(0, max), partial });
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= max) settle(false);
    };
    const onEnd = () => settle(true);
    // The codec reports a broken body through downstreamReset; this only stops listening.
    const onError = () => {
      settled = true;
      stream.off('data', onData);
      stream.off('end', onEnd);
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    this.authzCancel = onError;
  }

  askExtAuthz(config: HttpExtAuthzConfig, index: number, body: { data: Buffer; partial: boolean } | undefined): void {
    const pending = checkRequest(
      config,
      {
        method: this.method,
        path: this.path,
        authority: this.authority,
        scheme: this.scheme,
        headers: this.headers,
        socket: this.req.socket,
        protocol: `HTTP/${this.req.httpVersion}`,
        requestId: this.headers['x-request-id'] as string | undefined,
        body,
      },
      this.ctx.clusters,
    );
    this.authzCancel = pending.cancel;
    pending.outcome
      .then((o) => this.extAuthzDecided(config, index, o))
      .catch(() => this.extAuthzDecided(config, index, { kind: 'error', reason: 'the check threw' }));
  }

  extAuthzDecided(config: HttpExtAuthzConfig, index: number, o: AuthzOutcome): void {
    this.authzCancel = undefined;
    if (this.done) return;
    try {
      if (o.kind === 'ok') {
        this.countAuthz(config, 'ok');
        const h = this.headers;
        for (const name of o.removeHeaders) delete h[name];
        for (const [k, v] of o.setHeaders) h[k] = v;
        for (const [k, v] of o.appendHeaders) {
          const old = h[k];
          h[k] = old === undefined ? v : typeof old === 'string' ? `${old},${v}` : [...old, v];
        }
        if (o.clientHeaders.length > 0) this.authzResponseHeaders = [...(this.authzResponseHeaders ?? []), ...o.clientHeaders];
        this.runAuthz(index + 1);
        return;
      }
      if (o.kind === 'denied') {
        this.countAuthz(config, 'denied');
        const extra: string[] = [];
        for (const [k, v] of o.headers) extra.push(k, v);
        this.sendLocal(o.status, o.body.length > 0 ? o.body : undefined, FLAGS.UNAUTHORIZED_EXTERNAL_SERVICE, extra, false);
        return;
      }
      this.countAuthz(config, 'error');
      if (config.failureModeAllow) {
        this.countAuthz(config, 'failure_mode_allowed');
        this.runAuthz(index + 1);
        return;
      }
      this.sendLocal(config.statusOnError, undefined, FLAGS.UNAUTHORIZED_EXTERNAL_SERVICE, undefined, false);
    } catch {
      // Whatever broke after the answer, the request is never let through by it.
      if (!this.done) this.localReply(500, undefined, FLAGS.NONE, false);
    }
  }

  /** Route selection, the fault filter, then the route's action. */
  routeRequest(): void {
    const cfg = this.cfg;
    const hcm = cfg.hcm;
    const vh = cfg.routes.selectVirtualHost(this.authority);
    const route = vh === undefined ? undefined : vh.route(this);
    if (route === undefined) {
      cfg.stats.noRoute++;
      this.localReply(404, undefined, FLAGS.NO_ROUTE, false);
      return;
    }
    this.virtualHost = vh;
    this.route = route;
    if (this.headers.upgrade !== undefined && !this.checkUpgrade(route)) return;
    if (vh!.requireTls && this.scheme !== 'https') {
      this.redirectTo(`https://${stripPort(this.authority)}${this.path}`, 301);
      return;
    }
    const fault: FaultConfig | undefined = hcm.faultFilter ? route.fault ?? hcm.fault : undefined;
    if (fault !== undefined) {
      const target = route.action.kind === 'route' ? route.action.cluster : undefined;
      const decision = decideFault(fault, this, target, this.ctx.random);
      if (decision !== undefined) {
        this.faultActive = true;
        faultStarted();
        this.faultAbort = decision.abortStatus;
        if (decision.delayMs > 0) {
          cfg.stats.faultDelays++;
          this.flags = FLAGS.DELAY_INJECTED;
          this.faultTimer = setTimeout(onFaultDelay, decision.delayMs, this);
          return;
        }
        if (this.faultAbort) return this.faultAbortReply(fault);
      }
    }
    this.runAction();
  }

  /**
   * An HTTP/1.1 upgrade request (Upgrade, and Connection naming it): allowed when the route's
   * upgrade_configs enable its type, or they say nothing of it and the connection manager's do;
   * otherwise 403, as Envoy answers. `Upgrade: h2c` is not an upgrade here: Envoy strips it and
   * serves the request as HTTP/1.1. False when the request was answered.
   */
  checkUpgrade(route: Route): boolean {
    const value = this.headers.upgrade;
    const connection = this.headers.connection;
    if (typeof value !== 'string' || typeof connection !== 'string' || !/(^|,)\s*upgrade\s*(,|$)/i.test(connection)) return true;
    const type = value.trim().toLowerCase();
    if (type === 'h2c') return true;
    const action = route.action;
    const fromRoute = action.kind === 'route' ? action.upgrades.get(type) : undefined;
    if (fromRoute ?? this.cfg.hcm.upgrades.has(type)) {
      if (action.kind === 'route') this.upgrade = value.trim();
      return true;
    }
    this.localReply(403, undefined, FLAGS.NONE, false);
    return false;
  }

  /**
   * Envoy's header sanitizing: decides internal or external; an external
   * request loses the internal-only x-envoy-* headers before routing.
   */
  sanitize(): void {
    const hcm = this.cfg.hcm;
    const cidrs = hcm.internalAddressCidrs;
    const peer = ipOf(this.req.socket.remoteAddress);
    const hops = hcm.xffNumTrustedHops;
    this.clientAddress = hops === 0 && hcm.useRemoteAddress ? peer : trustedClientAddress(this.headers['x-forwarded-for'], peer, hcm.useRemoteAddress, hops);
    let internal: boolean;
    if (hcm.useRemoteAddress && hops > 0) internal = isInternalAddress(this.clientAddress, cidrs);
    else if (hcm.useRemoteAddress) {
      const socket = this.req.socket as SocketWithInternal;
      const cached = socket[kInternal];
      if (cached !== undefined && cached.cidrs === cidrs) internal = cached.internal;
      else {
        internal = isInternalAddress(peer, cidrs);
        socket[kInternal] = { cidrs, internal };
      }
    } else internal = hops === 0 && internalByXff(this.headers['x-forwarded-for'], cidrs);
    this.internal = internal;
    if (this.req.envoyHeaders) {
      const h = this.headers;
      if (!internal) stripInternalHeaders(h);
      else if (h['x-envoy-internal'] !== undefined) delete h['x-envoy-internal']; // set by the proxy below
    }
    applyXfcc(this.headers, hcm.forwardClientCert, hcm.clientCertDetails, this.req.socket);
  }

  faultDelayDone(): void {
    this.faultTimer = undefined;
    if (this.done) return;
    if (this.faultAbort) {
      const route = this.route!;
      return this.faultAbortReply(this.cfg.hcm.faultFilter ? (route.fault ?? this.cfg.hcm.fault)! : undefined);
    }
    this.runAction();
  }

  faultAbortReply(fault: FaultConfig | undefined): void {
    this.cfg.stats.faultAborts++;
    if (fault?.abortGrpcStatus !== undefined) {
      this.sendLocal(200, undefined, FLAGS.FAULT_INJECTED, ['content-type', 'application/grpc', 'grpc-status', String(fault.abortGrpcStatus), 'grpc-message', encodeGrpcMessage(FAULT_ABORT)], true);
      return;
    }
    this.localReply(this.faultAbort, FAULT_ABORT, FLAGS.FAULT_INJECTED, true);
  }

  runAction(): void {
    // The CORS filter sits after the fault filter, as Istio orders them.
    const hcm = this.cfg.hcm;
    const cors = hcm.corsFilter ? (this.route!.cors ?? this.virtualHost!.cors) : undefined;
    if (cors !== undefined) {
      const outcome = corsOutcome(cors, this.method, this.headers, this.ctx.random);
      if (outcome?.preflightReply) return this.sendLocal(200, undefined, this.flags, outcome.headers, false);
      this.corsHeaders = outcome?.headers;
    }
    const action = this.route!.action;
    switch (action.kind) {
      case 'direct':
        this.sendLocal(action.status, action.body, this.flags, action.body ? ['content-type', 'text/plain'] : undefined, true);
        return;
      case 'redirect':
        this.redirectTo(action.location(this, this.route!), action.status);
        return;
      default:
        this.forward(action);
    }
  }

  redirectTo(location: string, status: number): void {
    this.sendLocal(status, undefined, this.flags, ['location', location], true);
  }

  // -------------------------------------------------------------------------
  // Router

  forward(action: ForwardAction): void {
    this.action = action;
    let clusterName = action.cluster;
    if (action.weighted !== undefined) {
      this.weighted = action.pickWeighted();
      clusterName = this.weighted!.name;
    } else if (action.clusterHeader !== undefined) {
      const v = this.headers[action.clusterHeader];
      clusterName = typeof v === 'string' ? v : undefined;
    }
    const cluster = clusterName === undefined ? undefined : this.ctx.clusters.get(clusterName);
    if (cluster === undefined) {
      this.cfg.stats.noCluster++;
      this.localReply(action.clusterNotFoundStatus, undefined, FLAGS.NO_CLUSTER, false);
      return;
    }
    this.cluster = cluster;
    const spec = cluster.spec;
    const cstats = cluster.stats;
    if (cstats.rqActive >= spec.maxRequests || cstats.rqActive >= spec.maxConnections + spec.maxPendingRequests) {
      cstats.rqPendingOverflow++;
      // Envoy tells the client the request was shed by a circuit breaker, not failed by the upstream.
      this.sendLocal(503, Buffer.from(upstreamResetBody('overflow', false)), FLAGS.UPSTREAM_OVERFLOW, ['content-type', 'text/plain', 'x-envoy-overloaded', 'true'], false);
      return;
    }
    cstats.rqActive++;
    const h = this.headers;
    this.retry =
      this.internal && (h['x-envoy-retry-on'] !== undefined || h['x-envoy-retry-grpc-on'] !== undefined || h['x-envoy-max-retries'] !== undefined)
        ? RetryPolicy.fromHeaders(action.retry, h['x-envoy-retry-on'], h['x-envoy-retry-grpc-on'], h['x-envoy-max-retries'])
        : action.retry;
    this.buildUpstreamRequest(action);

    const stream = this.bodyOverride !== undefined ? this.bodyOverride : this.req.body();
    // Error ownership: the codec owns the body stream's errors (it always listens and tells this
    // exchange through downstreamReset); the pool owns what the iterator or a ReplayableBody reader
    // throws (its pump catches it and fails the attempt). An iterator that does not destroy the stream
    // on return keeps the downstream connection alive for the error reply.
    if (stream !== null) this.body = this.retry !== undefined || action.mirrors.length > 0 ? new ReplayableBody(stream, REPLAY_LIMIT) : stream.iterator({ destroyOnReturn: false });
    let timeoutMs = action.timeoutMs;
    if (action.grpcTimeoutHeaderMaxMs !== undefined && this.grpc) timeoutMs = this.grpcTimeout(action, timeoutMs);
    // An internal client may set its own route timeout (0: none); external requests lost the header in start().
    const rqTimeout = this.internal ? h['x-envoy-upstream-rq-timeout-ms'] : undefined;
    if (typeof rqTimeout === 'string' && /^\d+$/.test(rqTimeout)) timeoutMs = Number(rqTimeout);
    let perTry = this.retry?.perTryTimeoutMs ?? 0;
    const perTryHeader = this.internal ? h['x-envoy-upstream-rq-per-try-timeout-ms'] : undefined;
    if (typeof perTryHeader === 'string' && /^\d+$/.test(perTryHeader)) perTry = Number(perTryHeader);
    // Envoy ignores a per-try timeout that is not shorter than the route timeout.
    this.perTryTimeoutMs = timeoutMs > 0 && perTry >= timeoutMs ? 0 : perTry;
    if (timeoutMs > 0) this.routeTimer = setTimeout(onRouteTimeout, timeoutMs, this);
    if (action.mirrors.length > 0) this.mirror(action);
    this.startAttempt();
  }

  /**
   * The route timeout of a gRPC request on a route with grpc_timeout_header_max: the grpc-timeout
   * header (capped by the max unless it is 0, less the offset when larger than it), or the route's
   * own timeout when the header is absent or malformed.
   */
  grpcTimeout(action: ForwardAction, routeTimeoutMs: number): number {
    const header = this.headers['grpc-timeout'];
    const ms = typeof header === 'string' ? parseGrpcTimeout(header) : undefined;
    if (ms === undefined) return routeTimeoutMs;
    let t = ms;
    const max = action.grpcTimeoutHeaderMaxMs!;
    if (max > 0 && (t === 0 || t > max)) t = max;
    const offset = action.grpcTimeoutHeaderOffsetMs;
    if (offset > 0 && t > offset) t -= offset;
    return t;
  }

  mirror(action: ForwardAction): void {
    const body = this.body;
    if (body !== null && !(body instanceof ReplayableBody)) return; // a streamed-once body cannot be copied
    for (const m of action.mirrors) {
      if (m.fraction < 1 && this.ctx.random() >= m.fraction) continue;
      const cluster = this.ctx.clusters.get(m.cluster);
      if (cluster !== undefined) sendShadow(cluster, this.method, this.upstreamPath, this.upstreamHeaders!, body);
    }
  }

  buildUpstreamRequest(action: ForwardAction): void {
    const hcm = this.cfg.hcm;
    const h = this.headers;
    const out: string[] = [];
    let authority = this.authority;
    const weighted = this.weighted;
    const rewriteHost = weighted?.hostRewriteLiteral ?? action.hostRewriteLiteral;
    if (rewriteHost !== undefined) authority = rewriteHost;
    else if (action.hostRewriteHeader !== undefined) {
      const v = h[action.hostRewriteHeader];
      if (typeof v === 'string' && v) authority = v;
    }
    out.push('host', authority);
    // Headers named by Connection are hop-by-hop too: dropped from what the client sent (never Host or framing).
    const hop = nominated(h.connection);
    for (const name in h) {
      if (SKIP_REQUEST[name] === 1) {
        if (name === 'te' && h.te === 'trailers') out.push('te', 'trailers');
        continue;
      }
      if (hop !== undefined && hop.has(name)) continue;
      const v = h[name];
      if (typeof v === 'string') out.push(name, v);
      else if (v !== undefined) for (let i = 0; i < v.length; i++) out.push(name, v[i]);
    }
    if (this.upgrade !== undefined) out.push('connection', 'upgrade', 'upgrade', this.upgrade);
    if (this.internal) out.push('x-envoy-internal', 'true');
    else if (hcm.useRemoteAddress) out.push('x-envoy-external-address', this.clientAddress);
    if (authority !== this.authority && action.appendXForwardedHost) out.push('x-forwarded-host', this.authority);

    const xff = h['x-forwarded-for'];
    const remote = ipOf(this.req.socket.remoteAddress);
    if (hcm.useRemoteAddress && !hcm.skipXffAppend) out.push('x-forwarded-for', typeof xff === 'string' && xff ? `${xff},${remote}` : remote);
    else if (typeof xff === 'string') out.push('x-forwarded-for', xff);
    const xfp = h['x-forwarded-proto'];
    out.push('x-forwarded-proto', hcm.useRemoteAddress || typeof xfp !== 'string' ? this.scheme : xfp);
    let rid = h['x-request-id'] as string | undefined;
    if (rid === undefined || (hcm.useRemoteAddress && !hcm.preserveExternalRequestId)) rid = hcm.generateRequestId ? randomUUID() : rid;
    if (rid !== undefined) out.push('x-request-id', rid);
    this.requestId = rid;

    // Path rewrites apply to the path; the query is kept.
    let path = this.path;
    if (action.prefixRewrite !== undefined || action.regexRewrite !== undefined) {
      const q = path.indexOf('?');
      const pathOnly = q < 0 ? path : path.slice(0, q);
      const query = q < 0 ? '' : path.slice(q);
      let rewritten: string;
      if (action.prefixRewrite !== undefined) rewritten = this.route!.rewritePrefix(pathOnly, action.prefixRewrite);
      else {
        action.regexRewrite!.lastIndex = 0;
        rewritten = pathOnly.replace(action.regexRewrite!, action.regexSubstitution);
      }
      if (rewritten.charCodeAt(0) !== 47) rewritten = '/' + rewritten;
      if (rewritten !== pathOnly) {
        setHeader(out, 'x-envoy-original-path', path);
        this.originalPath = path;
        path = rewritten + query;
      }
    }
    this.upstreamPath = path;

    // Envoy's order: weighted cluster, route, virtual host, route configuration (the last word wins).
    const ctx = this.needsHeaderContext() ? this.headerContext() : undefined;
    weighted?.requestMutation?.apply(out, ctx);
    this.route!.requestMutation?.apply(out, ctx);
    this.virtualHost!.requestMutation?.apply(out, ctx);
    this.cfg.routes.requestMutation?.apply(out, ctx);
    this.upstreamHeaders = out;
  }

  needsHeaderContext(): boolean {
    return (
      this.weighted?.requestMutation !== undefined ||
      this.weighted?.responseMutation !== undefined ||
      this.route?.requestMutation !== undefined ||
      this.route?.responseMutation !== undefined ||
      this.virtualHost?.requestMutation !== undefined ||
      this.virtualHost?.responseMutation !== undefined ||
      this.cfg.routes.requestMutation !== undefined ||
      this.cfg.routes.responseMutation !== undefined
    );
  }

  headerContext(): HeaderContext {
    const s = this.req.socket;
    return {
      remoteAddress: ipOf(s.remoteAddress),
      remotePort: s.remotePort ?? 0,
      localAddress: ipOf(s.localAddress),
      localPort: s.localPort ?? 0,
      protocol: `HTTP/${this.req.httpVersion}`,
      requestHeaders: this.headers,
      upstreamHost: this.host?.key,
      upstreamCluster: this.cluster?.name,
    };
  }

  hashKey(): number | undefined {
    const policies = this.action!.hashPolicies;
    if (policies.length === 0) return undefined;
    let key: string | undefined;
    for (const p of policies) {
      let part: string | undefined;
      if (p.header !== undefined) {
        const v = this.headers[p.header];
        part = typeof v === 'string' ? v : v?.join(',');
      } else if (p.cookie !== undefined) {
        const cookie = this.headers.cookie;
        const m = typeof cookie === 'string' ? new RegExp(`(?:^|;\\s*)${p.cookie.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}=([^;]*)`).exec(cookie) : null;
        // A quoted value (as the proxy sets it) hashes as its content, so the generated cookie keeps its host.
        part = m?.[1].replace(/^"(.*)"$/, '$1');
        if (part === undefined && p.cookieTtlSeconds !== undefined) part = this.generateCookie(p.cookie, p.cookieTtlSeconds, p.cookiePath);
      } else if (p.sourceIp) part = this.clientAddress;
      else if (p.queryParameter !== undefined) {
        const q = this.path.indexOf('?');
        part = q < 0 ? undefined : (new URLSearchParams(this.path.slice(q + 1)).get(p.queryParameter) ?? undefined);
      }
      if (part !== undefined) {
        key = key === undefined ? part : key + '\0' + part;
        if (p.terminal) break;
      }
    }
    return key === undefined ? undefined : hash32(key);
  }

  /**
   * Envoy's generated hash cookie: a request without it hashes on a value derived from its connection's addresses
   * (the same on every request of that connection, so concurrent requests agree), and the response sets it with
   * Max-Age=ttl (none: a session cookie) so the client's next requests stick to the same host.
   */
  generateCookie(name: string, ttlSeconds: number, cookiePath: string | undefined): string {
    const found = this.setCookies?.find((c) => c.name === name);
    if (found !== undefined) return found.value;
    const s = this.req.socket;
    const conn = `${s.remoteAddress}:${s.remotePort}|${s.localAddress}:${s.localPort}`;
    const value = hash32(conn).toString(16).padStart(8, '0') + hash32(`${conn}#`).toString(16).padStart(8, '0');
    let header = `${name}="${value}"`;
    if (ttlSeconds > 0) header += `; Max-Age=${ttlSeconds}`;
    if (cookiePath !== undefined) header += `; Path=${cookiePath}`;
    header += '; HttpOnly';
    (this.setCookies ??= []).push({ name, value, header });
    return value;
  }

  startAttempt(): void {
    if (this.done) return;
    const cluster = this.cluster!;
    const action = this.action!;
    let host: Host | undefined;
    if (cluster.spec.type === 'ORIGINAL_DST') {
      // The destination header when configured and present; else, as Envoy, the downstream
      // connection's original destination (restored by the original_dst listener filter); else the
      // authority: an explicit proxy has no captured destination, but the request says where it was going.
      const header = cluster.spec.originalDstHeader;
      const fromHeader = header === undefined ? undefined : this.headers[header];
      const restored = typeof fromHeader === 'string' && fromHeader !== '' ? undefined : originalDestinationOf(this.req.socket);
      if (restored !== undefined) host = cluster.pick(undefined, undefined, 1, restored);
      else {
        const v = typeof fromHeader === 'string' && fromHeader !== '' ? fromHeader : this.authority;
        const dest = typeof v === 'string' ? (v.includes(':') && !v.endsWith(']') ? v : `${v}:80`) : undefined;
        host = dest === undefined ? undefined : cluster.originalDestination(dest);
      }
    } else {
      const retry = this.retry;
      host = cluster.pick(
        action.hashPolicies.length ? this.hashKey() : undefined,
        retry !== undefined && retry.avoidPreviousHosts ? this.tried : undefined,
        retry?.hostSelectionMaxAttempts ?? 1,
      );
    }
    if (host === undefined || host.closed) {
      this.cfg.stats.noHealthyUpstream++;
      this.localReply(503, NO_HEALTHY_UPSTREAM, FLAGS.NO_HEALTHY_UPSTREAM, false);
      return;
    }
    this.host = host;
    host.active++;
    host.rqTotal++;
    this.attempts++;
    const headers = this.upstreamHeaders!;
    if (action.autoHostRewrite && action.hostRewriteLiteral === undefined) setHeader(headers, 'host', host.hostname ?? host.address);
    if (this.virtualHost?.includeRequestAttemptCount) setHeader(headers, 'x-envoy-attempt-count', String(this.attempts));
    const attempt = new Attempt(this, host);
    this.attempt = attempt;
    if (this.perTryTimeoutMs > 0) attempt.timer = setTimeout(onPerTryTimeout, this.perTryTimeoutMs, attempt);
    const body = this.body;
    if (this.upgrade !== undefined) {
      dispatchUpgrade(host, cluster.spec.connectTimeoutMs, this.method, this.upstreamPath, headers, attempt);
      return;
    }
    try {
      host.poolFor(this.req.httpVersion === '2', host.autoTlsHost(headers)).dispatch(
        {
          path: this.upstreamPath,
          method: this.method,
          headers,
          body: body === null ? null : body instanceof ReplayableBody ? body.reader() : body,
        },
        attempt,
      );
    } catch (err) {
      attempt.onResponseError(undefined as never, err as Error);
    }
  }

  releaseHost(host: Host): void {
    host.active--;
  }

  upstreamResponse(attempt: Attempt, status: number, headers: Record<string, string | string[]>): void {
    if (attempt.timer !== undefined) {
      clearTimeout(attempt.timer);
      attempt.timer = undefined;
    }
    const cluster = this.cluster!;
    const retry = this.retry;
    // grpc-status in the response headers: a trailers-only response, the only gRPC failure Envoy retries.
    if (retry !== undefined && this.attempts <= retry.numRetries && retry.retriableStatus(status, headers['grpc-status'] as string | undefined)) {
      if (this.scheduleRetry(attempt, status)) return;
    }
    cluster.recordOutcome(attempt.host, status);
    if (this.retryCounted && status < 500) cluster.stats.rqRetrySuccess++;
    this.status = status;
    const now = performance.now();
    this.upstreamServiceTime = Math.round(now - attempt.startedAt);

    const hcm = this.cfg.hcm;
    const out = responseHeaderPairs(headers);
    const connection = headers.connection;
    if (typeof connection === 'string' && connection !== 'keep-alive' && connection !== 'close') {
      for (const token of connection.split(',')) {
        const t = token.trim().toLowerCase();
        if (t && t !== 'keep-alive' && t !== 'close') removeHeader(out, t);
      }
    }
    out.push('x-envoy-upstream-service-time', String(this.upstreamServiceTime));
    const server = headers.server;
    if (server !== undefined && hcm.serverHeader !== 'OVERWRITE') out.push('server', typeof server === 'string' ? server : server[0]);
    else if (hcm.serverHeader !== 'PASS_THROUGH') out.push('server', hcm.serverName);
    if (this.setCookies !== undefined) for (const c of this.setCookies) out.push('set-cookie', c.header);
    this.finishResponseHeaders(out, true);
    this.res.writeHead(status, out);
  }

  /** Response header mutations, request id echo and drain signalling, shared by proxied, upgraded and local responses. */
  finishResponseHeaders(out: string[], mutations: boolean, upgraded = false): void {
    if (mutations) {
      const route = this.route;
      const ctx = this.needsHeaderContext() ? this.headerContext() : undefined;
      this.weighted?.responseMutation?.apply(out, ctx);
      route?.responseMutation?.apply(out, ctx);
      this.virtualHost?.responseMutation?.apply(out, ctx);
      if (route !== undefined) this.cfg.routes.responseMutation?.apply(out, ctx);
    }
    const authz = this.authzResponseHeaders;
    if (authz !== undefined) for (const [k, v] of authz) setHeader(out, k, v);
    const cors = this.corsHeaders;
    if (cors !== undefined) for (let i = 0; i < cors.length; i += 2) setHeader(out, cors[i], cors[i + 1]);
    if (this.cfg.hcm.alwaysSetRequestIdInResponse && this.requestId !== undefined && getHeader(out, 'x-request-id') === undefined) {
      out.push('x-request-id', this.requestId);
    }
    // A request body left half-read would stall the next request on this connection: close it instead.
    if (!upgraded && (this.ctx.draining || (this.body !== null && !this.req.complete))) out.push('connection', 'close');
  }

  upstreamData(controller: H1Controller, chunk: Buffer): void {
    this.bytesSent += chunk.length;
    if (!this.res.write(chunk)) {
      controller.pause();
      this.paused = controller;
      if (this.onDrain === undefined) this.onDrain = () => this.paused?.resume();
      this.res.once('drain', this.onDrain);
    }
  }

  upstreamEnd(attempt: Attempt, trailers: Record<string, string | string[]> | undefined): void {
    attempt.state = ABANDONED;
    this.releaseHost(attempt.host);
    let hasTrailers = false;
    if (trailers !== undefined) for (const _ in trailers) {
      hasTrailers = true;
      break;
    }
    this.res.end(undefined, hasTrailers ? trailers : undefined);
    this.finish();
  }

  /** The upstream switched protocols: answer 101 downstream and pipe the two connections together. */
  upstreamUpgraded(attempt: Attempt, headers: Record<string, string | string[]>, upstream: Socket, rest: Buffer): void {
    if (attempt.timer !== undefined) {
      clearTimeout(attempt.timer);
      attempt.timer = undefined;
    }
    // The route timeout bounds the wait for the answer; the tunnel has the stream idle timeout.
    if (this.routeTimer !== undefined) {
      clearTimeout(this.routeTimer);
      this.routeTimer = undefined;
    }
    this.cluster!.recordOutcome(attempt.host, 101);
    this.status = 101;
    this.upstreamServiceTime = Math.round(performance.now() - attempt.startedAt);
    const out = responseHeaderPairs(headers);
    const upgradeTo = headers.upgrade;
    out.push('connection', 'upgrade', 'upgrade', typeof upgradeTo === 'string' ? upgradeTo : this.upgrade!);
    const hcm = this.cfg.hcm;
    if (hcm.serverHeader !== 'PASS_THROUGH' && headers.server === undefined) out.push('server', hcm.serverName);
    // A 101 passes the response filters as any answer does (header mutations, CORS, ext_authz headers).
    this.finishResponseHeaders(out, true, true);
    const taken = this.res.upgrade?.(out);
    if (taken === undefined) {
      upstream.destroy();
      attempt.abandon(new Error('downstream cannot switch protocols'));
      this.flags = FLAGS.DOWNSTREAM_CONNECTION_TERMINATION;
      this.res.destroy();
      this.finish();
      return;
    }
    this.tunnel = new Tunnel(taken.socket, taken.head, upstream, rest, hcm.streamIdleTimeoutMs, onTunnelClosed.bind(null, this, attempt));
  }

  tunnelClosed(attempt: Attempt): void {
    const bytes = this.tunnel!.bytes;
    this.bytesSent = bytes.sent;
    if (attempt.state === ACTIVE) {
      attempt.state = ABANDONED;
      this.releaseHost(attempt.host);
    }
    this.finish();
  }

  upstreamError(attempt: Attempt, err: Error): void {
    if (attempt.timer !== undefined) clearTimeout(attempt.timer);
    attempt.state = ABANDONED;
    this.releaseHost(attempt.host);
    this.attemptFailed(attempt, attempt.perTryTimedOut ? 'timeout' : classify(err as Error & { code?: string }));
  }

  perTryTimeout(attempt: Attempt): void {
    attempt.timer = undefined;
    if (attempt.state !== ACTIVE) return;
    attempt.perTryTimedOut = true;
    this.cluster!.stats.rqPerTryTimeout++;
    attempt.abandon(new Error('per-try timeout'));
    this.attemptFailed(attempt, 'timeout');
  }

  attemptFailed(attempt: Attempt, kind: AttemptFailure): void {
    if (this.done) return;
    const cluster = this.cluster!;
    if (kind === 'connect') {
      cluster.stats.cxConnectFail++;
      attempt.host.cxConnectFail++;
    } else if (kind === 'reset' || kind === 'refused' || kind === 'protocol') cluster.stats.rqReset++;
    attempt.host.rqError++;
    const localOrigin = kind === 'protocol' || kind === 'refused' ? 'reset' : kind;
    if (this.res.headersSent) {
      // Mid-response: nothing to retry or report; the client sees the connection cut, as with Envoy.
      cluster.recordOutcome(attempt.host, 0, localOrigin);
      this.flags = FLAGS.UPSTREAM_REMOTE_RESET;
      this.res.destroy();
      this.finish();
      return;
    }
    const retry = this.retry;
    const retriable = retry !== undefined && this.attempts <= retry.numRetries && retry.retriableFailure(kind === 'refused' ? kind : localOrigin);
    if (retriable && this.scheduleRetry(attempt, 0, localOrigin)) return;
    cluster.recordOutcome(attempt.host, 0, localOrigin);
    const retried = this.attempts > 1;
    if (kind === 'timeout') {
      cluster.stats.rqTimeout++;
      this.localReply(504, UPSTREAM_TIMEOUT, FLAGS.UPSTREAM_TIMEOUT, false);
      return;
    }
    if (kind === 'protocol') {
      // Envoy answers an upstream protocol error with 502 and the UPE flag (nginx: 502 too).
      const flag = retried ? `${FLAGS.UPSTREAM_PROTOCOL_ERROR},${FLAGS.RETRY_LIMIT_EXCEEDED}` : FLAGS.UPSTREAM_PROTOCOL_ERROR;
      this.localReply(502, upstreamResetBody('protocol error', retried), flag, false);
      return;
    }
    const flag = kind === 'connect' ? FLAGS.UPSTREAM_CONNECT_FAILURE : kind === 'refused' ? FLAGS.UPSTREAM_REMOTE_RESET : FLAGS.UPSTREAM_CONNECTION_TERMINATION;
    const reason = kind === 'connect' ? 'connection failure' : kind === 'refused' ? 'remote refused stream reset' : 'connection termination';
    this.localReply(503, upstreamResetBody(reason, retried), retried ? `${flag},${FLAGS.RETRY_LIMIT_EXCEEDED}` : flag, false);
  }

  /** Starts the back-off before the next attempt; false when the request cannot be retried. */
  scheduleRetry(attempt: Attempt, status: number, failure?: 'connect' | 'reset' | 'timeout'): boolean {
    const cluster = this.cluster!;
    const body = this.body;
    if (body !== null && !(body instanceof ReplayableBody && body.replayable)) return false;
    if (!this.retryCounted && cluster.retriesActive >= cluster.spec.maxRetries) {
      cluster.stats.rqRetryOverflow++;
      return false;
    }
    if (attempt.state === ACTIVE) {
      // A retriable response: let its body drain on the connection, but stop listening to it.
      attempt.state = ABANDONED;
      this.releaseHost(attempt.host);
    }
    cluster.recordOutcome(attempt.host, status, failure);
    (this.tried ??= []).push(attempt.host);
    cluster.stats.rqRetry++;
    if (!this.retryCounted) cluster.retriesActive++;
    this.retryCounted = true;
    const delay = this.retry!.backoffMs(this.attempts, this.ctx.random);
    this.retryTimer = setTimeout(onRetryTimer, delay, this);
    return true;
  }

  routeTimeout(): void {
    this.routeTimer = undefined;
    if (this.done) return;
    const cluster = this.cluster!;
    this.attempt?.abandon(new Error('route timeout'));
    if (this.retryTimer !== undefined) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    cluster.stats.rqTimeout++;
    this.cfg.stats.rqTimeout++;
    if (this.host !== undefined) cluster.recordOutcome(this.host, 0, 'timeout');
    if (this.res.headersSent) {
      this.flags = FLAGS.UPSTREAM_TIMEOUT;
      this.res.destroy();
      this.finish();
      return;
    }
    this.localReply(504, UPSTREAM_TIMEOUT, FLAGS.UPSTREAM_TIMEOUT, false);
  }

  downstreamClosed(): void {
    if (this.done) return;
    if (this.tunnel !== undefined) {
      this.tunnel.close();
      return;
    }
    this.attempt?.abandon(new Error('downstream closed'));
    this.flags = FLAGS.DOWNSTREAM_CONNECTION_TERMINATION;
    if (!this.res.headersSent) this.status = 0;
    this.finish();
  }

  /** The codec says the request can never complete (a malformed body, answered 400 by the codec, or the client left). */
  downstreamReset(reason: 'protocol_error' | 'closed'): void {
    if (this.done) return;
    if (reason === 'closed') return this.downstreamClosed();
    this.attempt?.abandon(new Error('malformed request body'));
    this.flags = FLAGS.DOWNSTREAM_PROTOCOL_ERROR;
    if (!this.res.headersSent) this.status = 400;
    this.finish();
  }

  /** No bytes either way for the stream idle timeout (Envoy's onIdleTimeout). */
  streamIdleTimeout(): void {
    if (this.done) return;
    this.attempt?.abandon(new Error('stream idle timeout'));
    if (this.retryTimer !== undefined) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    if (this.res.headersSent) {
      this.flags = FLAGS.STREAM_IDLE_TIMEOUT;
      this.res.destroy();
      this.finish();
      return;
    }
    // 408 while the request body is still coming, 504 while waiting on the upstream.
    this.localReply(this.req.complete ? 504 : 408, STREAM_TIMEOUT, FLAGS.STREAM_IDLE_TIMEOUT, false);
  }

  // -------------------------------------------------------------------------
  // Local replies and completion

  localReply(status: number, body: string | undefined, flags: string, mutations: boolean): void {
    this.sendLocal(status, body === undefined ? undefined : Buffer.from(body), flags, body === undefined ? undefined : ['content-type', 'text/plain'], mutations);
  }

  sendLocal(status: number, body: Buffer | undefined, flags: string, extra: string[] | undefined, mutations: boolean): void {
    if (this.done) return;
    if (this.grpc && getHeader(extra ?? [], 'grpc-status') === undefined) return this.sendGrpcLocal(status, body, flags, extra, mutations);
    const out = extra === undefined ? [] : extra.slice();
    out.push('content-length', String(body?.length ?? 0));
    if (this.cfg.hcm.serverHeader !== 'PASS_THROUGH') out.push('server', this.cfg.hcm.serverName);
    this.finishResponseHeaders(out, mutations);
    this.status = status;
    this.flags = flags;
    this.bytesSent = body?.length ?? 0;
    const res = this.res;
    if (!res.headersSent && !res.destroyed) {
      res.writeHead(status, out);
      res.end(body);
    }
    this.finish();
  }

  /**
   * A local reply to a gRPC client, as Envoy sends it: a trailers-only response (HTTP 200, one
   * HEADERS frame) with grpc-status mapped from the HTTP status and the body text as grpc-message.
   * The access log and stats still see the HTTP status.
   */
  sendGrpcLocal(status: number, body: Buffer | undefined, flags: string, extra: string[] | undefined, mutations: boolean): void {
    const out: string[] = [];
    if (extra !== undefined) for (let i = 0; i < extra.length; i += 2) if (extra[i] !== 'content-type') out.push(extra[i], extra[i + 1]);
    out.push('content-type', 'application/grpc', 'grpc-status', String(httpToGrpcStatus(status)));
    if (body !== undefined && body.length > 0 && this.method !== 'HEAD') out.push('grpc-message', encodeGrpcMessage(body.toString()));
    out.push('content-length', '0');
    if (this.cfg.hcm.serverHeader !== 'PASS_THROUGH') out.push('server', this.cfg.hcm.serverName);
    this.finishResponseHeaders(out, mutations);
    this.status = status;
    this.flags = flags;
    this.bytesSent = 0;
    const res = this.res;
    if (!res.headersSent && !res.destroyed) {
      res.writeHead(200, out);
      res.end();
    }
    this.finish();
  }

  finish(): void {
    if (this.done) return;
    this.done = true;
    if (this.routeTimer !== undefined) clearTimeout(this.routeTimer);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    if (this.faultTimer !== undefined) clearTimeout(this.faultTimer);
    if (this.faultActive) faultEnded();
    if (this.authzCancel !== undefined) {
      this.authzCancel();
      this.authzCancel = undefined;
    }
    (this.req.socket as TrackedSocket)[kExchanges]?.delete(this);
    const duration = performance.now() - this.startedAt;
    const stats = this.cfg.stats;
    stats.rqActive--;
    stats.rqClass[(this.status / 100) | 0]++;
    stats.rqTime.observe(duration);
    const cluster = this.cluster;
    if (cluster !== undefined && this.upstreamHeaders !== undefined) {
      cluster.stats.rqActive--;
      if (this.retryCounted) cluster.retriesActive--;
      cluster.stats.record(this.status, duration, this.flags);
    }
    const log = this.cfg.accessLog;
    if (log !== undefined) this.writeAccessLog(log, duration);
  }

  writeAccessLog(log: AccessLogSink, duration: number): void {
    const h = this.headers;
    const s = this.req.socket;
    log.write({
      start_time: new Date(this.startedAtMs).toISOString(),
      method: this.method,
      // Envoy's %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%, with only the proxy's own rewrite as the original path.
      path: this.originalPath ?? this.path,
      protocol: `HTTP/${this.req.httpVersion}`,
      response_code: this.status,
      response_flags: this.flags,
      bytes_received: Number(h['content-length'] ?? 0),
      bytes_sent: this.bytesSent,
      duration: Math.round(duration),
      upstream_service_time: this.upstreamServiceTime >= 0 ? this.upstreamServiceTime : null,
      x_forwarded_for: (h['x-forwarded-for'] as string | undefined) ?? null,
      user_agent: (h['user-agent'] as string | undefined) ?? null,
      request_id: this.requestId ?? (h['x-request-id'] as string | undefined) ?? null,
      authority: this.authority,
      upstream_host: this.host?.key ?? null,
      upstream_cluster: this.cluster?.name ?? null,
      route_name: this.route?.name || null,
      // Envoy's %DOWNSTREAM_REMOTE_ADDRESS%: the address inferred from XFF (port 0) when it is not the peer.
      downstream_remote_address: this.clientAddress === '' || this.clientAddress === ipOf(s.remoteAddress) ? `${ipOf(s.remoteAddress)}:${s.remotePort}` : `${this.clientAddress}:0`,
      listener: this.ctx.listenerName,
    });
  }
}

export type { HeaderMutation };

/**
 * The rest of a body stream after `head` was read from it, as one stream for the upstream. Its
 * errors are the codec's (it reports them through downstreamReset): they end the upstream request
 * through the reader, never the process.
 */
function prepend(head: Buffer, rest: Readable): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    for await (const chunk of rest.iterator({ destroyOnReturn: false })) yield chunk as Buffer;
  }
  const out = Readable.from(chunks(), { objectMode: false });
  out.on('error', () => {});
  return out;
}
