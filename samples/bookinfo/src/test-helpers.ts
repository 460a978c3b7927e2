// Helpers for this package's tests: in-process services on free ports, fake
// upstreams that record what reaches them, and a plain HTTP client.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { parseServiceArgs, type ServiceName } from './config.ts';
import { silentLogger } from './log.ts';
import { startService, type StartedService } from './service.ts';

/** Starts a service in this process on 127.0.0.1 and a free port, from flags and an environment. */
export async function start(service: ServiceName, args: string[] = [], env: Record<string, string> = {}): Promise<StartedService> {
  const parsed = parseServiceArgs(service, ['--port', '0', ...args], env);
  if (parsed.help) throw new Error('unexpected --help');
  return startService(parsed.config, silentLogger);
}

export interface Recorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  at: number;
}

export interface Fake {
  readonly port: number;
  readonly requests: Recorded[];
  /** Resolves when the n-th request (1-based) has arrived. */
  nth(n: number): Promise<Recorded>;
  close(): Promise<void>;
}

/**
 * A fake upstream. `respond` answers each request; returning undefined leaves
 * the request hanging (an upstream that never answers) until close().
 */
export async function fake(respond: (req: http.IncomingMessage, res: http.ServerResponse) => boolean | void): Promise<Fake> {
  const requests: Recorded[] = [];
  const waiters: Array<{ n: number; resolve: (r: Recorded) => void }> = [];
  const server = http.createServer((req, res) => {
    const rec = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, at: performance.now() };
    requests.push(rec);
    for (const w of waiters.filter((w) => w.n === requests.length)) w.resolve(rec);
    req.resume();
    respond(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    nth(n) {
      if (requests.length >= n) return Promise.resolve(requests[n - 1]);
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export function json(res: http.ServerResponse, status: number, body: unknown): true {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
  return true;
}

/** A port nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

export interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** performance.now() when the response ended. */
  at: number;
}

export function request(port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, at: performance.now() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export async function getJson(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any; at: number }> {
  const res = await request(port, path, { headers });
  assertJson(res);
  return { status: res.status, body: JSON.parse(res.body), at: res.at };
}

function assertJson(res: Response): void {
  if (!String(res.headers['content-type']).startsWith('application/json')) throw new Error(`expected JSON, got ${res.headers['content-type']}: ${res.body}`);
}
