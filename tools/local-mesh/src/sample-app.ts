// The sample workload of the local mesh: a small HTTP service that says which
// service and version answered, and echoes what it received, so routing is
// visible from curl. Runs as its own process:
//   node tools/local-mesh/src/sample-app.ts --service hello --version v1 --port 9081 [--fail-status 503 --fail-rate 0.5]
//
// Besides the JSON echo (every path not listed below), it answers like httpbin
// (the backend of Istio's traffic tasks) so those tasks can be followed as written:
//   /status/<code>        that status, empty body
//   /delay/<seconds>      the JSON echo after that many seconds (fractions allowed, at most 30)
//   /headers              {"headers": {...}} (lower-case names, as the tests of this repository read them)
//   /ip                   {"origin": "<x-forwarded-for or the peer address>"}
//   /cookies              {"cookies": {...}};  /cookies/set?k=v sets them and redirects to /cookies
//   /response-headers?k=v those query parameters as response headers, echoed as JSON
// and it fails on demand, to drive retries and outlier detection:
//   - the instance: options failStatus/failRate (flags --fail-status/--fail-rate), or at run time
//     `POST /sample/fail?status=503&rate=1` (status=0 stops failing); /healthz and /sample/* never fail;
//   - one request: header `x-sample-fail: <code>`, with `x-sample-fail-attempts: <n>` only while Envoy's
//     `x-envoy-attempt-count` (1 when absent) is at most n — the retried attempt then succeeds.
//   GET /sample/stats -> {"requests": <n>} the requests this instance answered (not counting /healthz or /sample/*).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';

export interface SampleApp {
  readonly port: number;
  /** Requests answered so far, /healthz and /sample/* excluded. */
  readonly requests: number;
  /** Make every request (rate 1) or a share of them fail with `status`; status 0 stops failing. */
  setFailure(status: number, rate?: number): void;
  close(): Promise<void>;
}

export interface SampleAppOptions {
  service: string;
  version: string;
  port: number;
  host?: string;
  /** Answer this status instead of the normal answer (for a share `failRate` of requests, default all). */
  failStatus?: number;
  failRate?: number;
}

const MAX_DELAY_SECONDS = 30;

function json(res: http.ServerResponse, status: number, value: unknown, headers: Record<string, string>): void {
  const body = JSON.stringify(value, null, 2) + '\n';
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

function validStatus(code: number): boolean {
  return Number.isInteger(code) && code >= 100 && code <= 999;
}

export async function startSampleApp(options: SampleAppOptions): Promise<SampleApp> {
  const { service, version } = options;
  const servedBy = { 'x-served-by': `${service}-${version}` };
  let failStatus = options.failStatus ?? 0;
  let failRate = options.failRate ?? 1;
  let requests = 0;
  const timers = new Set<NodeJS.Timeout>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://sample');
      const path = url.pathname;
      if (req.url === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
        return;
      }
      if (path === '/sample/stats') {
        json(res, 200, { requests }, servedBy);
        return;
      }
      if (path === '/sample/fail') {
        const status = Number(url.searchParams.get('status') ?? '503');
        const rate = Number(url.searchParams.get('rate') ?? '1');
        if ((status !== 0 && !validStatus(status)) || !(rate >= 0 && rate <= 1)) {
          json(res, 400, { error: 'status must be 0 or 100..999, rate 0..1' }, servedBy);
          return;
        }
        failStatus = status;
        failRate = rate;
        json(res, 200, { failStatus, failRate }, servedBy);
        return;
      }
      requests++;
      const echo = () => ({
        service,
        version,
        host: hostname(),
        method: req.method,
        path: req.url,
        headers: req.headers,
        bodyBytes: Buffer.concat(chunks).length,
      });

      const perRequest = Number(req.headers['x-sample-fail'] ?? 0);
      if (validStatus(perRequest)) {
        const limit = req.headers['x-sample-fail-attempts'];
        const attempt = Number(req.headers['x-envoy-attempt-count'] ?? 1);
        if (limit === undefined || attempt <= Number(limit)) {
          json(res, perRequest, { ...echo(), failed: true }, servedBy);
          return;
        }
      }
      if (failStatus !== 0 && Math.random() < failRate) {
        json(res, failStatus, { ...echo(), failed: true }, servedBy);
        return;
      }

      const status = /^\/status\/(\d{3})$/.exec(path);
      if (status) {
        res.writeHead(Number(status[1]), { ...servedBy, 'content-length': '0' }).end();
        return;
      }
      const delay = /^\/delay\/(\d+(?:\.\d+)?)$/.exec(path);
      if (delay) {
        const ms = Math.min(Number(delay[1]), MAX_DELAY_SECONDS) * 1000;
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!res.destroyed) json(res, 200, echo(), servedBy);
        }, ms);
        timers.add(timer);
        // A caller that gives up (an upstream timeout) frees the timer at once.
        res.on('close', () => {
          clearTimeout(timer);
          timers.delete(timer);
        });
        return;
      }
      if (path === '/headers') {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(req.headers)) {
          if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
        }
        json(res, 200, { headers }, servedBy);
        return;
      }
      if (path === '/ip') {
        const xff = req.headers['x-forwarded-for'];
        const origin = (Array.isArray(xff) ? xff.join(', ') : xff) ?? req.socket.remoteAddress ?? '';
        json(res, 200, { origin }, servedBy);
        return;
      }
      if (path === '/cookies') {
        json(res, 200, { cookies: parseCookies(req.headers.cookie) }, servedBy);
        return;
      }
      if (path === '/cookies/set') {
        const setCookie = [...url.searchParams].map(([k, v]) => `${k}=${v}; Path=/`);
        res.writeHead(302, { ...servedBy, location: '/cookies', 'set-cookie': setCookie, 'content-length': '0' }).end();
        return;
      }
      if (path === '/response-headers') {
        const extra: Record<string, string> = {};
        for (const [k, v] of url.searchParams) extra[k.toLowerCase()] = v;
        json(res, 200, extra, { ...extra, ...servedBy });
        return;
      }
      json(res, 200, echo(), servedBy);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    get requests() {
      return requests;
    },
    setFailure(status: number, rate = 1) {
      failStatus = status;
      failRate = rate;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

if (import.meta.main) {
  const arg = (name: string, fallback: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
  };
  const app = await startSampleApp({
    service: arg('service', 'hello'),
    version: arg('version', 'v1'),
    port: Number(arg('port', '9081')),
    failStatus: Number(arg('fail-status', '0')),
    failRate: Number(arg('fail-rate', '1')),
  });
  const log = (msg: string, extra: Record<string, unknown> = {}) =>
    process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level: 'info', component: 'sample-app', msg, ...extra }) + '\n');
  log('sample app listening', { address: `http://127.0.0.1:${app.port}`, service: arg('service', 'hello'), version: arg('version', 'v1') });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => void app.close().then(() => process.exit(0)));
}
