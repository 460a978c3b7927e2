// ORIGINAL_DST clusters (Istio's PassthroughCluster and
// InboundPassthroughClusterIpv4): the host is the connection's original
// destination, made on demand, swept after cleanup_interval, bounded in
// number; upstream_bind_config's source address; BlackHoleCluster has no host.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '@mesh/testing';
import { compileCluster, MAX_ORIGINAL_DST_HOSTS } from '../config/cluster-config.ts';
import { StatsStore } from '../stats.ts';
import { testLog } from '../test-fixtures.ts';
import { Cluster, parseHostPort } from './cluster.ts';

const stats = new StatsStore({ workload: 't', namespace: 't', app: 't', version: 'v1' });
const passthrough = (extra: object = {}) => compileCluster({ name: 'PassthroughCluster', type: 'ORIGINAL_DST', lbPolicy: 'CLUSTER_PROVIDED', connectTimeout: { seconds: 1 }, ...extra } as never);

describe('ORIGINAL_DST cluster', () => {
  const clusters: Cluster[] = [];
  const make = (extra: object = {}) => {
    const c = new Cluster(passthrough(extra), { stats: stats.cluster(`pt${clusters.length}`), log: testLog });
    clusters.push(c);
    return c;
  };
  after(async () => {
    await Promise.all(clusters.map((c) => c.destroy()));
  });

  it('picks the original destination, one host per destination, and nothing without one', () => {
    const c = make();
    const a = c.pick(undefined, undefined, 1, { address: '10.0.0.1', port: 9080 });
    assert.equal(a?.key, '10.0.0.1:9080');
    assert.equal(c.pick(undefined, undefined, 1, { address: '10.0.0.1', port: 9080 }), a, 'the same host for the same destination');
    assert.equal(c.pick(undefined, undefined, 1, { address: 'fd00::1', port: 80 })?.key, '[fd00::1]:80');
    assert.equal(c.pick(undefined), undefined, 'no original destination: no host (Envoy needs a restored local address)');
    assert.equal(c.pick(undefined, undefined, 1, { address: '10.0.0.1', port: 0 }), undefined);
    assert.equal(c.originalDstHostCount, 2);
    assert.equal(c.membership()[1], 0, 'on-demand hosts are not members of the balanced set');
  });

  it('sweeps hosts idle for a cleanup interval, keeping those in use', async () => {
    const c = make({ cleanupInterval: { nanos: 50_000_000 } });
    const busy = c.pick(undefined, undefined, 1, { address: '10.0.0.2', port: 80 })!;
    busy.active++;
    c.pick(undefined, undefined, 1, { address: '10.0.0.3', port: 80 });
    await waitFor('the idle host to be swept', () => c.originalDstHostCount === 1);
    assert.equal(c.allHosts()[0], busy);
    busy.active--;
    await waitFor('the now idle host to be swept', () => c.originalDstHostCount === 0);
  });

  it(`holds at most ${MAX_ORIGINAL_DST_HOSTS} hosts; past that a new destination gets none (counted) until idle ones go`, () => {
    const c = make({ cleanupInterval: { seconds: 3600 } });
    for (let i = 0; i < MAX_ORIGINAL_DST_HOSTS; i++) assert.ok(c.pick(undefined, undefined, 1, { address: `10.1.${i >> 8}.${i & 255}`, port: 80 }));
    const overflowBefore = c.stats.rqPendingOverflow;
    assert.equal(c.pick(undefined, undefined, 1, { address: '10.2.0.1', port: 80 }), undefined);
    assert.equal(c.stats.rqPendingOverflow, overflowBefore + 1);
    assert.ok(c.pick(undefined, undefined, 1, { address: '10.1.0.1', port: 80 }), 'known destinations still work');
  });

  it('reads the HTTP header form (IP literal and port) strictly', () => {
    assert.deepEqual(parseHostPort('10.0.0.1:8080'), { address: '10.0.0.1', port: 8080 });
    assert.deepEqual(parseHostPort('[fd00::1]:443'), { address: 'fd00::1', port: 443 });
    for (const bad of ['example.com:80', '10.0.0.1', '10.0.0.1:0', '10.0.0.1:70000', '10.0.0.256:80', '[10.0.0.1]:80', 'fd00::1:80', ' 10.0.0.1:80']) {
      assert.equal(parseHostPort(bad), undefined, bad);
    }
  });
});

describe('ORIGINAL_DST cluster config', () => {
  it("compiles Istio's InboundPassthroughClusterIpv4 (source address 127.0.0.6)", () => {
    const spec = passthrough({ name: 'InboundPassthroughClusterIpv4', upstreamBindConfig: { sourceAddress: { address: '127.0.0.6', portValue: 0 } } });
    assert.equal(spec.sourceAddress, '127.0.0.6');
    assert.equal(spec.cleanupIntervalMs, 5_000, "Envoy's default");
    assert.deepEqual(spec.unimplemented, [], 'TCP and HTTP upstream connections both bind it');
  });

  it('names the field of a bad bind config or cleanup interval', () => {
    assert.throws(() => passthrough({ upstreamBindConfig: { sourceAddress: { address: 'localhost', portValue: 0 } } }), /^ConfigError: Cluster PassthroughCluster\.upstreamBindConfig\.sourceAddress\.address: must be an IP address/);
    assert.throws(() => passthrough({ upstreamBindConfig: { sourceAddress: { address: '127.0.0.6', portValue: 5000 } } }), /upstreamBindConfig\.sourceAddress\.portValue: binding a fixed source port is not supported/);
    assert.throws(() => passthrough({ upstreamBindConfig: { freebind: { value: true }, sourceAddress: { address: '127.0.0.6' } } }), /Cluster PassthroughCluster\.upstreamBindConfig: field freebind is not supported/);
    assert.throws(() => passthrough({ cleanupInterval: { seconds: 0 } }), /Cluster PassthroughCluster\.cleanupInterval: must be greater than zero/);
  });

  it("BlackHoleCluster (STATIC, no endpoints) has no host to pick", () => {
    const c = new Cluster(compileCluster({ name: 'BlackHoleCluster', type: 'STATIC', connectTimeout: { seconds: 1 } } as never), { stats: stats.cluster('BlackHoleCluster'), log: testLog });
    assert.equal(c.pick(undefined, undefined, 1, { address: '10.0.0.1', port: 80 }), undefined);
    void c.destroy();
  });
});
