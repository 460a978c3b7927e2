// The proxy benchmark: wrk against (1) the upstream directly, (2) nginx as a
// keep-alive reverse proxy, (3) our gateway proxy configured by the real
// control plane. The proxy under test (nginx or ours) gets core 0 alone;
// wrk and the upstream share core 1.
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freeMeshPorts, startLocalMesh } from '@mesh/local-mesh';
import { freePort, waitFor } from '@mesh/testing';
import { startNginxProxy, startUpstream } from './nginx.ts';
import { wrk, type WrkResult } from './wrk.ts';

export interface ProxyBenchRow extends WrkResult {
  target: string;
  rssMiB?: number;
}

const PROXY_CPU = 0;
const LOAD_CPU = 1;

/** One GET with node:http (fetch would not let us set Host). */
function statusOf(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

function pin(pid: number, cpu: number): void {
  execFileSync('taskset', ['-a', '-cp', String(cpu), String(pid)], { stdio: 'ignore' });
}

function meshConfig(gatewayPort: number, upstreamPort: number): string {
  return `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: bench, namespace: default }
spec:
  selector: { istio: ingressgateway }
  servers:
    - port: { number: ${gatewayPort}, name: http, protocol: HTTP }
      hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: upstream, namespace: default }
spec:
  hosts: [upstream.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: 80, name: http, protocol: HTTP }]
  workloadSelector: { labels: { app: upstream } }
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: { name: upstream, namespace: default }
spec:
  address: 127.0.0.1
  ports: { http: ${upstreamPort} }
  labels: { app: upstream }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: upstream, namespace: default }
spec:
  hosts: [bench.example.com]
  gateways: [bench]
  http:
    - route:
        - destination: { host: upstream.default.svc.cluster.local, port: { number: 80 } }
`;
}

export async function benchProxy(options: { seconds: number; connections: number; log: (msg: string) => void }): Promise<ProxyBenchRow[]> {
  const { seconds, connections, log } = options;
  const rows: ProxyBenchRow[] = [];
  const upstreamPort = await freePort();
  const upstream = await startUpstream(LOAD_CPU, upstreamPort);
  const measure = async (target: string, url: string, headers?: Record<string, string>, pid?: number, explain?: () => Promise<string>) => {
    // Config reaches a proxy asynchronously: measure only once the route answers, or the
    // run would count the 404s of a proxy that has its listener but not yet its routes.
    await waitFor(`${target} to answer 200`, () => statusOf(url, headers).then((s) => s === 200), { timeoutMs: 15_000, intervalMs: 100 });
    log(`warming up: ${target}`);
    await wrk(url, { cpu: LOAD_CPU, connections, seconds: 2, headers });
    log(`measuring: ${target} (${seconds}s, ${connections} connections)`);
    const r = await wrk(url, { cpu: LOAD_CPU, connections, seconds, headers });
    if (r.non2xx > 0 || r.errors > 0) {
      log(`WARNING: ${target}: ${r.non2xx} non-2xx responses, ${r.errors} socket errors; the figures are not clean`);
      if (explain) log(await explain());
    }
    rows.push({ target, ...r, ...(pid ? { rssMiB: rssMiB(pid) } : {}) });
  };
  try {
    await measure('direct to upstream', `http://127.0.0.1:${upstreamPort}/`);

    const nginxPort = await freePort();
    const nginx = await startNginxProxy(PROXY_CPU, nginxPort, upstreamPort);
    try {
      await measure('nginx (1 worker, keep-alive upstream)', `http://127.0.0.1:${nginxPort}/`, undefined, nginx.pid);
    } finally {
      await nginx.stop();
    }

    const configDir = mkdtempSync(path.join(tmpdir(), 'bench-config-'));
    const stateDir = mkdtempSync(path.join(tmpdir(), 'bench-state-'));
    const ports = await freeMeshPorts();
    const gatewayPort = ports.gatewayHttp;
    writeFileSync(path.join(configDir, 'bench.yaml'), meshConfig(gatewayPort, upstreamPort));
    log('starting the control plane and the gateway proxy');
    const mesh = await startLocalMesh({ configDir, stateDir, sample: false, logLevel: 'warn', ports });
    try {
      const gateway = mesh.processes.get('gateway')!;
      for (const [name, p] of mesh.processes) pin(p.child.pid!, name === 'gateway' ? PROXY_CPU : LOAD_CPU);
      // Which responses the proxy gave, from its own istio_requests_total, when anything but 200 came back.
      const responseCodes = async () => {
        const text = await (await fetch(`http://127.0.0.1:${mesh.ports.gatewayStats}/stats/prometheus`)).text();
        const rows = text.split('\n').filter((l) => l.startsWith('istio_requests_total'));
        return 'proxy responses: ' + rows.map((l) => l.replace(/.*response_code="(\d+)",response_flags="([^"]*)".*} (\d+)$/, 'code $1 flags $2: $3')).join('; ');
      };
      await measure('mesh proxy (gateway, 1 core)', `http://127.0.0.1:${gatewayPort}/`, { Host: 'bench.example.com' }, gateway.child.pid!, responseCodes);
    } finally {
      await mesh.stop();
      rmSync(configDir, { recursive: true, force: true });
      rmSync(stateDir, { recursive: true, force: true });
    }
  } finally {
    await upstream.stop();
  }
  return rows;
}

export function formatProxyRows(rows: ProxyBenchRow[]): string {
  const head = '| target | requests/s | p50 (ms) | p99 (ms) | non-2xx | socket errors | proxy RSS (MiB) |\n|---|---:|---:|---:|---:|---:|---:|';
  const body = rows.map((r) =>
    `| ${r.target} | ${Math.round(r.requestsPerSec).toLocaleString('en')} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${r.non2xx} | ${r.errors} | ${r.rssMiB ?? '–'} |`,
  );
  return [head, ...body].join('\n');
}
