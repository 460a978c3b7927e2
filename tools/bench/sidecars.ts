// The two-sidecar benchmark (issue #8): one upstream (nginx, one worker,
// a 20-byte body, as in proxy.ts) reached (a) directly and (b) the way a
// meshed client reaches a meshed server without capture:
//
//   client → client sidecar (egress listener, an HTTP proxy on 127.0.0.1)
//          → server sidecar (ingress listener, the WorkloadEntry's port) → upstream
//
// Both sidecars are configured the real way (docs/pilot-sidecars.md): galley
// watches a temp directory holding a ServiceEntry + WorkloadEntry for the
// server and a Sidecar resource per workload, NATS carries it to pilot, pilot
// serves them over ADS. Everything runs from the esbuild bundles
// (apps/*/dist/main.js, started by the local-mesh launcher) and the sidecars
// get the proxy image's NODE_OPTIONS. Plaintext HTTP/1.1 (mTLS is its own issue).
//
// Two measurements per target in one run:
//  1. throughput: wrk -t1 -c32 closed loop; BOTH sidecars pinned to core 0,
//     wrk, the upstream and the control plane to core 1; the sidecars' CPU
//     seconds per 1,000 requests from /proc/PID/stat (the per-core figure);
//  2. latency at a fixed rate (1,000 req/s): tools/bench/open-loop.ts, pinned
//     to core 1, latency from each request's scheduled send time; the added
//     latency is the sidecar path's percentile minus direct's. The same is
//     measured for two chained nginx proxies pinned where the sidecars are:
//     what two extra hops cost on this machine whatever does the proxying.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freeMeshPorts, startLocalMesh, type LocalMesh } from '@mesh/local-mesh';
import { freePort, waitFor, WORKSPACE_ROOT } from '@mesh/testing';
import { deployedNodeOptions } from './memory.ts';
import { startNginxProxy, startUpstream, type Nginx } from './nginx.ts';
import type { OpenLoopResult } from './open-loop.ts';
import { wrk, type WrkResult } from './wrk.ts';

const run = promisify(execFile);

const SIDECAR_CPU = 0;
const LOAD_CPU = 1;
const HOST = 'upstream.default.svc.cluster.local';
const CLIENT = 'client';
const SERVER = 'upstream-v1';

export interface SidecarsBenchOptions {
  /** Seconds of each measurement (wrk and the open-loop run). */
  seconds: number;
  /** wrk connections. */
  connections: number;
  /** Requests per second of the open-loop latency run. */
  rate: number;
  /** Latency rounds: direct, the sidecars, then two chained nginx proxies (the reference), this many times, alternating (the machine's load moves between them). */
  rounds: number;
  /** The sidecars' NODE_OPTIONS (default: what deploy/images/proxy.Dockerfile sets). */
  nodeOptions?: string;
  /** Skip rebuilding the bundles (apps/{citadel,galley,pilot,injector,proxy}/dist/main.js). */
  noBuild?: boolean;
  log: (msg: string) => void;
}

export interface SidecarCpu {
  /** CPU seconds (user + system) each sidecar used during the measurement. */
  client: number;
  server: number;
  /** Requests the two sidecars counted (istio_requests_total: the client's `source` reports, the server's `destination` ones). */
  clientRequests: number;
  serverRequests: number;
}

/** How busy each core was during a measurement (/proc/stat user + nice + system + irq + softirq + steal), as % of the wall time. */
export interface CoreLoad {
  core0: number;
  core1: number;
  /** Core 0's busy time minus the sidecars' CPU time: other processes on the sidecars' core, and softirq time (loopback TCP). */
  core0Others: number;
  /** The two sidecars' utime + stime (in direct runs: what they cost idle). */
  sidecars: number;
}

export interface ThroughputRow extends WrkResult {
  target: string;
  requests: number;
  sidecars?: SidecarCpu;
  cores: CoreLoad;
}

export interface LatencyRow {
  target: string;
  /** direct, through the two sidecars, or through two chained nginx proxies (the reference). */
  kind: 'direct' | 'sidecars' | 'nginx';
  round: number;
  result: OpenLoopResult;
  sidecars?: SidecarCpu;
  cores: CoreLoad;
}

export interface SidecarsBenchResult {
  nodeOptions: string;
  seconds: number;
  connections: number;
  rate: number;
  rounds: number;
  throughput: ThroughputRow[];
  latency: LatencyRow[];
  /** /proc/loadavg (1, 5, 15 min) when the run started and when it ended. */
  loadBefore: string;
  loadAfter: string;
}

/** The server registered as Istio registers a VM, and a Sidecar per workload (docs/pilot-sidecars.md). */
export function sidecarsMeshYaml(ports: { upstream: number; ingress: number; egress: number }): string {
  return `# written by tools/bench/sidecars.ts
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: upstream, namespace: default }
spec:
  hosts: [${HOST}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: 80, name: http, protocol: HTTP }]
  workloadSelector: { labels: { app: upstream } }
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: { name: ${SERVER}, namespace: default }
spec:
  address: 127.0.0.1
  ports: { http: ${ports.ingress} } # the server sidecar's ingress listener
  labels: { app: upstream, version: v1 }
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: ${SERVER}, namespace: default }
spec:
  workloadSelector: { labels: { app: upstream, version: v1 } }
  ingress:
    - port: { number: ${ports.ingress}, protocol: HTTP, name: http }
      defaultEndpoint: 127.0.0.1:${ports.upstream} # the application (nginx)
      captureMode: NONE
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: ${CLIENT}, namespace: default }
spec:
  workloadSelector: { labels: { app: client } }
  egress:
    - port: { number: ${ports.egress}, protocol: HTTP, name: http-egress }
      bind: 127.0.0.1
      captureMode: NONE
      hosts: ["./*"]
`;
}

export function build(log: (msg: string) => void): void {
  // The launcher's fromDist runs every app from its bundle, so all five are built.
  for (const app of ['citadel', 'galley', 'pilot', 'injector', 'proxy']) {
    log(`building apps/${app}/dist/main.js`);
    const res = spawnSync(process.execPath, ['../../tools/build-app.mjs'], { cwd: path.join(WORKSPACE_ROOT, 'apps', app), stdio: ['ignore', 'ignore', 'inherit'] });
    if (res.status !== 0) throw new Error(`building ${app} failed`);
  }
}

/** One GET with node:http (fetch would not let us set Host). */
export function statusOf(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers, agent: false, timeout: 2_000 }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('timeout', function (this: http.ClientRequest) {
        this.destroy(new Error('timeout'));
      })
      .on('error', reject);
  });
}

export function pin(pid: number, cpu: number): void {
  execFileSync('taskset', ['-a', '-cp', String(cpu), String(pid)], { stdio: 'ignore' });
}

/** CPU seconds (user + system, every thread) a process has used (/proc/PID/stat, in USER_HZ = 100). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Busy ticks (USER_HZ) per core from /proc/stat: user + nice + system + irq + softirq + steal. Loopback TCP's
 * softirq time is counted here but not in a process's utime + stime.
 */
export function coreTicks(): number[] {
  const ticks: number[] = [];
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+) (\d+) (\d+) (\d+) \d+ \d+ (\d+) (\d+) (\d+)/.exec(line);
    if (m) ticks[Number(m[1])] = [2, 3, 4, 5, 6, 7].reduce((sum, i) => sum + Number(m[i]), 0);
  }
  return ticks;
}

export const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** Sum of a sidecar's istio_requests_total series. */
export async function requestsTotal(statsPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${statsPort}/stats/prometheus`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith('istio_requests_total')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

/** The open-loop generator as its own process pinned to the load core, like wrk. */
export async function openLoopPinned(url: string, options: { rate: number; seconds: number; warmupSeconds: number; headers?: Record<string, string> }): Promise<OpenLoopResult> {
  const args = ['-c', String(LOAD_CPU), process.execPath, path.join(import.meta.dirname, 'open-loop.ts'), '--url', url, '--rate', String(options.rate), '--seconds', String(options.seconds), '--warmup-seconds', String(options.warmupSeconds)];
  for (const [k, v] of Object.entries(options.headers ?? {})) args.push('--header', `${k}: ${v}`);
  const { stdout } = await run('taskset', args, { maxBuffer: 1 << 20, env: { ...process.env, NODE_OPTIONS: '' } });
  return JSON.parse(stdout) as OpenLoopResult;
}

/**
 * The local mesh from the bundles with the two workloads of these benches: `upstream-v1` (only a sidecar, its ingress
 * listener in front of the upstream) and `client` (only a sidecar, its egress listener), every process pinned: the two
 * sidecars to core 0, the rest to core 1. The config (galley's directory) must already be written.
 */
export async function startSidecarPair(o: {
  configDir: string;
  stateDir: string;
  nodeOptions: string;
  ingress: number;
  egress: number;
  /** The server's service account (its SPIFFE identity); the launcher's default otherwise. */
  serverServiceAccount?: string;
  log: (msg: string) => void;
}): Promise<LocalMesh> {
  o.log(`starting the mesh from the bundles: galley watches ${o.configDir}; sidecars get NODE_OPTIONS=${JSON.stringify(o.nodeOptions)}`);
  // The launcher gives its processes this process's environment: NODE_OPTIONS set for the time it spawns them
  // reaches the sidecars (and the control plane, which is idle on the other core during the measurements).
  const savedNodeOptions = process.env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = o.nodeOptions;
  let mesh: LocalMesh;
  try {
    mesh = await startLocalMesh({
      configDir: o.configDir,
      stateDir: o.stateDir,
      sample: false,
      fromDist: true,
      logLevel: 'warn',
      ports: await freeMeshPorts(),
      workloads: [
        { name: SERVER, labels: { app: 'upstream', version: 'v1' }, ...(o.serverServiceAccount ? { serviceAccount: o.serverServiceAccount } : {}), listenerPorts: [o.ingress] },
        { name: CLIENT, labels: { app: 'client' }, listenerPorts: [o.egress] },
      ],
      onProgress: o.log,
    });
  } finally {
    if (savedNodeOptions === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = savedNodeOptions;
  }
  const sidecars = new Set([mesh.processes.get(`${CLIENT}-sidecar`), mesh.processes.get(`${SERVER}-sidecar`)]);
  for (const p of mesh.processes.values()) pin(p.child.pid!, sidecars.has(p) ? SIDECAR_CPU : LOAD_CPU);
  return mesh;
}

export async function benchSidecars(options: SidecarsBenchOptions): Promise<SidecarsBenchResult> {
  const { seconds, connections, rate, log } = options;
  const loadBefore = loadavg();
  if (!options.noBuild) build(log);
  const nodeOptions = options.nodeOptions ?? deployedNodeOptions();
  const throughput: ThroughputRow[] = [];
  const latency: LatencyRow[] = [];
  let mesh: LocalMesh | undefined;
  let upstream: Nginx | undefined;
  const nginxHops: Nginx[] = [];
  const configDir = mkdtempSync(path.join(tmpdir(), 'bench-sidecars-config-'));
  const stateDir = mkdtempSync(path.join(tmpdir(), 'bench-sidecars-state-'));
  try {
    const upstreamPort = await freePort();
    upstream = await startUpstream(LOAD_CPU, upstreamPort);
    const [ingress, egress] = [await freePort(), await freePort()];
    writeFileSync(path.join(configDir, 'sidecars.yaml'), sidecarsMeshYaml({ upstream: upstreamPort, ingress, egress }));
    mesh = await startSidecarPair({ configDir, stateDir, nodeOptions, ingress, egress, log });
    const m = mesh;
    const clientSidecar = m.processes.get(`${CLIENT}-sidecar`)!;
    const serverSidecar = m.processes.get(`${SERVER}-sidecar`)!;
    const stats = { client: m.workloads.get(CLIENT)!.sidecar.stats, server: m.workloads.get(SERVER)!.sidecar.stats };

    const direct = { kind: 'direct' as const, target: 'direct to upstream', url: `http://127.0.0.1:${upstreamPort}/`, headers: undefined as Record<string, string> | undefined };
    const viaSidecars = { kind: 'sidecars' as const, target: 'client sidecar → server sidecar (both on core 0)', url: `http://127.0.0.1:${egress}/`, headers: { Host: HOST } };
    // The reference: two keep-alive nginx proxies chained, on the sidecars' core.
    const [nginxFar, nginxNear] = [await freePort(), await freePort()];
    nginxHops.push(await startNginxProxy(SIDECAR_CPU, nginxFar, upstreamPort));
    nginxHops.push(await startNginxProxy(SIDECAR_CPU, nginxNear, nginxFar));
    const viaNginx = { kind: 'nginx' as const, target: 'nginx → nginx (both on core 0; reference)', url: `http://127.0.0.1:${nginxNear}/`, headers: undefined };
    // Config reaches the sidecars asynchronously: measure only once the route answers 200 through both.
    await waitFor('a 200 through both sidecars', () => statusOf(viaSidecars.url, viaSidecars.headers).then((s) => s === 200).catch(() => false), { timeoutMs: 30_000, intervalMs: 100 });

    // Runs one measurement and takes the sidecars' CPU, the requests they counted and how busy each core was.
    const measured = async <T>(withSidecars: boolean, measure: () => Promise<T>): Promise<{ value: T; cpu?: SidecarCpu; cores: CoreLoad }> => {
      const pids = { client: clientSidecar.child.pid!, server: serverSidecar.child.pid! };
      const [cr0, sr0] = withSidecars ? [await requestsTotal(stats.client), await requestsTotal(stats.server)] : [0, 0];
      const [c0, s0, ticks0, t0] = [cpuSeconds(pids.client), cpuSeconds(pids.server), coreTicks(), performance.now()];
      const value = await measure();
      const [c1, s1, ticks1, t1] = [cpuSeconds(pids.client), cpuSeconds(pids.server), coreTicks(), performance.now()];
      const wall = (t1 - t0) / 1000;
      const busy = (core: number) => (ticks1[core] - ticks0[core]) / 100;
      const sidecars = c1 - c0 + (s1 - s0);
      const cores = { core0: (100 * busy(SIDECAR_CPU)) / wall, core1: (100 * busy(LOAD_CPU)) / wall, core0Others: (100 * Math.max(0, busy(SIDECAR_CPU) - sidecars)) / wall, sidecars: (100 * sidecars) / wall };
      if (!withSidecars) return { value, cores };
      const [cr1, sr1] = [await requestsTotal(stats.client), await requestsTotal(stats.server)];
      return { value, cores, cpu: { client: c1 - c0, server: s1 - s0, clientRequests: cr1 - cr0, serverRequests: sr1 - sr0 } };
    };

    // 1. Throughput, closed loop.
    for (const t of [direct, viaSidecars]) {
      log(`warming up: ${t.target}`);
      await wrk(t.url, { cpu: LOAD_CPU, connections, seconds: 2, headers: t.headers });
      log(`measuring throughput: ${t.target} (wrk -c${connections}, ${seconds} s)`);
      const measure = () => wrk(t.url, { cpu: LOAD_CPU, connections, seconds, headers: t.headers });
      const { value: r, cpu, cores } = await measured(t !== direct, measure);
      if (r.non2xx > 0 || r.errors > 0) log(`WARNING: ${t.target}: ${r.non2xx} non-2xx, ${r.errors} socket errors; the figures are not clean`);
      // The requests the sidecars counted in the CPU window; wrk's own count for direct.
      throughput.push({ target: t.target, ...r, requests: cpu ? cpu.serverRequests : Math.round(r.requestsPerSec * seconds), cores, ...(cpu ? { sidecars: cpu } : {}) });
    }

    // 2. Latency at a fixed rate, open loop (2 s warm-up in the same generator process), direct and sidecars alternating.
    for (let round = 1; round <= options.rounds; round++) for (const t of [direct, viaSidecars, viaNginx]) {
      log(`measuring latency, round ${round}/${options.rounds}: ${t.target} (open loop, ${rate} req/s, ${seconds} s after a 2 s warm-up)`);
      const measure = () => openLoopPinned(t.url, { rate, seconds, warmupSeconds: 2, headers: t.headers });
      const { value: r, cpu, cores } = await measured(t === viaSidecars, measure);
      if (r.non2xx > 0 || r.errors > 0) log(`WARNING: ${t.target}: ${r.non2xx} non-2xx, ${r.errors} errors; the figures are not clean`);
      log(`${t.target}: latency p50 ${f2(r.latency.p50)} p99 ${f2(r.latency.p99)} ms; service p50 ${f2(r.service.p50)} p99 ${f2(r.service.p99)} ms; send lag p99 ${f2(r.sendLag.p99)} ms`);
      latency.push({ kind: t.kind, target: t.target, round, result: r, cores, ...(cpu ? { sidecars: cpu } : {}) });
    }
    for (const [name, p] of [['client sidecar', clientSidecar], ['server sidecar', serverSidecar]] as const) {
      if (p.child.exitCode !== null) throw new Error(`the ${name} died during the run:\n${p.output()}`);
    }
  } finally {
    await mesh?.stop();
    for (const n of nginxHops) await n.stop();
    await upstream?.stop();
    rmSync(configDir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  }
  return { nodeOptions, seconds, connections, rate, rounds: options.rounds, throughput, latency, loadBefore, loadAfter: loadavg() };
}

const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–');
const int = (n: number) => Math.round(n).toLocaleString('en');
const per1000 = (cpu: number, requests: number) => (requests > 0 ? (cpu / requests) * 1000 : NaN);

export function formatSidecarsThroughput(r: SidecarsBenchResult): string {
  const head =
    '| target | requests/s | p50 (ms) | p99 (ms) | non-2xx | socket errors | sidecar CPU s per 1,000 requests (client + server) | requests/s per core of sidecar CPU |\n' +
    '|---|---:|---:|---:|---:|---:|---:|---:|';
  const rows = r.throughput.map((t) => {
    const s = t.sidecars;
    const cpu = s ? `${f3(per1000(s.client + s.server, t.requests))} (${f3(per1000(s.client, t.requests))} + ${f3(per1000(s.server, t.requests))})` : '–';
    const perCore = s ? int(t.requests / (s.client + s.server)) : '–';
    return `| ${t.target} | ${int(t.requestsPerSec)} | ${f2(t.p50Ms)} | ${f2(t.p99Ms)} | ${t.non2xx} | ${t.errors} | ${cpu} | ${perCore} |`;
  });
  return [head, ...rows].join('\n');
}

const f3 = (n: number) => (Number.isFinite(n) ? n.toFixed(3) : '–');

const PCTS = ['p50', 'p90', 'p99', 'p999', 'max'] as const;
const signed = (v: number) => `${v >= 0 ? '+' : ''}${f2(v)}`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Per round: the sidecar path's (or the nginx reference's) percentile minus direct's (latency from the schedule, and service time). */
export function addedLatency(
  r: SidecarsBenchResult,
  via: 'sidecars' | 'nginx' = 'sidecars',
): Array<{ round: number; latency: Record<(typeof PCTS)[number], number>; service: Record<(typeof PCTS)[number], number> }> {
  const out = [];
  for (let round = 1; round <= r.rounds; round++) {
    const direct = r.latency.find((l) => l.round === round && l.kind === 'direct');
    const mesh = r.latency.find((l) => l.round === round && l.kind === via);
    if (!direct || !mesh) continue;
    const diff = (from: 'latency' | 'service') => Object.fromEntries(PCTS.map((k) => [k, mesh.result[from][k] - direct.result[from][k]])) as Record<(typeof PCTS)[number], number>;
    out.push({ round, latency: diff('latency'), service: diff('service') });
  }
  return out;
}

export function formatSidecarsLatency(r: SidecarsBenchResult): string {
  const head =
    '| round | target | requests (sent / answered) | achieved req/s | p50 (ms) | p90 (ms) | p99 (ms) | p99.9 (ms) | max (ms) | non-2xx + errors | service time p50 / p99 (ms) | generator send lag p50 / p99 (ms) | sidecar CPU s per 1,000 requests |\n' +
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
  const rows: string[] = [];
  const added = { sidecars: addedLatency(r, 'sidecars'), nginx: addedLatency(r, 'nginx') };
  const label = { sidecars: 'added by the two sidecars', nginx: 'added by the two nginx hops' };
  for (const { kind, target, round, result: o, sidecars: s } of r.latency) {
    const cpu = s ? f3(per1000(s.client + s.server, s.serverRequests)) : '–';
    rows.push(`| ${round} | ${target} | ${int(o.scheduled)} / ${int(o.completed)} | ${int(o.achievedRate)} | ${f2(o.latency.p50)} | ${f2(o.latency.p90)} | ${f2(o.latency.p99)} | ${f2(o.latency.p999)} | ${f2(o.latency.max)} | ${o.non2xx + o.errors} | ${f2(o.service.p50)} / ${f2(o.service.p99)} | ${f2(o.sendLag.p50)} / ${f2(o.sendLag.p99)} | ${cpu} |`);
    const a = kind !== 'direct' ? added[kind].find((x) => x.round === round) : undefined;
    if (a && kind !== 'direct') rows.push(`| ${round} | ${label[kind]} | | | ${PCTS.map((k) => signed(a.latency[k])).join(' | ')} | | ${signed(a.service.p50)} / ${signed(a.service.p99)} | | |`);
  }
  for (const kind of ['sidecars', 'nginx'] as const) {
    const list = added[kind];
    if (list.length < 2) continue;
    const med = (k: (typeof PCTS)[number], from: 'latency' | 'service' = 'latency') => signed(median(list.map((a) => a[from][k])));
    rows.push(`| all | **${label[kind]}, median of ${list.length} rounds** | | | **${med('p50')}** | **${med('p90')}** | **${med('p99')}** | ${med('p999')} | ${med('max')} | | ${med('p50', 'service')} / ${med('p99', 'service')} | | |`);
  }
  return [head, ...rows].join('\n');
}

export function formatSidecarsNotes(r: SidecarsBenchResult): string {
  const counts = [...r.throughput, ...r.latency]
    .filter((t) => t.sidecars)
    .map((t) => `${'round' in t ? `latency round ${t.round} (with its 2 s warm-up)` : 'throughput run'}: the client sidecar counted ${int(t.sidecars!.clientRequests)} requests, the server sidecar ${int(t.sidecars!.serverRequests)}`);
  return [
    `sidecars: apps/proxy/dist/main.js, NODE_OPTIONS=${JSON.stringify(r.nodeOptions)}, plaintext HTTP/1.1, both pinned to core 0; wrk, the open-loop generator, the nginx upstream and the control plane on core 1`,
    `load average (1/5/15 min) before: ${r.loadBefore}; after: ${r.loadAfter}`,
    `requests through the sidecars (their istio_requests_total; the CPU figures are per these): ${counts.join('; ')}`,
    `how busy the cores were (/proc/stat user+nice+system+irq+softirq+steal, % of wall time; "others" on core 0 is its busy time minus the sidecars' utime+stime: other processes on the sidecars' core, and softirq time): ${[...r.throughput.map((t) => ({ label: `throughput, ${t.target.split(' (')[0]}`, c: t.cores })), ...r.latency.map((t) => ({ label: `latency round ${t.round}, ${t.target.split(' (')[0]}`, c: t.cores }))].map(({ label, c }) => `${label}: core 0 ${c.core0.toFixed(0)}% (sidecars ${c.sidecars.toFixed(0)}%, others ${c.core0Others.toFixed(0)}%), core 1 ${c.core1.toFixed(0)}%`).join('; ')}`,
  ].join('\n\n');
}
