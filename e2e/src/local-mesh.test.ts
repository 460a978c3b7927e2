// The local mesh as real processes (nats-server, galley, pilot, citadel,
// injector, gateway, sidecar, two sample workloads), checked through real
// HTTP traffic: Istio YAML -> galley -> NATS -> pilot -> xDS -> proxy -> app.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { freePort, startProcess, waitFor } from '@mesh/testing';
import { expandArgs, kubeInject, resolveEnv } from './injected-sidecar.ts';
import { startMeshFixture, type MeshFixture } from './mesh-fixture.ts';

async function tally(fx: MeshFixture, n: number, headers: Record<string, string> = {}, concurrency = 8) {
  const counts: Record<string, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        const r = await fx.get('/', headers);
        const key = r.status === 200 ? (r.version ?? 'unknown') : `status-${r.status}`;
        counts[key] = (counts[key] ?? 0) + 1;
      }
    }),
  );
  return counts;
}

describe('local mesh end to end', { timeout: 240_000 }, () => {
  let fx: MeshFixture;
  before(async () => {
    fx = await startMeshFixture();
  });
  after(async () => {
    await fx?.close();
  });

  it('splits traffic 80/20 between v1 and v2 through the ingress gateway (1,000 requests, ±5 points)', async () => {
    const counts = await tally(fx, 1000);
    assert.deepEqual(Object.keys(counts).sort(), ['v1', 'v2'], `unexpected answers: ${JSON.stringify(counts)}`);
    const v1Share = (counts.v1 / 1000) * 100;
    assert.ok(Math.abs(v1Share - 80) <= 5, `v1 got ${v1Share}% (want 80 ± 5): ${JSON.stringify(counts)}`);
  });

  it('sends every request with x-canary: true to v2', async () => {
    assert.deepEqual(await tally(fx, 100, { 'x-canary': 'true' }), { v2: 100 });
  });

  it('routes through the client sidecar as an explicit HTTP proxy', async () => {
    const res = await request(`http://127.0.0.1:${fx.mesh.ports.sidecarOutbound}/`, {
      method: 'GET',
      headers: { host: 'hello.default.svc.cluster.local', 'x-canary': 'true' },
    });
    assert.equal(res.statusCode, 200);
    assert.equal(JSON.parse(await res.body.text()).version, 'v2');
  });

  it("runs a pod's injected sidecar (the injector's command line and env) against pilot", async () => {
    const meshConfig = path.join(fx.configDir, '..', `mesh-${process.pid}.yaml`);
    writeFileSync(meshConfig, `defaultConfig:\n  discoveryAddress: 127.0.0.1:${fx.mesh.ports.pilotXds}\n`);
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata: { name: sleep, namespace: default, labels: { app: sleep } }\nspec:\n  containers: [{ name: sleep, image: curl }]\n';
    const { sidecar } = kubeInject(pod, meshConfig);
    const env = resolveEnv(sidecar, { 'metadata.name': 'sleep-1', 'metadata.namespace': 'default', 'status.podIP': '127.0.0.1', 'status.hostIP': '127.0.0.1', 'spec.serviceAccountName': 'sleep', 'spec.nodeName': 'node-1' });
    const args = expandArgs(sidecar.args, env);
    assert.equal(args[0], 'sidecar');
    const [outbound, admin, status, stats] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const proxy = startProcess('injected-sidecar', 'apps/proxy/src/main.ts', args, {
      env: { ...env, OUTBOUND_PORT: String(outbound), ADMIN_PORT: String(admin), STATUS_PORT: String(status), STATS_PORT: String(stats), STATUS_HOST: '127.0.0.1', INTERCEPTION_MODE: 'NONE' },
    });
    try {
      await waitFor('the injected sidecar to be ready', async () => (await fetch(`http://127.0.0.1:${status}/healthz/ready`)).status === 200, { timeoutMs: 20_000, intervalMs: 100 });
      const res = await request(`http://127.0.0.1:${outbound}/`, { headers: { host: 'hello.default.svc.cluster.local', 'x-canary': 'true' } });
      assert.equal(res.statusCode, 200);
      assert.equal(JSON.parse(await res.body.text()).version, 'v2');
      const syncz = (await (await fetch(`http://127.0.0.1:${fx.mesh.ports.pilotMonitoring}/debug/syncz`)).json()) as unknown;
      assert.match(JSON.stringify(syncz), /sidecar~127\.0\.0\.1~sleep-1\.default~default\.svc\.cluster\.local/, 'pilot knows the pod by its Istio node id');
    } finally {
      await proxy.stop();
    }
  });

  it("ejects a failing host with the outlier detection of Istio's circuit-breaking task, serves from the healthy one, and takes it back after baseEjectionTime", async () => {
    // Requests each upstream saw, with the time of each: the gateway retries a 503 on another host (Istio's
    // default retry policy), so what shows ejection is which host the requests reach.
    const hits: Record<'healthy' | 'failing', number[]> = { healthy: [], failing: [] };
    const listen = (name: 'healthy' | 'failing') =>
      new Promise<Server>((resolve) => {
        const server = createServer((_req, res) => {
          hits[name].push(Date.now());
          res.writeHead(name === 'healthy' ? 200 : 503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ version: name }));
        });
        server.listen(0, '127.0.0.1', () => resolve(server));
      });
    const healthy = await listen('healthy');
    const failing = await listen('failing');
    const port = (s: Server) => (s.address() as AddressInfo).port;
    try {
      // The DestinationRule is the task's (consecutive5xxErrors 1, interval 1s, maxEjectionPercent 100), with a
      // baseEjectionTime short enough to see the host come back.
      writeFileSync(
        path.join(fx.configDir, 'flaky.yaml'),
        `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: flaky, namespace: default }
spec:
  hosts: [flaky.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: 80, name: http, protocol: HTTP }]
  workloadSelector: { labels: { app: flaky } }
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: { name: flaky-healthy, namespace: default }
spec: { address: 127.0.0.1, ports: { http: ${port(healthy)} }, labels: { app: flaky } }
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: { name: flaky-failing, namespace: default }
spec: { address: 127.0.0.1, ports: { http: ${port(failing)} }, labels: { app: flaky } }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: flaky, namespace: default }
spec:
  host: flaky.default.svc.cluster.local
  trafficPolicy:
    connectionPool:
      tcp: { maxConnections: 100 }
      http: { http1MaxPendingRequests: 100, maxRequestsPerConnection: 10 }
    outlierDetection:
      consecutive5xxErrors: 1
      interval: 1s
      baseEjectionTime: 3s
      maxEjectionPercent: 100
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: flaky, namespace: default }
spec:
  hosts: [flaky.example.com]
  gateways: [hello-gateway]
  http: [{ route: [{ destination: { host: flaky.default.svc.cluster.local } }] }]
`,
      );
      const get = async () => {
        const res = await request(`http://127.0.0.1:${fx.mesh.ports.gatewayHttp}/`, { headers: { host: 'flaky.example.com' } });
        await res.body.text();
        return res.statusCode;
      };
      await waitFor('the flaky service to be routed', async () => (await get()) !== 404, { timeoutMs: 15_000, intervalMs: 50 });
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) statuses.push(await get());
      assert.deepEqual([...new Set(statuses)], [200], `every request is served (by the healthy host, or by a retry on it): ${JSON.stringify(statuses)}`);
      // Round robin over two hosts would send the failing one ~20 of these; ejected after its first 5xx, it saw one.
      assert.equal(hits.failing.length, 1, `the failing host was not ejected after one 5xx: it saw ${hits.failing.length} requests`);
      const ejectedAt = hits.failing[0];
      // After baseEjectionTime the failing host is back in rotation (and ejected again by its next 5xx).
      await waitFor('the failing host to return after its ejection time', async () => {
        await get();
        return hits.failing.length > 1;
      }, { timeoutMs: 15_000, intervalMs: 100 });
      const back = hits.failing[1] - ejectedAt;
      assert.ok(back >= 3_000, `the host came back ${back} ms after its ejection, before baseEjectionTime (3 s)`);
    } finally {
      healthy.close();
      failing.close();
    }
  });

  it('applies a config edit within 2 seconds without failing a request', async () => {
    let failures = 0;
    let sent = 0;
    let running = true;
    const traffic = (async () => {
      while (running) {
        const r = await fx.get('/');
        sent++;
        if (r.status !== 200) failures++;
      }
    })();
    const edited = Date.now();
    fx.edit('routing.yaml', (t) => t.replace('weight: 80', 'weight: 0').replace('weight: 20', 'weight: 100'));
    await waitFor('all traffic on v2', async () => {
      const c = await tally(fx, 20);
      return c.v2 === 20;
    }, { timeoutMs: 10_000, intervalMs: 50 });
    const tookMs = Date.now() - edited;
    running = false;
    await traffic;
    assert.ok(tookMs <= 2000, `the edit took ${tookMs} ms to take effect`);
    assert.equal(failures, 0, `${failures} of ${sent} requests failed during the change`);
  });

  it('rejects an invalid edit with a clear log line and keeps traffic flowing as before', async () => {
    const galley = fx.mesh.processes.get('galley')!;
    fx.edit('routing.yaml', (t) => t.replace('weight: 100', 'weight: 150'));
    const line = await galley.waitForLine((l) => l.level === 'warn' && JSON.stringify(l).includes('weight'), 10_000);
    const text = JSON.stringify(line);
    assert.match(text, /routing\.yaml/, 'names the file');
    assert.match(text, /VirtualService/, 'names the resource kind');
    assert.match(text, /hello/, 'names the resource');
    assert.match(text, /spec\.http\[1\]\.route\[1\]\.weight/, 'names the field');
    // The previous routing (all to v2) stays in effect.
    assert.deepEqual(await tally(fx, 100), { v2: 100 });
  });
});
