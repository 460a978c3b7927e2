// The local mesh as real processes (nats-server, galley, pilot, citadel,
// injector, gateway, two sample workloads each behind a sidecar configured by
// its Sidecar resource, and the sleep client's sidecar), checked through real
// HTTP traffic: Istio YAML -> galley -> NATS -> pilot -> xDS -> proxy -> sidecar -> app.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { freePort, startProcess, waitFor, WORKSPACE_ROOT } from '@mesh/testing';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expandArgs, kubeInject, podIdentityEnv, resolveEnv } from './injected-sidecar.ts';
import { sidecarStats, startMeshFixture, type MeshFixture } from './mesh-fixture.ts';

const execFileAsync = promisify(execFile);

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
    // Every answer came in through the version's sidecar (its Sidecar's ingress listener), not straight to the app.
    for (const version of ['v1', 'v2'] as const) {
      const inbound = (await sidecarStats(fx, `hello-${version}`)).filter(([name]) => /^cluster\.inbound\|.*\.upstream_rq_total$/.test(name));
      const total = inbound.reduce((sum, [, value]) => sum + value, 0);
      assert.ok(total >= counts[version], `hello-${version}'s sidecar forwarded ${total} requests to the app, fewer than the ${counts[version]} answered: ${JSON.stringify(inbound)}`);
    }
  });

  it('sends every request with x-canary: true to v2', async () => {
    assert.deepEqual(await tally(fx, 100, { 'x-canary': 'true' }), { v2: 100 });
  });

  it("routes through the client sidecar's egress listener (Host header or absolute-form proxy request) into v2's sidecar", async () => {
    const res = await request(`http://127.0.0.1:${fx.mesh.ports.sidecarOutbound}/`, {
      method: 'GET',
      headers: { host: 'hello.default.svc.cluster.local', 'x-canary': 'true' },
    });
    assert.equal(res.statusCode, 200);
    assert.equal(JSON.parse(await res.body.text()).version, 'v2');
    // As `curl -x http://127.0.0.1:<port> http://hello.default.svc.cluster.local/`: the request line carries the URL.
    const proxied = await new Promise<{ statusCode: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: fx.mesh.ports.sidecarOutbound, path: 'http://hello.default.svc.cluster.local/via-proxy', headers: { host: 'hello.default.svc.cluster.local', 'x-canary': 'true' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(proxied.statusCode, 200);
    const body = JSON.parse(proxied.body);
    assert.equal(body.version, 'v2');
    assert.equal(body.path, '/via-proxy');
    // No workload relies on pilot's compatibility-mode explicit proxy: each sidecar is configured by its Sidecar.
    for (const name of ['sleep', 'hello-v1', 'hello-v2']) {
      const id = `sidecar~127.0.0.1~${name}.default~default.svc.cluster.local`;
      const config = (await (await fetch(`http://127.0.0.1:${fx.mesh.ports.pilotMonitoring}/debug/configz?proxy=${encodeURIComponent(id)}`)).json()) as { sidecar?: string; mode?: string };
      assert.deepEqual([config.sidecar, config.mode], [`default/${name}`, 'sidecar resource (no capture)'], name);
    }
    // Both went out through sleep's egress listener and in through hello-v2's ingress listener.
    const sleep = await sidecarStats(fx, 'sleep');
    assert.ok(sleep.some(([name, value]) => /^cluster\.outbound\|80\|v2\|hello\.default\.svc\.cluster\.local\.upstream_rq_total$/.test(name) && value >= 2), 'sleep sidecar sent to hello v2');
    const v2 = await sidecarStats(fx, 'hello-v2');
    assert.ok(v2.some(([name, value]) => /^cluster\.inbound\|.*\.upstream_rq_total$/.test(name) && value >= 2), `hello-v2's sidecar received them: ${JSON.stringify(v2.filter(([n]) => n.includes('inbound')))}`);
  });

  it("runs a pod's injected sidecar (the injector's command line and env) against pilot, configured by its Sidecar resource", async () => {
    const meshConfig = path.join(fx.configDir, '..', `mesh-${process.pid}.yaml`);
    writeFileSync(meshConfig, `defaultConfig:\n  discoveryAddress: 127.0.0.1:${fx.mesh.ports.pilotXds}\n`);
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata: { name: curl, namespace: default, labels: { app: curl, version: v1 } }\nspec:\n  containers: [{ name: curl, image: curl }]\n';
    const { sidecar } = kubeInject(pod, meshConfig);
    const env = resolveEnv(sidecar, { 'metadata.name': 'curl-1', 'metadata.namespace': 'default', 'status.podIP': '127.0.0.1', 'status.hostIP': '127.0.0.1', 'spec.serviceAccountName': 'curl', 'spec.nodeName': 'node-1' });
    const args = expandArgs(sidecar.args, env);
    assert.equal(args[0], 'sidecar');
    const [egress, admin, status, stats, agent] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    // Without capture, the pod's workload gets a Sidecar as a VM does: an egress listener its application calls through.
    writeFileSync(
      path.join(fx.configDir, 'curl.yaml'),
      `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: curl, namespace: default }
spec:
  workloadSelector: { labels: { app: curl } }
  egress:
  - port: { number: ${egress}, protocol: HTTP, name: http-egress }
    bind: 127.0.0.1
    captureMode: NONE
    hosts: ["./*"]
`,
    );
    const configz = async (query = '') => (await (await fetch(`http://127.0.0.1:${fx.mesh.ports.pilotMonitoring}/debug/configz${query}`)).json()) as any;
    await waitFor('pilot to hold the Sidecar curl', async () => (await configz()).resources.some((r: any) => r.kind === 'Sidecar' && r.name === 'curl'), { timeoutMs: 10_000 });
    // The kubelet's downward API volume (istio-podinfo), where pilot-agent reads the pod's labels.
    const podInfo = mkdtempSync(path.join(tmpdir(), 'podinfo-'));
    writeFileSync(path.join(podInfo, 'labels'), 'app="curl"\nversion="v1"\n');
    const identity = await podIdentityEnv({
      dir: podInfo,
      citadelAdmin: fx.mesh.ports.citadelAdmin,
      caAddress: `127.0.0.1:${fx.mesh.ports.citadelGrpc}`,
      rootCert: path.join(fx.stateDir, 'citadel', 'root-cert.pem'),
      namespace: 'default',
      serviceAccount: 'curl',
    });
    const proxy = startProcess('injected-sidecar', 'apps/proxy/src/main.ts', args, {
      env: { ...env, ...identity, POD_INFO_DIR: podInfo, ADMIN_PORT: String(admin), STATUS_PORT: String(status), STATS_PORT: String(stats), AGENT_STATUS_PORT: String(agent), STATUS_HOST: '127.0.0.1', INTERCEPTION_MODE: 'NONE' },
    });
    try {
      await waitFor('the injected sidecar to be ready', async () => (await fetch(`http://127.0.0.1:${status}/healthz/ready`)).status === 200, { timeoutMs: 20_000, intervalMs: 100 });
      const res = await request(`http://127.0.0.1:${egress}/`, { headers: { host: 'hello.default.svc.cluster.local', 'x-canary': 'true' } });
      assert.equal(res.statusCode, 200);
      assert.equal(JSON.parse(await res.body.text()).version, 'v2');
      const id = 'sidecar~127.0.0.1~curl-1.default~default.svc.cluster.local';
      const syncz = (await (await fetch(`http://127.0.0.1:${fx.mesh.ports.pilotMonitoring}/debug/syncz`)).json()) as unknown;
      assert.match(JSON.stringify(syncz), /sidecar~127\.0\.0\.1~curl-1\.default~default\.svc\.cluster\.local/, 'pilot knows the pod by its Istio node id');
      const config = await configz(`?proxy=${encodeURIComponent(id)}`);
      assert.equal(config.sidecar, 'default/curl', 'the Sidecar resource selects the pod by its labels');
      assert.equal(config.mode, 'sidecar resource (no capture)');
    } finally {
      await proxy.stop();
      rmSync(podInfo, { recursive: true, force: true });
      rmSync(meshConfig, { force: true });
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
      /** Every answer once the service is routed. */
      const statuses: number[] = [];
      const get = async () => {
        const res = await request(`http://127.0.0.1:${fx.mesh.ports.gatewayHttp}/`, { headers: { host: 'flaky.example.com' } });
        await res.body.text();
        if (res.statusCode !== 404) statuses.push(res.statusCode);
        return res.statusCode;
      };
      await waitFor('the flaky service to be routed', async () => (await get()) !== 404, { timeoutMs: 15_000, intervalMs: 50 });
      for (let i = 0; i < 40; i++) await get();
      // Istio's default retry policy no longer retries a 503 (1.24+): the failing host's one answer reaches the
      // client, every other request is served by the healthy host.
      assert.deepEqual(statuses.filter((s) => s !== 200), [503], `one 503, then the healthy host only: ${JSON.stringify(statuses)}`);
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
    fx.edit('routing.yaml', (t) => t.replace('weight: 100', 'weight: -100'));
    const line = await galley.waitForLine((l) => l.level === 'warn' && JSON.stringify(l).includes('weight'), 10_000);
    const text = JSON.stringify(line);
    assert.match(text, /routing\.yaml/, 'names the file');
    assert.match(text, /VirtualService/, 'names the resource kind');
    assert.match(text, /hello/, 'names the resource');
    assert.match(text, /spec\.http\[1\]\.route\[1\]\.weight/, 'names the field');
    // The previous routing (all to v2) stays in effect.
    assert.deepEqual(await tally(fx, 100), { v2: 100 });
  });

  it('istioctl proxy-status lists every proxy SYNCED; proxy-config shows a sidecar\'s clusters, listeners, routes, endpoints and certificates', async () => {
    const pilot = `http://127.0.0.1:${fx.mesh.ports.pilotMonitoring}`;
    const cli = path.join(WORKSPACE_ROOT, 'tools/istioctl/src/main.ts');
    const istioctl = async (...args: string[]) => (await execFileAsync(process.execPath, [cli, ...args, '--pilot', pilot])).stdout;
    const rows = (out: string) => out.trimEnd().split('\n').slice(1).map((l) => l.split(/\s{3,}/));
    // Every proxy ACKs what it was sent; a sidecar gets EDS and RDS, ECDS is never sent.
    const status = await waitFor('every proxy SYNCED', async () => {
      const r = rows(await istioctl('proxy-status'));
      return r.length >= 4 && r.every((row) => row.slice(2, 7).every((s) => s === 'SYNCED' || s === 'NOT SENT')) ? r : undefined;
    }, { timeoutMs: 30_000, intervalMs: 250 });
    const names = status.map((r) => r[0]);
    for (const name of ['istio-ingressgateway.istio-system', 'hello-v1.default', 'hello-v2.default', 'sleep.default']) assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
    const sleep = status.find((r) => r[0] === 'sleep.default')!;
    assert.deepEqual(sleep.slice(2, 7), ['SYNCED', 'SYNCED', 'SYNCED', 'SYNCED', 'NOT SENT']);
    // One proxy: its row, and what it runs against what pilot generated for it.
    const one = await istioctl('proxy-status', 'sleep.default');
    assert.match(one, /\nsleep\.default {3,}Kubernetes {3,}SYNCED/);
    assert.match(one, /\n\nClusters Match\nListeners Match\nRoutes Match\n$/);
    // The same from NATS, where every pilot replica writes the proxies it serves.
    const { stdout: fromNats } = await execFileAsync(process.execPath, [cli, 'ps', '--nats', `nats://127.0.0.1:${fx.mesh.ports.nats}`]);
    assert.deepEqual(rows(fromNats).map((r) => r.slice(0, 7)), status.map((r) => r.slice(0, 7)));

    // proxy-config finds sleep's admin port through pilot (its ProxyConfig.proxyAdminPort).
    const clusters = rows(await istioctl('proxy-config', 'cluster', 'sleep.default', '--fqdn', 'hello.default.svc.cluster.local'));
    // DESTINATION RULE: examples/local's DestinationRule hello (pilot's istio.config metadata).
    assert.deepEqual(clusters, [
      ['hello.default.svc.cluster.local', '80', '-', 'outbound', 'EDS', 'hello.default'],
      ['hello.default.svc.cluster.local', '80', 'v1', 'outbound', 'EDS', 'hello.default'],
      ['hello.default.svc.cluster.local', '80', 'v2', 'outbound', 'EDS', 'hello.default'],
    ]);
    const endpoints = rows(await istioctl('pc', 'endpoint', 'sleep', '--cluster', 'outbound|80|v2|hello.default.svc.cluster.local'));
    assert.deepEqual(endpoints, [[`127.0.0.1:${fx.mesh.ports.helloV2Ingress}`, 'HEALTHY', 'OK', 'outbound|80|v2|hello.default.svc.cluster.local']]);
    const listeners = rows(await istioctl('pc', 'listener', 'sleep.default', '--port', String(fx.mesh.ports.sidecarOutbound)));
    assert.ok(listeners.length >= 1 && listeners.every((r) => r[1] === String(fx.mesh.ports.sidecarOutbound)), JSON.stringify(listeners));
    const routes = JSON.parse(await istioctl('pc', 'route', 'sleep.default', '-o', 'json')) as Array<{ name: string; virtualHosts: Array<{ domains: string[] }> }>;
    assert.ok(routes.some((rc) => rc.virtualHosts.some((vh) => vh.domains.includes('hello.default.svc.cluster.local'))), JSON.stringify(routes.map((r) => r.name)));
    // VIRTUAL SERVICE: both routes of examples/local's VirtualService hello (canary-header, weighted).
    const helloRoutes = rows(await istioctl('pc', 'route', 'sleep.default')).filter((r) => r[1] === 'hello.default.svc.cluster.local:80');
    assert.deepEqual(helloRoutes.map((r) => r[4]), ['hello.default', 'hello.default']);
    // The node sleep's sidecar presents to pilot, with the admin port istioctl found it by.
    const bootstrap = JSON.parse(await istioctl('pc', 'bootstrap', 'sleep.default')) as { bootstrap: { node: { id: string; metadata: { PROXY_CONFIG?: { proxyAdminPort?: number } } } } };
    assert.match(bootstrap.bootstrap.node.id, /^sidecar~[^~]+~sleep\.default~/);
    assert.equal(bootstrap.bootstrap.node.metadata.PROXY_CONFIG?.proxyAdminPort, fx.mesh.ports.sidecarAdmin);
    // Citadel's certificate and root, as the proxy holds them.
    const certs = rows(await istioctl('pc', 'secret', 'sleep.default'));
    assert.deepEqual(certs.map((r) => r.slice(0, 4)), [
      ['default', 'Cert Chain', 'ACTIVE', 'true'],
      ['ROOTCA', 'CA', 'ACTIVE', 'true'],
    ]);
  });
});
