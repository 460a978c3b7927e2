// What the stats store keeps per cluster and what a Prometheus scrape carries.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StatsStore, type MembershipSource } from './stats.ts';

const identity = { workload: 'sleep', namespace: 'default', app: 'sleep', version: 'v1' };

function source(store: StatsStore): MembershipSource {
  return { membership: () => new Map([...store.clusters.keys()].map((n) => [n, [1, 1] as [number, number]])), listenerCount: () => 1, statLines: () => [] };
}

describe('stats store', () => {
  it('keeps an unused cluster to a few counters and allocates its detail on the first request', () => {
    const store = new StatsStore(identity);
    const c = store.cluster('outbound|80||reviews.default.svc.cluster.local');
    assert.equal(c.detail, undefined);
    assert.equal(c.used, false);
    c.record(200, 3, '-');
    assert.ok(c.detail);
    assert.equal(c.used, true);
    assert.deepEqual([...c.rqCodes], [[200, 1]]);
    assert.equal(c.rqClass[2], 1);
    assert.match(c.istioBase, /destination_service="reviews\.default\.svc\.cluster\.local"/);
  });

  it('exports per-cluster series only for clusters that saw traffic; /stats lists every cluster', () => {
    const store = new StatsStore(identity);
    const used = 'outbound|80||reviews.default.svc.cluster.local';
    const refused = 'outbound|80||ratings.default.svc.cluster.local';
    store.cluster(used).record(503, 2, 'UF');
    store.cluster(refused).cxConnectFail++;
    for (let i = 0; i < 1000; i++) store.cluster(`outbound|80||svc-${i}.default.svc.cluster.local`);
    const prom = store.renderPrometheus(source(store));
    assert.match(prom, new RegExp(`envoy_cluster_upstream_rq_total\\{cluster_name="${used.replace(/[|.]/g, '\\$&')}"\\} 1`));
    assert.match(prom, /envoy_cluster_upstream_cx_connect_fail\{cluster_name="outbound\|80\|\|ratings[^"]*"\} 1/);
    assert.match(prom, /envoy_cluster_membership_healthy\{cluster_name="outbound\|80\|\|reviews[^"]*"\} 1/);
    assert.match(prom, /istio_requests_total\{.*response_code="503",response_flags="UF"\} 1/);
    assert.doesNotMatch(prom, /svc-\d+/, 'no series for the 1,000 clusters nothing was sent to');
    assert.ok(prom.length < 100_000, `a scrape stays small (${prom.length} bytes; ~4 MB with a series of each cluster)`);
    const text = store.renderText(source(store));
    assert.match(text, /^cluster\.outbound\|80\|\|svc-999\.default\.svc\.cluster\.local\.upstream_rq_total: 0$/m);
    assert.match(text, /^cluster\.outbound\|80\|\|reviews\.default\.svc\.cluster\.local\.upstream_rq_503: 1$/m);
  });

  it('forgets the counters of clusters no longer configured', () => {
    const store = new StatsStore(identity);
    store.cluster('a').record(200, 1, '-');
    store.cluster('b');
    store.retainClusters(['b', 'c']);
    assert.deepEqual([...store.clusters.keys()], ['b']);
  });
});
