// The agent's status port against real apps: HTTP and HTTPS readiness
// endpoints, open and closed TCP ports, a gRPC health server, an app that
// hangs, and an app's /metrics merged into the proxy's stats.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { createCa, privateKeyToPem } from '@mesh/pki';
import { freePort } from '@mesh/testing';
import { collectProcessMetrics } from '@mesh/telemetry';
import { edsCluster, endpoints, httpListener, request, routeConfig, startTestProxy, testLog, vhost, type TestProxy } from '../test-fixtures.ts';
import { proxyPrometheus } from '../admin.ts';
import { parseAppProbers } from './app-probers.ts';
import { MergedMetrics } from './merged-metrics.ts';
import { startStatusServer, type StatusServer } from './status-server.ts';
import { assertValidExposition } from './test-helpers.ts';

function listen(server: http.Server | https.Server, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as AddressInfo).port)));
}

function closeServer(server: http.Server | https.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

const APP_METRICS = `# HELP orders_total orders taken
# TYPE orders_total counter
orders_total{kind="book"} 42
# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 123.5
`;

describe("the agent's status port (15020)", () => {
  let proxy: TestProxy;
  let app: http.Server;
  let appPort: number;
  let tlsApp: https.Server;
  let tlsPort: number;
  let grpcServer: grpc.Server;
  let grpcPort: number;
  let closedPort: number;
  let agent: StatusServer;
  let unreachableAgent: StatusServer;
  let readyStatus = 200;
  const hanging = new Set<http.ServerResponse>();
  const seenHeaders: http.IncomingHttpHeaders[] = [];
  const grpcStatuses = new Map<string, number>([
    ['', 1],
    ['ready', 1],
    ['notready', 2],
  ]);
  let quits = 0;

  before(async () => {
    collectProcessMetrics(); // as main.ts does: the proxy's stats carry the process metrics
    proxy = await startTestProxy({
      identity: { workload: 'web', namespace: 'default', app: 'web', version: 'v1' },
      node: { id: 'sidecar~127.0.0.1~web.default~default.svc.cluster.local', metadata: {} },
    });
    app = http.createServer((req, res) => {
      switch (req.url) {
        case '/ready':
          seenHeaders.push(req.headers);
          res.writeHead(readyStatus).end('body the kubelet never sees');
          return;
        case '/moved':
          res.writeHead(302, { location: 'http://login.example.invalid/signin' }).end();
          return;
        case '/moved-here':
          res.writeHead(302, { location: '/broken' }).end();
          return;
        case '/broken':
          res.writeHead(500).end();
          return;
        case '/hang':
          hanging.add(res); // never answered
          return;
        case '/metrics':
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(APP_METRICS);
          return;
        default:
          res.writeHead(404).end();
      }
    });
    appPort = await listen(app);

    const ca = createCa({ subject: { commonName: 'self-signed app' }, ttlMs: 3_600_000 });
    tlsApp = https.createServer({ cert: ca.certPem, key: privateKeyToPem(ca.privateKey) }, (req, res) => {
      res.writeHead(req.url === '/ready' ? 200 : 404).end();
    });
    tlsPort = await listen(tlsApp);

    grpcServer = new grpc.Server();
    grpcServer.addService(
      {
        Check: {
          path: '/grpc.health.v1.Health/Check',
          requestStream: false,
          responseStream: false,
          // HealthCheckRequest { string service = 1 }: short names only, which is all this test sends.
          requestDeserialize: (b: Buffer) => ({ service: b.length === 0 ? '' : b.subarray(2, 2 + b[1]).toString() }),
          requestSerialize: (r: { service: string }) => Buffer.from(r.service),
          responseSerialize: (status: number) => Buffer.from([0x08, status]),
          responseDeserialize: (b: Buffer) => b[1],
        },
      },
      {
        Check: (call: grpc.ServerUnaryCall<{ service: string }, number>, callback: grpc.sendUnaryData<number>) => {
          const status = grpcStatuses.get(call.request.service);
          if (status === undefined) callback({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
          else callback(null, status);
        },
      },
    );
    grpcPort = await new Promise<number>((resolve, reject) =>
      grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
    closedPort = await freePort();

    // As the injector writes it (apps/injector/src/probes.ts).
    const probers = parseAppProbers(
      JSON.stringify({
        '/app-health/web/readyz': { httpGet: { path: '/ready', port: appPort, scheme: 'HTTP', httpHeaders: [{ name: 'X-Probe', value: 'istio' }] }, timeoutSeconds: 1 },
        '/app-health/web/livez': { tcpSocket: { port: appPort }, timeoutSeconds: 1 },
        '/app-health/gone/livez': { tcpSocket: { port: closedPort }, timeoutSeconds: 1 },
        '/app-health/tls/readyz': { httpGet: { path: '/ready', port: tlsPort, scheme: 'HTTPS' } },
        '/app-health/moved/readyz': { httpGet: { path: '/moved', port: appPort } },
        '/app-health/moved-here/readyz': { httpGet: { path: '/moved-here', port: appPort } },
        '/app-health/hang/readyz': { httpGet: { path: '/hang', port: appPort }, timeoutSeconds: 1 },
        '/app-health/grpc/readyz': { grpc: { port: grpcPort, service: 'ready' } },
        '/app-health/grpc/startupz': { grpc: { port: grpcPort } },
        '/app-health/grpc/livez': { grpc: { port: grpcPort, service: 'notready' } },
        '/app-health/grpc-gone/livez': { grpc: { port: closedPort } },
      }),
    );
    const common = { host: '0.0.0.0', port: 0, readiness: () => proxy.proxy.readiness(), probers, probeHost: '127.0.0.1', log: testLog, onQuit: () => quits++ };
    agent = await startStatusServer({
      ...common,
      metrics: new MergedMetrics({ proxyMetrics: () => proxyPrometheus(proxy.proxy), app: { port: appPort, path: '/metrics' }, appHost: '127.0.0.1', log: testLog }),
    });
    unreachableAgent = await startStatusServer({
      ...common,
      host: '127.0.0.1',
      metrics: new MergedMetrics({ proxyMetrics: () => proxyPrometheus(proxy.proxy), app: { port: closedPort, path: '/metrics' }, appHost: '127.0.0.1', log: testLog }),
    });
  });

  after(async () => {
    await agent?.close();
    await unreachableAgent?.close();
    for (const res of hanging) res.destroy();
    await closeServer(app);
    await closeServer(tlsApp);
    grpcServer?.forceShutdown();
    await proxy?.close();
  });

  const probe = (path: string, headers?: Record<string, string>) => request(agent.port, { path, headers });

  it('answers /healthz/ready as 15021 does: 503 before the first config, 200 after', async () => {
    const r = await probe('/healthz/ready');
    assert.equal(r.status, 503);
    assert.match(r.body, /no configuration received yet/);
    await proxy.apply({
      listeners: [httpListener('inbound', 0, 'inbound')],
      routes: [routeConfig('inbound', [vhost('web', ['*'], [{ match: { prefix: '/' }, route: { cluster: 'inbound|80||web' } }])])],
      clusters: [edsCluster('inbound|80||web')],
      endpoints: [endpoints('inbound|80||web', [appPort])],
    });
    assert.equal((await probe('/healthz/ready')).status, 200);
  });

  it("follows an HTTP readiness endpoint: 200 while the app says 200, the app's 503 once it says 503", async () => {
    readyStatus = 200;
    const ok = await probe('/app-health/web/readyz', { 'user-agent': 'kube-probe/1.31' });
    assert.equal(ok.status, 200);
    assert.doesNotMatch(ok.body, /never sees/);
    // The kubelet's headers are forwarded and the probe's own httpHeaders added.
    const seen = seenHeaders.at(-1)!;
    assert.equal(seen['user-agent'], 'kube-probe/1.31');
    assert.equal(seen['x-probe'], 'istio');
    assert.equal(seen.host, `127.0.0.1:${appPort}`);

    readyStatus = 503;
    assert.equal((await probe('/app-health/web/readyz')).status, 503);
    readyStatus = 200;
    assert.equal((await probe('/app-health/web/readyz')).status, 200);
  });

  it('passes an HTTPS app with a self-signed certificate', async () => {
    const r = await probe('/app-health/tls/readyz');
    assert.equal(r.status, 200, r.body);
  });

  it('counts a redirect to another host as success, and follows one to the same host', async () => {
    const away = await probe('/app-health/moved/readyz');
    assert.equal(away.status, 200, away.body);
    assert.match(away.body, /redirected to another host/);
    // Same host: followed, and the target's 500 is the answer.
    assert.equal((await probe('/app-health/moved-here/readyz')).status, 500);
  });

  it('passes a tcpSocket probe on an open port and fails it on a closed one', async () => {
    assert.equal((await probe('/app-health/web/livez')).status, 200);
    const gone = await probe('/app-health/gone/livez');
    assert.equal(gone.status, 500);
    assert.match(gone.body, /ECONNREFUSED/);
  });

  it('asks a gRPC health server: SERVING passes; NOT_SERVING, an unknown service and no server fail', async () => {
    assert.equal((await probe('/app-health/grpc/readyz')).status, 200);
    const startup = await probe('/app-health/grpc/startupz');
    assert.equal(startup.status, 200, startup.body);
    const notServing = await probe('/app-health/grpc/livez');
    assert.equal(notServing.status, 500);
    assert.match(notServing.body, /NOT_SERVING/);
    grpcStatuses.set('notready', 1);
    assert.equal((await probe('/app-health/grpc/livez')).status, 200);
    grpcStatuses.delete('ready');
    assert.equal((await probe('/app-health/grpc/readyz')).status, 500);
    assert.equal((await probe('/app-health/grpc-gone/livez')).status, 500);
  });

  it('fails a probe of an app that hangs within its timeoutSeconds', async () => {
    const started = performance.now();
    const r = await probe('/app-health/hang/readyz');
    const elapsed = performance.now() - started;
    assert.equal(r.status, 500);
    assert.match(r.body, /timed out after 1s/);
    assert.ok(elapsed >= 900 && elapsed < 2_500, `answered after ${Math.round(elapsed)} ms`);
  });

  it('answers 400 for a probe path it has no probe for, 404 for anything else', async () => {
    const missing = await probe('/app-health/other/readyz');
    assert.equal(missing.status, 400);
    assert.match(missing.body, /app prober config does not exist for \/app-health\/other\/readyz/);
    assert.equal((await probe('/nope')).status, 404);
    assert.equal((await probe('/app-health/web/ready')).status, 404);
  });

  it("serves the proxy's stats and the app's metrics in one valid Prometheus text", async () => {
    // Traffic through the proxy, so its per-cluster series and histograms are in the text too.
    assert.equal((await request(proxy.port('inbound'), { path: '/ready' })).status, 200);
    const r = await probe('/stats/prometheus');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type']!, /^text\/plain; version=0.0.4/);
    assert.match(r.body, /\nistio_agent_scrapes_total\{type="application"\} \d+\n/); // the proxy's own (agent) metrics
    assert.match(r.body, /# TYPE orders_total counter\norders_total\{kind="book"\} 42\n/); // the app's
    assert.match(r.body, /\nenvoy_cluster_upstream_rq_time_bucket\{[^}]*le="\+Inf"[^}]*\} 1\n/); // the proxy's
    // Both processes export process_cpu_seconds_total: one family, the proxy's value.
    assertValidExposition(r.body);
    assert.doesNotMatch(r.body, /process_cpu_seconds_total 123\.5/);
  });

  it("still serves the proxy's stats when the app cannot be scraped, and counts the failure", async () => {
    const failures = (text: string) => Number(/\nistio_agent_scrape_failures_total\{type="application"\} (\d+)/.exec(text)?.[1] ?? 0);
    const before = failures((await request(agent.port, { path: '/stats/prometheus' })).body);
    const r = await request(unreachableAgent.port, { path: '/stats/prometheus' });
    assert.equal(r.status, 200);
    assert.match(r.body, /# TYPE process_cpu_seconds_total counter/);
    assert.doesNotMatch(r.body, /orders_total/);
    assert.equal(failures(r.body), before + 1);
    assertValidExposition(r.body);
  });

  it('stops the process on POST /quitquitquit from inside the pod only; GET is refused', async () => {
    const get = await probe('/quitquitquit');
    assert.equal(get.status, 405);
    assert.equal(quits, 0);
    // From the pod's own non-loopback address: not "inside the pod" as far as Istio's agent is concerned.
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a && !a.internal && a.family === 'IPv4')!;
    assert.ok(external, 'this machine has a non-loopback IPv4 address');
    const remote = await new Promise<number>((resolve, reject) => {
      http.request({ host: external.address, port: agent.port, path: '/quitquitquit', method: 'POST', agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      }).on('error', reject).end();
    });
    assert.equal(remote, 403);
    assert.equal(quits, 0);
    const post = await request(agent.port, { path: '/quitquitquit', method: 'POST' });
    assert.equal(post.status, 200);
    assert.equal(quits, 1);
  });
});
