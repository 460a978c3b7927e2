// Component test: the proxy as a real process, configured over ADS by a tiny
// control plane built from @mesh/xds (AdsServer + SnapshotCache), routing
// real HTTP traffic.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AdsServer, Snapshot, SnapshotCache, XdsNode } from '@mesh/xds';
import { freePort, startProcess, waitFor, type ManagedProcess } from '@mesh/testing';
import { edsCluster, endpoints, httpListener, request, routeConfig, startUpstream, testLog, vhost, type Upstream } from './test-fixtures.ts';

const NODE_ID = 'router~127.0.0.1~istio-ingressgateway.istio-system~istio-system.svc.cluster.local';

// main.ts loads @mesh/xds lazily (its protos are slow to load), so the module-boundary rule wants it lazy here too.
const xds = await import('@mesh/xds');
const { TYPE_URLS } = xds;

function gatewaySnapshot(version: string, listenPort: number, cluster: string, ports: Record<string, number>, regex = '/.*'): Snapshot {
  return xds.Snapshot.build(version, {
    [TYPE_URLS.listener]: [httpListener('0.0.0.0_80', listenPort, 'http.80', { useRemoteAddress: { value: true } })],
    [TYPE_URLS.route]: [routeConfig('http.80', [vhost('bookinfo', ['bookinfo.example', 'bookinfo.example:*'], [{ match: { safeRegex: { regex } }, route: { cluster } }])])],
    [TYPE_URLS.cluster]: Object.keys(ports).map((n) => edsCluster(n)),
    [TYPE_URLS.endpoint]: Object.entries(ports).map(([n, p]) => endpoints(n, [p])),
  });
}

describe('proxy process configured by an ADS server', () => {
  let v1: Upstream;
  let v2: Upstream;
  let cache: SnapshotCache;
  let server: AdsServer;
  let xdsPort: number;
  let proc: ManagedProcess;
  let listenPort: number;
  let statusPort: number;
  const nacks: string[] = [];
  const nodes: XdsNode[] = [];

  before(async () => {
    v1 = await startUpstream('v1');
    v2 = await startUpstream('v2');
    cache = new xds.SnapshotCache();
    server = new xds.AdsServer({ cache, log: testLog, hooks: { onNack: (_s, _t, _v, _n, error) => nacks.push(error), onStreamOpen: (s) => nodes.push(s.node) } });
    xdsPort = await server.listen('127.0.0.1', 0);
    listenPort = await freePort();
    statusPort = await freePort();
    cache.set(NODE_ID, gatewaySnapshot('1', listenPort, 'v1', { v1: v1.port, v2: v2.port }));
    proc = startProcess('proxy', 'apps/proxy/src/main.ts', [
      '--mode', 'gateway',
      '--pilot', `127.0.0.1:${xdsPort}`,
      '--node-id', NODE_ID,
      '--labels', 'istio=ingressgateway,app=istio-ingressgateway',
      '--admin-port', '0',
      '--status-port', String(statusPort),
      '--stats-port', '0',
      '--agent-port', '0',
      '--drain-seconds', '1',
    ]);
  });

  after(async () => {
    await proc?.stop();
    await server?.close(100);
    await v1?.close();
    await v2?.close();
  });

  it('presents an Istio node with its labels and becomes ready once the config is applied', async () => {
    await proc.waitForLine((l) => l.msg === 'config applied', 20_000);
    await waitFor('readiness', async () => (await request(statusPort, { path: '/healthz/ready' })).status === 200);
    const node = nodes.find((n) => n.id === NODE_ID)!;
    assert.deepEqual((node.metadata as any).LABELS, { istio: 'ingressgateway', app: 'istio-ingressgateway' });
    assert.equal((node.metadata as any).NAMESPACE, 'istio-system');
  });

  it('routes traffic as configured', async () => {
    const r = await request(listenPort, { path: '/productpage', headers: { host: 'bookinfo.example' } });
    assert.equal(r.status, 200);
    assert.equal(r.json().upstream, 'v1');
  });

  it('follows a config push', async () => {
    cache.set(NODE_ID, gatewaySnapshot('2', listenPort, 'v2', { v1: v1.port, v2: v2.port }));
    await waitFor('traffic to move to v2', async () => (await request(listenPort, { path: '/', headers: { host: 'bookinfo.example' } })).json().upstream === 'v2');
  });

  it('NACKs a bad config with the resource and field, and keeps serving the previous one', async () => {
    cache.set(NODE_ID, gatewaySnapshot('3', listenPort, 'v1', { v1: v1.port, v2: v2.port }, '(unclosed'));
    await waitFor('the NACK', () => nacks.length > 0);
    assert.match(nacks[0], /RouteConfiguration http\.80: virtualHosts\[0\] \(bookinfo\)\.routes\[0\]\.match\.safeRegex\.regex/);
    assert.equal((await request(listenPort, { path: '/', headers: { host: 'bookinfo.example' } })).json().upstream, 'v2');
  });

  it('keeps serving its last config when pilot goes away', async () => {
    await server.close(100);
    await proc.waitForLine((l) => l.msg === 'disconnected from pilot; serving the last config', 10_000);
    const r = await request(listenPort, { path: '/', headers: { host: 'bookinfo.example' } });
    assert.equal(r.status, 200);
    assert.equal((await request(statusPort, { path: '/healthz/ready' })).status, 200);
  });

  it('drains and exits 0 on SIGTERM', async () => {
    const code = await proc.stop(10_000);
    assert.equal(code, 0);
    assert.ok(proc.lines.some((l) => l.msg === 'stopped'));
  });
});
