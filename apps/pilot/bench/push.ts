// `node apps/pilot/bench/push.ts [--services N] [--proxies N]`: how long pilot
// takes to build a push context and every proxy's snapshot, and how long a
// push takes to reach N connected ADS clients (real gRPC on 127.0.0.1).
// Prints a Markdown table for docs/benchmarks.md.
import os from 'node:os';
import { createLogger } from '@mesh/telemetry';
import { AdsClient, TYPE_URLS } from '@mesh/xds';
import type { ConfigResource } from '@mesh/contracts';
import { ConfigStore } from '../src/config-store.ts';
import { DiscoveryService } from '../src/discovery.ts';
import { PushContext } from '../src/model/push-context.ts';
import { proxyFromNode } from '../src/model/proxy.ts';
import { generateSnapshot } from '../src/generators/index.ts';

const argv = process.argv.slice(2);
const opt = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const SERVICES = opt('services', 500);
const PROXIES = opt('proxies', 50);
const log = createLogger('pilot-bench', { level: 'error' });

let t = 0;
const meta = () => ({ creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, t++)).toISOString() });
function config(n: number, weightA: number): ConfigResource[] {
  const out: ConfigResource[] = [];
  for (let i = 0; i < n; i++) {
    const host = `svc-${i}.ns-${i % 10}.svc.cluster.local`;
    const ns = `ns-${i % 10}`;
    out.push({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: `svc-${i}`, namespace: ns, ...meta() }, spec: { hosts: [host], resolution: 'STATIC', location: 'MESH_INTERNAL', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], workloadSelector: { labels: { app: `svc-${i}` } } } });
    for (const v of ['v1', 'v2']) {
      out.push({ apiVersion: 'networking.istio.io/v1', kind: 'WorkloadEntry', metadata: { name: `svc-${i}-${v}`, namespace: ns, ...meta() }, spec: { address: `10.${(i >> 8) & 255}.${i & 255}.${v === 'v1' ? 1 : 2}`, labels: { app: `svc-${i}`, version: v }, ports: { http: 8080 } } });
    }
    out.push({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: `svc-${i}`, namespace: ns, ...meta() }, spec: { host, subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] } });
    out.push({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: `svc-${i}`, namespace: ns, ...meta() },
      spec: { hosts: [host], http: [{ match: [{ headers: { 'x-canary': { exact: 'true' } } }], route: [{ destination: { host, subset: 'v2' } }] }, { route: [{ destination: { host, subset: 'v1' }, weight: weightA }, { destination: { host, subset: 'v2' }, weight: 100 - weightA }] }] },
    });
  }
  return out;
}

const ms = (start: number) => Math.round((performance.now() - start) * 10) / 10;

// 1. In-process translation cost.
const cfg = config(SERVICES, 80);
let s = performance.now();
const push = new PushContext({ configs: cfg }, { domainSuffix: 'cluster.local', version: 'bench' });
const pushMs = ms(s);
const sidecar = proxyFromNode({ id: 'sidecar~127.0.0.1~a.ns-0~ns-0.svc.cluster.local' }, { bindHost: '127.0.0.1', outboundPort: 15001 });
s = performance.now();
const first = generateSnapshot(push, sidecar, { privilegedPortOffset: 8000, log });
const firstMs = ms(s);
s = performance.now();
for (let i = 0; i < 100; i++) generateSnapshot(push, { ...sidecar, id: `sidecar~x~p${i}.ns-0~ns-0.svc.cluster.local` }, { privilegedPortOffset: 8000, log });
const sharedMs = ms(s) / 100;

// 2. End to end over gRPC: a config change reaching every connected client.
const store = new ConfigStore();
const discovery = new DiscoveryService({ store, log, domainSuffix: 'cluster.local', bindHost: '127.0.0.1', defaultOutboundPort: 15001, privilegedPortOffset: 8000, debounceMs: 0, debounceMaxMs: 0, pilotId: 'bench' });
for (const r of cfg) store.put('config', `${r.kind}.${r.metadata.namespace}.${r.metadata.name}`, r);
discovery.pushNow('bench');
const port = await discovery.server.listen('127.0.0.1', 0);
const clients = Array.from({ length: PROXIES }, (_, i) => new AdsClient({ target: `127.0.0.1:${port}`, node: { id: `sidecar~127.0.0.1~c${i}.ns-${i % 10}~ns-${i % 10}.svc.cluster.local` }, log }));
s = performance.now();
await Promise.all(clients.map((c) => new Promise((r) => (c.once('snapshot', r), c.start()))));
const connectMs = ms(s);
const routeVersion = (c: AdsClient) => c.snapshot?.versions[TYPE_URLS.route];
const before = clients.map(routeVersion);
s = performance.now();
for (const r of config(SERVICES, 50)) if (r.kind === 'VirtualService') store.put('config', `${r.kind}.${r.metadata.namespace}.${r.metadata.name}`, r);
const status = discovery.pushNow('bench change');
await Promise.all(clients.map((c, i) => (routeVersion(c) !== before[i] ? undefined : new Promise((r) => c.once('snapshot', r)))));
const fanoutMs = ms(s);
for (const c of clients) await c.stop();
await discovery.close();

const counts = first.counts();
console.log(`## pilot: ${SERVICES} services (2 workloads, 2 subsets, a VirtualService each), ${PROXIES} sidecars\n`);
console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), Node ${process.version}, ${new Date().toISOString()}\n`);
console.log('| measure | value |\n|---|---|');
console.log(`| push context build | ${pushMs} ms |`);
console.log(`| first sidecar snapshot (builds and encodes the shared CDS/EDS/RDS) | ${firstMs} ms (LDS ${counts.LDS}, RDS ${counts.RDS}, CDS ${counts.CDS}, EDS ${counts.EDS}) |`);
console.log(`| each further sidecar snapshot (shared resources reused) | ${Math.round(sharedMs * 100) / 100} ms |`);
console.log(`| ${PROXIES} ADS clients connected to a complete snapshot | ${connectMs} ms |`);
console.log(`| VirtualService change: pushNow (${status.durationMs} ms) until all ${PROXIES} clients hold the new routes | ${fanoutMs} ms |`);
