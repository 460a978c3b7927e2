// proxy-status over the shape pilot's /debug/syncz serves (apps/pilot/src/pilot.ts): the states istioctl
// prints, the NAME column, finding one proxy, and a NACK named under the table.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configComparison, findStream, proxyName, proxyStatusTable, syncState, type SyncStream } from './proxy-status.ts';
import { CliError } from './fetch-json.ts';

const stream = (proxy: string, types: SyncStream['types'], extra: Partial<SyncStream> = {}): SyncStream => ({ proxy, pilot: 'pilot-a', clusterId: 'Kubernetes', types, ...extra });
const acked = (n: string) => ({ sentNonce: n, ackedNonce: n, sentVersion: `v${n}`, ackedVersion: `v${n}` });

describe('istioctl proxy-status', () => {
  it("reports istioctl's states: SYNCED, STALE, STALE (Never Acknowledged), NOT SENT", () => {
    assert.equal(syncState(acked('3')), 'SYNCED');
    assert.equal(syncState({ sentNonce: '4', ackedNonce: '3' }), 'STALE');
    assert.equal(syncState({ sentNonce: '1' }), 'STALE (Never Acknowledged)');
    assert.equal(syncState(undefined), 'NOT SENT');
    assert.equal(syncState({}), 'NOT SENT');
  });

  it('names a proxy pod.namespace from its Istio node id, and keeps other ids (proxyless gRPC) as they are', () => {
    assert.equal(proxyName('sidecar~10.1.0.7~reviews-v1-545db77b95-22n9m.default~default.svc.cluster.local'), 'reviews-v1-545db77b95-22n9m.default');
    assert.equal(proxyName('router~127.0.0.1~istio-ingressgateway.istio-system~istio-system.svc.cluster.local'), 'istio-ingressgateway.istio-system');
    assert.equal(proxyName('grpc-client'), 'grpc-client');
  });

  it('prints one row per proxy, sorted, with the replica serving it; a NACK is named under the table', () => {
    const out = proxyStatusTable([
      stream('sidecar~10.0.0.2~reviews-v1.default~default.svc.cluster.local', { CDS: acked('1'), LDS: { sentNonce: '2', ackedNonce: '1', sentVersion: 'v2', lastError: 'listener 0.0.0.0_9080: unknown field' }, EDS: acked('1'), RDS: acked('1') }, { version: '1.24.0' }),
      stream('router~10.0.0.1~istio-ingressgateway.istio-system~istio-system.svc.cluster.local', { CDS: acked('5'), LDS: acked('5') }, { pilot: 'pilot-b' }),
    ]);
    const lines = out.trimEnd().split('\n');
    assert.deepEqual(lines[0].split(/\s{3,}/), ['NAME', 'CLUSTER', 'CDS', 'LDS', 'EDS', 'RDS', 'ECDS', 'ISTIOD', 'VERSION']);
    assert.deepEqual(lines[1].split(/\s{3,}/), ['istio-ingressgateway.istio-system', 'Kubernetes', 'SYNCED', 'SYNCED', 'NOT SENT', 'NOT SENT', 'NOT SENT', 'pilot-b', '-']);
    assert.deepEqual(lines[2].split(/\s{3,}/), ['reviews-v1.default', 'Kubernetes', 'SYNCED', 'STALE', 'SYNCED', 'SYNCED', 'NOT SENT', 'pilot-a', '1.24.0']);
    assert.equal(lines[3], 'reviews-v1.default rejected LDS version v2: listener 0.0.0.0_9080: unknown field');
    // Columns line up: every cell starts where its header does.
    const at = lines[0].indexOf('LDS');
    assert.equal(lines[1].slice(at, at + 6), 'SYNCED');
    assert.equal(lines[2].slice(at, at + 5), 'STALE');
  });

  it('finds one proxy by pod.namespace, by pod and -n, by a unique pod name, or by node id; says which are connected otherwise', () => {
    const streams = [stream('sidecar~10.0.0.2~productpage-v1.default~default.svc.cluster.local', {}), stream('sidecar~10.0.0.3~productpage-v1.prod~prod.svc.cluster.local', {}), stream('sidecar~10.0.0.4~ratings-v1.default~default.svc.cluster.local', {})];
    assert.equal(findStream(streams, 'productpage-v1.prod', undefined).proxy, streams[1].proxy);
    assert.equal(findStream(streams, 'productpage-v1', 'default').proxy, streams[0].proxy);
    assert.equal(findStream(streams, 'ratings-v1', undefined).proxy, streams[2].proxy);
    assert.equal(findStream(streams, streams[2].proxy, undefined).proxy, streams[2].proxy);
    assert.throws(() => findStream(streams, 'productpage-v1', undefined), (e: Error) => e instanceof CliError && /several namespaces \(productpage-v1\.default, productpage-v1\.prod\)/.test(e.message));
    assert.throws(() => findStream(streams, 'details-v1.default', undefined), /no proxy "details-v1\.default" is connected to the pilots asked; connected: productpage-v1\.default, productpage-v1\.prod, ratings-v1\.default/);
  });

  it("compares the versions a proxy runs with what its pilot generated: istioctl's Match / Don't Match lines", () => {
    assert.equal(configComparison({ CDS: 'a', LDS: 'b', RDS: 'c', EDS: 'x' }, { CDS: 'a', LDS: 'b', RDS: 'c' }), 'Clusters Match\nListeners Match\nRoutes Match\n');
    assert.equal(configComparison({ CDS: 'a2', LDS: 'b' }, { CDS: 'a', LDS: 'b' }), "Clusters Don't Match (pilot version a2, proxy version a)\nListeners Match\n");
    assert.equal(configComparison({ CDS: 'a', RDS: 'c' }, { CDS: 'a' }), "Clusters Match\nRoutes Don't Match (pilot version c, proxy version none)\n");
  });
});
