// Mutual TLS between sidecars vs plaintext between the same sidecars vs
// direct (issue #9), in one run, on the setup of tools/bench/sidecars.ts:
//
//   client → client sidecar (egress listener) → server sidecar (ingress listener) → upstream (nginx)
//
// The server's WorkloadEntry is labelled security.istio.io/tlsMode: istio, so
// pilot's auto mTLS sends mutual TLS to it (Istio's ISTIO_MUTUAL context, the
// certificates citadel issued to each sidecar), and the server sidecar accepts
// both (PERMISSIVE, the default). The same workload is registered under four
// names, so one client sidecar and one server sidecar carry every variant and
// only the client's cluster config differs:
//   upstream-mtls       auto mTLS, keep-alive pool
//   upstream-plain      DestinationRule tls DISABLE, keep-alive pool
//   upstream-mtls-new   auto mTLS, maxRequestsPerConnection 1: a new mTLS handshake per request
//   upstream-plain-new  tls DISABLE, maxRequestsPerConnection 1: a new TCP connection per request
//
// Measured:
//  1. throughput: wrk -t1 -c32 (closed loop), both sidecars pinned to core 0
//     and wrk, nginx and the control plane to core 1; requests per second of
//     sidecar CPU (utime + stime of both, /proc/PID/stat) is the per-core figure;
//  2. latency at a fixed 1,000 req/s, open loop (open-loop.ts): direct,
//     plaintext and mTLS alternating, several rounds;
//  3. handshakes per second: wrk -c32 on the *-new names, every request a new
//     sidecar-to-sidecar connection; the server sidecar's listener
//     ssl.handshake and downstream_cx_total counters say how many it took;
//     The floor under it: tools/bench/tls-handshakes.ts, node:tls alone;
//  4. memory per connection: the bench itself holds N idle keep-alive
//     connections to the server sidecar's inbound port (one request answered
//     on each), plaintext, and mutual TLS presenting a client certificate
//     signed by citadel's CA (made with openssl from citadel's state
//     directory, shaped like a sidecar's: SPIFFE URI SAN, P-256, the ALPN an
//     HTTP/1.1 pool offers); the server sidecar's RSS (and V8 heap + external,
//     its /memory) before and after, divided by N, each variant on a freshly
//     started server sidecar (same arguments as the launcher's).
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import type { LocalMesh } from '@mesh/local-mesh';
import { freePort, startProcess, waitFor } from '@mesh/testing';
import { deployedNodeOptions } from './memory.ts';
import { startUpstream, type Nginx } from './nginx.ts';
import type { OpenLoopResult } from './open-loop.ts';
import { build, coreTicks, cpuSeconds, loadavg, openLoopPinned, pin, requestsTotal, startSidecarPair, statusOf, type CoreLoad } from './sidecars.ts';
import { wrk, type WrkResult } from './wrk.ts';

const run = promisify(execFile);
const SIDECAR_CPU = 0;
const LOAD_CPU = 1;
const CLIENT = 'client';
const SERVER = 'upstream-v1';
const TRUST_DOMAIN = 'cluster.local';
const host = (name: string) => `${name}.default.svc.cluster.local`;

export interface MtlsBenchOptions {
  seconds: number;
  connections: number;
  rate: number;
  rounds: number;
  /** Idle connections held per variant for the memory figure. */
  idleConnections: number;
  nodeOptions?: string;
  noBuild?: boolean;
  log: (msg: string) => void;
}

/** What the two sidecars did during one measurement. */
export interface SidecarWork {
  clientCpu: number;
  serverCpu: number;
  /** istio_requests_total the server sidecar counted. */
  serverRequests: number;
  /** The server sidecar's inbound listener counters: TLS handshakes completed and connections accepted. */
  serverHandshakes: number;
  serverConnections: number;
  wallSeconds: number;
}

export type Variant = 'direct' | 'plaintext' | 'mtls';

export interface MtlsThroughputRow extends WrkResult {
  variant: Variant;
  target: string;
  work?: SidecarWork;
  cores: CoreLoad;
}

export interface MtlsLatencyRow {
  variant: Variant;
  target: string;
  round: number;
  result: OpenLoopResult;
  work?: SidecarWork;
  cores: CoreLoad;
}

export interface HandshakeRow extends WrkResult {
  variant: 'plaintext' | 'mtls';
  target: string;
  work: SidecarWork;
}

export interface MemoryRow {
  round: number;
  variant: 'plaintext' | 'mtls';
  /** Connections the bench held open (each answered one request) and the server sidecar's active inbound connections then. */
  held: number;
  serverActive: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  /** V8 heap used + external (Buffers, TLS state Node accounts) before and after, MiB. */
  jsBeforeMiB: number;
  jsAfterMiB: number;
}

/** tools/bench/tls-handshakes.ts: node:tls alone. */
export interface TlsHandshakeReference {
  handshakes: number;
  seconds: number;
  perSecond: number;
  /** Process CPU (both ends) per handshake. */
  cpuMsPerHandshake: number;
  protocol: string;
}

export interface MtlsBenchResult {
  nodeOptions: string;
  seconds: number;
  connections: number;
  rate: number;
  rounds: number;
  idleConnections: number;
  throughput: MtlsThroughputRow[];
  latency: MtlsLatencyRow[];
  handshakes: HandshakeRow[];
  memory: MemoryRow[];
  tlsReference?: TlsHandshakeReference;
  loadBefore: string;
  loadAfter: string;
}

export function mtlsMeshYaml(ports: { upstream: number; ingress: number; egress: number }): string {
  const service = (name: string) => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ${name}, namespace: default }
spec:
  hosts: [${host(name)}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: 80, name: http, protocol: HTTP }]
  workloadSelector: { labels: { app: upstream } }
`;
  const rule = (name: string, policy: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ${name}, namespace: default }
spec:
  host: ${host(name)}
  trafficPolicy: ${policy}
`;
  return [
    '# written by tools/bench/mtls.ts',
    service('upstream-mtls'),
    service('upstream-plain'),
    service('upstream-mtls-new'),
    service('upstream-plain-new'),
    rule('upstream-plain', '{ tls: { mode: DISABLE } }'),
    rule('upstream-mtls-new', '{ connectionPool: { http: { maxRequestsPerConnection: 1 } } }'),
    rule('upstream-plain-new', '{ tls: { mode: DISABLE }, connectionPool: { http: { maxRequestsPerConnection: 1 } } }'),
    `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: { name: ${SERVER}, namespace: default }
spec:
  address: 127.0.0.1
  ports: { http: ${ports.ingress} } # the server sidecar's ingress listener
  serviceAccount: upstream
  labels: { app: upstream, version: v1, security.istio.io/tlsMode: istio }
`,
    `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: ${SERVER}, namespace: default }
spec:
  workloadSelector: { labels: { app: upstream, version: v1 } }
  ingress:
    - port: { number: ${ports.ingress}, protocol: HTTP, name: http }
      defaultEndpoint: 127.0.0.1:${ports.upstream} # the application (nginx)
      captureMode: NONE
`,
    `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: ${CLIENT}, namespace: default }
spec:
  workloadSelector: { labels: { app: client } }
  egress:
    - port: { number: ${ports.egress}, protocol: HTTP, name: http-egress }
      bind: 127.0.0.1
      captureMode: NONE
      hosts: ["./*"]
`,
  ].join('---\n');
}

/** Sum of the listener counters of /stats (text) whose name ends with `suffix` (the HCM's http.* repeat some of them). */
async function statSum(adminPort: number, suffix: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/stats`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const at = line.lastIndexOf(': ');
    if (at > 0 && line.startsWith('listener.') && line.slice(0, at).endsWith(suffix)) sum += Number(line.slice(at + 2));
  }
  return sum;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function jsMemoryMiB(adminPort: number): Promise<number> {
  const m = (await (await fetch(`http://127.0.0.1:${adminPort}/memory`)).json()) as { node: { heapUsed: number; external: number } };
  return (m.node.heapUsed + m.node.external) / 2 ** 20;
}

/** A client certificate for spiffe://cluster.local/ns/default/sa/bench-client, signed by citadel's signing CA (its state directory). */
function clientCertificate(citadelDir: string, workDir: string): { cert: string; key: string; ca: string } {
  const f = (name: string) => path.join(workDir, name);
  writeFileSync(f('ext.cnf'), `subjectAltName = URI:spiffe://${TRUST_DOMAIN}/ns/default/sa/bench-client\nkeyUsage = critical, digitalSignature, keyEncipherment\nextendedKeyUsage = serverAuth, clientAuth\nbasicConstraints = critical, CA:FALSE\n`);
  const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('key.pem'), '-subj', `/O=${TRUST_DOMAIN}`, '-out', f('csr.pem')]);
  openssl(['x509', '-req', '-in', f('csr.pem'), '-CA', path.join(citadelDir, 'ca-cert.pem'), '-CAkey', path.join(citadelDir, 'ca-key.pem'), '-set_serial', '0x' + Date.now().toString(16), '-days', '1', '-extfile', f('ext.cnf'), '-out', f('cert.pem')]);
  return { cert: readFileSync(f('cert.pem'), 'utf8'), key: readFileSync(f('key.pem'), 'utf8'), ca: readFileSync(path.join(citadelDir, 'root-cert.pem'), 'utf8') };
}

/** One connection to the server sidecar's inbound port, one request answered on it, then left open and idle. */
function idleConnection(port: number, requestHost: string, tlsOptions?: tls.ConnectionOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket: net.Socket = tlsOptions ? tls.connect({ ...tlsOptions, host: '127.0.0.1', port }) : net.connect(port, '127.0.0.1');
    let got = '';
    const fail = (err: Error) => (socket.destroy(), reject(err));
    socket.setTimeout(10_000, () => fail(new Error('timeout')));
    socket.once('error', fail);
    socket.once(tlsOptions ? 'secureConnect' : 'connect', () => socket.write(`GET / HTTP/1.1\r\nHost: ${requestHost}\r\n\r\n`));
    socket.on('data', function onData(chunk: Buffer) {
      got += chunk.toString('latin1');
      const head = got.indexOf('\r\n\r\n');
      const length = /content-length:\s*(\d+)/i.exec(got);
      if (head < 0 || !length || got.length < head + 4 + Number(length[1])) return;
      socket.off('data', onData);
      socket.setTimeout(0);
      if (!got.startsWith('HTTP/1.1 200')) return fail(new Error(`unexpected answer: ${got.split('\r\n')[0]}`));
      resolve(socket);
    });
    socket.once('end', () => fail(new Error(`closed by the server after ${JSON.stringify(got.slice(0, 80))}`)));
  });
}

async function holdConnections(n: number, open: () => Promise<net.Socket>): Promise<net.Socket[]> {
  const held: net.Socket[] = [];
  for (let i = 0; i < n; i += 50) held.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, open))));
  return held;
}

export async function benchMtls(options: MtlsBenchOptions): Promise<MtlsBenchResult> {
  const { seconds, connections, rate, log } = options;
  const loadBefore = loadavg();
  if (!options.noBuild) build(log);
  const nodeOptions = options.nodeOptions ?? deployedNodeOptions();
  const result: MtlsBenchResult = { nodeOptions, seconds, connections, rate, rounds: options.rounds, idleConnections: options.idleConnections, throughput: [], latency: [], handshakes: [], memory: [], loadBefore, loadAfter: '' };
  let mesh: LocalMesh | undefined;
  let upstream: Nginx | undefined;
  const configDir = mkdtempSync(path.join(tmpdir(), 'bench-mtls-config-'));
  const stateDir = mkdtempSync(path.join(tmpdir(), 'bench-mtls-state-'));
  const held: net.Socket[] = [];
  try {
    const upstreamPort = await freePort();
    upstream = await startUpstream(LOAD_CPU, upstreamPort);
    const [ingress, egress] = [await freePort(), await freePort()];
    writeFileSync(path.join(configDir, 'mtls.yaml'), mtlsMeshYaml({ upstream: upstreamPort, ingress, egress }));
    mesh = await startSidecarPair({ configDir, stateDir, nodeOptions, ingress, egress, serverServiceAccount: 'upstream', log });
    const m = mesh;
    const clientSidecar = m.processes.get(`${CLIENT}-sidecar`)!;
    const serverSidecar = m.processes.get(`${SERVER}-sidecar`)!;
    const pids = { client: clientSidecar.child.pid!, server: serverSidecar.child.pid! };
    const server = m.workloads.get(SERVER)!.sidecar;

    const via = (name: string) => ({ url: `http://127.0.0.1:${egress}/`, headers: { Host: host(name) } });
    const targets = {
      direct: { variant: 'direct' as const, target: 'direct to upstream', url: `http://127.0.0.1:${upstreamPort}/`, headers: undefined as Record<string, string> | undefined },
      plaintext: { variant: 'plaintext' as const, target: 'two sidecars, plaintext (DestinationRule tls DISABLE)', ...via('upstream-plain') },
      mtls: { variant: 'mtls' as const, target: 'two sidecars, mutual TLS (auto mTLS)', ...via('upstream-mtls') },
    };
    const fresh = {
      plaintext: { variant: 'plaintext' as const, target: 'two sidecars, plaintext, a new connection per request', ...via('upstream-plain-new') },
      mtls: { variant: 'mtls' as const, target: 'two sidecars, mutual TLS, a new connection (a TLS handshake, resumed when the client holds a session) per request', ...via('upstream-mtls-new') },
    };
    for (const t of [targets.plaintext, targets.mtls, fresh.plaintext, fresh.mtls]) {
      await waitFor(`a 200 from ${t.headers.Host} through both sidecars`, () => statusOf(t.url, t.headers).then((s) => s === 200).catch(() => false), { timeoutMs: 30_000, intervalMs: 100 });
    }
    // The mTLS names really are mutual TLS and the plaintext ones are not: the server's handshake counter says so.
    for (const [t, tlsExpected] of [[targets.plaintext, false], [targets.mtls, true]] as const) {
      const before = await statSum(server.admin, 'ssl.handshake');
      // A fresh client connection to the client sidecar does not force a new upstream one; the *-new names do.
      const name = t === targets.mtls ? fresh.mtls : fresh.plaintext;
      for (let i = 0; i < 5; i++) await statusOf(name.url, name.headers);
      const grew = (await statSum(server.admin, 'ssl.handshake')) - before;
      if (tlsExpected ? grew < 5 : grew !== 0) throw new Error(`${name.headers.Host}: the server sidecar completed ${grew} TLS handshakes for 5 new connections; the mesh is not set up as this bench assumes`);
    }

    const measured = async <T>(withSidecars: boolean, measure: () => Promise<T>): Promise<{ value: T; work?: SidecarWork; cores: CoreLoad }> => {
      const counters = async () =>
        withSidecars ? { req: await requestsTotal(server.stats), hs: await statSum(server.admin, 'ssl.handshake'), cx: await statSum(server.admin, 'downstream_cx_total') } : { req: 0, hs: 0, cx: 0 };
      const k0 = await counters();
      const [c0, s0, ticks0, t0] = [cpuSeconds(pids.client), cpuSeconds(pids.server), coreTicks(), performance.now()];
      const value = await measure();
      const [c1, s1, ticks1, t1] = [cpuSeconds(pids.client), cpuSeconds(pids.server), coreTicks(), performance.now()];
      const k1 = await counters();
      const wall = (t1 - t0) / 1000;
      const busy = (core: number) => (ticks1[core] - ticks0[core]) / 100;
      const sidecars = c1 - c0 + (s1 - s0);
      const cores = { core0: (100 * busy(SIDECAR_CPU)) / wall, core1: (100 * busy(LOAD_CPU)) / wall, core0Others: (100 * Math.max(0, busy(SIDECAR_CPU) - sidecars)) / wall, sidecars: (100 * sidecars) / wall };
      if (!withSidecars) return { value, cores };
      return { value, cores, work: { clientCpu: c1 - c0, serverCpu: s1 - s0, serverRequests: k1.req - k0.req, serverHandshakes: k1.hs - k0.hs, serverConnections: k1.cx - k0.cx, wallSeconds: wall } };
    };
    const warn = (target: string, r: { non2xx: number; errors: number }) => {
      if (r.non2xx > 0 || r.errors > 0) log(`WARNING: ${target}: ${r.non2xx} non-2xx, ${r.errors} errors; the figures are not clean`);
    };

    // 1. Throughput, closed loop, keep-alive everywhere.
    for (const t of [targets.direct, targets.plaintext, targets.mtls]) {
      log(`warming up: ${t.target}`);
      await wrk(t.url, { cpu: LOAD_CPU, connections, seconds: 2, headers: t.headers });
      log(`measuring throughput: ${t.target} (wrk -c${connections}, ${seconds} s)`);
      const { value: r, work, cores } = await measured(t !== targets.direct, () => wrk(t.url, { cpu: LOAD_CPU, connections, seconds, headers: t.headers }));
      warn(t.target, r);
      result.throughput.push({ variant: t.variant, target: t.target, ...r, cores, ...(work ? { work } : {}) });
    }

    // 2. Latency at a fixed rate, open loop, the three alternating.
    for (let round = 1; round <= options.rounds; round++) {
      for (const t of [targets.direct, targets.plaintext, targets.mtls]) {
        log(`measuring latency, round ${round}/${options.rounds}: ${t.target} (open loop, ${rate} req/s, ${seconds} s after a 2 s warm-up)`);
        const { value: r, work, cores } = await measured(t !== targets.direct, () => openLoopPinned(t.url, { rate, seconds, warmupSeconds: 2, headers: t.headers }));
        warn(t.target, r);
        log(`${t.target}: p50 ${f2(r.latency.p50)} p99 ${f2(r.latency.p99)} ms`);
        result.latency.push({ variant: t.variant, target: t.target, round, result: r, cores, ...(work ? { work } : {}) });
      }
    }

    // 3. A new sidecar-to-sidecar connection per request: handshakes per second.
    for (const t of [fresh.plaintext, fresh.mtls]) {
      log(`warming up: ${t.target}`);
      await wrk(t.url, { cpu: LOAD_CPU, connections, seconds: 2, headers: t.headers });
      log(`measuring new connections: ${t.target} (wrk -c${connections}, ${seconds} s)`);
      const { value: r, work } = await measured(true, () => wrk(t.url, { cpu: LOAD_CPU, connections, seconds, headers: t.headers }));
      warn(t.target, r);
      result.handshakes.push({ variant: t.variant, target: t.target, ...r, work: work! });
    }

    for (const [name, p] of [['client sidecar', clientSidecar], ['server sidecar', serverSidecar]] as const) {
      if (p.child.exitCode !== null) throw new Error(`the ${name} died during the run:\n${p.output()}`);
    }

    // The floor: node:tls alone, both ends in one process on the sidecars' core, the same kind of certificates.
    const material = clientCertificate(path.join(stateDir, 'citadel'), stateDir);
    log('measuring the reference: node:tls mutual TLS 1.3 handshakes alone, pinned to core 0');
    const { stdout } = await run('taskset', ['-c', String(SIDECAR_CPU), process.execPath, path.join(import.meta.dirname, 'tls-handshakes.ts'), '--dir', stateDir, '--seconds', String(seconds)], { env: { ...process.env, NODE_OPTIONS: '' } });
    result.tlsReference = JSON.parse(stdout) as TlsHandshakeReference;

    // 4. Memory per idle connection on the server sidecar. Each variant gets a server sidecar process of its own,
    // started exactly as the launcher started the mesh's (same arguments and NODE_OPTIONS): a process that held and
    // freed connections before reuses that memory, which would flatter whichever variant comes second.
    const tlsOptions: tls.ConnectionOptions = {
      ...material,
      servername: `outbound_.80_._.${host('upstream-mtls')}`,
      // What the client sidecar's HTTP/1.1 pool offers for mesh mTLS (Istio's istio.alpn form).
      ALPNProtocols: ['istio-http/1.1', 'istio', 'http/1.1'],
      // The server's certificate names its SPIFFE id, not 127.0.0.1: the chain is checked, and the id below.
      checkServerIdentity: () => undefined,
    };
    const open = { plaintext: () => idleConnection(ingress, host('upstream-plain')), mtls: () => idleConnection(ingress, host('upstream-mtls'), tlsOptions) };
    const [script, ...args] = serverSidecar.child.spawnargs.slice(1);
    await serverSidecar.stop();
    const n = options.idleConnections;
    for (const [round, variant] of [[1, 'plaintext'], [1, 'mtls'], [2, 'plaintext'], [2, 'mtls']] as const) {
      const sidecar = startProcess(`${SERVER}-sidecar (memory, ${variant})`, script, args, { env: { NODE_OPTIONS: nodeOptions, LOG_LEVEL: 'warn' } });
      try {
        const pid = sidecar.child.pid!;
        pin(pid, SIDECAR_CPU);
        await Promise.race([
          waitFor('the fresh server sidecar to answer on its inbound port', () => open.plaintext().then((s) => (s.destroy(), true)).catch(() => false), { timeoutMs: 60_000, intervalMs: 200 }),
          sidecar.exited.then((code) => {
            throw new Error(`the server sidecar exited with ${code}:\n${sidecar.output().split('\n').slice(-15).join('\n')}`);
          }),
        ]);
        // Both variants pay the same one-off costs first (the TLS server context, the first handshake, the route).
        const probe = await open.mtls();
        const peer = (probe as tls.TLSSocket).getPeerX509Certificate()?.subjectAltName ?? '';
        probe.destroy();
        if (!peer.includes(`spiffe://${TRUST_DOMAIN}/ns/default/sa/upstream`)) throw new Error(`the server sidecar presented ${peer}, not its workload certificate`);
        await new Promise((r) => setTimeout(r, 5_000));
        const before = { rss: rssMiB(pid), js: await jsMemoryMiB(server.admin), active: await statSum(server.admin, 'downstream_cx_active') };
        log(`memory round ${round}: a fresh server sidecar holding ${n} idle ${variant} connections`);
        held.push(...(await holdConnections(n, open[variant])));
        await settle();
        const serverActive = (await statSum(server.admin, 'downstream_cx_active')) - before.active;
        result.memory.push({ round, variant, held: n, serverActive, rssBeforeMiB: before.rss, rssAfterMiB: rssMiB(pid), jsBeforeMiB: before.js, jsAfterMiB: await jsMemoryMiB(server.admin) });
        log(`${variant}: RSS ${f1(before.rss)} → ${f1(rssMiB(pid))} MiB; server active inbound connections ${serverActive}`);
        if (sidecar.child.exitCode !== null) throw new Error(`the server sidecar died holding the connections:\n${sidecar.output()}`);
      } finally {
        for (const h of held.splice(0)) h.destroy();
        await sidecar.stop();
      }
    }
    if (clientSidecar.child.exitCode !== null) throw new Error(`the client sidecar died during the run:\n${clientSidecar.output()}`);
  } finally {
    for (const s of held) s.destroy();
    await mesh?.stop();
    await upstream?.stop();
    rmSync(configDir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  }
  result.loadAfter = loadavg();
  return result;
}

/** Lets the server sidecar finish the work of the last connections (timers, GC of the handshakes' garbage) before sampling. */
const settle = () => new Promise((r) => setTimeout(r, 3_000));

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–');
const f3 = (n: number) => (Number.isFinite(n) ? n.toFixed(3) : '–');
const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en') : '–');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const perCore = (w: SidecarWork) => w.serverRequests / (w.clientCpu + w.serverCpu);

export function formatMtlsThroughput(r: MtlsBenchResult): string {
  const head =
    '| target | requests/s | p50 (ms) | p99 (ms) | non-2xx + errors | sidecar CPU s per 1,000 requests (client + server) | requests/s per core of sidecar CPU | new TLS handshakes at the server |\n' +
    '|---|---:|---:|---:|---:|---:|---:|---:|';
  const rows = r.throughput.map((t) => {
    const w = t.work;
    const cpu = w ? `${f3(((w.clientCpu + w.serverCpu) / w.serverRequests) * 1000)} (${f3((w.clientCpu / w.serverRequests) * 1000)} + ${f3((w.serverCpu / w.serverRequests) * 1000)})` : '–';
    return `| ${t.target} | ${int(t.requestsPerSec)} | ${f2(t.p50Ms)} | ${f2(t.p99Ms)} | ${t.non2xx + t.errors} | ${cpu} | ${w ? int(perCore(w)) : '–'} | ${w ? int(w.serverHandshakes) : '–'} |`;
  });
  return [head, ...rows].join('\n');
}

export function formatMtlsLatency(r: MtlsBenchResult): string {
  const head =
    '| round | target | sent / answered | achieved req/s | p50 (ms) | p90 (ms) | p99 (ms) | p99.9 (ms) | max (ms) | non-2xx + errors | p99 added vs direct (ms) | core 0: sidecars / other processes (% busy) | new connections / TLS handshakes at the server sidecar |\n' +
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
  const rows: string[] = [];
  const added: Record<'plaintext' | 'mtls', number[]> = { plaintext: [], mtls: [] };
  for (const l of r.latency) {
    const o = l.result;
    const direct = r.latency.find((x) => x.round === l.round && x.variant === 'direct');
    const plus = l.variant !== 'direct' && direct ? o.latency.p99 - direct.result.latency.p99 : NaN;
    if (l.variant !== 'direct' && Number.isFinite(plus)) added[l.variant].push(plus);
    rows.push(`| ${l.round} | ${l.target} | ${int(o.scheduled)} / ${int(o.completed)} | ${int(o.achievedRate)} | ${f2(o.latency.p50)} | ${f2(o.latency.p90)} | ${f2(o.latency.p99)} | ${f2(o.latency.p999)} | ${f2(o.latency.max)} | ${o.non2xx + o.errors} | ${Number.isFinite(plus) ? (plus >= 0 ? '+' : '') + f2(plus) : ''} | ${l.cores.sidecars.toFixed(0)} / ${l.cores.core0Others.toFixed(0)} | ${l.work ? `${int(l.work.serverConnections)} / ${int(l.work.serverHandshakes)}` : '–'} |`);
  }
  for (const v of ['plaintext', 'mtls'] as const) {
    const p99s = r.latency.filter((l) => l.variant === v).map((l) => l.result.latency.p99);
    rows.push(`| all | **${v === 'mtls' ? 'mutual TLS' : 'plaintext'}: median of ${p99s.length} rounds** | | | | | **${f2(median(p99s))}** | | | | **${added[v].length ? (median(added[v]) >= 0 ? '+' : '') + f2(median(added[v])) : ''}** | | |`);
  }
  const d = r.latency.filter((l) => l.variant === 'direct').map((l) => l.result.latency.p99);
  rows.push(`| all | **direct: median of ${d.length} rounds** | | | | | **${f2(median(d))}** | | | | | | |`);
  return [head, ...rows].join('\n');
}

export function formatMtlsHandshakes(r: MtlsBenchResult): string {
  const head =
    '| target | requests/s (= new sidecar-to-sidecar connections/s) | connections accepted by the server sidecar /s | TLS handshakes completed by the server sidecar /s | p99 (ms) | non-2xx + errors | sidecar CPU ms per connection (client + server) |\n' +
    '|---|---:|---:|---:|---:|---:|---:|';
  const rows = r.handshakes.map((h) => {
    const w = h.work;
    const per = (cpu: number) => f2((cpu / Math.max(1, w.serverConnections)) * 1000);
    return `| ${h.target} | ${int(h.requestsPerSec)} | ${int(w.serverConnections / w.wallSeconds)} | ${int(w.serverHandshakes / w.wallSeconds)} | ${f2(h.p99Ms)} | ${h.non2xx + h.errors} | ${per(w.clientCpu + w.serverCpu)} (${per(w.clientCpu)} + ${per(w.serverCpu)}) |`;
  });
  const t = r.tlsReference;
  if (t) rows.push(`| reference: node:tls alone, both ends in one process on core 0 (${t.protocol}, mutual, P-256; no HTTP) | – | – | ${int(t.perSecond)} | – | – | ${f2(t.cpuMsPerHandshake)} (both ends) |`);
  return [head, ...rows].join('\n');
}

export function formatMtlsMemory(r: MtlsBenchResult): string {
  const head =
    '| round | variant (a fresh server sidecar each) | connections held / active at the server | server sidecar RSS before → after (MiB) | RSS per connection (KiB) | V8 heap + external before → after (MiB) | heap + external per connection (KiB) |\n' +
    '|---:|---|---:|---:|---:|---:|---:|';
  const rows = r.memory.map(
    (m) =>
      `| ${m.round} | ${m.variant === 'mtls' ? 'mutual TLS' : 'plaintext'} | ${m.held} / ${m.serverActive} | ${f1(m.rssBeforeMiB)} → ${f1(m.rssAfterMiB)} | ${f1(((m.rssAfterMiB - m.rssBeforeMiB) * 1024) / m.held)} | ${f1(m.jsBeforeMiB)} → ${f1(m.jsAfterMiB)} | ${f1(((m.jsAfterMiB - m.jsBeforeMiB) * 1024) / m.held)} |`,
  );
  return [head, ...rows].join('\n');
}

export function formatMtlsNotes(r: MtlsBenchResult): string {
  const cores = r.throughput.map((t) => `${t.target}: core 0 ${t.cores.core0.toFixed(0)}% (sidecars ${t.cores.sidecars.toFixed(0)}%, others ${t.cores.core0Others.toFixed(0)}%), core 1 ${t.cores.core1.toFixed(0)}%`).join('; ');
  return [
    `sidecars: apps/proxy/dist/main.js, NODE_OPTIONS=${JSON.stringify(r.nodeOptions)}, HTTP/1.1, both pinned to core 0; wrk, the open-loop generator, the nginx upstream and the control plane on core 1`,
    `load average (1/5/15 min) before: ${r.loadBefore}; after: ${r.loadAfter}`,
    `how busy the cores were during the throughput runs (/proc/stat): ${cores}`,
  ].join('\n\n');
}
