// Conformance (issue #10): Istio's resilience tasks through the real path
// (galley -> pilot -> proxies): fault injection, request timeouts, retries,
// circuit breaking and outlier detection. One local mesh: three instances of
// httpbin (the sample app, answering like httpbin) behind their sidecars, a
// `sleep` client that calls through its sidecar's egress listener (as
// `kubectl exec sleep -- curl` would) and `flaky`, a service with one endpoint
// that refuses connections and one healthy one (httpbin's instance h1).
// Each case writes Istio YAML into galley's directory, waits until a request
// shows the new config, then asserts what a user sees.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect as http2Connect, constants as h2, createServer as createH2cServer } from 'node:http2';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freeMeshPorts, startLocalMesh, type LocalMesh, type WorkloadSpec } from '@mesh/local-mesh';
import { freePort, waitFor } from '@mesh/testing';

const NS = 'res';
const HTTPBIN = `httpbin.${NS}.svc.cluster.local`;
const FLAKY = `flaky.${NS}.svc.cluster.local`;
const PORT = 8000;
const INSTANCES = ['h1', 'h2', 'h3'] as const;
type Instance = (typeof INSTANCES)[number];

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ms: number;
}

describe("Istio's resilience tasks on the local mesh: fault injection, timeouts, retries, circuit breaking, outlier detection", { timeout: 300_000 }, () => {
  let mesh: LocalMesh;
  let configDir: string;
  let stateDir: string;
  const app = {} as Record<Instance, number>;
  const ingress = {} as Record<Instance, number>;
  let egress = 0;
  let deadPort = 0;
  /** sleep's sidecar access log (JSON lines). */
  const accessLog: string[] = [];

  /** `curl http://<host>:8000<path>` from sleep, through its sidecar. */
  const call = (p: string, headers: Record<string, string> = {}, host = HTTPBIN, timeoutMs = 10_000): Promise<Answer> => {
    const authority = `${host}:${PORT}`;
    const started = performance.now();
    return new Promise((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port: egress, path: `http://${authority}${p}`, headers: { host: authority, ...headers }, agent: false, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), ms: performance.now() - started }));
        res.on('error', () => resolve({ status: 0, headers: {}, body: '', ms: performance.now() - started }));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve({ status: 0, headers: {}, body: '', ms: performance.now() - started }));
      req.end();
    });
  };
  /** `n` calls, `concurrency` at a time. */
  const calls = async (n: number, concurrency: number, p: string, headers: Record<string, string> = {}, host = HTTPBIN): Promise<Answer[]> => {
    const out: Answer[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < n) {
          next++;
          out.push(await call(p, headers, host));
        }
      }),
    );
    return out;
  };
  const attemptCount = (a: Answer): string | undefined => (JSON.parse(a.body) as { headers: Record<string, string> }).headers['x-envoy-attempt-count'];
  /** Requests instance `i` has answered so far (the sample app counts them). */
  const served = async (i: Instance): Promise<number> => ((await (await fetch(`http://127.0.0.1:${app[i]}/sample/stats`)).json()) as { requests: number }).requests;
  const setFailure = async (i: Instance, status: number): Promise<void> => {
    const res = await fetch(`http://127.0.0.1:${app[i]}/sample/fail?status=${status}`, { method: 'POST' });
    assert.equal(res.status, 200);
  };
  const write = (file: string, yaml: string) => writeFileSync(path.join(configDir, file), yaml);
  const remove = (file: string) => rmSync(path.join(configDir, file), { force: true });
  /** A VirtualService for httpbin whose routes also set `x-conf-case: <marker>` on responses: a request shows the config arrived. */
  const virtualService = (marker: string, http: string, host = HTTPBIN) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${host.split('.')[0]}, namespace: ${NS}}
spec:
  hosts: [${host}]
  http:
${http.replaceAll('MARK', `headers: {response: {set: {x-conf-case: ${marker}}}}`)}`;
  const waitMarker = async (marker: string, host = HTTPBIN, p = '/get') => {
    await waitFor(`config ${marker} is applied`, async () => (await call(p, {}, host)).headers['x-conf-case'] === marker, { timeoutMs: 30_000, intervalMs: 100 });
  };

  before(async () => {
    configDir = mkdtempSync(path.join(tmpdir(), 'mesh-e2e-resilience-config-'));
    stateDir = mkdtempSync(path.join(tmpdir(), 'mesh-e2e-resilience-state-'));
    for (const i of INSTANCES) {
      app[i] = await freePort();
      ingress[i] = await freePort();
    }
    egress = await freePort();
    deadPort = await freePort();
    const docs: string[] = [
      `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin, namespace: ${NS}}
spec:
  hosts: [${HTTPBIN}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: ${PORT}, name: http, protocol: HTTP}]
  workloadSelector: {labels: {app: httpbin}}
`,
      `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: flaky, namespace: ${NS}}
spec:
  hosts: [${FLAKY}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: ${PORT}, name: http, protocol: HTTP}]
  workloadSelector: {labels: {app: flaky}}
`,
      // flaky's endpoints: a port nothing listens on, and httpbin's h1 (its sidecar accepts any authority).
      `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: flaky-dead, namespace: ${NS}}
spec:
  address: 127.0.0.1
  ports: {http: ${deadPort}}
  serviceAccount: httpbin
  labels: {app: flaky, security.istio.io/tlsMode: istio}
`,
      `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: flaky-ok, namespace: ${NS}}
spec:
  address: 127.0.0.1
  ports: {http: ${ingress.h1}}
  serviceAccount: httpbin
  labels: {app: flaky, security.istio.io/tlsMode: istio}
`,
      `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: sleep, namespace: ${NS}}
spec:
  workloadSelector: {labels: {app: sleep}}
  egress:
  - port: {number: ${egress}, protocol: HTTP, name: http-egress}
    bind: 127.0.0.1
    captureMode: NONE
    hosts: ["*/*"]
`,
    ];
    for (const i of INSTANCES) {
      docs.push(
        `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: httpbin-${i}, namespace: ${NS}}
spec:
  address: 127.0.0.1
  ports: {http: ${ingress[i]}}
  serviceAccount: httpbin
  labels: {app: httpbin, instance: ${i}, security.istio.io/tlsMode: istio}
`,
        `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: httpbin-${i}, namespace: ${NS}}
spec:
  workloadSelector: {labels: {instance: ${i}}}
  ingress:
  - port: {number: ${ingress[i]}, protocol: HTTP, name: http}
    defaultEndpoint: 127.0.0.1:${app[i]}
    captureMode: NONE
`,
      );
    }
    write('workloads.yaml', docs.map((d) => `---\n${d}`).join(''));
    const workloads: WorkloadSpec[] = [
      ...INSTANCES.map((i) => ({
        name: `httpbin-${i}`,
        namespace: NS,
        labels: { app: 'httpbin', instance: i },
        sidecarResource: `httpbin-${i}`,
        serviceAccount: 'httpbin',
        app: { script: 'tools/local-mesh/src/sample-app.ts', args: ['--service', 'httpbin', '--version', i, '--port', String(app[i])], port: app[i], healthPath: '/healthz' },
        listenerPorts: [ingress[i]],
      })),
      { name: 'sleep', namespace: NS, labels: { app: 'sleep' }, sidecarResource: 'sleep', serviceAccount: 'sleep', listenerPorts: [egress] },
    ];
    mesh = await startLocalMesh({
      configDir,
      stateDir,
      sample: false,
      workloads,
      ports: await freeMeshPorts(),
      logLevel: 'info',
      accessLog: true,
      onLine: (name, text) => {
        if (name === 'sleep-sidecar' && text.includes('"msg":"access"')) accessLog.push(text);
        if (process.env.MESH_TEST_VERBOSE === '1') process.stderr.write(`[${name}] ${text}\n`);
      },
    });
    await waitFor(
      'sleep reaches every httpbin instance',
      async () => {
        const seen = new Set((await calls(12, 3, '/get')).map((a) => a.headers['x-served-by']));
        return INSTANCES.every((i) => seen.has(`httpbin-${i}`));
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    );
  });

  after(async () => {
    await mesh?.stop();
    for (const d of [configDir, stateDir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  // ---------------------------------------------------------------- fault injection

  it('fault injection: fixedDelay for end-user jason only (Bookinfo shape, 2 s instead of 7 s)', async () => {
    write(
      'httpbin-vs.yaml',
      virtualService(
        'delay',
        `  - match: [{headers: {end-user: {exact: jason}}}]
    fault: {delay: {percentage: {value: 100}, fixedDelay: 2s}}
    route: [{destination: {host: ${HTTPBIN}}}]
    MARK
  - route: [{destination: {host: ${HTTPBIN}}}]
    MARK
`,
      ),
    );
    await waitMarker('delay');
    const jason = await call('/get', { 'end-user': 'jason' });
    assert.equal(jason.status, 200);
    assert.ok(jason.ms >= 1950 && jason.ms < 3500, `jason waited ${Math.round(jason.ms)} ms, expected 2000 (+1500)`);
    for (const user of [undefined, 'alice']) {
      const other = await call('/get', user ? { 'end-user': user } : {});
      assert.equal(other.status, 200);
      assert.ok(other.ms < 1000, `${user ?? 'no user'} waited ${Math.round(other.ms)} ms`);
    }
  });

  it('fault injection: abort httpStatus 500 for 50% of requests, the measured rate within ±0.12 over 200 requests', async () => {
    write(
      'httpbin-vs.yaml',
      virtualService(
        'abort',
        `  - fault: {abort: {percentage: {value: 50}, httpStatus: 500}}
    route: [{destination: {host: ${HTTPBIN}}}]
    MARK
`,
      ),
    );
    await waitMarker('abort');
    const answers = await calls(200, 8, '/get');
    const aborted = answers.filter((a) => a.status === 500);
    assert.equal(aborted.length + answers.filter((a) => a.status === 200).length, 200, 'only 200 and 500');
    for (const a of aborted) assert.equal(a.body, 'fault filter abort');
    const rate = aborted.length / 200;
    // 0.12 is 3.4 standard deviations of a binomial(200, 0.5) share.
    assert.ok(Math.abs(rate - 0.5) <= 0.12, `abort rate ${rate}`);
  });

  it('fault injection: grpcStatus UNAVAILABLE abort answers a gRPC request with grpc-status 14', async () => {
    write(
      'httpbin-vs.yaml',
      virtualService(
        'grpc-abort',
        `  - match: [{uri: {prefix: /grpc.testing.TestService/}}]
    fault: {abort: {percentage: {value: 100}, grpcStatus: UNAVAILABLE}}
    route: [{destination: {host: ${HTTPBIN}}}]
  - route: [{destination: {host: ${HTTPBIN}}}]
    MARK
`,
      ),
    );
    await waitMarker('grpc-abort');
    // A gRPC client using sleep's sidecar: h2c prior knowledge to the egress listener.
    const session = http2Connect(`http://127.0.0.1:${egress}`);
    try {
      const result = await new Promise<{ headers: Record<string, unknown>; trailers: Record<string, unknown> }>((resolve, reject) => {
        const stream = session.request({
          [h2.HTTP2_HEADER_METHOD]: 'POST',
          [h2.HTTP2_HEADER_PATH]: '/grpc.testing.TestService/EmptyCall',
          [h2.HTTP2_HEADER_AUTHORITY]: `${HTTPBIN}:${PORT}`,
          'content-type': 'application/grpc',
          te: 'trailers',
        });
        let headers: Record<string, unknown> = {};
        let trailers: Record<string, unknown> = {};
        stream.on('response', (h) => (headers = h));
        stream.on('trailers', (t) => (trailers = t));
        stream.on('error', reject);
        stream.resume();
        stream.on('close', () => resolve({ headers, trailers }));
        // An empty message: compressed flag 0, length 0.
        stream.end(Buffer.alloc(5));
      });
      assert.equal(result.headers[':status'], 200);
      // A trailers-only response: grpc-status arrives in the only HEADERS frame (or in trailers).
      assert.equal(result.trailers['grpc-status'] ?? result.headers['grpc-status'], '14');
    } finally {
      session.close();
    }
  });

  // ---------------------------------------------------------------- timeouts

  it('timeouts: a route timeout of 0.5 s against /delay/2 answers 504 "upstream request timeout" after 0.5 s', async () => {
    write(
      'httpbin-vs.yaml',
      virtualService(
        'timeout',
        `  - timeout: 0.5s
    route: [{destination: {host: ${HTTPBIN}}}]
    MARK
`,
      ),
    );
    await waitMarker('timeout');
    const slow = await call('/delay/2');
    assert.equal(slow.status, 504);
    assert.equal(slow.body, 'upstream request timeout');
    assert.ok(slow.ms >= 480 && slow.ms < 1500, `answered after ${Math.round(slow.ms)} ms`);
    const fast = await call('/delay/0.1');
    assert.equal(fast.status, 200);
  });

  it('timeouts: x-envoy-upstream-rq-timeout-ms from an internal client (sleep behind its sidecar) overrides the route timeout', async () => {
    write(
      'httpbin-vs.yaml',
      virtualService(
        'no-timeout',
        `  - route: [{destination: {host: ${HTTPBIN}}}]
    MARK
`,
      ),
    );
    await waitMarker('no-timeout');
    assert.equal((await call('/delay/1')).status, 200, 'no route timeout');
    const bounded = await call('/delay/2', { 'x-envoy-upstream-rq-timeout-ms': '300' });
    assert.equal(bounded.status, 504);
    assert.equal(bounded.body, 'upstream request timeout');
    assert.ok(bounded.ms >= 280 && bounded.ms < 1300, `answered after ${Math.round(bounded.ms)} ms`);
  });

  // ---------------------------------------------------------------- retries

  it("retries: Istio's default policy (no retries set) does not retry a 503 or a 500 (Istio 1.24+); x-envoy-attempt-count seen by the backend", async () => {
    // The VirtualService of the previous case sets no retries. Since Istio 1.24 the default policy keeps
    // retriable-status-codes without codes: an answered request may have run, so it is not sent again.
    const total = async () => (await Promise.all(INSTANCES.map(served))).reduce((a, b) => a + b, 0);
    for (const status of [503, 500]) {
      const before = await total();
      const failed = await call('/get', { 'x-sample-fail': String(status), 'x-sample-fail-attempts': '1' });
      assert.equal(failed.status, status);
      assert.equal((await total()) - before, 1, `a ${status} reached the backends once`);
    }
    assert.equal(attemptCount(await call('/get')), '1');
  });

  it("retries: Istio's default policy retries connect-failure (flaky's dead endpoint is never seen); attempts 0 shows it", async () => {
    const answers = await calls(20, 2, '/get', {}, FLAKY);
    assert.deepEqual(
      answers.map((a) => a.status),
      Array(20).fill(200),
    );
    write(
      'flaky-vs.yaml',
      virtualService(
        'flaky-no-retries',
        `  - retries: {attempts: 0}
    route: [{destination: {host: ${FLAKY}}}]
    MARK
`,
        FLAKY,
      ),
    );
    await waitFor('a connect failure reaches the client', async () => (await calls(6, 1, '/get', {}, FLAKY)).some((a) => a.status === 503), { timeoutMs: 30_000, intervalMs: 100 });
    const without = await calls(20, 2, '/get', {}, FLAKY);
    const failed = without.filter((a) => a.status === 503);
    assert.ok(failed.length >= 3 && failed.length <= 17, `${failed.length} of 20 failed, expected about half`);
    for (const f of failed) assert.match(f.body, /upstream connect error or disconnect\/reset before headers/);
  });

  it('retries: attempts 3 with retryOn 5xx and connect-failure: the 4th attempt answers; x-envoy-max-retries from the internal client lowers it', async () => {
    write(
      'flaky-vs.yaml',
      virtualService(
        'flaky-retries',
        `  - retries: {attempts: 3, retryOn: "5xx,connect-failure"}
    route: [{destination: {host: ${FLAKY}}}]
    MARK
`,
        FLAKY,
      ),
    );
    write(
      'httpbin-vs.yaml',
      virtualService(
        'retries-5xx',
        `  - retries: {attempts: 3, retryOn: 5xx}
    route: [{destination: {host: ${HTTPBIN}}}]
    MARK
`,
      ),
    );
    await waitMarker('retries-5xx');
    await waitMarker('flaky-retries', FLAKY);
    assert.deepEqual(
      (await calls(20, 2, '/get', {}, FLAKY)).map((a) => a.status),
      Array(20).fill(200),
    );
    const fourth = await call('/get', { 'x-sample-fail': '500', 'x-sample-fail-attempts': '3' });
    assert.equal(fourth.status, 200);
    assert.equal(attemptCount(fourth), '4');
    assert.equal((await call('/get', { 'x-sample-fail': '500', 'x-sample-fail-attempts': '4' })).status, 500, 'attempts 3: four tries');
    const lowered = await call('/get', { 'x-sample-fail': '502', 'x-sample-fail-attempts': '1', 'x-envoy-max-retries': '0' });
    assert.equal(lowered.status, 502, 'x-envoy-max-retries: 0');
    const raised = await call('/get', { 'x-sample-fail': '502', 'x-sample-fail-attempts': '5', 'x-envoy-max-retries': '5' });
    assert.equal(raised.status, 200, 'x-envoy-max-retries: 5');
    assert.equal(attemptCount(raised), '6');
  });

  it('retries: perTryTimeout 0.3 s with attempts 2 gives up after three tries (504), a fast answer is not retried; x-envoy-upstream-rq-per-try-timeout-ms from the internal client overrides it', async () => {
    write(
      'httpbin-vs.yaml',
      virtualService(
        'per-try',
        `  - retries: {attempts: 2, perTryTimeout: 0.3s, retryOn: 5xx}
    route: [{destination: {host: ${HTTPBIN}}}]
    MARK
`,
      ),
    );
    await waitMarker('per-try');
    const before = (await Promise.all(INSTANCES.map(served))).reduce((a, b) => a + b, 0);
    const slow = await call('/delay/2');
    assert.equal(slow.status, 504);
    assert.equal(slow.body, 'upstream request timeout');
    // Three tries of 0.3 s, plus Envoy's back-off between them (25 ms base, jittered).
    assert.ok(slow.ms >= 880 && slow.ms < 2000, `answered after ${Math.round(slow.ms)} ms`);
    const after = (await Promise.all(INSTANCES.map(served))).reduce((a, b) => a + b, 0);
    assert.equal(after - before, 3, 'three tries reached the backends');
    const fast = await call('/delay/0.1');
    assert.equal(fast.status, 200);
    assert.equal(attemptCount(fast), '1');
    // sleep's own per-try timeout: 0.6 s lets /delay/0.5 through on the first try, 0.1 s times out all three tries.
    const longer = await call('/delay/0.5', { 'x-envoy-upstream-rq-per-try-timeout-ms': '600' });
    assert.equal(longer.status, 200);
    assert.equal(attemptCount(longer), '1');
    const shorter = await call('/delay/0.5', { 'x-envoy-upstream-rq-per-try-timeout-ms': '100' });
    assert.equal(shorter.status, 504);
    assert.ok(shorter.ms >= 290 && shorter.ms < 880, `three tries of 0.1 s answered after ${Math.round(shorter.ms)} ms`);
  });

  it('retries: gateway-error retries 502/503/504 only; retriable-status-codes and retriable-4xx', async () => {
    write(
      'httpbin-vs.yaml',
      virtualService(
        'retry-on',
        `  - match: [{headers: {x-policy: {exact: gateway}}}]
    retries: {attempts: 1, retryOn: gateway-error}
    route: [{destination: {host: ${HTTPBIN}}}]
    MARK
  - match: [{headers: {x-policy: {exact: codes}}}]
    retries: {attempts: 1, retryOn: "retriable-status-codes,418"}
    route: [{destination: {host: ${HTTPBIN}}}]
    MARK
  - match: [{headers: {x-policy: {exact: 4xx}}}]
    retries: {attempts: 1, retryOn: retriable-4xx}
    route: [{destination: {host: ${HTTPBIN}}}]
    MARK
  - route: [{destination: {host: ${HTTPBIN}}}]
    MARK
`,
      ),
    );
    await waitMarker('retry-on');
    const once = (policy: string, status: number) => call('/get', { 'x-policy': policy, 'x-sample-fail': String(status), 'x-sample-fail-attempts': '1' });
    for (const code of [502, 503, 504]) assert.equal((await once('gateway', code)).status, 200, `gateway-error retries ${code}`);
    assert.equal((await once('gateway', 500)).status, 500, 'gateway-error does not retry 500');
    assert.equal((await once('codes', 418)).status, 200, 'retriable-status-codes 418');
    assert.equal((await once('codes', 503)).status, 503, 'only the listed codes');
    assert.equal((await once('4xx', 409)).status, 200, 'retriable-4xx retries 409');
    assert.equal((await once('4xx', 404)).status, 404, 'retriable-4xx is only 409');
  });

  it('retries: retryOn refused-stream re-sends a stream an HTTP/2 upstream refused; retriable-4xx does not (503 "remote refused stream reset")', async () => {
    // An h2c service without a sidecar: sleep's sidecar speaks HTTP/2 to it and sees its RST_STREAM REFUSED_STREAM.
    // It refuses the first stream of each x-test-id and answers every other request.
    const seen = new Map<string, number>();
    const server = createH2cServer();
    server.on('stream', (stream, headers) => {
      const id = headers['x-test-id'];
      const n = typeof id === 'string' ? (seen.get(id) ?? 0) + 1 : 0;
      if (typeof id === 'string') seen.set(id, n);
      if (n === 1) {
        stream.on('error', () => {});
        stream.close(h2.NGHTTP2_REFUSED_STREAM);
        return;
      }
      stream.respond({ ':status': 200 });
      stream.end('answered');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const refuser = `refuser.${NS}.svc.cluster.local`;
    try {
      write(
        'refuser.yaml',
        `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: refuser, namespace: ${NS}}
spec:
  hosts: [${refuser}]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: ${PORT}, name: http2, protocol: HTTP2}]
  endpoints: [{address: 127.0.0.1, ports: {http2: ${(server.address() as { port: number }).port}}}]
---
${virtualService(
  'refused',
  `  - match: [{headers: {x-policy: {exact: refused-stream}}}]
    retries: {attempts: 2, retryOn: refused-stream}
    route: [{destination: {host: ${refuser}}}]
    MARK
  - route: [{destination: {host: ${refuser}}}]
    retries: {attempts: 2, retryOn: retriable-4xx}
    MARK
`,
  refuser,
)}`,
      );
      await waitMarker('refused', refuser, '/');
      const retried = await call('/', { 'x-policy': 'refused-stream', 'x-test-id': 'a' }, refuser);
      assert.equal(retried.status, 200);
      assert.equal(retried.body, 'answered');
      assert.equal(seen.get('a'), 2, 'the refused stream was sent again');
      const notRetried = await call('/', { 'x-test-id': 'b' }, refuser);
      assert.equal(notRetried.status, 503);
      assert.equal(notRetried.body, 'upstream connect error or disconnect/reset before headers. reset reason: remote refused stream reset');
      assert.equal(seen.get('b'), 1, 'retriable-4xx does not re-send a refused stream');
    } finally {
      remove('refuser.yaml');
      server.close();
    }
  });

  // ---------------------------------------------------------------- circuit breaking

  it('circuit breaking: maxConnections 1, http1MaxPendingRequests 1, maxRequestsPerConnection 1 - concurrent clients get 503 x-envoy-overloaded, UO logged and counted', async () => {
    write(
      'httpbin-vs.yaml',
      virtualService(
        'cb',
        `  - route: [{destination: {host: ${HTTPBIN}}}]
    MARK
`,
      ),
    );
    write(
      'httpbin-dr.yaml',
      `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: httpbin, namespace: ${NS}}
spec:
  host: ${HTTPBIN}
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 1}
      http: {http1MaxPendingRequests: 1, maxRequestsPerConnection: 1}
    outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 3m, maxEjectionPercent: 100}
`,
    );
    await waitMarker('cb');
    const statsUrl = `http://127.0.0.1:${mesh.workloads.get('sleep')!.sidecar.admin}/stats`;
    const overflowStat = async () => {
      const m = new RegExp(`cluster\\.outbound\\|${PORT}\\|\\|${HTTPBIN.replaceAll('.', '\\.')}\\.upstream_rq_pending_overflow: (\\d+)`).exec(await (await fetch(statsUrl)).text());
      return m ? Number(m[1]) : 0;
    };
    await waitFor('the circuit breaker trips', async () => (await calls(6, 6, '/delay/0.2')).some((a) => a.status === 503), { timeoutMs: 30_000, intervalMs: 100 });
    const statBefore = await overflowStat();
    const logBefore = accessLog.length;
    // Istio's task: fortio -c 3 (here 10 concurrent clients, 30 calls of a 0.2 s answer).
    const answers = await calls(30, 10, '/delay/0.2');
    const overloaded = answers.filter((a) => a.status === 503);
    assert.ok(overloaded.length >= 5, `${overloaded.length} of 30 were rejected`);
    assert.ok(answers.some((a) => a.status === 200), 'some got through');
    assert.equal(overloaded.length + answers.filter((a) => a.status === 200).length, 30);
    for (const a of overloaded) assert.equal(a.headers['x-envoy-overloaded'], 'true');
    assert.equal((await overflowStat()) - statBefore, overloaded.length, 'upstream_rq_pending_overflow counts every rejection');
    const lines = accessLog.slice(logBefore).map((l) => JSON.parse(l.slice(l.indexOf('{'))) as { response_flags: string; response_code: number; path: string });
    const uo = lines.filter((l) => l.path === '/delay/0.2' && l.response_flags === 'UO' && l.response_code === 503);
    assert.equal(uo.length, overloaded.length, 'UO in the access log for every rejection');
    remove('httpbin-dr.yaml');
    await waitFor('the circuit breaker is gone', async () => (await calls(6, 6, '/delay/0.2')).every((a) => a.status === 200), { timeoutMs: 30_000, intervalMs: 100 });
  });

  // ---------------------------------------------------------------- outlier detection

  const outlierRule = (spec: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: httpbin, namespace: ${NS}}
spec:
  host: ${HTTPBIN}
  trafficPolicy:
    # The cases count each instance's share: round robin makes it exact (Istio's default, LEAST_REQUEST, is not).
    loadBalancer: {simple: ROUND_ROBIN}
    outlierDetection: {${spec}}
`;

  it('outlier detection: consecutive5xxErrors ejects a failing instance, traffic continues on the healthy ones, the host is back after baseEjectionTime', async () => {
    write(
      'httpbin-vs.yaml',
      virtualService(
        'od',
        `  - retries: {attempts: 0}
    route: [{destination: {host: ${HTTPBIN}}}]
    MARK
`,
      ),
    );
    write('httpbin-dr.yaml', outlierRule('consecutive5xxErrors: 2, interval: 1s, baseEjectionTime: 3s, maxEjectionPercent: 100'));
    await waitMarker('od');
    // The DestinationRule's cluster is in the same push as the VirtualService's route; give it the next answer anyway.
    await setFailure('h3', 503);
    try {
      // Round robin over three: within ~6 requests h3 fails twice in a row from this client's view and is ejected.
      const warm = await calls(12, 1, '/get');
      const failures = warm.filter((a) => a.status === 503).length;
      assert.ok(failures >= 2 && failures <= 4, `${failures} failures before the ejection`);
      const h3Before = await served('h3');
      const during = await calls(30, 2, '/get');
      assert.deepEqual(
        during.map((a) => a.status),
        Array(30).fill(200),
        'the ejected instance gets no traffic',
      );
      assert.equal(await served('h3'), h3Before);
      const ejectedAt = performance.now();
      await setFailure('h3', 0);
      await waitFor('h3 is back', async () => (await served('h3')) > h3Before || ((await call('/get')).status === 200 && (await served('h3')) > h3Before), { timeoutMs: 15_000, intervalMs: 50 });
      const back = performance.now() - ejectedAt;
      // Ejected for baseEjectionTime (3 s) from the ejection, released at the next 1 s interval.
      assert.ok(back < 3000 + 1000 + 1500, `back after ${Math.round(back)} ms`);
    } finally {
      await setFailure('h3', 0);
    }
  });

  it('outlier detection: consecutiveGatewayErrors ejects an instance answering 502, not one answering 500 (consecutive5xxErrors 0)', async () => {
    write('httpbin-dr.yaml', outlierRule('consecutiveGatewayErrors: 2, consecutive5xxErrors: 0, interval: 1s, baseEjectionTime: 5s, maxEjectionPercent: 100'));
    write(
      'httpbin-vs.yaml',
      virtualService(
        'od-gateway',
        `  - retries: {attempts: 0}
    route: [{destination: {host: ${HTTPBIN}}}]
    MARK
`,
      ),
    );
    await waitMarker('od-gateway');
    await setFailure('h3', 500);
    try {
      const with500 = await calls(15, 1, '/get');
      assert.equal(with500.filter((a) => a.status === 500).length, 5, 'a 500 is not a gateway error: h3 keeps its third');
      await setFailure('h3', 502);
      const with502 = await calls(15, 1, '/get');
      const failures = with502.filter((a) => a.status === 502).length;
      assert.ok(failures >= 2 && failures <= 3, `${failures} 502s before the ejection`);
      const h3Before = await served('h3');
      assert.deepEqual(
        (await calls(15, 1, '/get')).map((a) => a.status),
        Array(15).fill(200),
      );
      assert.equal(await served('h3'), h3Before, 'h3 is ejected');
    } finally {
      await setFailure('h3', 0);
    }
  });

  it("outlier detection: splitExternalLocalOriginErrors with consecutiveLocalOriginFailures 1 ejects flaky's endpoint that refuses connections", async () => {
    write(
      'flaky-dr.yaml',
      `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: flaky, namespace: ${NS}}
spec:
  host: ${FLAKY}
  trafficPolicy:
    outlierDetection: {splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 1, interval: 1s, baseEjectionTime: 30s, maxEjectionPercent: 100}
`,
    );
    write(
      'flaky-vs.yaml',
      virtualService(
        'flaky-od',
        `  - retries: {attempts: 0}
    route: [{destination: {host: ${FLAKY}}}]
    MARK
`,
        FLAKY,
      ),
    );
    await waitMarker('flaky-od', FLAKY);
    const first = await calls(6, 1, '/get', {}, FLAKY);
    assert.ok(first.filter((a) => a.status === 503).length <= 1, `one connect failure at most: ${first.map((a) => a.status).join(',')}`);
    assert.deepEqual(
      (await calls(20, 2, '/get', {}, FLAKY)).map((a) => a.status),
      Array(20).fill(200),
      'the dead endpoint is ejected',
    );
  });

  it('outlier detection: maxEjectionPercent 34 ejects one of two failing instances out of three', async () => {
    write('httpbin-dr.yaml', outlierRule('consecutive5xxErrors: 2, interval: 1s, baseEjectionTime: 30s, maxEjectionPercent: 34'));
    write(
      'httpbin-vs.yaml',
      virtualService(
        'od-max',
        `  - retries: {attempts: 0}
    route: [{destination: {host: ${HTTPBIN}}}]
    MARK
`,
      ),
    );
    await waitMarker('od-max');
    await setFailure('h2', 503);
    await setFailure('h3', 503);
    try {
      await calls(20, 1, '/get');
      const before = { h1: await served('h1'), h2: await served('h2'), h3: await served('h3') };
      const answers = await calls(30, 1, '/get');
      const got = { h1: (await served('h1')) - before.h1, h2: (await served('h2')) - before.h2, h3: (await served('h3')) - before.h3 };
      const failing = [got.h2, got.h3].sort((a, b) => a - b);
      assert.equal(failing[0], 0, `one failing instance is ejected: ${JSON.stringify(got)}`);
      assert.ok(failing[1] >= 8, `the other stays in rotation: ${JSON.stringify(got)}`);
      assert.equal(answers.filter((a) => a.status === 503).length, failing[1]);
    } finally {
      await setFailure('h2', 0);
      await setFailure('h3', 0);
    }
  });
});
