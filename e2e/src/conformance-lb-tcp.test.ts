// Issue #10's conformance cases for load balancing, TCP traffic shifting,
// ServiceEntry / outboundTrafficPolicy and proxyless gRPC, on one local mesh
// (real processes: NATS, galley, pilot, citadel, the ingress gateway and
// sidecars). Every case writes Istio YAML into galley's directory, waits until
// the proxies answer the way only the new config makes them, then sends real
// requests and checks what a user sees.
//
// Workloads, all in namespace foo:
// - sleep: a sidecar only; the test calls through its egress listeners (an HTTP
//   proxy listener, and a TCP listener on tcp-echo's service port), as
//   `kubectl exec sleep -- curl` / `nc` would;
// - lb: three instances of an HTTP service without sidecars (plain endpoints),
//   balanced by sleep's sidecar; each answers with its own name;
// - tcp-echo v1 / v2 (Istio's tcp-echo sample: `one <line>` / `two <line>`),
//   each behind its sidecar (mutual TLS from sleep's sidecar and the gateway);
// - external stand-ins (plain HTTP servers) registered by ServiceEntries;
// - a gRPC echo service called by a proxyless client (@grpc/grpc-js-xds) that
//   gets its configuration from pilot.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type Server as HttpServer } from 'node:http';
import { createConnection, createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { freeLoopbackAddress, freeMeshPorts, startLocalMesh, type LocalMesh } from '@mesh/local-mesh';
import { freePort, waitFor } from '@mesh/testing';

const NS = 'foo';
const LB = `lb.${NS}.svc.cluster.local`;
const TCP_ECHO = `tcp-echo.${NS}.svc.cluster.local`;
const GRPC_ECHO = `grpc-echo.${NS}.svc.cluster.local`;
const INSTANCES = ['lb-1', 'lb-2', 'lb-3'] as const;
const VERBOSE = process.env.MESH_TEST_VERBOSE === '1';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request through sleep's HTTP egress listener (an absolute-form request, as an app using it as its HTTP proxy sends). */
function curl(proxyPort: number, url: string, o: { headers?: Record<string, string>; localAddress?: string } = {}): Promise<Reply> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: proxyPort, path: url, headers: { host: u.host, ...o.headers }, agent: false, timeout: 5000, ...(o.localAddress ? { localAddress: o.localAddress } : {}) },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', () => resolve({ status: 0, headers: {}, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, headers: {}, body: '' }));
    req.end();
  });
}

/** Which lb instance answered ('' when none did). */
const instanceOf = (r: Reply): string => {
  try {
    return (JSON.parse(r.body) as { instance?: string }).instance ?? '';
  } catch {
    return '';
  }
};

/** `echo <line> | nc <address> <port>`: the first line that came back ('' when closed with nothing). */
function nc(port: number, line: string, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const socket = createConnection({ host, port });
    socket.setEncoding('utf8');
    socket.setTimeout(5000, () => socket.destroy());
    socket.on('connect', () => socket.write(`${line}\n`));
    socket.on('data', (chunk: string) => {
      got += chunk;
      if (got.includes('\n')) socket.end();
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(got.trim()));
  });
}

async function listen<S extends HttpServer | TcpServer>(server: S): Promise<number> {
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return port;
}

/** Counts per key of `n` results of `f`, run `concurrency` at a time. */
async function tally(n: number, concurrency: number, f: (i: number) => Promise<string>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const k = await f(next++);
        counts[k] = (counts[k] ?? 0) + 1;
      }
    }),
  );
  return counts;
}

/** The first object with `name` in a proxy's config_dump (a Cluster, by its name). */
async function dumped(adminPort: number, name: string): Promise<Record<string, unknown> | undefined> {
  const dump = (await (await fetch(`http://127.0.0.1:${adminPort}/config_dump`)).json()) as unknown;
  const find = (v: unknown): Record<string, unknown> | undefined => {
    if (Array.isArray(v)) {
      for (const x of v) {
        const f = find(x);
        if (f) return f;
      }
    } else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.name === name && ('lbPolicy' in o || 'type' in o || 'connectTimeout' in o)) return o;
      for (const x of Object.values(o)) {
        const f = find(x);
        if (f) return f;
      }
    }
    return undefined;
  };
  return find(dump);
}

const METHOD = '/mesh.test.Echo/Say';
const encode = (v: unknown) => Buffer.from(JSON.stringify(v));
const decode = (b: Buffer) => JSON.parse(b.toString()) as { msg: string; attempts?: number };

describe('conformance: load balancing, TCP traffic shifting, ServiceEntry and outboundTrafficPolicy, proxyless gRPC', { timeout: 300_000 }, () => {
  const root = mkdtempSync(path.join(tmpdir(), 'mesh-e2e-conf-lb-tcp-'));
  const configDir = path.join(root, 'config');
  const stateDir = path.join(root, 'state');
  const meshConfigFile = path.join(root, 'mesh.yaml');
  let mesh: LocalMesh | undefined;
  const httpServers: HttpServer[] = [];
  const tcpServers: TcpServer[] = [];
  let grpcServer: grpc.Server | undefined;
  let grpcClient: grpc.Client | undefined;
  /** sleep's sidecar: its HTTP proxy listener and its TCP listener on tcp-echo's service port. */
  let sleepHttp = 0;
  let tcpEchoPort = 0;
  /** The ingress gateway's own address: its TCP server is on Istio's 31400 there. */
  let gatewayAddress = '';
  const GATEWAY_TCP = 31400;
  let externalPort = 0;
  let grpcPort = 0;
  /** Attempts the gRPC server saw per message. */
  const grpcAttempts = new Map<string, number>();
  const stage = (file: string, yaml: string) => writeFileSync(path.join(configDir, file), yaml);
  const sleepAdmin = () => mesh!.workloads.get('sleep')!.sidecar.admin;
  const lb = (p: string, headers: Record<string, string> = {}, localAddress?: string) => curl(sleepHttp, `http://${LB}:8000${p}`, { headers, ...(localAddress ? { localAddress } : {}) });

  before(async () => {
    mkdirSync(configDir);
    mkdirSync(stateDir);
    // The three lb instances; /slow on lb-1 takes 1 s (a busy instance, for LEAST_REQUEST: far slower than even a loaded
    // machine makes the others).
    const lbPorts: number[] = [];
    for (const name of INSTANCES) {
      const server = createHttpServer((req, res) => {
        const answer = () => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ instance: name, path: req.url, headers: req.headers }));
        };
        if (req.url?.startsWith('/slow') && name === 'lb-1') setTimeout(answer, 1_000);
        else answer();
      });
      httpServers.push(server);
      lbPorts.push(await listen(server));
    }
    const external = createHttpServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ server: 'external', host: req.headers.host, path: req.url }));
    });
    httpServers.push(external);
    externalPort = await listen(external);
    // Istio's tcp-echo sample, v1 and v2.
    const echoPorts: number[] = [];
    for (const prefix of ['one', 'two']) {
      const server = createTcpServer((socket) => {
        let pending = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => {
          pending += chunk;
          let nl: number;
          while ((nl = pending.indexOf('\n')) >= 0) {
            socket.write(`${prefix} ${pending.slice(0, nl)}\n`);
            pending = pending.slice(nl + 1);
          }
        });
        socket.on('error', () => {});
      });
      tcpServers.push(server);
      echoPorts.push(await listen(server));
    }
    // The gRPC echo service: fails a message's first `failFirst` attempts with UNAVAILABLE (for retries).
    grpcServer = new grpc.Server();
    grpcServer.addService(
      { Say: { path: METHOD, requestStream: false, responseStream: false, requestSerialize: encode, requestDeserialize: decode, responseSerialize: encode, responseDeserialize: decode } } as grpc.ServiceDefinition,
      {
        Say: (call: grpc.ServerUnaryCall<{ msg: string; failFirst?: number }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
          const n = (grpcAttempts.get(call.request.msg) ?? 0) + 1;
          grpcAttempts.set(call.request.msg, n);
          if (n <= (call.request.failFirst ?? 0)) cb({ code: grpc.status.UNAVAILABLE, details: `attempt ${n} fails` });
          else cb(null, { msg: call.request.msg, attempts: n });
        },
      },
    );
    grpcPort = await new Promise<number>((resolve, reject) => grpcServer!.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));

    sleepHttp = await freePort();
    tcpEchoPort = await freePort();
    gatewayAddress = await freeLoopbackAddress([GATEWAY_TCP]);
    const echoIngress = [await freePort(), await freePort()];
    writeFileSync(meshConfigFile, 'outboundTrafficPolicy: {mode: ALLOW_ANY}\n');
    stage(
      'workloads.yaml',
      `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: lb, namespace: ${NS}}
spec:
  hosts: [${LB}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 8000, name: http, protocol: HTTP}]
  workloadSelector: {labels: {app: lb}}
${INSTANCES.map(
  (name, i) => `---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: ${name}, namespace: ${NS}}
spec:
  address: 127.0.0.1
  ports: {http: ${lbPorts[i]}}
  labels: {app: lb, instance: ${name}}
`,
).join('')}---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: tcp-echo, namespace: ${NS}}
spec:
  hosts: [${TCP_ECHO}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: ${tcpEchoPort}, name: tcp, protocol: TCP}]
  workloadSelector: {labels: {app: tcp-echo}}
${['v1', 'v2']
  .map(
    (v, i) => `---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: tcp-echo-${v}, namespace: ${NS}}
spec:
  address: 127.0.0.1
  ports: {tcp: ${echoIngress[i]}}
  serviceAccount: tcp-echo
  labels: {app: tcp-echo, version: ${v}, security.istio.io/tlsMode: istio}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: tcp-echo-${v}, namespace: ${NS}}
spec:
  workloadSelector: {labels: {app: tcp-echo, version: ${v}}}
  ingress:
  - port: {number: ${echoIngress[i]}, protocol: TCP, name: tcp}
    defaultEndpoint: 127.0.0.1:${echoPorts[i]}
    captureMode: NONE
  egress:
  - hosts: ["./*"]
`,
  )
  .join('')}---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: sleep, namespace: ${NS}}
spec:
  workloadSelector: {labels: {app: sleep}}
  egress:
  - port: {number: ${sleepHttp}, protocol: HTTP, name: http-egress}
    bind: 127.0.0.1
    captureMode: NONE
    hosts: ["*/*"]
  - port: {number: ${tcpEchoPort}, protocol: TCP, name: tcp-echo}
    bind: 127.0.0.1
    captureMode: NONE
    hosts: ["./${TCP_ECHO}"]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: grpc-echo, namespace: ${NS}}
spec:
  hosts: [${GRPC_ECHO}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 7070, name: grpc, protocol: GRPC}]
  endpoints: [{address: 127.0.0.1, ports: {grpc: ${grpcPort}}}]
`,
    );
    mesh = await startLocalMesh({
      configDir,
      stateDir,
      meshConfigFile,
      sample: false,
      workloads: [
        { name: 'sleep', namespace: NS, labels: { app: 'sleep' }, listenerPorts: [sleepHttp, tcpEchoPort] },
        ...(['v1', 'v2'] as const).map((v, i) => ({ name: `tcp-echo-${v}`, namespace: NS, labels: { app: 'tcp-echo', version: v }, serviceAccount: 'tcp-echo', listenerPorts: [echoIngress[i]] })),
      ],
      ports: await freeMeshPorts(),
      ingressGatewayAddress: gatewayAddress,
      onLine: VERBOSE ? (name, text) => process.stderr.write(`[${name}] ${text}\n`) : undefined,
    });
    await waitFor('sleep reaches lb', async () => (await lb('/')).status === 200, { timeoutMs: 60_000, intervalMs: 200 });
  });

  after(async () => {
    grpcClient?.close();
    await mesh?.stop();
    for (const s of httpServers) {
      s.closeAllConnections();
      s.close();
    }
    for (const s of tcpServers) s.close();
    await new Promise<void>((resolve) => (grpcServer ? grpcServer.tryShutdown(() => resolve()) : resolve()));
    rmSync(root, { recursive: true, force: true });
  });

  // ------------------------------------------------------------------ load balancing

  const destinationRule = (trafficPolicy: string, subsets = '') => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: lb, namespace: ${NS}}
spec:
  host: ${LB}
  trafficPolicy:
${trafficPolicy.replace(/^/gm, '    ')}
${subsets}`;
  /** Waits until sleep's sidecar has the lb cluster (of a subset) with these fields (compared as JSON). */
  const lbClusterHas = (want: Record<string, unknown>, subset = '') =>
    waitFor(`sleep's sidecar to have ${JSON.stringify(want)} on ${LB}'s cluster ${subset}`, async () => {
      const c = await dumped(sleepAdmin(), `outbound|8000|${subset}|${LB}`);
      return c !== undefined && Object.entries(want).every(([k, v]) => JSON.stringify(c[k]) === JSON.stringify(v));
    }, { timeoutMs: 30_000, intervalMs: 200 });
  const lbPolicyIs = (policy: string) => lbClusterHas({ lbPolicy: policy });
  /** Whether `n` requests with these headers (or from this source address) all reach one instance; that instance. */
  const stickyTo = async (n: number, p: string, headers: Record<string, string> = {}, localAddress?: string): Promise<string | undefined> => {
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) seen.add(instanceOf(await lb(p, headers, localAddress)));
    return seen.size === 1 && !seen.has('') ? [...seen][0] : undefined;
  };

  it('load balancing: ROUND_ROBIN spreads 60 sequential requests evenly over the 3 instances (20 each, ±2)', async () => {
    stage('lb-dr.yaml', destinationRule('loadBalancer: {simple: ROUND_ROBIN}'));
    await lbPolicyIs('ROUND_ROBIN');
    const counts = await tally(60, 1, async () => instanceOf(await lb('/rr')));
    assert.deepEqual(Object.keys(counts).sort(), [...INSTANCES], JSON.stringify(counts));
    for (const name of INSTANCES) assert.ok(Math.abs(counts[name] - 20) <= 2, `${name}: ${counts[name]} of 60 (${JSON.stringify(counts)})`);
  });

  it('load balancing: RANDOM reaches every instance, each with 1/3 of 300 requests within ±5σ (59..141)', async () => {
    stage('lb-dr.yaml', destinationRule('loadBalancer: {simple: RANDOM}'));
    await lbPolicyIs('RANDOM');
    const counts = await tally(300, 5, async () => instanceOf(await lb('/random')));
    // The binomial tolerance of the other ratio cases: 100 ± 5·√(300·⅓·⅔) ≈ 100 ± 41.
    for (const name of INSTANCES) assert.ok(counts[name] >= 59 && counts[name] <= 141, `${name}: ${counts[name]} of 300 (${JSON.stringify(counts)})`);
  });

  // Envoy's LEAST_REQUEST compares two hosts drawn at random, with replacement: a busy instance drawn twice is still
  // picked, so it keeps about 15 % of 240 requests from 3 clients (a simulation of this setup: 99.9th percentile 22 %
  // at 50 ms per fast request, 25 % at 150 ms), where a load-blind policy gives it a third (0.1th percentile 24 %).
  const busyShare = async (): Promise<{ share: number; counts: Record<string, number> }> => {
    const counts = await tally(240, 3, async () => instanceOf(await lb('/slow')));
    assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), 240);
    return { share: (counts['lb-1'] ?? 0) / 240, counts };
  };

  it('load balancing: LEAST_REQUEST keeps a busy instance (1 s per request) under a quarter of 240 requests from 3 concurrent clients (a load-blind policy gives it a third)', async () => {
    stage('lb-dr.yaml', destinationRule('loadBalancer: {simple: LEAST_REQUEST}'));
    await lbPolicyIs('LEAST_REQUEST');
    const { share, counts } = await busyShare();
    assert.ok(share <= 0.25, `least-request avoids the busy instance: it got ${(share * 100).toFixed(0)} % (${JSON.stringify(counts)})`);
  });

  it("load balancing: without a loadBalancer the sidecar balances LEAST_REQUEST (Istio's default since 1.14) and avoids the busy instance", async () => {
    stage('lb-dr.yaml', destinationRule('connectionPool: {http: {idleTimeout: 60s}}'));
    await lbPolicyIs('LEAST_REQUEST');
    const { share, counts } = await busyShare();
    assert.ok(share <= 0.25, `the default avoids the busy instance: it got ${(share * 100).toFixed(0)} % (${JSON.stringify(counts)})`);
  });

  it('load balancing: consistentHash on httpHeaderName: the same x-user always reaches the same instance, different users spread', async () => {
    stage('lb-dr.yaml', destinationRule('loadBalancer: {consistentHash: {httpHeaderName: x-user}}'));
    await lbPolicyIs('RING_HASH');
    const owners = new Set<string>();
    for (let u = 0; u < 12; u++) {
      const owner = await stickyTo(8, '/hdr', { 'x-user': `user-${u}` });
      assert.ok(owner, `user-${u} stuck to one instance`);
      owners.add(owner);
    }
    assert.ok(owners.size >= 2, `12 users spread over ${owners.size} instance(s)`);
  });

  it('load balancing: consistentHash on httpCookie: the proxy sets the cookie with its TTL when the client has none, and the cookie then sticks', async () => {
    stage('lb-dr.yaml', destinationRule('loadBalancer:\n  consistentHash:\n    httpCookie: {name: user, ttl: 60s, path: /}'));
    await waitFor('a set-cookie from sleep\'s sidecar', async () => /^user=/.test(String((await lb('/cookie')).headers['set-cookie'] ?? '')), { timeoutMs: 30_000, intervalMs: 200 });
    const owners = new Set<string>();
    for (let c = 0; c < 8; c++) {
      const first = await lb('/cookie');
      const set = String(first.headers['set-cookie']);
      assert.match(set, /^user="[0-9a-f]+"; Max-Age=60; Path=\/; HttpOnly$/);
      const cookie = set.slice(0, set.indexOf(';'));
      const owner = await stickyTo(6, '/cookie', { cookie });
      assert.equal(owner, instanceOf(first), `the cookie ${cookie} keeps the instance of the first answer`);
      owners.add(owner!);
      const again = await lb('/cookie', { cookie });
      assert.equal(again.headers['set-cookie'], undefined, 'a client that has the cookie gets no new one');
    }
    assert.ok(owners.size >= 2, `8 clients spread over ${owners.size} instance(s)`);
  });

  it('load balancing: consistentHash on useSourceIp: each client address sticks to one instance, addresses spread', async () => {
    stage('lb-dr.yaml', destinationRule('loadBalancer: {consistentHash: {useSourceIp: true}}'));
    await waitFor('requests from one address to stick', async () => (await stickyTo(6, '/ip', {}, '127.0.0.1')) !== undefined, { timeoutMs: 30_000, intervalMs: 200 });
    const owners = new Set<string>();
    for (let i = 1; i <= 10; i++) {
      const owner = await stickyTo(6, '/ip', {}, `127.0.${i}.1`);
      assert.ok(owner, `127.0.${i}.1 stuck to one instance`);
      owners.add(owner);
    }
    assert.ok(owners.size >= 2, `10 addresses spread over ${owners.size} instance(s)`);
  });

  it('load balancing: consistentHash on httpQueryParameterName: the same ?user= always reaches the same instance', async () => {
    stage('lb-dr.yaml', destinationRule('loadBalancer: {consistentHash: {httpQueryParameterName: user}}'));
    // Sticky across client addresses (which the previous useSourceIp policy hashed on).
    const acrossAddresses = async (user: string) => {
      const seen = new Set<string>();
      for (let i = 1; i <= 5; i++) seen.add(instanceOf(await lb(`/q?user=${user}`, {}, `127.0.${i}.2`)));
      return seen.size === 1 && !seen.has('');
    };
    await waitFor('requests with one ?user= to stick whatever their source', async () => (await acrossAddresses('u0')) && (await acrossAddresses('u1')) && (await acrossAddresses('u2')), { timeoutMs: 30_000, intervalMs: 200 });
    const owners = new Set<string>();
    for (let u = 0; u < 12; u++) {
      const owner = await stickyTo(6, `/q?user=u${u}&n=1`);
      assert.ok(owner, `?user=u${u} stuck to one instance`);
      // Only the named parameter counts: other parameters change nothing.
      assert.equal(await stickyTo(3, `/q?n=2&user=u${u}&other=${u}`), owner);
      owners.add(owner);
    }
    assert.ok(owners.size >= 2, `12 users spread over ${owners.size} instance(s)`);
  });

  it('load balancing: consistentHash with ringHash (minimumRingSize 1024) and with maglev (tableSize 65537): stickiness measured over 20 users × 10 requests each, users spread', async () => {
    for (const [yaml, want] of [
      ['ringHash: {minimumRingSize: 1024}', { lbPolicy: 'RING_HASH', ringHashLbConfig: { minimumRingSize: { value: '1024' } } }],
      ['maglev: {tableSize: 65537}', { lbPolicy: 'MAGLEV', maglevLbConfig: { tableSize: { value: '65537' } } }],
    ] as const) {
      stage('lb-dr.yaml', destinationRule(`loadBalancer:\n  consistentHash:\n    httpHeaderName: x-user\n    ${yaml}`));
      await lbClusterHas(want);
      const owners: Record<string, number> = {};
      let stuck = 0;
      for (let u = 0; u < 20; u++) {
        const owner = await stickyTo(10, '/algo', { 'x-user': `${want.lbPolicy}-${u}` });
        if (owner) {
          stuck++;
          owners[owner] = (owners[owner] ?? 0) + 1;
        }
      }
      assert.equal(stuck, 20, `${want.lbPolicy}: every user stuck to one instance`);
      assert.ok(Object.keys(owners).length >= 2, `${want.lbPolicy}: 20 users spread over ${JSON.stringify(owners)}`);
    }
  });

  it('load balancing: a subset-level trafficPolicy overrides the top-level one (consistent hash in the subset, ROUND_ROBIN above it)', async () => {
    stage(
      'lb-dr.yaml',
      destinationRule(
        'loadBalancer: {simple: ROUND_ROBIN}',
        `  subsets:
  - name: sticky
    labels: {app: lb}
    trafficPolicy:
      loadBalancer: {consistentHash: {httpHeaderName: x-user}}
  - name: plain
    labels: {app: lb}
`,
      ),
    );
    stage(
      'lb-vs.yaml',
      `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: lb, namespace: ${NS}}
spec:
  hosts: [${LB}]
  http:
  - match: [{uri: {prefix: /sticky}}]
    route: [{destination: {host: ${LB}, subset: sticky}}]
  - route: [{destination: {host: ${LB}, subset: plain}}]
`,
    );
    await lbClusterHas({ lbPolicy: 'RING_HASH' }, 'sticky');
    await lbClusterHas({ lbPolicy: 'ROUND_ROBIN' }, 'plain');
    await waitFor('the sticky subset to hash on x-user', async () => (await stickyTo(6, '/sticky', { 'x-user': 'a' })) !== undefined && (await stickyTo(6, '/sticky', { 'x-user': 'b' })) !== undefined, {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    const owners = new Set<string>();
    for (let u = 0; u < 10; u++) owners.add((await stickyTo(6, '/sticky', { 'x-user': `sub-${u}` })) ?? 'not sticky');
    assert.ok(!owners.has('not sticky') && owners.size >= 2, `the subset's consistent hash: ${[...owners].join(', ')}`);
    // The same header on the other subset rotates (the top-level ROUND_ROBIN).
    const counts = await tally(9, 1, async () => instanceOf(await lb('/plain', { 'x-user': 'a' })));
    assert.deepEqual(Object.values(counts), [3, 3, 3], JSON.stringify(counts));
    unlinkSync(path.join(configDir, 'lb-vs.yaml'));
    unlinkSync(path.join(configDir, 'lb-dr.yaml'));
  });

  // ------------------------------------------------------------------ TCP traffic shifting

  const tcpShift = (v1: number, v2: number) => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: tcp-echo-gateway, namespace: ${NS}}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${GATEWAY_TCP}, name: tcp, protocol: TCP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: tcp-echo-destination, namespace: ${NS}}
spec:
  host: ${TCP_ECHO}
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: tcp-echo, namespace: ${NS}}
spec:
  hosts: ["*"]
  gateways: [tcp-echo-gateway]
  tcp:
  - match: [{port: ${GATEWAY_TCP}}]
    route:
    - destination: {host: ${TCP_ECHO}, port: {number: ${tcpEchoPort}}, subset: v1}
      weight: ${v1}
${v2 ? `    - destination: {host: ${TCP_ECHO}, port: {number: ${tcpEchoPort}}, subset: v2}\n      weight: ${v2}\n` : ''}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: tcp-echo-mesh, namespace: ${NS}}
spec:
  hosts: [${TCP_ECHO}]
  tcp:
  - route:
    - destination: {host: ${TCP_ECHO}, port: {number: ${tcpEchoPort}}, subset: v1}
      weight: ${v1}
${v2 ? `    - destination: {host: ${TCP_ECHO}, port: {number: ${tcpEchoPort}}, subset: v2}\n      weight: ${v2}\n` : ''}`;
  /** One line through the ingress gateway's TCP server (31400 on its own address), or through sleep's sidecar. */
  const viaGateway = (line: string) => nc(GATEWAY_TCP, line, gatewayAddress);
  const fromSleep = (line: string) => nc(tcpEchoPort, line);
  const versions = (send: (line: string) => Promise<string>, n: number) => tally(n, 10, async (i) => (await send(`hello ${i}`)).split(' ')[0] || 'none');

  it('TCP traffic shifting: all traffic to v1 through the ingress gateway\'s TCP server on 31400 and between sidecars: every connection answers "one"', async () => {
    stage('tcp-echo.yaml', tcpShift(100, 0));
    await waitFor('tcp-echo v1 through the gateway and from sleep', async () => (await viaGateway('hello')) === 'one hello' && (await fromSleep('hello')) === 'one hello', {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    assert.deepEqual(await versions(viaGateway, 30), { one: 30 });
    assert.deepEqual(await versions(fromSleep, 30), { one: 30 });
    const stats = await (await fetch(`http://127.0.0.1:${sleepAdmin()}/stats`)).text();
    assert.match(stats, new RegExp(`cluster\\.outbound\\|${tcpEchoPort}\\|v1\\|tcp-echo\\.${NS}\\.svc\\.cluster\\.local\\.ssl\\.handshake: [1-9]`), 'sleep\'s sidecar spoke mutual TLS to tcp-echo\'s');
  });

  it('TCP traffic shifting: 80/20 between v1 and v2: about 20 % of 150 connections answer "two" (±5σ: 6..54), through the gateway and between sidecars', async () => {
    stage('tcp-echo.yaml', tcpShift(80, 20));
    await waitFor('v2 to answer through the gateway and from sleep', async () => (await versions(viaGateway, 20)).two !== undefined && (await versions(fromSleep, 20)).two !== undefined, {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    for (const [where, send] of [['the gateway', viaGateway], ["sleep's sidecar", fromSleep]] as const) {
      const counts = await versions(send, 150);
      assert.equal((counts.one ?? 0) + (counts.two ?? 0), 150, JSON.stringify(counts));
      const share = (counts.two ?? 0) / 150;
      // The binomial tolerance of the other ratio cases: 30 ± 5·√(150·0.2·0.8) ≈ 30 ± 24.
      assert.ok(counts.two !== undefined && counts.two >= 6 && counts.two <= 54, `v2 got ${(share * 100).toFixed(1)} % through ${where}`);
    }
  });

  // ------------------------------------------------------------------ ServiceEntry and outboundTrafficPolicy

  const external = (url: string) => curl(sleepHttp, url);
  const externalHost = (r: Reply): string | undefined => {
    try {
      return (JSON.parse(r.body) as { server?: string; host?: string }).server === 'external' ? (JSON.parse(r.body) as { host: string }).host : undefined;
    } catch {
      return undefined;
    }
  };

  it('ServiceEntry: MESH_EXTERNAL with resolution DNS: the endpoint `localhost` is resolved by the proxy and the request reaches it', async () => {
    assert.notEqual((await external('http://dns.external.example/')).status, 200, 'without the ServiceEntry the name does not resolve');
    stage('se-dns.yaml', `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: dns-external, namespace: ${NS}}
spec:
  hosts: [dns.external.example]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: localhost, ports: {http: ${externalPort}}}]
`);
    await waitFor('dns.external.example through sleep', async () => (await external('http://dns.external.example/')).status === 200, { timeoutMs: 30_000, intervalMs: 200 });
    const r = await external('http://dns.external.example/a');
    assert.equal(externalHost(r), 'dns.external.example');
    assert.equal((await dumped(sleepAdmin(), 'outbound|80||dns.external.example'))?.type, 'STRICT_DNS');
  });

  it('ServiceEntry: MESH_EXTERNAL with resolution STATIC and endpoints: requests go to the listed address', async () => {
    stage('se-static.yaml', `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: static-external, namespace: ${NS}}
spec:
  hosts: [static.external.example]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: 127.0.0.1, ports: {http: ${externalPort}}}]
`);
    await waitFor('static.external.example through sleep', async () => (await external('http://static.external.example/')).status === 200, { timeoutMs: 30_000, intervalMs: 200 });
    assert.equal(externalHost(await external('http://static.external.example/b')), 'static.external.example');
  });

  it('ServiceEntry: with a workloadSelector: the WorkloadEntry it selects is the endpoint', async () => {
    stage('se-vm.yaml', `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: vm, namespace: ${NS}}
spec:
  hosts: [vm.external.example]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  workloadSelector: {labels: {app: vm}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm-1, namespace: ${NS}}
spec:
  address: 127.0.0.1
  ports: {http: ${externalPort}}
  labels: {app: vm}
`);
    await waitFor('vm.external.example through sleep', async () => (await external('http://vm.external.example/')).status === 200, { timeoutMs: 30_000, intervalMs: 200 });
    assert.equal(externalHost(await external('http://vm.external.example/c')), 'vm.external.example');
  });

  it('outboundTrafficPolicy: ALLOW_ANY (the mesh config): a host no ServiceEntry names passes through to where it was going', async () => {
    const r = await external(`http://localhost:${externalPort}/any`);
    assert.equal(r.status, 200);
    assert.equal(externalHost(r), `localhost:${externalPort}`);
  });

  it('outboundTrafficPolicy: REGISTRY_ONLY: an unknown host gets 502 from sleep\'s sidecar, registered hosts still answer', async () => {
    writeFileSync(meshConfigFile, 'outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n');
    await waitFor('the unknown host to be refused', async () => (await external(`http://localhost:${externalPort}/registry-only`)).status === 502, { timeoutMs: 30_000, intervalMs: 200 });
    const r = await external(`http://localhost:${externalPort}/registry-only`);
    assert.equal(r.status, 502);
    assert.equal(externalHost(r), undefined, 'nothing reached the server');
    assert.equal(externalHost(await external('http://static.external.example/d')), 'static.external.example');
    assert.equal(instanceOf(await lb('/')).startsWith('lb-'), true);
  });

  it('ServiceEntry: resolution NONE: under REGISTRY_ONLY the declared host:port is allowed and goes where the request was going', async () => {
    stage('se-none.yaml', `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: none-external, namespace: ${NS}}
spec:
  hosts: [localhost]
  location: MESH_EXTERNAL
  resolution: NONE
  ports: [{number: ${externalPort}, name: http, protocol: HTTP}]
`);
    await waitFor('localhost:<port> through sleep', async () => (await external(`http://localhost:${externalPort}/none`)).status === 200, { timeoutMs: 30_000, intervalMs: 200 });
    assert.equal(externalHost(await external(`http://localhost:${externalPort}/none2`)), `localhost:${externalPort}`);
    const none = await dumped(sleepAdmin(), `outbound|${externalPort}||localhost`);
    assert.equal(none?.type, 'ORIGINAL_DST', JSON.stringify(none) ?? (await (await fetch(`http://127.0.0.1:${sleepAdmin()}/clusters`)).text()).split('\n').filter((l) => l.includes('localhost')).slice(0, 5).join('\n'));
    writeFileSync(meshConfigFile, 'outboundTrafficPolicy: {mode: ALLOW_ANY}\n');
  });

  // ------------------------------------------------------------------ proxyless gRPC

  const say = (msg: string, failFirst = 0): Promise<{ ok: true; attempts: number; ms: number } | { ok: false; code: number; details: string; ms: number }> => {
    const started = performance.now();
    return new Promise((resolve) =>
      grpcClient!.makeUnaryRequest(METHOD, encode, decode, { msg, failFirst }, new grpc.Metadata(), { deadline: Date.now() + 10_000 }, (err, value) =>
        resolve(err ? { ok: false, code: err.code, details: err.details, ms: performance.now() - started } : { ok: true, attempts: value!.attempts ?? 0, ms: performance.now() - started }),
      ),
    );
  };
  const grpcVs = (http: string) =>
    stage('grpc-vs.yaml', `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: grpc-echo, namespace: ${NS}}
spec:
  hosts: [${GRPC_ECHO}]
  http:
${http}`);
  let msgs = 0;
  const fresh = () => `m${++msgs}`;

  it('proxyless gRPC: a VirtualService retry policy (attempts, retryOn unavailable) is applied by the grpc-js-xds client', async () => {
    grpcVs(`  - route: [{destination: {host: ${GRPC_ECHO}}}]
    retries: {attempts: 0}
`);
    // grpc-js-xds reads its bootstrap when its first xds: channel is made: pilot's plaintext ADS port, as a proxyless workload in foo.
    process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
      xds_servers: [{ server_uri: `127.0.0.1:${mesh!.ports.pilotXds}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
      node: { id: `sidecar~127.0.0.1~grpc-client.${NS}~${NS}.svc.cluster.local`, cluster: 'grpc-client', metadata: { GENERATOR: 'grpc', NAMESPACE: NS }, locality: {} },
    });
    grpcXds.register();
    grpcClient = new grpc.Client(`xds:///${GRPC_ECHO}:7070`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
    await waitFor('a call through xDS without retries', async () => (await say(fresh())).ok, { timeoutMs: 30_000, intervalMs: 200 });
    await waitFor('no retries in effect', async () => {
      const r = await say(fresh(), 1);
      return !r.ok && r.code === grpc.status.UNAVAILABLE;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    const m = fresh();
    const none = await say(m, 1);
    assert.equal(none.ok, false);
    assert.equal(grpcAttempts.get(m), 1, 'one attempt, no retry');

    grpcVs(`  - route: [{destination: {host: ${GRPC_ECHO}}}]
    retries: {attempts: 3, retryOn: unavailable}
`);
    await waitFor('retries in effect', async () => (await say(fresh(), 2)).ok, { timeoutMs: 30_000, intervalMs: 200 });
    const ok = fresh();
    const r = await say(ok, 3);
    assert.deepEqual({ ok: r.ok, attempts: grpcAttempts.get(ok) }, { ok: true, attempts: 4 }, 'three retries after the first attempt');
    const exhausted = fresh();
    const r2 = await say(exhausted, 10);
    assert.equal(r2.ok, false);
    assert.equal(grpcAttempts.get(exhausted), 4, 'attempts: 3 means at most 4 attempts');
  });

  it('proxyless gRPC: fault injection abort (grpcStatus UNAVAILABLE, 100 %) and delay (fixedDelay 1s) are applied by the client', async () => {
    grpcVs(`  - route: [{destination: {host: ${GRPC_ECHO}}}]
    fault: {abort: {grpcStatus: UNAVAILABLE, percentage: {value: 100}}}
`);
    await waitFor('the abort', async () => {
      const r = await say(fresh());
      return !r.ok && r.code === grpc.status.UNAVAILABLE;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    const m = fresh();
    const aborted = await say(m);
    assert.equal(aborted.ok ? 0 : aborted.code, grpc.status.UNAVAILABLE);
    assert.equal(grpcAttempts.get(m), undefined, 'the call never reached the server');

    grpcVs(`  - route: [{destination: {host: ${GRPC_ECHO}}}]
    fault: {delay: {fixedDelay: 1s, percentage: {value: 100}}}
`);
    await waitFor('the delay', async () => {
      const r = await say(fresh());
      return r.ok && r.ms >= 900;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    const delayed = await say(fresh());
    assert.equal(delayed.ok, true);
    assert.ok(delayed.ms >= 950 && delayed.ms < 2500, `took ${delayed.ms.toFixed(0)} ms (1 s delay, -50/+1500 ms)`);
    grpcVs(`  - route: [{destination: {host: ${GRPC_ECHO}}}]
`);
    await waitFor('no delay', async () => (await say(fresh())).ms < 500, { timeoutMs: 30_000, intervalMs: 200 });
  });
});
