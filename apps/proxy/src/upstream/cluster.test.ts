import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileCluster, compileLoadAssignment } from '../config/cluster-config.ts';
import { ClusterStats } from '../stats.ts';
import { Cluster } from './cluster.ts';
import { testLog } from '../test-fixtures.ts';

const identity = { workload: 'w', namespace: 'n', app: 'a', version: 'v' };
const cla = (ports: Array<[number, string?]>) =>
  compileLoadAssignment({ endpoints: [{ lbEndpoints: ports.map(([port, health]) => ({ endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: port } } }, ...(health ? { healthStatus: health } : {}) })) }] }, 'cla');

function cluster(extra: Record<string, unknown> = {}): Cluster {
  return new Cluster(compileCluster({ name: 'c', type: 'EDS', ...extra }), { stats: new ClusterStats('c', identity), log: testLog, random: () => 0 });
}

describe('cluster host sets', () => {
  it('keeps hosts (and their state) that stay across EDS updates', async () => {
    const c = cluster();
    c.setEndpoints(cla([[1001], [1002]]));
    const kept = c.hosts.find((h) => h.port === 1002)!;
    kept.rqTotal = 7;
    c.setEndpoints(cla([[1002], [1003]]));
    assert.deepEqual(c.hosts.map((h) => h.port), [1002, 1003]);
    assert.equal(c.hosts[0], kept);
    assert.equal(c.hosts[0].rqTotal, 7);
    await c.destroy();
  });

  it('enters panic mode (routes to all hosts) below the healthy panic threshold, as Envoy does', async () => {
    const c = cluster();
    c.setEndpoints(cla([[1], [2, 'UNHEALTHY'], [3, 'UNHEALTHY']]));
    assert.equal(c.available.length, 3, '1 of 3 healthy is below 50%: panic');
    c.setEndpoints(cla([[1], [2], [3, 'UNHEALTHY']]));
    assert.deepEqual(c.available.map((h) => h.port), [1, 2]);
    await c.destroy();
    const strict = cluster({ commonLbConfig: { healthyPanicThreshold: { value: 0 } } });
    strict.setEndpoints(cla([[1, 'UNHEALTHY']]));
    assert.equal(strict.available.length, 0, 'a threshold of 0 disables panic mode');
    assert.equal(strict.pick(undefined), undefined);
    await strict.destroy();
  });

  it('ejects a host after consecutive 5xx and brings it back after the ejection time', async () => {
    const c = cluster({ outlierDetection: { consecutive5xx: { value: 3 }, interval: { nanos: 20_000_000 }, baseEjectionTime: { nanos: 50_000_000 }, maxEjectionPercent: { value: 50 } } });
    c.setEndpoints(cla([[1], [2]]));
    const bad = c.hosts[0];
    c.recordOutcome(bad, 503);
    c.recordOutcome(bad, 500);
    assert.equal(c.available.length, 2);
    c.recordOutcome(bad, 502);
    assert.deepEqual(c.available.map((h) => h.port), [2], 'ejected after 3 consecutive errors');
    assert.equal(c.stats.ejections, 1);
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(c.available.length, 2, 'back after the base ejection time');
    await c.destroy();
  });

  it('rejects unsupported settings with the cluster name and field', () => {
    assert.throws(() => compileCluster({ name: 'x', lbPolicy: 'WEIRD' }), /Cluster x\.lbPolicy: unsupported lb policy WEIRD/);
    assert.throws(() => compileCluster({ name: 'o', type: 'ORIGINAL_DST' }), /Cluster o\.lbPolicy: an ORIGINAL_DST cluster needs lbPolicy CLUSTER_PROVIDED/);
    assert.throws(
      () => compileLoadAssignment({ endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '10.0.0.1', portValue: 70000 } } } }] }] }, 'ClusterLoadAssignment c'),
      /ClusterLoadAssignment c\.endpoints\[0\]\.lbEndpoints\[0\]\.endpoint\.address\.socketAddress\.portValue: must be a port/,
    );
  });

  it('accepts a STATIC cluster without endpoints (Istio\'s BlackHoleCluster)', () => {
    assert.deepEqual(compileCluster({ name: 'BlackHoleCluster', type: 'STATIC', connectTimeout: { seconds: 10 } }).inlineEndpoints, []);
  });
});
