// The application probes pilot-agent runs for the kubelet. The injector
// rewrites each httpGet/tcpSocket/grpc probe of an app container into an HTTP
// GET on the agent's status port at /app-health/<container>/<readyz|livez|startupz>
// and hands the original to the agent in ISTIO_KUBE_APP_PROBERS:
//
//   {"/app-health/web/readyz":{"httpGet":{"path":"/ready","port":8080,"scheme":"HTTP"},"timeoutSeconds":1},
//    "/app-health/web/livez":{"tcpSocket":{"port":8080}},
//    "/app-health/grpc/startupz":{"grpc":{"port":9000,"service":"api"}}}
//
// This module parses that value strictly (a bad value is a startup error that
// names the variable and the key) and runs one probe, the way the kubelet
// would from inside the pod: httpGet succeeds on 200-399 (same-host redirects
// followed, up to 10; TLS certificates not verified), tcpSocket when the
// connection opens, grpc when grpc.health.v1.Health/Check answers SERVING.
// Every probe is bounded by its timeoutSeconds (1 s when absent, as in
// Kubernetes).
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

export const APP_PROBERS_ENV = 'ISTIO_KUBE_APP_PROBERS';
export const PROBE_PATH = /^\/app-health\/[^/]+\/(livez|readyz|startupz)$/;
const MAX_TIMEOUT_SECONDS = 3600;
const MAX_REDIRECTS = 10;

export interface HttpGetProbe {
  kind: 'httpGet';
  path: string;
  port: number;
  host?: string;
  scheme: 'HTTP' | 'HTTPS';
  headers: Array<[name: string, value: string]>;
  timeoutMs: number;
}

export interface TcpSocketProbe {
  kind: 'tcpSocket';
  port: number;
  host?: string;
  timeoutMs: number;
}

export interface GrpcProbe {
  kind: 'grpc';
  port: number;
  service: string;
  timeoutMs: number;
}

export type AppProbe = HttpGetProbe | TcpSocketProbe | GrpcProbe;

/** What the status server answers the kubelet: 200 on success, the app's status or 500 on failure. */
export interface ProbeResult {
  status: number;
  /** Why, in a few words (the response body and the debug log). */
  detail: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class ProbersError extends Error {}

function fail(key: string, field: string, message: string): never {
  throw new ProbersError(`${APP_PROBERS_ENV}: "${key}"${field ? `.${field}` : ''}: ${message}`);
}

function allowOnly(key: string, field: string, o: Record<string, unknown>, allowed: string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) fail(key, field ? `${field}.${k}` : k, `unknown field; allowed: ${allowed.join(', ')}`);
  }
}

function port(key: string, field: string, v: unknown): number {
  // Kubernetes allows a named port; the injector resolves names to numbers, and the agent cannot.
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) fail(key, field, `must be a port number 1-65535, got ${JSON.stringify(v)}`);
  return n;
}

function optionalHost(key: string, field: string, v: unknown): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || /[\s/@?#]/.test(v)) fail(key, field, `must be a host name or IP address, got ${JSON.stringify(v)}`);
  return v;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function parseProbe(key: string, value: unknown): AppProbe {
  if (!PROBE_PATH.test(key)) fail(key, '', 'the key must be /app-health/<container>/livez, readyz or startupz');
  if (!isObject(value)) fail(key, '', `must be an object with one of httpGet, tcpSocket, grpc, got ${JSON.stringify(value)}`);
  allowOnly(key, '', value, ['httpGet', 'tcpSocket', 'grpc', 'timeoutSeconds']);
  const actions = (['httpGet', 'tcpSocket', 'grpc'] as const).filter((a) => value[a] !== undefined && value[a] !== null);
  if (actions.length !== 1) fail(key, '', `must have exactly one of httpGet, tcpSocket, grpc; has ${actions.length ? actions.join(', ') : 'none'}`);
  const t = value.timeoutSeconds ?? 1; // null or absent: Kubernetes' default
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 1 || t > MAX_TIMEOUT_SECONDS) {
    fail(key, 'timeoutSeconds', `must be a whole number of seconds 1-${MAX_TIMEOUT_SECONDS}, got ${JSON.stringify(value.timeoutSeconds)}`);
  }
  const timeoutMs = t * 1000;
  const action = actions[0];
  const given = value[action];
  if (!isObject(given)) fail(key, action, `must be an object, got ${JSON.stringify(given)}`);
  // Go's encoder writes an unset optional field as null (Istio's grpc.service); null means absent.
  const a = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== null));
  if (action === 'httpGet') {
    allowOnly(key, action, a, ['path', 'port', 'host', 'scheme', 'httpHeaders']);
    const path = a.path ?? '/';
    if (typeof path !== 'string' || /[\s]/.test(path)) fail(key, 'httpGet.path', `must be a URL path, got ${JSON.stringify(a.path)}`);
    const scheme = a.scheme ?? 'HTTP';
    if (scheme !== 'HTTP' && scheme !== 'HTTPS') fail(key, 'httpGet.scheme', `must be HTTP or HTTPS, got ${JSON.stringify(a.scheme)}`);
    const rawHeaders = a.httpHeaders ?? [];
    if (!Array.isArray(rawHeaders)) fail(key, 'httpGet.httpHeaders', 'must be a list of {name, value}');
    const headers = rawHeaders.map((h, i): [string, string] => {
      const at = `httpGet.httpHeaders[${i}]`;
      if (!isObject(h)) fail(key, at, 'must be {name, value}');
      allowOnly(key, at, h, ['name', 'value']);
      if (typeof h.name !== 'string' || !HEADER_NAME.test(h.name)) fail(key, `${at}.name`, `must be an HTTP header name, got ${JSON.stringify(h.name)}`);
      const v = h.value ?? '';
      if (typeof v !== 'string' || /[\r\n\0]/.test(v)) fail(key, `${at}.value`, 'must be a string without line breaks');
      return [h.name, v];
    });
    return {
      kind: 'httpGet',
      path: path === '' ? '/' : path.startsWith('/') ? path : `/${path}`,
      port: port(key, 'httpGet.port', a.port),
      host: optionalHost(key, 'httpGet.host', a.host),
      scheme,
      headers,
      timeoutMs,
    };
  }
  if (action === 'tcpSocket') {
    allowOnly(key, action, a, ['port', 'host']);
    return { kind: 'tcpSocket', port: port(key, 'tcpSocket.port', a.port), host: optionalHost(key, 'tcpSocket.host', a.host), timeoutMs };
  }
  allowOnly(key, action, a, ['port', 'service']);
  const service = a.service ?? '';
  if (typeof service !== 'string') fail(key, 'grpc.service', `must be a string, got ${JSON.stringify(a.service)}`);
  return { kind: 'grpc', port: port(key, 'grpc.port', a.port), service, timeoutMs };
}

/** Parses ISTIO_KUBE_APP_PROBERS; empty or absent means no probes. Throws an error naming the variable and the key. */
export function parseAppProbers(raw: string | undefined): Map<string, AppProbe> {
  const probers = new Map<string, AppProbe>();
  if (raw === undefined || raw.trim() === '') return probers;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new ProbersError(
      `${APP_PROBERS_ENV} is not valid JSON (${(err as Error).message}); expected {"/app-health/<container>/readyz": {"httpGet": {"path": "/ready", "port": 8080}, "timeoutSeconds": 1}, ...}`,
    );
  }
  if (!isObject(parsed)) throw new ProbersError(`${APP_PROBERS_ENV} must be a JSON object of /app-health/<container>/<readyz|livez|startupz> to a probe, got ${JSON.stringify(parsed)}`);
  for (const [key, value] of Object.entries(parsed)) probers.set(key, parseProbe(key, value));
  return probers;
}

export interface ProbeContext {
  /** Where probes without a host go: the pod IP, or 127.0.0.1. */
  defaultHost: string;
  /** The kubelet's request headers, forwarded to an httpGet probe as Istio's agent does (hop-by-hop ones dropped). */
  incomingHeaders?: http.IncomingHttpHeaders;
  /** Source address of httpGet and tcpSocket probes to IPv4 targets (see PROBE_SOURCE_ADDRESS). */
  localAddress?: string;
}

/**
 * Istio's agent dials app probes from 127.0.0.6, the address its capture
 * rules let through untouched (`-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j
 * RETURN`): a probe to the pod IP sent by uid 1337 from any other source is
 * redirected to the inbound listener and would test the sidecar, not the app.
 */
export const PROBE_SOURCE_ADDRESS = '127.0.0.6';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'expect']);

function hostForUrl(host: string): string {
  return net.isIPv6(host) ? `[${host}]` : host;
}

function probeHeaders(probe: HttpGetProbe, incoming: http.IncomingHttpHeaders | undefined, authority: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming ?? {})) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  out.host = authority;
  // The probe's own headers win over the forwarded ones, Host included.
  for (const [name, value] of probe.headers) out[name.toLowerCase()] = value;
  out.connection = 'close';
  return out;
}

interface Hop {
  status: number;
  location?: string;
}

function getOnce(url: URL, headers: Record<string, string | string[]>, signal: AbortSignal, localAddress: string | undefined): Promise<Hop> {
  const tls = url.protocol === 'https:';
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const options: https.RequestOptions = {
    host: hostname,
    port: url.port || (tls ? 443 : 80),
    path: url.pathname + url.search,
    method: 'GET',
    headers,
    agent: false,
    signal,
    ...(localAddress !== undefined && !net.isIPv6(hostname) ? { localAddress } : {}),
  };
  if (tls) {
    // Kubernetes does not verify the app's certificate; neither does Istio's agent.
    options.rejectUnauthorized = false;
    if (!net.isIP(hostname)) options.servername = hostname;
  }
  return new Promise((resolve, reject) => {
    const req = (tls ? https : http).request(options, (res) => {
      const location = res.headers.location;
      // Only the status matters; the body is discarded without being read.
      res.destroy();
      resolve({ status: res.statusCode ?? 0, location });
    });
    req.on('error', reject);
    req.end();
  });
}

async function runHttpGet(probe: HttpGetProbe, ctx: ProbeContext, signal: AbortSignal): Promise<ProbeResult> {
  const host = probe.host ?? ctx.defaultHost;
  const scheme = probe.scheme === 'HTTPS' ? 'https' : 'http';
  let url = new URL(`${scheme}://${hostForUrl(host)}:${probe.port}${probe.path}`);
  const firstHost = url.hostname;
  for (let hop = 0; ; hop++) {
    const res = await getOnce(url, probeHeaders(probe, ctx.incomingHeaders, url.host), signal, ctx.localAddress);
    const redirect = res.status >= 300 && res.status < 400 && res.location !== undefined && [301, 302, 303, 307, 308].includes(res.status);
    if (redirect) {
      let next: URL;
      try {
        next = new URL(res.location!, url);
      } catch {
        return { status: 200, detail: `${url} answered ${res.status} with an unusable Location; a redirect counts as success` };
      }
      // As the kubelet: a redirect to another host is not followed and counts as success.
      if (next.hostname !== firstHost || (next.protocol !== 'http:' && next.protocol !== 'https:')) {
        return { status: 200, detail: `${url} redirected to another host (${next.host}) with ${res.status}; counted as success` };
      }
      if (hop + 1 >= MAX_REDIRECTS) return { status: 500, detail: `${url}: stopped after ${MAX_REDIRECTS} redirects` };
      url = next;
      continue;
    }
    if (res.status >= 200 && res.status < 400) return { status: 200, detail: `${url} answered ${res.status}` };
    // The app's own failure status goes back to the kubelet, as Istio's agent does.
    return { status: res.status >= 400 && res.status <= 599 ? res.status : 500, detail: `${url} answered ${res.status}` };
  }
}

function runTcp(probe: TcpSocketProbe, ctx: ProbeContext, signal: AbortSignal): Promise<ProbeResult> {
  const host = probe.host ?? ctx.defaultHost;
  return new Promise((resolve) => {
    const localAddress = ctx.localAddress !== undefined && !net.isIPv6(host) ? ctx.localAddress : undefined;
    const socket = net.connect({ host, port: probe.port, signal, ...(localAddress !== undefined ? { localAddress } : {}) });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ status: 200, detail: `connected to ${hostForUrl(host)}:${probe.port}` });
    });
    socket.once('error', (err) => resolve({ status: 500, detail: `connect to ${hostForUrl(host)}:${probe.port} failed: ${describe(err, signal)}` }));
  });
}

// grpc.health.v1: HealthCheckRequest { string service = 1; }, HealthCheckResponse { ServingStatus status = 1; }.
const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

export function encodeHealthCheckRequest(service: string): Buffer {
  if (service === '') return Buffer.alloc(0);
  const bytes = Buffer.from(service, 'utf8');
  return Buffer.concat([Buffer.from([0x0a, ...varint(bytes.length)]), bytes]);
}

/** The `status` of a HealthCheckResponse (0 when absent, as proto3 defaults it). Throws on malformed bytes. */
export function decodeHealthCheckResponse(buf: Buffer): number {
  let status = 0;
  let i = 0;
  const readVarint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (i >= buf.length) throw new Error('truncated varint');
      const b = buf[i++];
      if (shift < 32) value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
    throw new Error('varint too long');
  };
  while (i < buf.length) {
    const tag = readVarint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) {
      const v = readVarint();
      if (field === 1) status = v;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) {
      const length = readVarint();
      i += length;
    }
    else throw new Error(`unsupported wire type ${wire}`);
    if (i > buf.length) throw new Error('truncated field');
  }
  return status;
}

type GrpcModule = typeof import('@grpc/grpc-js');
let grpcModule: Promise<GrpcModule> | undefined;

async function runGrpc(probe: GrpcProbe, ctx: ProbeContext, signal: AbortSignal, deadline: number): Promise<ProbeResult> {
  // Loaded on the first gRPC probe only: most pods have none.
  const grpc = await (grpcModule ??= import('@grpc/grpc-js'));
  const target = `${hostForUrl(ctx.defaultHost)}:${probe.port}`;
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const call = client.makeUnaryRequest(
        '/grpc.health.v1.Health/Check',
        encodeHealthCheckRequest,
        decodeHealthCheckResponse,
        probe.service,
        new grpc.Metadata(),
        { deadline },
        (err, value) => (err ? reject(err) : resolve(value ?? 0)),
      );
      signal.addEventListener('abort', () => call.cancel(), { once: true });
    });
    const name = SERVING_STATUS[status] ?? String(status);
    const what = `grpc.health.v1.Health/Check${probe.service ? ` (service "${probe.service}")` : ''} on ${target}`;
    return status === 1 ? { status: 200, detail: `${what}: SERVING` } : { status: 500, detail: `${what}: ${name}` };
  } catch (err) {
    return { status: 500, detail: `grpc health check on ${target} failed: ${describe(err as Error, signal)}` };
  } finally {
    client.close();
  }
}

function describe(err: Error, signal: AbortSignal): string {
  if (signal.aborted) return 'timed out';
  return (err as NodeJS.ErrnoException).code ? `${(err as NodeJS.ErrnoException).code}: ${err.message}` : err.message;
}

/** Runs one probe, never longer than its timeout; never throws. */
export async function runProbe(probe: AppProbe, ctx: ProbeContext): Promise<ProbeResult> {
  const controller = new AbortController();
  const deadline = Date.now() + probe.timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({ status: 500, detail: `${probe.kind} probe timed out after ${probe.timeoutMs / 1000}s` });
    }, probe.timeoutMs);
  });
  const running = (async (): Promise<ProbeResult> => {
    try {
      if (probe.kind === 'httpGet') return await runHttpGet(probe, ctx, controller.signal);
      if (probe.kind === 'tcpSocket') return await runTcp(probe, ctx, controller.signal);
      return await runGrpc(probe, ctx, controller.signal, deadline);
    } catch (err) {
      return { status: 500, detail: `${probe.kind} probe failed: ${describe(err as Error, controller.signal)}` };
    }
  })();
  try {
    return await Promise.race([running, timedOut]);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}
