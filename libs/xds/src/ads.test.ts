import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { freePort, waitFor } from '@mesh/testing';
import { AdsClient, type XdsSnapshot } from './ads-client.ts';
import { ADS_METHODS, adsCodecs, CSDS_METHODS, csdsServiceDefinition, TYPE_URLS, unpackAny, type DiscoveryResponse } from './index.ts';
import { Snapshot } from './snapshot.ts';
import { cla, edsCluster, listener, quietLog, route, snapshotOf, startControlPlane } from './test-fixtures.ts';

const NODE = { id: 'sidecar~127.0.0.1~app-1.default~default.svc.cluster.local', cluster: 'app', metadata: { LABELS: { app: 'app' }, OUTBOUND_PORT: '15001' } };

function nextSnapshot(client: AdsClient, predicate: (s: XdsSnapshot) => boolean = () => true, timeoutMs = 5_000): Promise<XdsSnapshot> {
  if (client.snapshot && predicate(client.snapshot)) return Promise.resolve(client.snapshot);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('snapshot', on);
      reject(new Error(`no matching snapshot within ${timeoutMs} ms; last: ${JSON.stringify(summary(client.snapshot))}`));
    }, timeoutMs);
    const on = (s: XdsSnapshot) => {
      if (!predicate(s)) return;
      clearTimeout(timer);
      client.off('snapshot', on);
      resolve(s);
    };
    client.on('snapshot', on);
  });
}

function summary(s: XdsSnapshot | undefined) {
  if (!s) return undefined;
  return { listeners: [...s.listeners.keys()], routes: [...s.routes.keys()], clusters: [...s.clusters.keys()], endpoints: [...s.endpoints.keys()], versions: s.versions };
}

function endpointPorts(s: XdsSnapshot, cluster: string): number[] {
  return (s.endpoints.get(cluster)?.endpoints ?? []).flatMap((l: any) => l.lbEndpoints.map((e: any) => e.endpoint.address.socketAddress.portValue));
}

function newClient(target: string, extra: Partial<ConstructorParameters<typeof AdsClient>[0]> = {}): AdsClient {
  const client = new AdsClient({ target, node: NODE, log: quietLog, backoff: { initialMs: 50, maxMs: 200 }, ...extra });
  after(() => client.stop());
  return client;
}

describe('ADS server and client (SotW, real gRPC on 127.0.0.1)', () => {
  it('delivers a complete, consistent snapshot in the documented in-memory shape', async () => {
    const cp = await startControlPlane();
    after(() => cp.close());
    cp.cache.set(NODE.id, snapshotOf('v1', [{ name: 'a', port: 18080, endpoints: [9001, 9002] }]));
    const client = newClient(cp.target);
    client.start();
    const s = await nextSnapshot(client);
    assert.deepEqual(summary(s), {
      listeners: ['l-a'],
      routes: ['r-a'],
      clusters: ['c-a'],
      endpoints: ['c-a'],
      versions: { [TYPE_URLS.listener]: 'v1', [TYPE_URLS.cluster]: 'v1', [TYPE_URLS.route]: 'v1', [TYPE_URLS.endpoint]: 'v1' },
    });
    const hcm = s.listeners.get('l-a').filterChains[0].filters[0].typedConfig;
    assert.equal(hcm['@type'], 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');
    assert.equal(hcm.rds.routeConfigName, 'r-a');
    assert.equal(s.clusters.get('c-a').type, 'EDS');
    assert.deepEqual(s.clusters.get('c-a').connectTimeout, { seconds: '1' });
    assert.deepEqual(endpointPorts(s, 'c-a'), [9001, 9002]);
    // The server saw every type ACKed at v1, and knows the node's metadata.
    await waitFor('4 ACKs', () => cp.recorded.acks.length >= 4);
    const stream = cp.server.streams()[0];
    assert.equal(stream.node.id, NODE.id);
    assert.deepEqual(stream.node.metadata, NODE.metadata);
    for (const t of [TYPE_URLS.listener, TYPE_URLS.route, TYPE_URLS.cluster, TYPE_URLS.endpoint]) assert.equal(stream.types.get(t)?.ackedVersion, 'v1');
  });

  it('pushes a change to a subscribed stream and only for types that changed', async () => {
    const cp = await startControlPlane();
    after(() => cp.close());
    cp.cache.set(NODE.id, snapshotOf('v1', [{ name: 'a', port: 18080, endpoints: [9001] }]));
    const client = newClient(cp.target);
    client.start();
    await nextSnapshot(client);
    await waitFor('4 ACKs', () => cp.recorded.acks.length >= 4);
    const before = cp.recorded.responses.length;
    cp.cache.set(NODE.id, snapshotOf('v2', [{ name: 'a', port: 18080, endpoints: [9001, 9003] }]));
    const s = await nextSnapshot(client, (x) => x.versions[TYPE_URLS.endpoint] === 'v2');
    assert.deepEqual(endpointPorts(s, 'c-a'), [9001, 9003]);
    // Only EDS changed: listeners, routes and clusters keep version v1 and were not re-sent.
    assert.equal(s.versions[TYPE_URLS.listener], 'v1');
    assert.equal(s.versions[TYPE_URLS.cluster], 'v1');
    assert.deepEqual(cp.recorded.responses.slice(before).map((r) => r.typeUrl), [TYPE_URLS.endpoint]);
  });

  it('keeps the digest of resources a push re-sends unchanged (consumers cache by it), and checks only new or changed ones', async () => {
    const cp = await startControlPlane();
    after(() => cp.close());
    cp.cache.set(NODE.id, snapshotOf('v1', [{ name: 'a', port: 18080, endpoints: [9001] }, { name: 'b', port: 18081, endpoints: [9002] }]));
    const validated = new Map<string, string[][]>();
    const client = newClient(cp.target, {
      validate: (typeUrl, resources) => validated.set(typeUrl, [...(validated.get(typeUrl) ?? []), resources.map((r) => (r as { name: string }).name)]),
    });
    client.start();
    const s1 = await nextSnapshot(client);
    cp.cache.set(
      NODE.id,
      snapshotOf('v2', [
        { name: 'a', port: 18080, endpoints: [9001] },
        { name: 'b', port: 18081, endpoints: [9003] },
        { name: 'c', port: 18082, endpoints: [9004] },
      ]),
    );
    const s2 = await nextSnapshot(client, (x) => x.clusters.has('c-c') && x.versions[TYPE_URLS.endpoint] === 'v2');
    // Every type was re-sent (SotW); what did not change keeps its digest, and reads back equal.
    for (const [map1, map2, name] of [[s1.listeners, s2.listeners, 'l-a'], [s1.clusters, s2.clusters, 'c-a'], [s1.endpoints, s2.endpoints, 'c-a']] as const) {
      assert.ok(map1.digest?.(name));
      assert.equal(map2.digest?.(name), map1.digest?.(name));
      assert.deepEqual(map2.get(name), map1.get(name));
    }
    assert.notEqual(s2.endpoints.digest?.('c-b'), s1.endpoints.digest?.('c-b'));
    assert.deepEqual(endpointPorts(s2, 'c-b'), [9003]);
    // The validate hook saw the re-sent clusters once: only c-c (new) in the second push.
    assert.deepEqual(validated.get(TYPE_URLS.cluster)?.map((names) => names.sort()), [['c-a', 'c-b'], ['c-c']]);
  });

  it('a NACK keeps the previous version as ACKed, surfaces the error, and a later good version is accepted', async () => {
    const cp = await startControlPlane();
    after(() => cp.close());
    cp.cache.set(NODE.id, snapshotOf('v1', [{ name: 'a', port: 18080, endpoints: [9001] }]));
    const nacks: string[] = [];
    const client = newClient(cp.target, {
      validate: (typeUrl, resources) => {
        if (typeUrl !== TYPE_URLS.cluster) return;
        for (const c of resources as any[]) if (c.lbPolicy === 'RANDOM') throw new Error(`cluster ${c.name}: lbPolicy RANDOM is not supported`);
      },
    });
    client.on('nack', (n) => nacks.push(n.error));
    client.start();
    await nextSnapshot(client);
    const bad = Snapshot.build('v2', {
      [TYPE_URLS.listener]: [listener('l-a', 18080, 'r-a')],
      [TYPE_URLS.route]: [route('r-a', 'c-a')],
      [TYPE_URLS.cluster]: [edsCluster('c-a', { lbPolicy: 'RANDOM' })],
      [TYPE_URLS.endpoint]: [cla('c-a', [9001])],
    });
    cp.cache.set(NODE.id, bad);
    await waitFor('NACK recorded by the server', () => cp.recorded.nacks.length === 1);
    assert.equal(cp.recorded.nacks[0].typeUrl, TYPE_URLS.cluster);
    assert.match(cp.recorded.nacks[0].error, /lbPolicy RANDOM is not supported/);
    assert.equal(cp.recorded.nacks[0].version, 'v1', 'the NACK carries the version still in effect');
    const status = cp.server.streams()[0].types.get(TYPE_URLS.cluster)!;
    assert.equal(status.ackedVersion, 'v1');
    assert.equal(status.sentVersion, 'v2');
    assert.match(status.lastError!, /RANDOM/);
    assert.deepEqual(nacks, ['cluster c-a: lbPolicy RANDOM is not supported']);
    assert.equal(client.snapshot!.clusters.get('c-a').lbPolicy, undefined, 'the previous cluster stays in effect');
    assert.equal(client.snapshot!.versions[TYPE_URLS.cluster], 'v1');

    cp.cache.set(NODE.id, Snapshot.build('v3', {
      [TYPE_URLS.listener]: [listener('l-a', 18080, 'r-a')],
      [TYPE_URLS.route]: [route('r-a', 'c-a')],
      [TYPE_URLS.cluster]: [edsCluster('c-a', { lbPolicy: 'LEAST_REQUEST' })],
      [TYPE_URLS.endpoint]: [cla('c-a', [9001])],
    }));
    const s = await nextSnapshot(client, (x) => x.versions[TYPE_URLS.cluster] === 'v3');
    assert.equal(s.clusters.get('c-a').lbPolicy, 'LEAST_REQUEST');
    await waitFor('ACK of v3 clears the error', () => !cp.server.streams()[0].types.get(TYPE_URLS.cluster)!.lastError && cp.server.streams()[0].types.get(TYPE_URLS.cluster)!.ackedVersion === 'v3');
  });

  it('asks for RDS and EDS by the names listeners and clusters reference, and follows reference changes', async () => {
    const cp = await startControlPlane();
    after(() => cp.close());
    const unreferenced = { [TYPE_URLS.route]: [route('r-unused', 'c-a')], [TYPE_URLS.endpoint]: [cla('c-unused', [1])] };
    cp.cache.set(NODE.id, snapshotOf('v1', [{ name: 'a', port: 18080, endpoints: [9001] }], unreferenced));
    const client = newClient(cp.target);
    client.start();
    const s1 = await nextSnapshot(client);
    assert.deepEqual([...s1.routes.keys()], ['r-a']);
    assert.deepEqual([...s1.endpoints.keys()], ['c-a']);
    await waitFor('RDS subscription recorded', () => cp.server.streams()[0]?.types.get(TYPE_URLS.route)?.ackedVersion === 'v1');
    const rds = cp.server.streams()[0].types.get(TYPE_URLS.route)!;
    assert.equal(rds.wildcard, false);
    assert.deepEqual(rds.names, ['r-a']);
    assert.equal(cp.server.streams()[0].types.get(TYPE_URLS.listener)!.wildcard, true);

    // A second service appears: the client subscribes to its route and endpoints by name.
    cp.cache.set(NODE.id, snapshotOf('v2', [{ name: 'a', port: 18080, endpoints: [9001] }, { name: 'b', port: 18081, endpoints: [9101] }], unreferenced));
    const s2 = await nextSnapshot(client, (x) => x.listeners.size === 2);
    assert.deepEqual([...s2.routes.keys()].sort(), ['r-a', 'r-b']);
    assert.deepEqual([...s2.endpoints.keys()].sort(), ['c-a', 'c-b']);
    assert.deepEqual(endpointPorts(s2, 'c-b'), [9101]);
  });

  it('removes listeners and clusters absent from a wildcard response, and drops what they referenced', async () => {
    const cp = await startControlPlane();
    after(() => cp.close());
    cp.cache.set(NODE.id, snapshotOf('v1', [{ name: 'a', port: 18080, endpoints: [9001] }, { name: 'b', port: 18081, endpoints: [9101] }]));
    const client = newClient(cp.target);
    client.start();
    await nextSnapshot(client, (x) => x.listeners.size === 2);
    cp.cache.set(NODE.id, snapshotOf('v2', [{ name: 'b', port: 18081, endpoints: [9101] }]));
    const s = await nextSnapshot(client, (x) => x.listeners.size === 1 && x.clusters.size === 1);
    assert.deepEqual(summary(s)!.listeners, ['l-b']);
    assert.deepEqual(summary(s)!.clusters, ['c-b']);
    assert.deepEqual(summary(s)!.routes, ['r-b']);
    assert.deepEqual(summary(s)!.endpoints, ['c-b']);
  });

  it('does not emit a snapshot until every referenced route and load assignment arrived', async () => {
    const cp = await startControlPlane();
    after(() => cp.close());
    // Inconsistent: the listener references a route the control plane does not have yet.
    const partial = Snapshot.build('v1', { [TYPE_URLS.listener]: [listener('l-a', 18080, 'r-a')], [TYPE_URLS.cluster]: [] });
    assert.deepEqual(partial.consistencyErrors(), ['route configuration r-a is referenced by a listener but missing']);
    cp.cache.set(NODE.id, partial);
    const client = newClient(cp.target);
    let emitted = 0;
    client.on('snapshot', () => emitted++);
    client.start();
    await waitFor('LDS and CDS ACKed', () => cp.recorded.acks.filter((a) => a.typeUrl === TYPE_URLS.listener || a.typeUrl === TYPE_URLS.cluster).length === 2);
    assert.equal(emitted, 0);
    cp.cache.set(NODE.id, Snapshot.build('v2', { [TYPE_URLS.listener]: [listener('l-a', 18080, 'r-a')], [TYPE_URLS.route]: [route('r-a', 'c-a')] }));
    const s = await nextSnapshot(client);
    assert.deepEqual([...s.routes.keys()], ['r-a']);
    assert.equal(emitted, 1);
  });

  it('keeps the last snapshot while the control plane is gone, reconnects with backoff and resyncs', async () => {
    const port = await freePort();
    let cp = await startControlPlane(port);
    cp.cache.set(NODE.id, snapshotOf('v1', [{ name: 'a', port: 18080, endpoints: [9001] }]));
    const client = newClient(cp.target);
    const disconnected = new Promise<void>((r) => client.once('disconnected', () => r()));
    client.start();
    await nextSnapshot(client);
    await cp.close();
    await disconnected;
    assert.equal(client.connected, false);
    assert.deepEqual(endpointPorts(client.snapshot!, 'c-a'), [9001], 'the last snapshot stays in effect');

    cp = await startControlPlane(port);
    after(() => cp.close());
    cp.cache.set(NODE.id, snapshotOf('v7', [{ name: 'a', port: 18080, endpoints: [9005] }]));
    const s = await nextSnapshot(client, (x) => x.versions[TYPE_URLS.endpoint] === 'v7', 10_000);
    assert.deepEqual(endpointPorts(s, 'c-a'), [9005]);
    assert.equal(client.connected, true);
  });

  it('ignores a request carrying a stale nonce (raw stream)', async () => {
    const cp = await startControlPlane();
    after(() => cp.close());
    cp.cache.set(NODE.id, snapshotOf('v1', [{ name: 'a', port: 18080, endpoints: [9001] }]));
    const raw = new grpc.Client(cp.target, grpc.credentials.createInsecure());
    after(() => raw.close());
    const call = raw.makeBidiStreamRequest<any, DiscoveryResponse>(ADS_METHODS.sotw, adsCodecs.encodeRequest, adsCodecs.decodeResponse);
    after(() => call.cancel());
    call.on('error', () => {});
    const responses: DiscoveryResponse[] = [];
    call.on('data', (r: DiscoveryResponse) => responses.push(r));
    call.write({ node: NODE, typeUrl: TYPE_URLS.cluster, resourceNames: [] });
    await waitFor('first CDS response', () => responses.length === 1);
    const first = responses[0];
    assert.equal(unpackAny({ typeUrl: first.resources![0].type_url, value: first.resources![0].value }).name, 'c-a');
    cp.cache.set(NODE.id, snapshotOf('v2', [{ name: 'b', port: 18080, endpoints: [9001] }]));
    await waitFor('second CDS response', () => responses.length === 2);
    // A NACK of the superseded response must not be recorded against the stream.
    call.write({ typeUrl: TYPE_URLS.cluster, versionInfo: '', responseNonce: first.nonce, errorDetail: { code: 3, message: 'late complaint' } });
    call.write({ typeUrl: TYPE_URLS.cluster, versionInfo: 'v2', responseNonce: responses[1].nonce });
    await waitFor('ACK of v2', () => cp.recorded.acks.some((a) => a.version === 'v2'));
    assert.deepEqual(cp.recorded.nacks, []);
    const status = cp.server.streams()[0].types.get(TYPE_URLS.cluster)!;
    assert.equal(status.ackedVersion, 'v2');
    assert.equal(status.lastError, undefined);
    assert.equal(responses.length, 2, 'no response to the stale request');

    // A reconnecting client may carry a nonce from its previous stream: it still gets an answer.
    const again = raw.makeBidiStreamRequest<any, DiscoveryResponse>(ADS_METHODS.sotw, adsCodecs.encodeRequest, adsCodecs.decodeResponse);
    after(() => again.cancel());
    again.on('error', () => {});
    const got = new Promise<DiscoveryResponse>((resolve) => again.once('data', resolve));
    again.write({ node: NODE, typeUrl: TYPE_URLS.cluster, versionInfo: 'v2', responseNonce: '7', resourceNames: [] });
    assert.equal((await got).versionInfo, 'v2');
  });
});

describe('ADS server and client (Delta xDS)', () => {
  it('round-trips with per-resource versions, sends only changes and reports removals', async () => {
    const cp = await startControlPlane();
    after(() => cp.close());
    cp.cache.set(NODE.id, snapshotOf('v1', [{ name: 'a', port: 18080, endpoints: [9001] }, { name: 'b', port: 18081, endpoints: [9101] }]));
    const client = newClient(cp.target, { protocol: 'delta' });
    client.start();
    const s1 = await nextSnapshot(client, (x) => x.listeners.size === 2);
    assert.deepEqual([...s1.endpoints.keys()].sort(), ['c-a', 'c-b']);
    assert.equal(cp.server.streams()[0].protocol, 'delta');

    // Only c-b's endpoints change: one resource goes out, nothing else.
    await waitFor('initial ACKs', () => cp.recorded.acks.length >= 4);
    const before = cp.recorded.responses.length;
    cp.cache.set(NODE.id, snapshotOf('v2', [{ name: 'a', port: 18080, endpoints: [9001] }, { name: 'b', port: 18081, endpoints: [9102] }]));
    const s2 = await nextSnapshot(client, (x) => endpointPorts(x, 'c-b')[0] === 9102);
    assert.deepEqual(endpointPorts(s2, 'c-a'), [9001]);
    assert.deepEqual(cp.recorded.responses.slice(before).map((r) => [r.typeUrl, r.resources, r.removed]), [[TYPE_URLS.endpoint, 1, 0]]);

    // Service a goes away: its listener and cluster are removed by name.
    cp.cache.set(NODE.id, snapshotOf('v3', [{ name: 'b', port: 18081, endpoints: [9102] }]));
    const s3 = await nextSnapshot(client, (x) => x.listeners.size === 1 && x.clusters.size === 1 && x.endpoints.size === 1);
    assert.deepEqual(summary(s3)!.listeners, ['l-b']);
    assert.deepEqual(summary(s3)!.clusters, ['c-b']);
    assert.deepEqual(summary(s3)!.endpoints, ['c-b']);
    assert.ok(cp.recorded.responses.some((r) => r.typeUrl === TYPE_URLS.listener && r.removed === 1));
  });

  it('resumes with initial_resource_versions after reconnecting, without resending unchanged resources', async () => {
    const port = await freePort();
    let cp = await startControlPlane(port);
    const snap = snapshotOf('v1', [{ name: 'a', port: 18080, endpoints: [9001] }]);
    cp.cache.set(NODE.id, snap);
    const client = newClient(cp.target, { protocol: 'delta' });
    client.start();
    await nextSnapshot(client);
    const disconnected = new Promise<void>((r) => client.once('disconnected', () => r()));
    await cp.close();
    await disconnected;
    cp = await startControlPlane(port);
    after(() => cp.close());
    cp.cache.set(NODE.id, snapshotOf('v1', [{ name: 'a', port: 18080, endpoints: [9001] }]));
    const connected = new Promise<void>((r) => client.once('connected', () => r()));
    await connected;
    await waitFor('every type answered', () => cp.recorded.responses.length >= 4);
    assert.ok(cp.recorded.responses.every((r) => r.resources === 0 && r.removed === 0), JSON.stringify(cp.recorded.responses));
    assert.deepEqual(endpointPorts(client.snapshot!, 'c-a'), [9001]);
  });

  it('NACKs a bad delta update and keeps the resource it would have replaced', async () => {
    const cp = await startControlPlane();
    after(() => cp.close());
    cp.cache.set(NODE.id, snapshotOf('v1', [{ name: 'a', port: 18080, endpoints: [9001] }]));
    const client = newClient(cp.target, {
      protocol: 'delta',
      validate: (typeUrl, resources) => {
        if (typeUrl === TYPE_URLS.endpoint && resources.some((r: any) => endpointPorts({ endpoints: new Map([['x', r]]) } as any, 'x').includes(1))) throw new Error('port 1 is not allowed');
      },
    });
    client.start();
    await nextSnapshot(client);
    cp.cache.set(NODE.id, snapshotOf('v2', [{ name: 'a', port: 18080, endpoints: [1] }]));
    await waitFor('NACK', () => cp.recorded.nacks.length === 1);
    assert.match(cp.recorded.nacks[0].error, /port 1 is not allowed/);
    assert.deepEqual(endpointPorts(client.snapshot!, 'c-a'), [9001]);
    // The server now knows the client still has the old version: fixing the snapshot sends it again.
    cp.cache.set(NODE.id, snapshotOf('v3', [{ name: 'a', port: 18080, endpoints: [9002] }]));
    const s = await nextSnapshot(client, (x) => endpointPorts(x, 'c-a')[0] === 9002);
    assert.equal(s.versions[TYPE_URLS.endpoint], 'v3');
  });
});

describe('Client Status Discovery Service', () => {
  it('reports what each client was sent and whether it ACKed or NACKed it', async () => {
    const cp = await startControlPlane();
    after(() => cp.close());
    cp.cache.set(NODE.id, snapshotOf('v1', [{ name: 'a', port: 18080, endpoints: [9001] }]));
    const client = newClient(cp.target, {
      validate: (typeUrl, resources) => {
        if (typeUrl === TYPE_URLS.endpoint && (resources as any[]).some((r) => endpointPorts({ endpoints: new Map([['x', r]]) } as any, 'x').includes(1))) throw new Error('port 1 refused');
      },
    });
    client.start();
    await nextSnapshot(client);
    await waitFor('ACKs', () => cp.recorded.acks.length >= 4);
    cp.cache.set(NODE.id, snapshotOf('v2', [{ name: 'a', port: 18080, endpoints: [1] }]));
    await waitFor('NACK', () => cp.recorded.nacks.length === 1);

    const raw = new grpc.Client(cp.target, grpc.credentials.createInsecure());
    after(() => raw.close());
    const def = csdsServiceDefinition().FetchClientStatus;
    const fetchStatus = (req: object) =>
      new Promise<any>((resolve, reject) =>
        raw.makeUnaryRequest(CSDS_METHODS.fetch, def.requestSerialize, def.responseDeserialize, req, (err, value) => (err ? reject(err) : resolve(value))),
      );
    const res = await fetchStatus({ nodeMatchers: [{ nodeId: { prefix: 'sidecar~' } }] });
    assert.equal(res.config.length, 1);
    const cfg = res.config[0];
    assert.equal(cfg.node.id, NODE.id);
    const byType = (t: string) => cfg.genericXdsConfigs.filter((g: any) => g.typeUrl === t);
    const lds = byType(TYPE_URLS.listener);
    assert.deepEqual(lds.map((g: any) => [g.name, g.versionInfo, g.configStatus, g.clientStatus]), [['l-a', 'v1', 'SYNCED', 'ACKED']]);
    assert.equal(lds[0].xdsConfig['@type'], TYPE_URLS.listener);
    assert.equal(lds[0].xdsConfig.name, 'l-a');
    const eds = byType(TYPE_URLS.endpoint)[0];
    assert.equal(eds.configStatus, 'ERROR');
    assert.equal(eds.clientStatus, 'NACKED');
    assert.match(eds.errorState.details, /port 1 refused/);
    assert.equal(eds.versionInfo, 'v1', 'the version still in effect');
    const none = await fetchStatus({ nodeMatchers: [{ nodeId: { exact: 'nobody' } }] });
    assert.deepEqual(none.config ?? [], []);
  });
});
