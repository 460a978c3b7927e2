// What every Bookinfo service shares: the trace/context headers it forwards,
// the outbound JSON client (deadline, size bound, optional HTTP proxy), small
// response helpers, and a server with an access log and graceful shutdown.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './log.ts';

/**
 * Headers copied from an incoming request to every outbound call, as Istio's
 * Bookinfo services do (productpage.py's `getForwardHeaders`, reviews'
 * `headers_to_propagate`): request id, every tracing system's context, the
 * user agent and the application's `end-user`.
 */
export const PROPAGATED_HEADERS = [
  'x-request-id',
  'x-ot-span-context',
  'x-datadog-trace-id',
  'x-datadog-parent-id',
  'x-datadog-sampling-priority',
  'traceparent',
  'tracestate',
  'x-cloud-trace-context',
  'grpc-trace-bin',
  'b3',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
  'sw8',
  'end-user',
  'user-agent',
] as const;

/** The forwardable headers of an incoming request (first value of each). */
export function forwardHeaders(incoming: http.IncomingHttpHeaders, names: readonly string[] = PROPAGATED_HEADERS): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const v = incoming[name];
    const value = Array.isArray(v) ? v[0] : v;
    if (value !== undefined) out[name] = value;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Outbound

/**
 * Where a service's calls to another one go. `authority` is the logical
 * `host:port` (the Host header, what a mesh routes on); `connect` is where the
 * TCP connection goes when that differs (a sidecar's egress listener on a local
 * port); `proxy` sends the request in absolute form through an HTTP proxy.
 */
export interface Upstream {
  name: string;
  authority: string;
  connect: { host: string; port: number };
}

export interface OutboundOptions {
  headers: Record<string, string>;
  timeoutMs: number;
  proxy?: { host: string; port: number } | undefined;
  agent?: http.Agent | undefined;
  /** Largest response body read, in bytes. */
  maxBytes?: number;
}

export interface OutboundResult {
  status: number;
  /** The parsed body when the status is 200 and the body is JSON; undefined otherwise. */
  json: unknown;
}

export class UpstreamError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.name = 'UpstreamError';
    this.code = code;
  }
}

const DEFAULT_MAX_BYTES = 1 << 20;

/** GET `path` from an upstream and read its JSON body, failing after `timeoutMs` in total. */
export function getJson(upstream: Upstream, path: string, options: OutboundOptions): Promise<OutboundResult> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  return new Promise((resolve, reject) => {
    const target = options.proxy ?? upstream.connect;
    let settled = false;
    const finish = (err: Error | null, result?: OutboundResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(result!);
    };
    const req = http.request({
      host: target.host,
      port: target.port,
      method: 'GET',
      path: options.proxy ? `http://${upstream.authority}${path}` : path,
      agent: options.agent,
      headers: { ...options.headers, host: upstream.authority, accept: 'application/json' },
    });
    const timer = setTimeout(() => {
      const err = new UpstreamError(`${upstream.name}: no response within ${options.timeoutMs} ms`, 'ETIMEDOUT');
      finish(err);
      req.destroy(err);
    }, options.timeoutMs);
    req.once('error', (err) => finish(err));
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          const err = new UpstreamError(`${upstream.name}: response larger than ${maxBytes} bytes`, 'ETOOBIG');
          finish(err);
          req.destroy(err);
          return;
        }
        chunks.push(chunk);
      });
      res.once('error', (err) => finish(err));
      res.once('end', () => {
        const status = res.statusCode ?? 0;
        let json: unknown;
        if (status === 200) {
          try {
            json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            finish(new UpstreamError(`${upstream.name}: response is not JSON`, 'EBADJSON'));
            return;
          }
        }
        finish(null, { status, json });
      });
    });
    req.end();
  });
}

// ---------------------------------------------------------------------------
// Responses

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendText(res: http.ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function redirect(res: http.ServerResponse, location: string, extra: Record<string, string | string[]> = {}): void {
  res.writeHead(302, { location, 'content-type': 'text/plain; charset=utf-8', 'content-length': 0, ...extra });
  res.end();
}

export class BodyTooLarge extends Error {}

/** Reads a request body of at most `maxBytes`. */
export function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      req.resume();
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** `/prefix/<digits>` → the number, else undefined. */
export function idAfter(pathname: string, prefix: string): number | undefined {
  if (!pathname.startsWith(prefix)) return undefined;
  const rest = pathname.slice(prefix.length);
  if (!/^[0-9]{1,9}$/.test(rest)) return undefined;
  return Number(rest);
}

// ---------------------------------------------------------------------------
// Server

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => void | Promise<void>;

export interface RunningServer {
  readonly server: http.Server;
  readonly port: number;
  readonly address: string;
  /** Stops accepting, lets in-flight requests finish (at most `drainMs`), then closes every connection. */
  close(drainMs?: number): Promise<void>;
}

/** Starts an HTTP server for `handler`, with one access-log line per request. */
export async function serve(handler: Handler, options: { port: number; host: string; log: Logger }): Promise<RunningServer> {
  const { log } = options;
  let inFlight = 0;
  let onIdle: (() => void) | undefined;
  const server = http.createServer({ keepAliveTimeout: 5_000, headersTimeout: 20_000, requestTimeout: 60_000 }, (req, res) => {
    const started = performance.now();
    inFlight++;
    res.once('close', () => {
      inFlight--;
      const fields = {
        method: req.method,
        path: req.url,
        status: res.statusCode,
        duration_ms: Math.round(performance.now() - started),
        request_id: req.headers['x-request-id'],
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      if (req.url === '/health') log.debug('request', fields);
      else log.info('request', fields);
      if (inFlight === 0) onIdle?.();
    });
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      sendJson(res, 400, { error: 'bad request path' });
      return;
    }
    Promise.resolve()
      .then(() => handler(req, res, url))
      .catch((err: unknown) => {
        log.error('handler failed', { path: url.pathname, err });
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.destroy();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error('server error', { err }));
  const addr = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    server,
    port: addr.port,
    address: addr.address,
    close(drainMs = 5_000) {
      closing ??= new Promise<void>((resolve) => {
        // A request still running when the drain time is up is cut off.
        const timer = setTimeout(() => server.closeAllConnections(), drainMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        // Keep-alive connections between requests close now; the others when their response is done.
        const idle = () => setImmediate(() => server.closeIdleConnections());
        idle();
        onIdle = idle;
      });
      return closing;
    },
  };
}
