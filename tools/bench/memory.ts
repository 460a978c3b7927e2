// The memory benchmark (issue #7): one sidecar proxy, run from its esbuild
// bundle the way it runs in production, configured by the real control plane
// (nats-server, galley watching a temp directory, pilot) with a generated
// mesh of N services (1,000 by default: 3,002 clusters, 3,000
// ClusterLoadAssignments). It reports the sidecar's RSS (/proc/PID/status)
// and V8 heap (the admin port's /memory) once the config is ACKed and idle,
// then sampled through a soak of mixed normal and hostile traffic on
// 127.0.0.1 only: requests through the sidecar to a few local upstreams,
// floods of local replies (404 no route, direct responses, fault aborts, 503
// connect failures), malformed and oversized heads, bad framing, truncated
// bodies, pipelines and slow heads over raw sockets. Every loop is bounded by
// the deadline and stops by itself.
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startNats, startProcess, waitFor, WORKSPACE_ROOT, type ManagedProcess, type NatsServer } from '@mesh/testing';

export interface MemoryBenchOptions {
  /** Soak duration (the issue's figure is 600). */
  seconds: number;
  /** Services in the generated mesh; each gives 3 clusters (default + subsets v1, v2). */
  services: number;
  /** Seconds between samples during the soak. */
  sampleSeconds: number;
  /** Normal requests per second through the sidecar. */
  rps: number;
  /** NODE_OPTIONS for the sidecar, one run each; empty: what deploy/images/proxy.Dockerfile sets. */
  nodeOptions?: string[];
  /** Seconds between config changes during the soak (each makes pilot push every cluster again); 0: none. */
  pushSeconds: number;
  /** Seconds between the config ACK and the idle figure. */
  idleSeconds: number;
  /** Write heap snapshots of the sidecar (idle and end) into this directory. */
  snapshotDir?: string;
  /** Skip rebuilding the bundles (apps/{galley,pilot,proxy}/dist/main.js). */
  noBuild?: boolean;
  log: (msg: string) => void;
}

export interface MemorySample {
  /** Seconds since the soak started (negative: before it). */
  t: number;
  rssMiB: number;
  /** Peak RSS of the process so far (VmHWM). */
  hwmMiB: number;
  heapUsedMiB?: number;
  heapTotalMiB?: number;
  externalMiB?: number;
}

export interface MemoryBenchResult {
  nodeOptions: string;
  services: number;
  seconds: number;
  config: { listeners: number; routes: number; clusters: number; endpoints: number; hosts: number };
  /** Seconds from the sidecar's start to its first complete config applied. */
  configSeconds: number;
  idle: MemorySample;
  samples: MemorySample[];
  end: MemorySample;
  traffic: TrafficCounts;
  /** Config pushes the sidecar applied during the soak (the churned DestinationRule). */
  pushes: number;
  /** CPU seconds the sidecar used during the soak (the same paced traffic for every run: compares heap flags). */
  soakCpuSeconds: number;
  /** Size of the sidecar's last /stats/prometheus answer (scraped every 15 s, as Istio's Prometheus does). */
  scrapeBytes: number;
}

export interface TrafficCounts {
  normal: number;
  localReplies: number;
  hostile: number;
  slowHeads: number;
  /** Responses by status code (0: no response, the connection was cut). */
  statuses: Record<string, number>;
}

const NS = 'bench';
const SIDECAR_NODE = `sidecar~127.0.0.1~sleep.${NS}~${NS}.svc.cluster.local`;
/** Services whose endpoints are real upstreams in this process. */
const LIVE = 4;
/** The service whose endpoints refuse connections (503 UF). */
const DEAD = LIVE;
/** The service with a VirtualService of local replies (direct responses, fault aborts, 404 no route). */
const REPLIES = LIVE + 1;
const MiB = 2 ** 20;

const host = (i: number) => `svc-${i}.${NS}.svc.cluster.local`;

/** NODE_OPTIONS of the proxy image (ENV NODE_OPTIONS=... in deploy/images/proxy.Dockerfile). */
export function deployedNodeOptions(): string {
  const file = path.join(WORKSPACE_ROOT, 'deploy/images/proxy.Dockerfile');
  if (!existsSync(file)) return '';
  const m = /NODE_OPTIONS=("([^"]*)"|(\S+))/.exec(readFileSync(file, 'utf8'));
  return m ? (m[2] ?? m[3] ?? '') : '';
}

function destinationRule(i: number, policy: string): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: svc-${i}, namespace: ${NS} }
spec:
  host: ${host(i)}
  trafficPolicy: { loadBalancer: { simple: ROUND_ROBIN }${policy} }
  subsets:
    - { name: v1, labels: { version: v1 } }
    - { name: v2, labels: { version: v2 } }`;
}

/**
 * The last service's DestinationRule, in a file of its own that the soak
 * rewrites to make pilot push (SotW: every cluster again) while traffic flows.
 */
export function churnYaml(services: number, n: number): string {
  return destinationRule(services - 1, `, connectionPool: { tcp: { maxConnections: ${1000 + n} } }`) + '\n';
}

/** The generated mesh: ServiceEntry (2 endpoints: v1, v2) + DestinationRule (subsets v1, v2) per service (the last one's is churnYaml). */
export function benchMeshYaml(services: number, ports: { live: number[]; closed: number }): string {
  const docs: string[] = [];
  for (let i = 0; i < services; i++) {
    // Live services point at this process's upstreams; dead ones at a closed port; the rest are never
    // contacted (distinct 127.0.0.1 ports, so every endpoint is its own host).
    const p1 = i < LIVE ? ports.live[(2 * i) % ports.live.length] : i === DEAD ? ports.closed : 20_000 + ((2 * i) % 40_000);
    const p2 = i < LIVE ? ports.live[(2 * i + 1) % ports.live.length] : i === DEAD ? ports.closed : 20_001 + ((2 * i) % 40_000);
    docs.push(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: svc-${i}, namespace: ${NS} }
spec:
  hosts: [${host(i)}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: 80, name: http, protocol: HTTP }]
  endpoints:
    - { address: 127.0.0.1, ports: { http: ${p1} }, labels: { app: svc-${i}, version: v1 } }
    - { address: 127.0.0.1, ports: { http: ${p2} }, labels: { app: svc-${i}, version: v2 } }
${i === services - 1 ? '' : '---\n' + destinationRule(i, '')}`);
  }
  docs.push(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: replies, namespace: ${NS} }
spec:
  hosts: [${host(REPLIES)}]
  http:
    - match: [{ uri: { prefix: /direct } }]
      directResponse: { status: 404, body: { string: "nothing here\\n" } }
    - match: [{ uri: { prefix: /abort } }]
      fault: { abort: { httpStatus: 503, percentage: { value: 100 } } }
      route: [{ destination: { host: ${host(0)} } }]
    - match: [{ uri: { prefix: /v2 } }]
      route: [{ destination: { host: ${host(0)}, subset: v2 } }]`);
  return docs.join('\n---\n') + '\n';
}

function procStatus(pid: number): { rssMiB: number; hwmMiB: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(text)?.[1] ?? NaN);
  return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024 };
}

/** CPU seconds (user + system) a process has used (/proc/PID/stat, in USER_HZ = 100). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function get(port: number, pathname: string, timeoutMs = 5_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${pathname}: timed out`)));
    req.on('error', reject);
  });
}

/** Heap figures of a /stats/prometheus scrape (prom-client's process metrics), for a proxy without /memory. */
function promFigures(prom: string): Pick<MemorySample, 'heapUsedMiB' | 'heapTotalMiB' | 'externalMiB'> {
  const metric = (name: string) => {
    const m = new RegExp(`^${name} (\\S+)`, 'm').exec(prom);
    return m ? Number(m[1]) / MiB : undefined;
  };
  return { heapUsedMiB: metric('nodejs_heap_size_used_bytes'), heapTotalMiB: metric('nodejs_heap_size_total_bytes'), externalMiB: metric('nodejs_external_memory_bytes') };
}

/**
 * Samples the sidecar: RSS and peak from /proc, V8 figures from the admin
 * port's /memory (Envoy's endpoint; ours adds Node's memoryUsage). A proxy
 * without /memory gets its figures from the last Prometheus scrape instead,
 * so sampling never adds scrapes of its own.
 */
class Sampler {
  #noMemoryEndpoint = false;
  lastScrape = '';
  readonly pid: number;
  readonly adminPort: number;

  constructor(pid: number, adminPort: number) {
    this.pid = pid;
    this.adminPort = adminPort;
  }

  async sample(t: number): Promise<MemorySample> {
    const proc = procStatus(this.pid);
    if (!this.#noMemoryEndpoint) {
      try {
        const res = await get(this.adminPort, '/memory');
        if (res.status === 200) {
          const m = JSON.parse(res.body);
          return { t, ...proc, heapUsedMiB: m.node.heapUsed / MiB, heapTotalMiB: m.node.heapTotal / MiB, externalMiB: m.node.external / MiB };
        }
        this.#noMemoryEndpoint = true;
      } catch {
        return { t, ...proc };
      }
    }
    return { t, ...proc, ...promFigures(this.lastScrape) };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startUpstreams(count: number): Promise<{ ports: number[]; close(): Promise<void> }> {
  const servers: http.Server[] = [];
  return Promise.all(
    Array.from({ length: count }, () => {
      const server = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('hello from upstream\n');
        });
      });
      server.keepAliveTimeout = 30_000;
      servers.push(server);
      return new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
    }),
  ).then((ports) => ({
    ports,
    close: async () => {
      await Promise.all(servers.map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
    },
  }));
}

/**
 * Writes `data` on a fresh connection to the sidecar and reads until the peer
 * closes or `timeoutMs` passes; returns the status of the first response (0
 * when none came). `then` may write more or cut the connection.
 */
function raw(port: number, data: string | Buffer, options: { timeoutMs?: number; then?: (s: net.Socket) => void; endAfterFirst?: boolean } = {}): Promise<number> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let head = '';
    let status = 0;
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve(status);
    };
    const timer = setTimeout(done, options.timeoutMs ?? 5_000);
    s.on('connect', () => {
      s.write(data);
      options.then?.(s);
    });
    s.on('data', (d) => {
      if (status === 0) {
        head += d.toString('latin1');
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
        if (m) {
          status = Number(m[1]);
          if (options.endAfterFirst) done();
        }
      }
    });
    s.on('error', () => {});
    s.on('close', done);
  });
}

/** The hostile inputs, each one connection; the proxy must answer or close, and nothing may stick. */
function hostileCases(port: number): Array<() => Promise<number>> {
  const h = host(0);
  const req = (head: string) => () => raw(port, head, { timeoutMs: 2_000 });
  return [
    req('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n'),
    req('GET\r\n\r\n'),
    req('GET / HTTP/9.9\r\nHost: x\r\n\r\n'),
    req(`GET / HTTP/1.1\r\nHost: ${h}\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`),
    req(`GET / HTTP/1.1\r\nHost: ${h}\r\n${Array.from({ length: 500 }, (_, i) => `x-h${i}: ${'v'.repeat(100)}\r\n`).join('')}\r\n`),
    req(`POST / HTTP/1.1\r\nHost: ${h}\r\nContent-Length: abc\r\n\r\n`),
    req(`POST / HTTP/1.1\r\nHost: ${h}\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello`),
    req(`POST / HTTP/1.1\r\nHost: ${h}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`),
    req(`POST / HTTP/1.1\r\nHost: ${h}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`),
    req(`GET / HTTP/1.1\r\nHost: ${h}\r\nBad Header: x\r\n\r\n`),
    req(`GET / HTTP/1.1\r\n\r\n`),
    req(`GET /\x01 HTTP/1.1\r\nHost: ${h}\r\n\r\n`),
    // Unknown authority: the allow_any route sends it to the PassthroughCluster, which dials it (a closed local port).
    req(`GET / HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n`),
    // A body promised and never sent in full, then the connection cut.
    () => raw(port, `POST / HTTP/1.1\r\nHost: ${h}\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(1000)}`, { then: (s) => setTimeout(() => s.destroy(), 50), timeoutMs: 1_000 }),
    // Half a head, then reset.
    () => raw(port, `GET / HTTP/1.1\r\nHost: ${h}\r\nX-A: `, { then: (s) => setTimeout(() => s.resetAndDestroy(), 20), timeoutMs: 1_000 }),
    // 50 pipelined requests in one write, the connection cut before reading them all.
    () => raw(port, `GET / HTTP/1.1\r\nHost: ${h}\r\n\r\n`.repeat(50), { endAfterFirst: true }),
    // A chunked upload to a live upstream.
    req(`POST / HTTP/1.1\r\nHost: ${h}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${'400\r\n' + 'y'.repeat(1024) + '\r\n'}${'0\r\n\r\n'}`),
  ];
}

/** Local replies: no route (404 NR), direct responses, fault aborts, connect failures (503 UF), each on its own connection. */
function localReplyCases(port: number): Array<() => Promise<number>> {
  const r = host(REPLIES);
  const close = 'Connection: close\r\n';
  return [
    () => raw(port, `GET /nowhere HTTP/1.1\r\nHost: ${r}\r\n${close}\r\n`),
    () => raw(port, `GET /direct HTTP/1.1\r\nHost: ${r}\r\n${close}\r\n`),
    () => raw(port, `GET /abort HTTP/1.1\r\nHost: ${r}\r\n${close}\r\n`),
    () => raw(port, `GET / HTTP/1.1\r\nHost: ${host(DEAD)}\r\n${close}\r\n`),
  ];
}

/** Runs the soak until `deadline`; every loop checks it and stops by itself. */
async function soak(port: number, deadline: number, rps: number): Promise<TrafficCounts> {
  const counts: TrafficCounts = { normal: 0, localReplies: 0, hostile: 0, slowHeads: 0, statuses: {} };
  const count = (status: number) => (counts.statuses[status] = (counts.statuses[status] ?? 0) + 1);
  const live = () => Date.now() < deadline;

  // Normal traffic: keep-alive GETs (and some small POSTs) to the live services, paced at `rps`.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const normal = (async () => {
    const inFlight = new Set<Promise<void>>();
    const interval = 1000 / rps;
    let next = Date.now();
    for (let i = 0; live(); i++) {
      const svc = i % LIVE;
      const p = new Promise<void>((resolve) => {
        const post = i % 10 === 0;
        const req = http.request(
          { host: '127.0.0.1', port, method: post ? 'POST' : 'GET', path: `/item/${i % 100}`, agent, headers: { host: `${host(svc)}${i % 2 ? ':80' : ''}` }, timeout: 10_000 },
          (res) => {
            count(res.statusCode ?? 0);
            res.resume();
            res.on('end', resolve);
            res.on('error', () => resolve());
          },
        );
        req.on('timeout', () => req.destroy());
        req.on('error', () => (count(0), resolve()));
        req.end(post ? 'x'.repeat(2048) : undefined);
      });
      counts.normal++;
      inFlight.add(p);
      void p.then(() => inFlight.delete(p));
      if (inFlight.size >= 64) await Promise.race(inFlight);
      next += interval;
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
      else if (wait < -1000) next = Date.now();
    }
    await Promise.all(inFlight);
    agent.destroy();
  })();

  // Every 5 s a flood of 400 local replies at once (the issue's gateway figure), each on its own connection.
  const floods = (async () => {
    const cases = localReplyCases(port);
    while (live()) {
      const statuses = await Promise.all(Array.from({ length: 400 }, (_, i) => cases[i % cases.length]()));
      statuses.forEach(count);
      counts.localReplies += statuses.length;
      await sleep(Math.min(5_000, Math.max(0, deadline - Date.now())));
    }
  })();

  // Hostile inputs: the whole catalogue, 8 connections at a time, every second.
  const hostile = (async () => {
    const cases = hostileCases(port);
    while (live()) {
      for (let i = 0; i < cases.length && live(); i += 8) {
        const statuses = await Promise.all(cases.slice(i, i + 8).map((c) => c()));
        statuses.forEach(count);
        counts.hostile += statuses.length;
      }
      await sleep(1_000);
    }
  })();

  // Slow heads: 32 connections each dribbling a request head a few bytes every 200 ms (~5 s a head), replaced as they finish.
  const slow = (async () => {
    const one = async () => {
      const head = Buffer.from(`GET /slow HTTP/1.1\r\nHost: ${host(0)}\r\nUser-Agent: slowloris\r\nConnection: close\r\n\r\n`);
      const status = await raw(port, head.subarray(0, 1), {
        timeoutMs: 30_000,
        then: (s) => {
          let off = 1;
          const t = setInterval(() => {
            if (s.destroyed || off >= head.length || !live()) return clearInterval(t);
            s.write(head.subarray(off, off + 3));
            off += 3;
          }, 200);
        },
      });
      count(status);
      counts.slowHeads++;
    };
    const workers = Array.from({ length: 32 }, async () => {
      while (live()) await one();
    });
    await Promise.all(workers);
  })();

  await Promise.all([normal, floods, hostile, slow]);
  return counts;
}

function build(log: (msg: string) => void): void {
  for (const app of ['galley', 'pilot', 'proxy']) {
    log(`building apps/${app}/dist/main.js`);
    const res = spawnSync(process.execPath, ['../../tools/build-app.mjs'], { cwd: path.join(WORKSPACE_ROOT, 'apps', app), stdio: ['ignore', 'ignore', 'inherit'] });
    if (res.status !== 0) throw new Error(`building ${app} failed`);
  }
}

interface ControlPlane {
  xds: number;
  pilotMonitoring: number;
  /** Rewrites the churned DestinationRule (a config change pilot pushes to the sidecar). */
  churn(n: number): void;
  stop(): Promise<void>;
}

/** nats-server, galley watching a temp directory with the generated mesh, and pilot, from their bundles. */
async function startControlPlane(services: number, upstreamPorts: number[], log: (msg: string) => void): Promise<ControlPlane> {
  const configDir = mkdtempSync(path.join(tmpdir(), 'bench-memory-config-'));
  const processes: ManagedProcess[] = [];
  let nats: NatsServer | undefined;
  const stop = async () => {
    for (const p of processes.reverse()) await p.stop();
    await nats?.stop();
    rmSync(configDir, { recursive: true, force: true });
  };
  try {
    writeFileSync(path.join(configDir, 'mesh.yaml'), benchMeshYaml(services, { live: upstreamPorts, closed: await freePort() }));
    writeFileSync(path.join(configDir, 'churn.yaml'), churnYaml(services, 0));
    log(`generated ${services} services (ServiceEntry with 2 endpoints + DestinationRule with 2 subsets each)`);
    nats = await startNats();
    const env = { NATS_URL: nats.url, LOG_LEVEL: 'warn' };
    const [galleyMon, pilotMon, xds] = [await freePort(), await freePort(), await freePort()];
    log('starting galley and pilot (bundles)');
    const galley = startProcess('galley', 'apps/galley/dist/main.js', ['--config-dir', configDir, '--monitoring-port', String(galleyMon)], { env });
    processes.push(galley);
    const pilot = startProcess('pilot', 'apps/pilot/dist/main.js', ['--xds-port', String(xds), '--monitoring-port', String(pilotMon)], { env });
    processes.push(pilot);
    await Promise.all([ready(galley, galleyMon, '/ready'), ready(pilot, pilotMon, '/ready')]);
    return { xds, pilotMonitoring: pilotMon, stop, churn: (n) => writeFileSync(path.join(configDir, 'churn.yaml'), churnYaml(services, n)) };
  } catch (err) {
    await stop();
    throw err;
  }
}

function ready(p: ManagedProcess, port: number, pathname: string, timeoutMs = 60_000): Promise<unknown> {
  return Promise.race([
    waitFor(`${p.name} at :${port}${pathname}`, () => get(port, pathname, 1_000).then((r) => r.status === 200).catch(() => false), { timeoutMs, intervalMs: 200 }),
    p.exited.then((code) => {
      throw new Error(`${p.name} exited with ${code}:\n${p.output().split('\n').slice(-15).join('\n')}`);
    }),
  ]);
}

/** One sidecar with these NODE_OPTIONS: config ACKed, idle, soak, end. */
async function measureSidecar(cp: ControlPlane, nodeOptions: string, options: MemoryBenchOptions): Promise<MemoryBenchResult> {
  const { log, services } = options;
  const [outbound, adminPort, statusPort, statsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  if (options.snapshotDir) mkdirSync(options.snapshotDir, { recursive: true });
  const sidecarNodeOptions = [nodeOptions, options.snapshotDir ? '--heapsnapshot-signal=SIGUSR2' : ''].filter(Boolean).join(' ');
  log(`starting the sidecar (NODE_OPTIONS=${JSON.stringify(sidecarNodeOptions)})`);
  const started = Date.now();
  const sidecar = startProcess(
    'sidecar',
    'apps/proxy/dist/main.js',
    ['--mode', 'sidecar', '--pilot', `127.0.0.1:${cp.xds}`, '--node-id', SIDECAR_NODE, '--labels', 'app=sleep', '--outbound-port', String(outbound), '--admin-port', String(adminPort), '--status-port', String(statusPort), '--stats-port', String(statsPort), '--agent-port', '0'],
    { env: { NODE_OPTIONS: sidecarNodeOptions, LOG_LEVEL: 'info' }, cwd: options.snapshotDir },
  );
  // Istio's Prometheus scrapes the sidecar every 15 s; the scraper below stops when this turns false.
  let scraping = false;
  void sidecar.exited.then(() => (scraping = false));
  try {
    const pid = sidecar.child.pid!;
    // The full config applied, and pilot's record that the sidecar ACKed every type's last push.
    const applied = await Promise.race([
      sidecar.waitForLine((l) => l.msg === 'config applied' && Number(l.clusters) >= services * 3 + 2 && Number(l.endpoints) >= services * 3, 180_000),
      sidecar.exited.then((code) => {
        throw new Error(`the sidecar exited with ${code}:\n${sidecar.output().split('\n').slice(-15).join('\n')}`);
      }),
    ]);
    const configSeconds = (Date.now() - started) / 1000;
    await waitFor(
      "pilot's record of the sidecar's ACKs (/debug/syncz)",
      async () => {
        const streams = JSON.parse((await get(cp.pilotMonitoring, '/debug/syncz')).body) as Array<{ proxy: string; types: Record<string, { sentNonce?: string; ackedNonce?: string }> }>;
        const s = streams.find((x) => x.proxy === SIDECAR_NODE);
        return s && ['LDS', 'CDS', 'RDS', 'EDS'].every((t) => s.types[t]?.sentNonce && s.types[t].sentNonce === s.types[t].ackedNonce);
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    await ready(sidecar, statusPort, '/healthz/ready');
    const hosts = (await get(adminPort, '/clusters')).body.split('\n').filter((l) => l.includes('::health_flags::')).length;
    const config = { listeners: Number(applied.listeners), routes: Number(applied.routes), clusters: Number(applied.clusters), endpoints: Number(applied.endpoints), hosts };
    log(`config ACKed ${configSeconds.toFixed(1)} s after start: ${JSON.stringify(config)}`);
    for (let i = 0; i < LIVE; i++) {
      await waitFor(`a 200 from ${host(i)} through the sidecar`, () => raw(outbound, `GET / HTTP/1.1\r\nHost: ${host(i)}\r\nConnection: close\r\n\r\n`).then((s) => s === 200), { timeoutMs: 15_000, intervalMs: 200 });
    }

    // Idle: the startup garbage goes when V8 decides (nothing is forced).
    log(`idle for ${options.idleSeconds} s`);
    const sampler = new Sampler(pid, adminPort);
    // Istio's Prometheus scrapes every sidecar's merged metrics every 15 s: so does the bench, idle and soak.
    const scrape = async () => {
      sampler.lastScrape = (await get(statsPort, '/stats/prometheus', 10_000).catch(() => ({ body: '' }))).body;
      return sampler.lastScrape.length;
    };
    scraping = true;
    let scrapeBytes = await scrape();
    const scraper = (async () => {
      for (let next = Date.now() + 15_000; scraping; next += 15_000) {
        while (scraping && Date.now() < next) await sleep(Math.min(250, next - Date.now()));
        if (scraping) scrapeBytes = await scrape();
      }
    })();
    await sleep(options.idleSeconds * 1000);
    const idle = await sampler.sample(0);
    log(`idle: RSS ${f1(idle.rssMiB)} MiB, heap used ${f1(idle.heapUsedMiB)} of ${f1(idle.heapTotalMiB)} MiB`);
    const snapshot = async (label: string) => {
      if (!options.snapshotDir) return;
      const before = new Set(readdirSync(options.snapshotDir));
      process.kill(pid, 'SIGUSR2');
      const file = await waitFor(`heap snapshot (${label})`, () => readdirSync(options.snapshotDir!).find((f) => !before.has(f) && f.endsWith('.heapsnapshot')), { timeoutMs: 60_000, intervalMs: 250 });
      await sleep(2_000);
      log(`heap snapshot (${label}): ${path.join(options.snapshotDir, file)}`);
    };
    await snapshot('idle');

    log(`soak: ${options.seconds} s of mixed normal and hostile traffic${options.pushSeconds > 0 ? `, a config push every ${options.pushSeconds} s` : ""}, sampled every ${options.sampleSeconds} s`);
    const soakStart = Date.now();
    const cpuBefore = cpuSeconds(pid);
    const deadline = soakStart + options.seconds * 1000;
    const samples: MemorySample[] = [];
    const sampling = (async () => {
      while (Date.now() < deadline) {
        await sleep(Math.min(options.sampleSeconds * 1000, Math.max(0, deadline - Date.now())));
        const s = await sampler.sample((Date.now() - soakStart) / 1000);
        samples.push(s);
        log(`t=${s.t.toFixed(0)}s RSS ${f1(s.rssMiB)} MiB heap ${f1(s.heapUsedMiB)}/${f1(s.heapTotalMiB)} MiB`);
      }
    })();
    const appliedBefore = sidecar.lines.filter((l) => l.msg === 'config applied').length;
    const churning = (async () => {
      if (!(options.pushSeconds > 0)) return;
      for (let n = 1; ; n++) {
        const next = soakStart + n * options.pushSeconds * 1000;
        if (next >= deadline - 1_000) return;
        await sleep(next - Date.now());
        cp.churn(n);
      }
    })();
    const traffic = await soak(outbound, deadline, options.rps);
    await churning;
    const soakCpuSeconds = cpuSeconds(pid) - cpuBefore;
    await sampling;
    // The end figure: traffic stopped, connections closed, a short pause.
    await sleep(5_000);
    const end = await sampler.sample((Date.now() - soakStart) / 1000);
    const pushes = sidecar.lines.filter((l) => l.msg === 'config applied').length - appliedBefore;
    scraping = false;
    await scraper;
    log(`end: RSS ${f1(end.rssMiB)} MiB (peak ${f1(end.hwmMiB)}), heap used ${f1(end.heapUsedMiB)} MiB; last scrape ${scrapeBytes} bytes; traffic ${JSON.stringify(traffic)}`);
    await snapshot('end');
    if (sidecar.child.exitCode !== null) throw new Error(`the sidecar died during the soak:\n${sidecar.output()}`);
    return { nodeOptions, services, seconds: options.seconds, config, configSeconds, idle, samples, end, traffic, scrapeBytes, soakCpuSeconds, pushes };
  } finally {
    scraping = false;
    await sidecar.stop();
  }
}

/** Runs the control plane once and one sidecar per entry of `nodeOptions` (one after the other). */
export async function benchMemory(options: MemoryBenchOptions): Promise<MemoryBenchResult[]> {
  const { log, services } = options;
  if (services < REPLIES + 1) throw new Error(`--services must be at least ${REPLIES + 1}`);
  if (!options.noBuild) build(log);
  const variants = options.nodeOptions?.length ? options.nodeOptions : [deployedNodeOptions()];
  const upstreams = await startUpstreams(LIVE * 2);
  try {
    const cp = await startControlPlane(services, upstreams.ports, log);
    try {
      const results: MemoryBenchResult[] = [];
      for (const v of variants) results.push(await measureSidecar(cp, v, options));
      return results;
    } finally {
      await cp.stop();
    }
  } finally {
    await upstreams.close();
  }
}

const f1 = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(1));

export function formatMemoryRows(results: MemoryBenchResult[]): string {
  const head =
    '| sidecar NODE_OPTIONS | config | idle RSS | max RSS (soak) | RSS at end | peak RSS (VmHWM) | heap used idle → end | heap total end | sidecar CPU in soak | requests (normal / local replies / hostile / slow heads) |\n' +
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|';
  const rows = results.map((r) => {
    const max = Math.max(...r.samples.map((s) => s.rssMiB), r.end.rssMiB);
    const t = r.traffic;
    return `| ${r.nodeOptions ? '`' + r.nodeOptions + '`' : '(none)'} | ${r.config.clusters} clusters, ${r.config.endpoints} CLAs, ${r.config.hosts} hosts | ${f1(r.idle.rssMiB)} MiB | ${f1(max)} MiB | ${f1(r.end.rssMiB)} MiB | ${f1(r.end.hwmMiB)} MiB | ${f1(r.idle.heapUsedMiB)} → ${f1(r.end.heapUsedMiB)} MiB | ${f1(r.end.heapTotalMiB)} MiB | ${r.soakCpuSeconds.toFixed(1)} s | ${t.normal} / ${t.localReplies} / ${t.hostile} / ${t.slowHeads} |`;
  });
  return [head, ...rows].join('\n');
}

export function formatMemorySamples(r: MemoryBenchResult): string {
  const statuses = Object.entries(r.traffic.statuses)
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map(([code, n]) => `${code === '0' ? 'cut' : code}: ${n}`)
    .join(', ');
  return [
    `RSS every ${r.samples.length > 1 ? Math.round(r.samples[1].t - r.samples[0].t) : '?'} s (MiB): ${r.samples.map((s) => s.rssMiB.toFixed(0)).join(' ')}`,
    `heap used (MiB): ${r.samples.map((s) => f1(s.heapUsedMiB)).join(' ')}`,
    `responses: ${statuses}`,
    `config complete ${r.configSeconds.toFixed(1)} s after the sidecar started; /stats/prometheus (scraped every 15 s) ${(r.scrapeBytes / 1024).toFixed(0)} KiB; ${r.pushes} config pushes applied during the soak`,
  ].join('\n\n');
}
