// The side ports: readiness, admin (config_dump, clusters, stats) and Prometheus.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSidePorts, type SidePorts } from './admin.ts';
import { edsCluster, endpoints, httpListener, request, routeConfig, startTestProxy, startUpstream, vhost, type TestProxy, type Upstream } from './test-fixtures.ts';

describe('admin, readiness and stats ports', () => {
  let proxy: TestProxy;
  let side: SidePorts;
  let up: Upstream;
  let quit = 0;

  before(async () => {
    up = await startUpstream('reviews');
    proxy = await startTestProxy({
      identity: { workload: 'productpage', namespace: 'default', app: 'productpage', version: 'v1' },
      node: { id: 'sidecar~127.0.0.1~productpage.default~default.svc.cluster.local', metadata: { LABELS: { app: 'productpage' } } },
    });
    side = await startSidePorts(proxy.proxy, { adminHost: '127.0.0.1', adminPort: 0, statusHost: '127.0.0.1', statusPort: 0, statsPort: 0, onQuit: () => quit++ });
  });

  after(async () => {
    await side.close();
    await proxy.close();
    await up.close();
  });

  const cluster = 'outbound|9080||reviews.default.svc.cluster.local';

  it('reports 503 on /healthz/ready until the first config is applied and its listeners are bound, then 200', async () => {
    const before = await request(side.statusPort, { path: '/healthz/ready' });
    assert.equal(before.status, 503);
    assert.match(before.body, /no configuration received yet/);
    assert.equal((await request(side.adminPort, { path: '/ready' })).body, 'PRE_INITIALIZING\n');

    await proxy.apply({
      listeners: [httpListener('virtualOutbound', 0, 'outbound_http')],
      routes: [routeConfig('outbound_http', [vhost('reviews', ['reviews', 'reviews:9080'], [{ name: 'default', match: { prefix: '/' }, route: { cluster } }])])],
      clusters: [edsCluster(cluster)],
      endpoints: [endpoints(cluster, [up.port, { port: 1, health: 'UNHEALTHY' }])],
      version: 'v7',
    });
    assert.equal((await request(side.statusPort, { path: '/healthz/ready' })).status, 200);
    assert.equal((await request(side.adminPort, { path: '/ready' })).body, 'LIVE\n');
  });

  it('dumps the applied resources with their versions', async () => {
    const dump = (await request(side.adminPort, { path: '/config_dump' })).json();
    const byType = Object.fromEntries(dump.configs.map((c: any) => [c['@type'].split('.').pop(), c]));
    assert.equal(byType.BootstrapConfigDump.bootstrap.node.id, 'sidecar~127.0.0.1~productpage.default~default.svc.cluster.local');
    assert.equal(byType.ListenersConfigDump.versionInfo, 'v7');
    assert.equal(byType.ListenersConfigDump.dynamicListeners[0].name, 'virtualOutbound');
    assert.equal(byType.ListenersConfigDump.dynamicListeners[0].activeState.listener.filterChains.length, 1);
    assert.equal(byType.RoutesConfigDump.dynamicRouteConfigs[0].routeConfig.name, 'outbound_http');
    assert.equal(byType.ClustersConfigDump.dynamicActiveClusters[0].cluster.name, cluster);
    assert.equal(byType.EndpointsConfigDump.dynamicEndpointConfigs[0].endpointConfig.clusterName, cluster);
  });

  it('lists cluster hosts with health and counters on /clusters', async () => {
    await request(proxy.port('virtualOutbound'), { path: '/x', headers: { host: 'reviews:9080' } });
    const text = (await request(side.adminPort, { path: '/clusters' })).body;
    assert.match(text, new RegExp(`^${escape(cluster)}::127\\.0\\.0\\.1:${up.port}::health_flags::healthy$`, 'm'));
    assert.match(text, new RegExp(`^${escape(cluster)}::127\\.0\\.0\\.1:1::health_flags::/eds_unhealthy$`, 'm'));
    assert.match(text, new RegExp(`^${escape(cluster)}::127\\.0\\.0\\.1:${up.port}::rq_total::1$`, 'm'));
    const json = (await request(side.adminPort, { path: '/clusters?format=json' })).json();
    assert.equal(json.cluster_statuses[0].hosts.length, 2);
  });

  it('counts requests per cluster in Envoy and Istio metric names', async () => {
    await request(proxy.port('virtualOutbound'), { path: '/y', headers: { host: 'reviews' } });
    const prom = (await request(side.statsPort, { path: '/stats/prometheus' })).body;
    assert.match(prom, new RegExp(`envoy_cluster_upstream_rq_total\\{cluster_name="${escape(cluster)}"\\} 2`));
    assert.match(prom, new RegExp(`envoy_cluster_upstream_rq\\{envoy_response_code="200",cluster_name="${escape(cluster)}"\\} 2`));
    const istio = prom.split('\n').find((l) => l.startsWith('istio_requests_total{'));
    assert.ok(istio, 'istio_requests_total is exported');
    assert.match(istio!, /reporter="source"/);
    assert.match(istio!, /source_workload="productpage"/);
    assert.match(istio!, /destination_service="reviews\.default\.svc\.cluster\.local"/);
    assert.match(istio!, /destination_service_name="reviews"/);
    assert.match(istio!, /response_code="200"/);
    assert.match(istio!, / 2$/);
    assert.match(prom, /istio_request_duration_milliseconds_bucket\{.*le="\+Inf"\} 2/);
    assert.match(prom, /envoy_cluster_membership_healthy\{cluster_name=".*"\} 1/);
    assert.match(prom, /envoy_http_downstream_rq_total\{http_conn_manager_prefix="virtualOutbound"\} 2/);
    assert.match(prom, /process_cpu_user_seconds_total|nodejs_/, 'process metrics are merged in');
    const admin = (await request(side.adminPort, { path: '/stats/prometheus' })).body;
    assert.match(admin, /istio_requests_total\{/);
    const text = (await request(side.adminPort, { path: '/stats' })).body;
    assert.match(text, new RegExp(`^cluster\\.${escape(cluster)}\\.upstream_rq_200: 2$`, 'm'));
  });

  it("answers /memory with Envoy's fields and V8's per-space figures", async () => {
    const m = (await request(side.adminPort, { path: '/memory' })).json();
    assert.ok(Number(m.allocated) > 0 && Number(m.heap_size) >= Number(m.allocated));
    assert.ok(Number(m.total_physical_bytes) > Number(m.allocated));
    assert.ok(m.node.rss > 0 && m.node.heapUsed > 0);
    assert.ok(m.v8_heap_spaces.old_space.used > 0);
  });

  it('asks for shutdown on POST /quitquitquit only', async () => {
    assert.equal((await request(side.adminPort, { path: '/quitquitquit' })).status, 405);
    assert.equal((await request(side.adminPort, { path: '/quitquitquit', method: 'POST' })).status, 200);
    assert.equal(quit, 1);
  });

  it('fails readiness while draining', async () => {
    await proxy.proxy.shutdown(100);
    const r = await request(side.statusPort, { path: '/healthz/ready' });
    assert.equal(r.status, 503);
    assert.match(r.body, /draining/);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
