// A quick local measurement (not a test): wrk against (1) nginx directly,
// (2) a naive Node forwarder (http.createServer + undici Pool.dispatch, the
// baseline to beat), (3) this proxy with a static config equivalent to what
// pilot sends a gateway (RDS route with Istio's default retry policy, EDS
// cluster). The process under test gets core 0; wrk and nginx share core 1,
// as tools/bench does.
//
//   node apps/proxy/bench/local-bench.ts [--seconds 10] [--connections 32] [--only proxy]
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const seconds = Number(opt('seconds', '10'));
const connections = Number(opt('connections', '32'));
const only = opt('only', '');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitListening(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nothing listening on ${port}`);
}

/** CPU time (user + system) a process has used, in microseconds: robust to other load on a shared machine. */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // utime + stime, in USER_HZ (100)
}

function wrk(url: string, secs: number, pid?: number, host?: string): { rps: number; p50: string; p99: string; non2xx: number; cpuPerReq: string } {
  const before = pid ? cpuMicros(pid) : 0;
  const args = ['-c', '1', 'wrk', '-t1', `-c${connections}`, `-d${secs}s`, '--latency', ...(host ? ['-H', `Host: ${host}`] : []), url];
  const out = execFileSync('taskset', args, { encoding: 'utf8' });
  const used = pid ? cpuMicros(pid) - before : 0;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const total = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const p50 = /^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? "?";
  const p99 = /^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? "?";
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  return { rps, p50, p99, non2xx, cpuPerReq: pid && total ? (used / total).toFixed(1) : '–' };
}

const NAIVE = `
import http from 'node:http';
import { Pool } from 'undici';
const [port, upstream] = process.argv.slice(2);
const pool = new Pool('http://127.0.0.1:' + upstream, { connections: 64, pipelining: 1 });
http.createServer((req, res) => {
  const hs = [];
  for (const k in req.headers) if (k !== 'connection') hs.push(k, req.headers[k]);
  pool.dispatch({ path: req.url, method: req.method, headers: hs, body: null }, {
    onRequestStart() {},
    onResponseStart(c, status, headers) {
      const out = [];
      for (const k in headers) if (k !== 'connection' && k !== 'transfer-encoding' && k !== 'keep-alive') out.push(k, headers[k]);
      res.writeHead(status, out);
    },
    onResponseData(c, chunk) { if (!res.write(chunk)) { c.pause(); res.once('drain', () => c.resume()); } },
    onResponseEnd() { res.end(); },
    onResponseError() { if (!res.headersSent) res.writeHead(502); res.end(); },
  });
}).listen(Number(port), '127.0.0.1');
`;

function staticConfig(listenPort: number, upstreamPort: number): unknown {
  const cluster = 'outbound|80||upstream.default.svc.cluster.local';
  return {
    listeners: [
      {
        name: '0.0.0.0_80',
        address: { socketAddress: { address: '127.0.0.1', portValue: listenPort } },
        filterChains: [
          {
            filters: [
              {
                name: 'envoy.filters.network.http_connection_manager',
                typedConfig: {
                  '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                  statPrefix: 'outbound_0.0.0.0_80',
                  rds: { configSource: { ads: {} }, routeConfigName: 'http.80' },
                  httpFilters: [
                    { name: 'envoy.filters.http.fault', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault' } },
                    { name: 'envoy.filters.http.router', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
                  ],
                  useRemoteAddress: { value: true },
                },
              },
            ],
          },
        ],
      },
    ],
    routes: [
      {
        name: 'http.80',
        virtualHosts: [
          {
            name: 'bench.example.com:80',
            domains: ['bench.example.com', 'bench.example.com:*'],
            routes: [
              {
                match: { prefix: '/' },
                route: {
                  cluster,
                  timeout: { seconds: 0 },
                  retryPolicy: { retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes', numRetries: { value: 2 }, retriableStatusCodes: [503] },
                },
              },
            ],
          },
        ],
      },
    ],
    clusters: [{ name: cluster, type: 'EDS', edsClusterConfig: { edsConfig: { ads: {} }, serviceName: cluster }, connectTimeout: { seconds: 10 } }],
    endpoints: [{ clusterName: cluster, endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: upstreamPort } } } }] }] }],
  };
}

const dir = mkdtempSync(path.join(tmpdir(), 'proxy-bench-'));
const children: ChildProcess[] = [];
const start = (cpu: number, cmd: string, args: string[]) => {
  const c = spawn('taskset', ['-c', String(cpu), cmd, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(c);
  return c;
};
try {
  const upstreamPort = await freePort();
  mkdirSync(path.join(dir, 'logs'));
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    `worker_processes 1; daemon off; error_log ${dir}/logs/error.log warn; pid ${dir}/nginx.pid;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server { listen 127.0.0.1:${upstreamPort}; location / { default_type text/plain; return 200 "hello from upstream\\n"; } } }`,
  );
  start(1, 'nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf')]);
  await waitListening(upstreamPort);
  const rows: string[] = [];
  const measure = async (name: string, port: number, pid?: number, host?: string) => {
    const url = `http://127.0.0.1:${port}/`;
    wrk(url, 2, undefined, host);
    const r = wrk(url, seconds, pid, host);
    rows.push(`| ${name} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.non2xx} | ${r.cpuPerReq} |`);
    process.stderr.write(`${name}: ${Math.round(r.rps)} req/s p50 ${r.p50} p99 ${r.p99} cpu/req ${r.cpuPerReq} µs\n`);
  };
  if (!only || only === 'direct') await measure('nginx upstream, direct', upstreamPort);
  if (!only || only === 'naive') {
    const port = await freePort();
    writeFileSync(path.join(here, '.naive-forwarder.mjs'), NAIVE);
    const naive = start(0, process.execPath, [path.join(here, '.naive-forwarder.mjs'), String(port), String(upstreamPort)]);
    await waitListening(port);
    await measure('naive Node forwarder (http + undici dispatch)', port, naive.pid);
    children.pop()!.kill();
    rmSync(path.join(here, '.naive-forwarder.mjs'), { force: true });
  }
  if (!only || only === 'proxy') {
    const port = await freePort();
    const cfg = path.join(dir, 'static.json');
    writeFileSync(cfg, JSON.stringify(staticConfig(port, upstreamPort)));
    const proxy = start(0, process.execPath, [path.join(here, '../src/main.ts'), '--mode', 'gateway', '--static-config', cfg, '--admin-port', '0', '--status-port', '0', '--stats-port', '0', '--agent-port', '0', '--log-level', 'warn']);
    await waitListening(port);
    // The route config matches bench.example.com, so wrk sends that Host.
    await measure('mesh proxy (static config: gateway route + Istio retry policy)', port, proxy.pid, 'bench.example.com');
  }
  console.log(`wrk -t1 -c${connections} -d${seconds}s; process under test on core 0, wrk + nginx on core 1\n`);
  console.log('| target | req/s | p50 | p99 | non-2xx | CPU µs/request |\n|---|---:|---:|---:|---:|---:|\n' + rows.join('\n'));
} finally {
  for (const c of children) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  rmSync(dir, { recursive: true, force: true });
}
