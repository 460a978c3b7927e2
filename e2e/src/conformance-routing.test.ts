// Conformance of Istio's traffic-management tasks on the local mesh (issue #10), through the real path: YAML in
// galley's directory -> pilot -> the proxies -> real requests. This file: request routing, traffic shifting,
// rewrite/redirect/directResponse, headers, mirroring and CORS.
//
// The service `web` (ports 8000 and 9000) has three versions v1/v2/v3, each a sidecar in front of a small server of
// this test (it echoes what it received and records it, so mirrored copies and rewrites are visible). Two clients
// call it through their sidecars' egress listeners, as `kubectl exec sleep -- curl` would: `sleep` (app=sleep,
// version=v1) and `other` (app=other); the ingress gateway serves a Gateway on its HTTP port.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freeMeshPorts, startLocalMesh, type LocalMesh, type MeshPorts, type WorkloadSpec } from '@mesh/local-mesh';
import { freePort, waitFor, WORKSPACE_ROOT } from '@mesh/testing';

const NS = 'default';
const HOST = `web.${NS}.svc.cluster.local`;
const PORT = 8000;
const ALT_PORT = 9000;
const VERSIONS = ['v1', 'v2', 'v3'] as const;
type Version = (typeof VERSIONS)[number];

/** What one backend received. */
interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  at: number;
}

/** A backend version: echoes the request as JSON; `delayMs`/`status` make it slow or failing (the mirror cases). */
interface Backend {
  version: Version;
  port: number;
  server: Server;
  received: Received[];
  delayMs: number;
  status: number;
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The version that answered (the backend's x-served-by), if one did. */
  version?: Version;
  /** What the backend saw, if one answered. */
  seen?: { method: string; path: string; headers: Record<string, string> };
}

function startBackend(version: Version, port: number): Promise<Backend> {
  const b: Backend = { version, port, server: undefined as unknown as Server, received: [], delayMs: 0, status: 200 };
  b.server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      b.received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, at: Date.now() });
      const answer = () => {
        const body = JSON.stringify({ version, method: req.method, path: req.url, headers: req.headers });
        res.writeHead(b.status, { 'content-type': 'application/json', 'x-served-by': `web-${version}`, 'x-backend': 'original' });
        res.end(body);
      };
      if (b.delayMs > 0) setTimeout(answer, b.delayMs);
      else answer();
    });
  });
  b.server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    b.server.once('error', reject);
    b.server.listen(port, '127.0.0.1', () => resolve(b));
  });
}

/**
 * One request through a client's sidecar egress listener (an absolute-form request, as an app using it as its HTTP
 * proxy sends) or, with `origin`, straight to a listener (the ingress gateway).
 */
function send(port: number, o: { host?: string; path?: string; method?: string; headers?: Record<string, string>; origin?: boolean } = {}): Promise<Reply> {
  const host = o.host ?? `${HOST}:${PORT}`;
  const target = o.path ?? '/';
  return new Promise((resolve) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: o.method ?? 'GET', path: o.origin ? target : `http://${host}${target}`, headers: { host, ...o.headers }, agent: false, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString();
          const served = /^web-(v[123])$/.exec(String(res.headers['x-served-by'] ?? ''));
          const reply: Reply = { status: res.statusCode ?? 0, headers: res.headers, body };
          if (served) {
            reply.version = served[1] as Version;
            try {
              reply.seen = JSON.parse(body) as Reply['seen'];
            } catch {
              // a HEAD or a rewritten body: no echo to read
            }
          }
          resolve(reply);
        });
        res.on('error', () => resolve({ status: 0, headers: {}, body: '' }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, headers: {}, body: '' }));
    req.end();
  });
}

/** `n` requests, `concurrency` at a time: how many each version answered (`other` for anything else). */
async function tally(n: number, one: () => Promise<Reply>, concurrency = 8): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        const r = await one();
        const k = r.status === 200 && r.version ? r.version : `other-${r.status}`;
        out[k] = (out[k] ?? 0) + 1;
      }
    }),
  );
  return out;
}

/** The binomial tolerance used for every ratio: the count of n requests at probability p is within 5 standard deviations. */
function assertRatio(count: number, n: number, p: number, what: string): void {
  const sd = Math.sqrt(n * p * (1 - p));
  const lo = Math.floor(n * p - 5 * sd);
  const hi = Math.ceil(n * p + 5 * sd);
  assert.ok(count >= lo && count <= hi, `${what}: ${count} of ${n}, expected ${n * p} ± 5σ (${lo}..${hi})`);
}

const run = promisify(execFile);

describe("Istio's request routing, traffic shifting, rewrite/redirect/directResponse, headers and mirroring on the local mesh", { timeout: 300_000 }, () => {
  let mesh: LocalMesh;
  let meshPorts: MeshPorts;
  let configDir: string;
  let stateDir: string;
  const backends = new Map<Version, Backend>();
  const ingress = new Map<Version, number>();
  let sleepEgress = 0;
  let otherEgress = 0;

  const write = (name: string, yaml: string) => writeFileSync(path.join(configDir, `${name}.yaml`), yaml);
  /** `kubectl exec sleep -- curl http://web:8000<path>`. */
  const sleep = (o: Parameters<typeof send>[1] = {}) => send(sleepEgress, o);
  const other = (o: Parameters<typeof send>[1] = {}) => send(otherEgress, o);
  /** `curl http://$GATEWAY_URL<path> -H "Host: <host>"`. */
  const viaGateway = (o: Parameters<typeof send>[1] = {}) => send(meshPorts.gatewayHttp, { ...o, host: o.host ?? HOST, origin: true });
  const until = (what: string, check: () => Promise<boolean>) => waitFor(what, check, { timeoutMs: 30_000, intervalMs: 100 });
  const vs = (name: string, spec: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: ${NS}}
spec:
${spec}`;
  const dest = (subset: Version, extra = '') => `    - destination: {host: ${HOST}, subset: ${subset}${extra}}\n`;

  before(async () => {
    configDir = mkdtempSync(path.join(tmpdir(), 'mesh-e2e-routing-config-'));
    stateDir = mkdtempSync(path.join(tmpdir(), 'mesh-e2e-routing-state-'));
    for (const v of VERSIONS) {
      backends.set(v, await startBackend(v, await freePort()));
      ingress.set(v, await freePort());
    }
    sleepEgress = await freePort();
    otherEgress = await freePort();
    meshPorts = await freeMeshPorts();
    const docs: string[] = [
      `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: web, namespace: ${NS}}
spec:
  hosts: [${HOST}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports:
  - {number: ${PORT}, name: http, protocol: HTTP}
  - {number: ${ALT_PORT}, name: http-alt, protocol: HTTP}
  workloadSelector: {labels: {app: web}}
`,
      `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web, namespace: ${NS}}
spec:
  host: ${HOST}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
  - {name: v3, labels: {version: v3}}
`,
      `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web-gateway, namespace: ${NS}}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${meshPorts.gatewayHttp}, name: http, protocol: HTTP}
    hosts: ["*"]
`,
    ];
    for (const v of VERSIONS) {
      docs.push(
        `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: web-${v}, namespace: ${NS}}
spec:
  address: 127.0.0.1
  ports: {http: ${ingress.get(v)}, http-alt: ${ingress.get(v)}}
  serviceAccount: web
  labels: {app: web, version: ${v}, security.istio.io/tlsMode: istio}
`,
        `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: web-${v}, namespace: ${NS}}
spec:
  workloadSelector: {labels: {app: web, version: ${v}}}
  ingress:
  - port: {number: ${ingress.get(v)}, protocol: HTTP, name: http}
    defaultEndpoint: 127.0.0.1:${backends.get(v)!.port}
    captureMode: NONE
  egress:
  - hosts: ["./*"]
`,
      );
    }
    for (const [name, port] of [['sleep', sleepEgress], ['other', otherEgress]] as const) {
      docs.push(`apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: ${name}, namespace: ${NS}}
spec:
  workloadSelector: {labels: {app: ${name}}}
  egress:
  - port: {number: ${port}, protocol: HTTP, name: http-egress}
    bind: 127.0.0.1
    captureMode: NONE
    hosts: ["*/*"]
`);
    }
    write('web', docs.map((d) => `---\n${d}`).join(''));
    const workloads: WorkloadSpec[] = [
      ...VERSIONS.map((v): WorkloadSpec => ({ name: `web-${v}`, namespace: NS, labels: { app: 'web', version: v }, sidecarResource: `web-${v}`, serviceAccount: 'web', listenerPorts: [ingress.get(v)!] })),
      { name: 'sleep', namespace: NS, labels: { app: 'sleep', version: 'v1' }, sidecarResource: 'sleep', serviceAccount: 'sleep', listenerPorts: [sleepEgress] },
      { name: 'other', namespace: NS, labels: { app: 'other' }, sidecarResource: 'other', serviceAccount: 'other', listenerPorts: [otherEgress] },
    ];
    mesh = await startLocalMesh({
      configDir,
      stateDir,
      sample: false,
      workloads,
      ports: meshPorts,
      logLevel: 'info',
      onLine: process.env.MESH_TEST_VERBOSE === '1' ? (name, text) => process.stderr.write(`[${name}] ${text}\n`) : undefined,
    });
    await waitFor('sleep and other reach every version of web', async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 6; i++) for (const r of await Promise.all([sleep(), other()])) if (r.status === 200 && r.version) seen.add(r.version);
      return seen.size === 3;
    }, { timeoutMs: 120_000, intervalMs: 250 }).catch((err: Error) => {
      const tail = (name: string) => mesh.processes.get(name)?.output().split('\n').slice(-8).join('\n');
      throw new Error(`${err.message}\n[sleep-sidecar]\n${tail('sleep-sidecar')}\n[web-v1-sidecar]\n${tail('web-v1-sidecar')}`);
    });
  });

  after(async () => {
    await mesh?.stop();
    await Promise.all([...backends.values()].map((b) => new Promise<void>((r) => {
      b.server.close(() => r());
      b.server.closeAllConnections();
    })));
    for (const d of [configDir, stateDir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  // ------------------------------------------------------------------ request routing

  it('request routing: all traffic to v1 (virtual-service-all-v1), through sidecars and the ingress gateway', async () => {
    write('web-vs', vs('web', `  hosts: [${HOST}]\n  gateways: [web-gateway, mesh]\n  http:\n  - route:\n${dest('v1')}`));
    await until('every request on v1', async () => (await tally(12, () => sleep())).v1 === 12);
    assert.deepEqual(await tally(60, () => sleep()), { v1: 60 });
    assert.deepEqual(await tally(30, () => other()), { v1: 30 });
    assert.deepEqual(await tally(30, () => viaGateway()), { v1: 30 });
  });

  it('request routing: a header match (end-user: jason) goes to v2, everyone else to v1 (virtual-service-reviews-test-v2)', async () => {
    write('web-vs', vs('web', `  hosts: [${HOST}]
  http:
  - match:
    - headers:
        end-user: {exact: jason}
    route:
${dest('v2')}  - route:
${dest('v1')}`));
    const jason = { headers: { 'end-user': 'jason' } };
    await until('jason on v2', async () => (await sleep(jason)).version === 'v2');
    assert.deepEqual(await tally(30, () => sleep(jason)), { v2: 30 });
    assert.deepEqual(await tally(30, () => sleep()), { v1: 30 });
    assert.deepEqual(await tally(10, () => sleep({ headers: { 'end-user': 'Jason' } })), { v1: 10 }, 'exact is case-sensitive on the value');
    assert.deepEqual(await tally(10, () => sleep({ headers: { 'end-user': 'jason2' } })), { v1: 10 });
  });

  it('request routing: uri exact, prefix and regex matches', async () => {
    write('web-vs', vs('web', `  hosts: [${HOST}]
  http:
  - match: [{uri: {exact: /login}}]
    route:
${dest('v2')}  - match: [{uri: {prefix: /api/}}]
    route:
${dest('v3')}  - match: [{uri: {regex: "/items/[0-9]+"}}]
    route:
${dest('v2', ', port: {number: 9000}')}  - route:
${dest('v1')}`));
    await until('/login on v2', async () => (await sleep({ path: '/login' })).version === 'v2');
    const at = async (p: string) => (await sleep({ path: p })).version;
    assert.equal(await at('/login'), 'v2');
    assert.equal(await at('/login?next=/'), 'v2', 'the query string is not part of the path');
    assert.equal(await at('/login/more'), 'v1', 'exact is the whole path');
    assert.equal(await at('/api/users'), 'v3');
    assert.equal(await at('/api'), 'v1', 'a prefix match is on characters: /api does not start with /api/');
    assert.equal(await at('/items/42'), 'v2');
    assert.equal(await at('/items/42/x'), 'v1', 'a regex must match the whole path');
    assert.equal(await at('/items/abc'), 'v1');
    const regex = await sleep({ path: '/items/7' });
    assert.equal(regex.seen?.path, '/items/7');
  });

  it('request routing: method, query parameters and authority matches', async () => {
    write('web-vs', vs('web', `  hosts: [${HOST}]
  http:
  - match: [{method: {exact: POST}}]
    route:
${dest('v2')}  - match: [{queryParams: {tier: {exact: gold}}}]
    route:
${dest('v3')}  - match: [{authority: {prefix: "web:"}}]
    route:
${dest('v2')}  - route:
${dest('v1')}`));
    await until('POST on v2', async () => (await sleep({ method: 'POST' })).version === 'v2');
    assert.equal((await sleep({ method: 'POST' })).version, 'v2');
    assert.equal((await sleep({ method: 'PUT' })).version, 'v1');
    assert.equal((await sleep({ path: '/?tier=gold' })).version, 'v3');
    assert.equal((await sleep({ path: '/?a=1&tier=gold' })).version, 'v3');
    assert.equal((await sleep({ path: '/?tier=silver' })).version, 'v1');
    assert.equal((await sleep({ path: '/?tier=golden' })).version, 'v1', 'exact on the value');
    assert.equal((await sleep({ host: `web:${PORT}` })).version, 'v2', 'the short name is an authority of the same service');
    assert.equal((await sleep({ host: `${HOST}:${PORT}` })).version, 'v1');
  });

  it('request routing: a port match applies to requests for that service port only', async () => {
    write('web-vs', vs('web', `  hosts: [${HOST}]
  http:
  - match: [{port: ${ALT_PORT}}]
    route:
${dest('v3', `, port: {number: ${PORT}}`)}  - route:
${dest('v1')}`));
    await until(`port ${ALT_PORT} on v3`, async () => (await sleep({ host: `${HOST}:${ALT_PORT}` })).version === 'v3');
    assert.deepEqual(await tally(20, () => sleep({ host: `${HOST}:${ALT_PORT}` })), { v3: 20 });
    assert.deepEqual(await tally(20, () => sleep({ host: `${HOST}:${PORT}` })), { v1: 20 });
  });

  it('request routing: sourceLabels: only requests from the workload with the labels (sleep v1) take the route; others the default', async () => {
    write('web-vs', vs('web', `  hosts: [${HOST}]
  http:
  - match:
    - sourceLabels: {app: sleep, version: v1}
    route:
${dest('v2')}  - route:
${dest('v1')}`));
    await until('sleep on v2', async () => (await sleep()).version === 'v2' && (await other()).version === 'v1');
    assert.deepEqual(await tally(20, () => sleep()), { v2: 20 });
    assert.deepEqual(await tally(20, () => other()), { v1: 20 }, 'a workload without the labels');
    assert.deepEqual(await tally(10, () => viaGateway()), { 'other-404': 10 }, 'the VirtualService is bound to mesh only');
    write('web-vs', vs('web', `  hosts: [${HOST}]
  http:
  - match:
    - sourceLabels: {app: other}
    route:
${dest('v3')}  - route:
${dest('v1')}`));
    await until('other on v3', async () => (await other()).version === 'v3');
    assert.deepEqual(await tally(20, () => other()), { v3: 20 });
    assert.deepEqual(await tally(20, () => sleep()), { v1: 20 });
  });

  it('request routing: gateways: a VirtualService bound to the ingress gateway is not applied to sidecars, one bound to mesh not to the gateway; per-match gateways', async () => {
    write('web-vs', vs('web', `  hosts: [${HOST}]\n  gateways: [web-gateway]\n  http:\n  - route:\n${dest('v3')}`));
    await until('the gateway on v3', async () => (await tally(6, () => viaGateway())).v3 === 6);
    assert.deepEqual(await tally(20, () => viaGateway()), { v3: 20 });
    // The sidecars have no VirtualService for web: every version takes its turn.
    const mesh = await tally(30, () => sleep());
    assert.deepEqual(Object.keys(mesh).sort(), ['v1', 'v2', 'v3'], JSON.stringify(mesh));

    write('web-vs', vs('web', `  hosts: [${HOST}]\n  http:\n  - route:\n${dest('v2')}`));
    await until('the sidecars on v2 and the gateway without a route', async () => (await sleep()).version === 'v2' && (await viaGateway()).status === 404);
    assert.deepEqual(await tally(20, () => sleep()), { v2: 20 });
    assert.deepEqual(await tally(5, () => viaGateway()), { 'other-404': 5 }, 'no VirtualService binds the gateway to web');

    write('web-vs', vs('web', `  hosts: [${HOST}]
  gateways: [mesh, web-gateway]
  http:
  - match: [{gateways: [web-gateway]}]
    route:
${dest('v3')}  - match: [{gateways: [mesh]}]
    route:
${dest('v1')}`));
    await until('per-match gateways', async () => (await sleep()).version === 'v1' && (await viaGateway()).version === 'v3');
    assert.deepEqual(await tally(20, () => sleep()), { v1: 20 });
    assert.deepEqual(await tally(20, () => viaGateway()), { v3: 20 });
  });

  it('request routing: route order: the first matching route wins, the last route without a match is the default; no default and no match is 404', async () => {
    write('web-vs', vs('web', `  hosts: [${HOST}]
  http:
  - match: [{uri: {prefix: /a}}]
    route:
${dest('v2')}  - match: [{uri: {prefix: /a/b}}]
    route:
${dest('v3')}  - route:
${dest('v1')}`));
    await until('/a on v2', async () => (await sleep({ path: '/a' })).version === 'v2');
    assert.equal((await sleep({ path: '/a/b/c' })).version, 'v2', 'the earlier, broader route wins over the more specific one');
    assert.equal((await sleep({ path: '/z' })).version, 'v1');
    write('web-vs', vs('web', `  hosts: [${HOST}]
  http:
  - match: [{uri: {prefix: /a/b}}]
    route:
${dest('v3')}  - match: [{uri: {prefix: /a}}]
    route:
${dest('v2')}`));
    await until('/a/b on v3', async () => (await sleep({ path: '/a/b' })).version === 'v3');
    assert.equal((await sleep({ path: '/a/x' })).version, 'v2');
    const none = await sleep({ path: '/z' });
    assert.equal(none.status, 404, 'no route matches');
    assert.equal(none.version, undefined, 'no backend answered');
  });

  // ------------------------------------------------------------------ traffic shifting

  /**
   * Writes the weights, and waits until sleep's sidecar routes with them: the route also sets `x-weights` on
   * responses, so one answer carrying the new marker shows the whole rule arrived (no statistical guess).
   */
  const shift = async (weights: Partial<Record<Version, number>>) => {
    const marker = Object.entries(weights).map(([v, w]) => `${v}=${w}`).join(',');
    write('web-vs', vs('web', `  hosts: [${HOST}]\n  http:\n  - headers: {response: {set: {x-weights: "${marker}"}}}\n    route:\n${Object.entries(weights).map(([v, w]) => `${dest(v as Version)}      weight: ${w}\n`).join('')}`));
    await until(`weights ${marker}`, async () => (await sleep()).headers['x-weights'] === marker);
  };

  it('traffic shifting: 100/0, 50/50, 80/20, 0/100 between v1 and v3 (Istio task), each over 200 requests within ±5σ', async () => {
    const N = 200;
    await shift({ v1: 100, v3: 0 });
    assert.deepEqual(await tally(N, () => sleep()), { v1: N });

    await shift({ v1: 50, v3: 50 });
    let seen = await tally(N, () => sleep());
    assert.deepEqual(Object.keys(seen).sort(), ['v1', 'v3'], JSON.stringify(seen));
    assertRatio(seen.v3, N, 0.5, '50/50: v3');

    await shift({ v1: 80, v3: 20 });
    seen = await tally(N, () => sleep());
    assert.deepEqual(Object.keys(seen).sort(), ['v1', 'v3'], JSON.stringify(seen));
    assertRatio(seen.v3, N, 0.2, '80/20: v3');

    await shift({ v1: 0, v3: 100 });
    assert.deepEqual(await tally(N, () => sleep()), { v3: N });
  });

  it('traffic shifting: weights are relative proportions (1 and 3 is 25/75, as in Istio since 1.15)', async () => {
    await shift({ v1: 1, v2: 3 });
    const N = 200;
    const seen = await tally(N, () => sleep());
    assert.deepEqual(Object.keys(seen).sort(), ['v1', 'v2'], JSON.stringify(seen));
    assertRatio(seen.v1, N, 0.25, '1:3, v1');
  });

  it('traffic shifting: galley validate and the directory source accept weights 1/3 and refuse a total of 0; the last good routes stay', async () => {
    const file = (weights: [number, number]) =>
      vs('web', `  hosts: [${HOST}]\n  http:\n  - route:\n${dest('v1')}      weight: ${weights[0]}\n${dest('v2')}      weight: ${weights[1]}\n`);
    const dir = mkdtempSync(path.join(tmpdir(), 'mesh-e2e-routing-validate-'));
    try {
      writeFileSync(path.join(dir, 'ok.yaml'), file([1, 3]));
      writeFileSync(path.join(dir, 'zero.yaml'), file([0, 0]));
      const galley = path.join(WORKSPACE_ROOT, 'apps/galley/src/main.ts');
      const ok = await run(process.execPath, [galley, 'validate', path.join(dir, 'ok.yaml')], { cwd: WORKSPACE_ROOT });
      assert.doesNotMatch(ok.stdout, /error/i, ok.stdout);
      const zero = await run(process.execPath, [galley, 'validate', path.join(dir, 'zero.yaml')], { cwd: WORKSPACE_ROOT }).then(
        () => assert.fail('galley validate accepted weights 0 and 0'),
        (err: { code: number; stdout: string }) => err,
      );
      assert.equal(zero.code, 1);
      assert.match(zero.stdout, /spec\.http\[0\]\.route.*(0|zero)/, zero.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // The directory: 1/3 is served (previous case); 0/0 is refused by galley and the 1/3 routes stay.
    write('web-vs', file([0, 0]));
    await until('galley to reject the 0/0 VirtualService', async () => {
      const res = await fetch(`http://127.0.0.1:${meshPorts.galleyMonitoring}/debug/rejected`);
      return JSON.stringify(await res.json()).includes('web-vs.yaml');
    });
    const seen = await tally(40, () => sleep());
    assert.deepEqual(Object.keys(seen).sort(), ['v1', 'v2'], `the 1/3 routes stay: ${JSON.stringify(seen)}`);
  });

  // ------------------------------------------------------------------ rewrite, redirect, directResponse, headers

  it('rewrite: uri prefix and authority, uriRegexRewrite; the backend sees the rewritten request, the client the original answer', async () => {
    write('web-vs', vs('web', `  hosts: [${HOST}]
  http:
  - match: [{uri: {prefix: /v1/api/}}]
    rewrite: {uri: /api/, authority: web-internal.example}
    route:
${dest('v1')}  - match: [{uri: {regex: "/old/[^/]+/.*"}}]
    rewrite:
      uriRegexRewrite: {match: "^/old/([^/]+)/(.*)$", rewrite: "/new/\\\\2/\\\\1"}
    route:
${dest('v2')}  - route:
${dest('v3')}`));
    await until('the prefix rewrite', async () => (await sleep({ path: '/v1/api/users' })).seen?.path === '/api/users');
    const prefixed = await sleep({ path: '/v1/api/users?id=7' });
    assert.equal(prefixed.status, 200);
    assert.equal(prefixed.version, 'v1');
    assert.equal(prefixed.seen?.path, '/api/users?id=7', 'the matched prefix is replaced, the query kept');
    assert.equal(prefixed.seen?.headers.host, 'web-internal.example', 'authority rewritten');
    const regex = await sleep({ path: '/old/alpha/beta/gamma' });
    assert.equal(regex.version, 'v2');
    assert.equal(regex.seen?.path, '/new/beta/gamma/alpha');
    assert.equal(regex.seen?.headers.host, `${HOST}:${PORT}`, 'authority untouched without authority rewrite');
    const plain = await sleep({ path: '/other' });
    assert.deepEqual([plain.version, plain.seen?.path], ['v3', '/other']);
  });

  it('redirect: redirectCode, uri, authority, scheme and port; the backend is not called', async () => {
    write('web-vs', vs('web', `  hosts: [${HOST}]
  http:
  - match: [{uri: {exact: /moved}}]
    redirect: {uri: /new-home}
  - match: [{uri: {exact: /elsewhere}}]
    redirect: {authority: other.example, redirectCode: 302}
  - match: [{uri: {exact: /secure}}]
    redirect: {scheme: https, port: 8443, redirectCode: 308}
  - match: [{uri: {exact: /temp}}]
    redirect: {uri: /t, authority: tmp.example, redirectCode: 307}
  - route:
${dest('v1')}`));
    await until('/moved redirects', async () => (await sleep({ path: '/moved' })).status === 301);
    const before = VERSIONS.reduce((n, v) => n + backends.get(v)!.received.length, 0);
    const moved = await sleep({ path: '/moved?x=1' });
    assert.equal(moved.status, 301, 'redirectCode defaults to 301');
    assert.equal(moved.headers.location, `http://${HOST}:${PORT}/new-home?x=1`);
    const elsewhere = await sleep({ path: '/elsewhere' });
    assert.equal(elsewhere.status, 302);
    assert.equal(elsewhere.headers.location, 'http://other.example/elsewhere', 'authority replaces the whole host, its port included (Envoy host_redirect)');
    const secure = await sleep({ path: '/secure' });
    assert.equal(secure.status, 308);
    assert.equal(secure.headers.location, `https://${HOST}:8443/secure`);
    const temp = await sleep({ path: '/temp' });
    assert.equal(temp.status, 307);
    assert.equal(temp.headers.location, 'http://tmp.example/t');
    assert.equal(VERSIONS.reduce((n, v) => n + backends.get(v)!.received.length, 0), before, 'redirects are answered by the proxy');
    assert.equal((await sleep({ path: '/stay' })).version, 'v1');
  });

  it('directResponse: status and body answered by the client sidecar, without a backend', async () => {
    write('web-vs', vs('web', `  hosts: [${HOST}]
  http:
  - match: [{uri: {prefix: /maintenance}}]
    directResponse: {status: 503, body: {string: "down for maintenance"}}
  - match: [{uri: {exact: /teapot}}]
    directResponse: {status: 418}
  - route:
${dest('v1')}`));
    await until('the direct response', async () => (await sleep({ path: '/maintenance' })).status === 503);
    const before = VERSIONS.reduce((n, v) => n + backends.get(v)!.received.length, 0);
    const down = await sleep({ path: '/maintenance/x' });
    assert.deepEqual([down.status, down.body, down.version], [503, 'down for maintenance', undefined]);
    const teapot = await sleep({ path: '/teapot' });
    assert.deepEqual([teapot.status, teapot.body], [418, '']);
    assert.equal(VERSIONS.reduce((n, v) => n + backends.get(v)!.received.length, 0), before, 'no backend was called');
    assert.equal((await sleep({ path: '/' })).version, 'v1');
  });

  it('headers: request and response set/add/remove at route and destination level', async () => {
    write('web-vs', vs('web', `  hosts: [${HOST}]
  http:
  - headers:
      request:
        set: {x-route-set: route}
        add: {x-route-add: added}
        remove: [x-drop-me]
      response:
        set: {x-resp-set: route}
        add: {x-resp-add: added}
        remove: [x-backend]
    route:
    - destination: {host: ${HOST}, subset: v1}
      weight: 50
      headers:
        request: {set: {x-dest: v1}}
        response: {set: {x-dest-resp: v1}}
    - destination: {host: ${HOST}, subset: v2}
      weight: 50
      headers:
        request: {set: {x-dest: v2}}
        response: {set: {x-dest-resp: v2}}
`));
    await until('the header operations', async () => (await sleep()).headers['x-resp-set'] === 'route');
    const seenVersions = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const r = await sleep({ headers: { 'x-route-set': 'client', 'x-route-add': 'client', 'x-drop-me': 'secret' } });
      assert.equal(r.status, 200);
      seenVersions.add(r.version!);
      const h = r.seen!.headers;
      assert.equal(h['x-route-set'], 'route', 'set replaces the client value');
      assert.deepEqual(String(h['x-route-add']).split(/,\s*/), ['client', 'added'], 'add appends to the client value');
      assert.equal(h['x-drop-me'], undefined, 'remove');
      assert.equal(h['x-dest'], r.version, 'the destination-level operation of the destination that served it');
      assert.equal(r.headers['x-resp-set'], 'route');
      assert.equal(r.headers['x-resp-add'], 'added');
      assert.equal(r.headers['x-backend'], undefined, 'a response header removed');
      assert.equal(r.headers['x-dest-resp'], r.version);
    }
    assert.deepEqual([...seenVersions].sort(), ['v1', 'v2']);
  });

  // ------------------------------------------------------------------ mirroring

  it('mirroring: mirror + mirrorPercentage to v2: v2 gets the copy with the -shadow authority, the client v1\'s answer; a slow or failing mirror does not affect the client', async () => {
    const v2 = backends.get('v2')!;
    const mirror = (pct: number) =>
      write('web-vs', vs('web', `  hosts: [${HOST}]
  http:
  - route:
${dest('v1')}      weight: 100
    headers: {request: {set: {x-mirror-percentage: "${pct}"}}}
    mirror: {host: ${HOST}, subset: v2}
    mirrorPercentage: {value: ${pct}}
`));
    const shadows = (p = '/half') => v2.received.filter((r) => r.headers.host === `${HOST}-shadow:${PORT}` && r.path === p).length;
    mirror(100);
    await until('a mirrored copy on v2', async () => {
      await sleep({ path: '/probe' });
      return shadows('/probe') > 0;
    });
    v2.received.length = 0;
    const one = await sleep({ path: '/mirrored?n=1', headers: { 'x-trace': 'abc' } });
    assert.equal(one.version, 'v1', 'the client gets the answer of v1');
    await until('the copy of that request on v2', async () => v2.received.some((r) => r.path === '/mirrored?n=1'));
    const copy = v2.received.find((r) => r.path === '/mirrored?n=1')!;
    assert.equal(copy.headers.host, `${HOST}-shadow:${PORT}`, 'the authority carries the -shadow suffix');
    assert.equal(copy.headers['x-trace'], 'abc');
    assert.equal(copy.method, 'GET');

    // A slow, failing mirror: the client's answer neither waits for it nor sees its status.
    v2.delayMs = 3_000;
    v2.status = 500;
    try {
      const started = Date.now();
      const answers = await Promise.all(Array.from({ length: 5 }, () => sleep()));
      const ms = Date.now() - started;
      assert.deepEqual(answers.map((a) => [a.status, a.version]), Array(5).fill([200, 'v1']));
      assert.ok(ms < 2_000, `the client was not held up by the 3 s mirror: ${ms} ms`);
    } finally {
      v2.delayMs = 0;
      v2.status = 200;
    }

    mirror(50);
    await until('the 50% mirror rule', async () => (await sleep()).seen?.headers['x-mirror-percentage'] === '50');
    const N = 200;
    assert.deepEqual(await tally(N, () => sleep({ path: '/half' })), { v1: N });
    const lo = Math.floor(N / 2 - 5 * Math.sqrt(N / 4));
    await until(`at least ${lo} mirrored copies`, async () => shadows() >= lo);
    assertRatio(shadows(), N, 0.5, 'mirrorPercentage 50');
  });

  // ------------------------------------------------------------------ CORS

  it('CORS: preflight from an allowed origin answered by the proxy; a simple request gets Access-Control-Allow-Origin; a disallowed origin gets no CORS headers', async () => {
    // The corsPolicy of Istio's VirtualService reference, on the client sidecars and the ingress gateway.
    write('web-vs', vs('web', `  hosts: [${HOST}]
  gateways: [web-gateway, mesh]
  http:
  - corsPolicy:
      allowOrigins:
      - exact: https://example.com
      - prefix: https://app.
      allowMethods: [POST, GET]
      allowCredentials: false
      allowHeaders: [X-Foo-Bar]
      exposeHeaders: [X-Served-By]
      maxAge: "24h"
    route:
${dest('v1')}`));
    const preflight = (client: typeof sleep, origin: string) =>
      client({ method: 'OPTIONS', path: '/cors', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'X-Foo-Bar' } });
    const cors = (r: Reply) => Object.fromEntries(Object.entries(r.headers).filter(([k]) => k.startsWith('access-control-')));
    await until('the CORS policy on the sidecar and the gateway', async () =>
      (await Promise.all([preflight(sleep, 'https://example.com'), preflight(viaGateway, 'https://example.com')])).every((r) => r.headers['access-control-max-age'] === '86400'));
    // Only this case's path: late mirrored copies of the previous case may still arrive.
    const received = () => VERSIONS.reduce((n, v) => n + backends.get(v)!.received.filter((r) => r.path === '/cors').length, 0);
    for (const [name, client] of [['sidecar', sleep], ['gateway', viaGateway]] as const) {
      const before = received();
      for (const origin of ['https://example.com', 'https://app.example.org']) {
        const pre = await preflight(client, origin);
        assert.equal(pre.status, 200, `${name}: preflight from ${origin}`);
        assert.equal(pre.version, undefined, `${name}: the proxy answered the preflight itself`);
        assert.deepEqual(cors(pre), {
          'access-control-allow-origin': origin,
          'access-control-allow-methods': 'POST,GET',
          'access-control-allow-headers': 'X-Foo-Bar',
          'access-control-max-age': '86400',
        }, `${name}: preflight headers (no -allow-credentials: allowCredentials is false)`);
      }
      assert.equal(received(), before, `${name}: no backend saw an allowed preflight`);

      const simple = await client({ path: '/cors', headers: { origin: 'https://example.com' } });
      assert.deepEqual([simple.status, simple.version], [200, 'v1']);
      assert.deepEqual(cors(simple), { 'access-control-allow-origin': 'https://example.com', 'access-control-expose-headers': 'X-Served-By' }, `${name}: simple request`);

      const evil = await client({ path: '/cors', headers: { origin: 'https://evil.example' } });
      assert.deepEqual([evil.status, evil.version, cors(evil)], [200, 'v1', {}], `${name}: a disallowed origin gets the answer without CORS headers`);
      // unmatchedPreflights defaults to FORWARD: the backend answers a preflight from an origin the policy does not allow.
      const evilPre = await preflight(client, 'https://evil.example');
      assert.deepEqual([evilPre.status, evilPre.version, evilPre.seen?.method, cors(evilPre)], [200, 'v1', 'OPTIONS', {}], `${name}: a disallowed preflight is forwarded`);
      const noOrigin = await client({ path: '/cors' });
      assert.deepEqual([noOrigin.version, cors(noOrigin)], ['v1', {}], `${name}: no Origin, no CORS`);
      assert.equal(received(), before + 4, `${name}: only the requests that are not allowed preflights reached a backend`);
    }
  });
});
