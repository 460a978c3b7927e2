import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '@mesh/testing';
import { TYPE_URLS, decodeMessage, encodeMessage, type Cluster as ClusterMessage, type Cluster__Output, type ClusterLoadAssignment, type ClusterLoadAssignment__Output, type OutlierDetection } from '@mesh/xds';
import { compileCluster, compileLoadAssignment } from '../config/cluster-config.ts';
import { ClusterStats } from '../stats.ts';
import { Cluster } from './cluster.ts';
import { endpoints, httpListener, request, routeConfig, startTestProxy, startUpstream, testLog, vhost, type TestProxy, type Upstream } from '../test-fixtures.ts';

const identity = { workload: 'w', namespace: 'n', app: 'a', version: 'v' };

/** What a proxy gets over xDS: the typed message encoded to protobuf and decoded again. */
function overXds(cluster: ClusterMessage): Cluster__Output {
  return decodeMessage<Cluster__Output>(TYPE_URLS.cluster, encodeMessage(TYPE_URLS.cluster, cluster));
}

function claOverXds(cla: ClusterLoadAssignment): ClusterLoadAssignment__Output {
  return decodeMessage<ClusterLoadAssignment__Output>(TYPE_URLS.endpoint, encodeMessage(TYPE_URLS.endpoint, cla));
}

type Health = 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY';
const cla = (ports: Array<[number, Health?]>) =>
  compileLoadAssignment(
    claOverXds({
      clusterName: 'c',
      endpoints: [{ lbEndpoints: ports.map(([port, health]) => ({ endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: port } } }, ...(health ? { healthStatus: health } : {}) })) }],
    }),
    'cla',
  );

const made: Cluster[] = [];
after(() => Promise.all(made.map((c) => c.destroy())));

/** A cluster whose interval timer never fires on its own: tests move its clock and call tick(). */
function cluster(extra: Partial<ClusterMessage> = {}, clock?: { now: number }, random: () => number = () => 0): Cluster {
  const c = new Cluster(compileCluster(overXds({ name: 'c', type: 'EDS', edsClusterConfig: { edsConfig: { ads: {} } }, ...extra })), {
    stats: new ClusterStats('c', identity),
    log: testLog,
    random,
    now: clock ? () => clock.now : undefined,
  });
  made.push(c);
  return c;
}

/** Outlier detection with an interval that only tick() drives. */
const od = (o: OutlierDetection): Partial<ClusterMessage> => ({ outlierDetection: { interval: { seconds: 3600 }, ...o } });
const ports = (c: Cluster) => c.available.map((h) => h.port);

describe('cluster host sets', () => {
  it('keeps hosts (and their state) that stay across EDS updates', () => {
    const c = cluster();
    c.setEndpoints(cla([[1001], [1002]]));
    const kept = c.hosts.find((h) => h.port === 1002)!;
    kept.rqTotal = 7;
    c.setEndpoints(cla([[1002], [1003]]));
    assert.deepEqual(c.hosts.map((h) => h.port), [1002, 1003]);
    assert.equal(c.hosts[0], kept);
    assert.equal(c.hosts[0].rqTotal, 7);
  });

  it('enters panic mode (routes to all hosts) below the healthy panic threshold, as Envoy does', () => {
    const c = cluster();
    c.setEndpoints(cla([[1], [2, 'UNHEALTHY'], [3, 'UNHEALTHY']]));
    assert.equal(c.available.length, 3, '1 of 3 healthy is below 50%: panic');
    c.setEndpoints(cla([[1], [2], [3, 'UNHEALTHY']]));
    assert.deepEqual(ports(c), [1, 2]);
    const strict = cluster({ commonLbConfig: { healthyPanicThreshold: { value: 0 } } });
    strict.setEndpoints(cla([[1, 'UNHEALTHY']]));
    assert.equal(strict.available.length, 0, 'a threshold of 0 disables panic mode');
    assert.equal(strict.pick(undefined), undefined);
  });

  it('rejects unsupported settings with the cluster name and field', () => {
    assert.throws(() => compileCluster({ name: 'x', lbPolicy: 'LOAD_BALANCING_POLICY_CONFIG' }), /Cluster x\.lbPolicy: unsupported lb policy LOAD_BALANCING_POLICY_CONFIG/);
    assert.throws(() => compileCluster({ name: 'o', type: 'ORIGINAL_DST' }), /Cluster o\.lbPolicy: an ORIGINAL_DST cluster needs lbPolicy CLUSTER_PROVIDED/);
    assert.throws(
      () => compileLoadAssignment(claOverXds({ clusterName: 'c', endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '10.0.0.1', portValue: 70000 } } } }] }] }), 'ClusterLoadAssignment c'),
      /ClusterLoadAssignment c\.endpoints\[0\]\.lbEndpoints\[0\]\.endpoint\.address\.socketAddress\.portValue: must be a port/,
    );
  });

  it("accepts a STATIC cluster without endpoints (Istio's BlackHoleCluster)", () => {
    assert.deepEqual(compileCluster(overXds({ name: 'BlackHoleCluster', type: 'STATIC', connectTimeout: { seconds: 10 } })).inlineEndpoints, []);
  });
});

describe('outlier detection (Envoy semantics)', () => {
  it('reads the fields as the proto spells them (consecutive_5xx, enforcingConsecutive_5xx), with Envoy defaults', () => {
    const spec = compileCluster(overXds({ name: 'c', outlierDetection: { consecutive_5xx: { value: 3 }, enforcingConsecutive_5xx: { value: 40 } } })).outlier!;
    assert.equal(spec.consecutive5xx, 3);
    assert.equal(spec.enforcingConsecutive5xx, 40);
    assert.equal(spec.consecutiveGatewayFailure, 5);
    assert.equal(spec.enforcingConsecutiveGatewayFailure, 0);
    assert.equal(spec.intervalMs, 10_000);
    assert.equal(spec.baseEjectionMs, 30_000);
    assert.equal(spec.maxEjectionMs, 300_000);
    assert.equal(spec.maxEjectionPercent, 10);
    assert.equal(spec.enforcingSuccessRate, 100);
    assert.equal(spec.successRateStdevFactor, 1.9);
    const long = compileCluster(overXds({ name: 'c', outlierDetection: { baseEjectionTime: { seconds: 600 } } })).outlier!;
    assert.equal(long.maxEjectionMs, 600_000, 'max_ejection_time defaults to the base time when that is larger than 300 s');
    assert.throws(
      () => compileCluster(overXds({ name: 'c', outlierDetection: { baseEjectionTime: { seconds: 60 }, maxEjectionTime: { seconds: 30 } } })),
      /Cluster c\.outlierDetection\.maxEjectionTime: must not be smaller than baseEjectionTime/,
    );
  });

  it('ejects after consecutive 5xx, and brings the host back at the interval after the ejection time', () => {
    const clock = { now: 0 };
    const c = cluster(od({ consecutive_5xx: { value: 3 }, baseEjectionTime: { seconds: 10 }, maxEjectionPercent: { value: 50 } }), clock);
    c.setEndpoints(cla([[1], [2]]));
    const bad = c.hosts[0];
    c.recordOutcome(bad, 503);
    c.recordOutcome(bad, 500);
    c.recordOutcome(c.hosts[1], 200);
    assert.equal(c.available.length, 2);
    c.recordOutcome(bad, 502);
    assert.deepEqual(ports(c), [2], 'ejected after 3 consecutive errors');
    assert.equal(c.stats.ejections, 1);
    clock.now = 9_999;
    c.outlierDetector!.tick();
    assert.deepEqual(ports(c), [2], 'still ejected before base_ejection_time');
    clock.now = 10_000;
    c.outlierDetector!.tick();
    assert.deepEqual(ports(c), [1, 2], 'back after base_ejection_time');
  });

  it('a success in between restarts the count', () => {
    const c = cluster(od({ consecutive_5xx: { value: 2 }, maxEjectionPercent: { value: 100 } }));
    c.setEndpoints(cla([[1], [2]]));
    const h = c.hosts[0];
    c.recordOutcome(h, 500);
    c.recordOutcome(h, 200);
    c.recordOutcome(h, 500);
    assert.equal(c.available.length, 2);
    c.recordOutcome(h, 500);
    assert.deepEqual(ports(c), [2]);
  });

  it('ejects for base × times ejected, capped by maxEjectionTime, and the back-off shrinks while the host stays healthy', () => {
    const clock = { now: 0 };
    const c = cluster(od({ consecutive_5xx: { value: 1 }, interval: { seconds: 1 }, baseEjectionTime: { seconds: 10 }, maxEjectionTime: { seconds: 25 }, maxEjectionPercent: { value: 100 } }), clock);
    c.setEndpoints(cla([[1], [2]]));
    const h = c.hosts[0];
    const ejectedFor = () => {
      const start = clock.now;
      c.recordOutcome(h, 503);
      assert.notEqual(h.ejectedUntil, 0);
      while (h.ejectedUntil !== 0) {
        clock.now += 1_000;
        c.outlierDetector!.tick();
      }
      return clock.now - start;
    };
    assert.equal(ejectedFor(), 10_000);
    assert.equal(ejectedFor(), 20_000, 'second ejection: 2 × base');
    assert.equal(ejectedFor(), 25_000, 'third: 3 × base, capped at max_ejection_time');
    assert.equal(h.ejections, 3);
    // Healthy for a while: each interval after the last return takes one off the multiplier (Envoy's back-off decay).
    for (let i = 0; i < 10; i++) {
      clock.now += 1_000;
      c.outlierDetector!.tick();
    }
    assert.equal(ejectedFor(), 10_000, 'the back-off has decayed to 1 × base');
  });

  it('never ejects more than maxEjectionPercent of the hosts (10% by default), unless alwaysEjectOneHost', () => {
    const c = cluster(od({ consecutive_5xx: { value: 1 } }));
    c.setEndpoints(cla([[1], [2]]));
    c.recordOutcome(c.hosts[0], 500);
    assert.equal(c.available.length, 2, 'one of two hosts is 50% > 10%: not ejected');
    assert.equal(c.stats.ejections, 0);
    const one = cluster(od({ consecutive_5xx: { value: 1 }, alwaysEjectOneHost: { value: true } }));
    one.setEndpoints(cla([[1], [2]]));
    one.recordOutcome(one.hosts[0], 500);
    one.recordOutcome(one.hosts[1], 500);
    assert.deepEqual(ports(one), [2], 'always_eject_one_host ejects one, and only one');
  });

  it('enforces with the enforcing percentage (0 detects without ejecting)', () => {
    const c = cluster(od({ consecutive_5xx: { value: 1 }, enforcingConsecutive_5xx: { value: 0 }, maxEjectionPercent: { value: 100 } }));
    c.setEndpoints(cla([[1], [2]]));
    c.recordOutcome(c.hosts[0], 500);
    assert.equal(c.available.length, 2);
  });

  it('counts gateway failures (502/503/504 and connect failures) when enforced, and a plain 500 breaks their run', () => {
    const c = cluster(
      od({ consecutive_5xx: { value: 100 }, consecutiveGatewayFailure: { value: 3 }, enforcingConsecutiveGatewayFailure: { value: 100 }, maxEjectionPercent: { value: 100 } }),
    );
    c.setEndpoints(cla([[1], [2]]));
    const h = c.hosts[0];
    c.recordOutcome(h, 502);
    c.recordOutcome(h, 504);
    c.recordOutcome(h, 500);
    c.recordOutcome(h, 503);
    c.recordOutcome(h, 0, 'connect');
    assert.equal(c.available.length, 2);
    c.recordOutcome(h, 0, 'timeout');
    assert.deepEqual(ports(c), [2], '503, connect failure, timeout: three gateway failures in a row');
  });

  it('without splitExternalLocalOriginErrors, a connect failure counts as a 5xx', () => {
    const c = cluster(od({ consecutive_5xx: { value: 2 }, maxEjectionPercent: { value: 100 } }));
    c.setEndpoints(cla([[1], [2]]));
    c.recordOutcome(c.hosts[0], 0, 'connect');
    c.recordOutcome(c.hosts[0], 0, 'reset');
    assert.deepEqual(ports(c), [2]);
  });

  it('with splitExternalLocalOriginErrors, local-origin failures count apart, toward consecutiveLocalOriginFailure', () => {
    const c = cluster({
      ...od({ splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailure: { value: 2 }, consecutive_5xx: { value: 2 }, maxEjectionPercent: { value: 100 } }),
      // Two of three hosts ejected would otherwise be panic mode.
      commonLbConfig: { healthyPanicThreshold: { value: 0 } },
    });
    c.setEndpoints(cla([[1], [2], [3]]));
    const [a, b] = c.hosts;
    c.recordOutcome(a, 500);
    c.recordOutcome(a, 0, 'connect');
    c.recordOutcome(a, 500);
    assert.deepEqual(ports(c), [2, 3], 'a local-origin failure neither counts as nor breaks a run of 5xx');
    c.recordOutcome(b, 0, 'connect');
    c.recordOutcome(b, 503);
    c.recordOutcome(b, 0, 'timeout');
    assert.deepEqual(ports(c), [2, 3], 'a response (even a 503) means the connection worked: the local-origin run restarts');
    c.recordOutcome(b, 0, 'reset');
    assert.deepEqual(ports(c), [3], 'two local-origin failures in a row eject');
    assert.equal(c.stats.ejections, 2);
  });

  it('ejects a host whose success rate over the last interval is below mean - stdev × factor', () => {
    const clock = { now: 0 };
    const c = cluster(
      od({ consecutive_5xx: { value: 1000 }, successRateMinimumHosts: { value: 5 }, successRateRequestVolume: { value: 10 }, maxEjectionPercent: { value: 50 } }),
      clock,
    );
    c.setEndpoints(cla([[1], [2], [3], [4], [5]]));
    const drive = (failing: number) => {
      for (const h of c.hosts) for (let i = 0; i < 20; i++) c.recordOutcome(h, h.port === 1 && i < failing ? 503 : 200);
    };
    drive(10);
    assert.equal(c.available.length, 5, 'success rate is evaluated at the interval, not per request');
    clock.now += 1000;
    c.outlierDetector!.tick();
    assert.deepEqual(ports(c), [2, 3, 4, 5], 'rates {50, 100, 100, 100, 100}: mean 90, stdev 20, threshold 52');
    const off = cluster(od({ consecutive_5xx: { value: 1000 }, enforcingSuccessRate: { value: 0 }, successRateMinimumHosts: { value: 5 }, successRateRequestVolume: { value: 10 }, maxEjectionPercent: { value: 50 } }));
    off.setEndpoints(cla([[1], [2], [3], [4], [5]]));
    for (const h of off.hosts) for (let i = 0; i < 20; i++) off.recordOutcome(h, h.port === 1 && i < 10 ? 503 : 200);
    off.outlierDetector!.tick();
    assert.equal(off.available.length, 5, 'enforcingSuccessRate 0 (what pilot sends): no success-rate ejections');
  });

  it('ejects on failure percentage when enforced', () => {
    const c = cluster(
      od({
        consecutive_5xx: { value: 1000 },
        enforcingSuccessRate: { value: 0 },
        enforcingFailurePercentage: { value: 100 },
        failurePercentageThreshold: { value: 50 },
        failurePercentageMinimumHosts: { value: 2 },
        failurePercentageRequestVolume: { value: 4 },
        maxEjectionPercent: { value: 50 },
      }),
    );
    c.setEndpoints(cla([[1], [2]]));
    for (let i = 0; i < 4; i++) {
      c.recordOutcome(c.hosts[0], i < 3 ? 500 : 200);
      c.recordOutcome(c.hosts[1], 200);
    }
    c.outlierDetector!.tick();
    assert.deepEqual(ports(c), [2]);
  });

  it('forgets ejections when the outlier detection config changes, as Envoy rebuilds the cluster', () => {
    const c = cluster(od({ consecutive_5xx: { value: 1 }, maxEjectionPercent: { value: 100 } }));
    c.setEndpoints(cla([[1], [2]]));
    c.recordOutcome(c.hosts[0], 500);
    assert.equal(c.available.length, 1);
    c.updateSpec(compileCluster(overXds({ name: 'c', type: 'EDS', edsClusterConfig: { edsConfig: { ads: {} } } })));
    assert.equal(c.available.length, 2, 'outlier detection removed: the host is back');
  });
});

describe('outlier detection end to end: a cluster as pilot sends it, over xDS, with real traffic', () => {
  // What pilot's DestinationRule translation emits (apps/pilot/src/model/destination-rules.ts): consecutive5xxErrors: 1,
  // interval: 1s, baseEjectionTime: 3m, maxEjectionPercent: 100, success rate off.
  const pilotOutlier = (interval: ClusterMessage['connectTimeout'], base: ClusterMessage['connectTimeout']): OutlierDetection => ({
    consecutive_5xx: { value: 1 },
    enforcingConsecutive_5xx: { value: 100 },
    enforcingSuccessRate: { value: 0 },
    interval,
    baseEjectionTime: base,
    maxEjectionPercent: { value: 100 },
  });
  const pilotCluster = (outlierDetection: OutlierDetection): ClusterMessage => ({
    name: 'outbound|80||flaky.default.svc.cluster.local',
    connectTimeout: { seconds: 10 },
    lbPolicy: 'ROUND_ROBIN',
    circuitBreakers: { thresholds: [{ maxConnections: { value: 4294967295 }, maxPendingRequests: { value: 4294967295 }, maxRequests: { value: 4294967295 }, maxRetries: { value: 4294967295 }, trackRemaining: true }] },
    outlierDetection,
    type: 'EDS',
    edsClusterConfig: { edsConfig: { ads: {}, resourceApiVersion: 'V3' }, serviceName: 'outbound|80||flaky.default.svc.cluster.local' },
  });

  it('compiles the settings pilot sends', () => {
    const spec = compileCluster(overXds(pilotCluster(pilotOutlier({ seconds: 1 }, { seconds: 180 })))).outlier!;
    assert.equal(spec.consecutive5xx, 1);
    assert.equal(spec.intervalMs, 1_000);
    assert.equal(spec.baseEjectionMs, 180_000);
    assert.equal(spec.maxEjectionPercent, 100);
    assert.equal(spec.enforcingSuccessRate, 0);
  });

  it('ejects the host answering 502/503, sends traffic to the healthy one, and takes it back after the ejection time', async () => {
    let bad = 0;
    const flaky = await startUpstream('flaky', (_req, res) => {
      res.writeHead(bad++ % 2 === 0 ? 502 : 503, { 'content-length': '0' });
      res.end();
      return true;
    });
    const healthy = await startUpstream('healthy');
    const proxy = await startTestProxy();
    try {
      await driveThroughProxy(proxy, flaky, healthy);
    } finally {
      await proxy.close();
      await flaky.close();
      await healthy.close();
    }
  });

  async function driveThroughProxy(proxy: TestProxy, flaky: Upstream, healthy: Upstream): Promise<void> {
    const name = 'outbound|80||flaky.default.svc.cluster.local';
    // Small durations: interval 50 ms, base ejection 400 ms.
    await proxy.apply({
      listeners: [httpListener('l', 0, 'r')],
      routes: [routeConfig('r', [vhost('v', ['*'], [{ match: { prefix: '/' }, route: { cluster: name, timeout: { seconds: 0 } } }])])],
      clusters: [overXds(pilotCluster(pilotOutlier({ nanos: 50_000_000 }, { nanos: 400_000_000 })))],
      endpoints: [claOverXds(endpoints(name, [flaky.port, healthy.port]))],
    });
    const port = proxy.port('l');
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++) statuses.push((await request(port)).status);
    assert.deepEqual([...statuses].sort(), [200, 502], 'round robin reaches both hosts once');
    const ejectedAt = Date.now();
    const seenByFlaky = flaky.seen.length;
    for (let i = 0; i < 10; i++) assert.equal((await request(port)).json().upstream, 'healthy', 'the flaky host is ejected after one 5xx');
    assert.equal(flaky.seen.length, seenByFlaky);
    await waitFor('the flaky host to take traffic again', async () => (await request(port)).status !== 200, { timeoutMs: 5_000, intervalMs: 20 });
    const back = Date.now() - ejectedAt;
    assert.ok(back >= 350, `back ${back} ms after its ejection, not before baseEjectionTime (400 ms)`);
    assert.equal(flaky.seen.length, seenByFlaky + 1);
  }
});
