// End to end with a real, independent xDS client: gRPC's proxyless xDS
// (@grpc/grpc-js-xds) resolves `xds:///<host>:<port>` through pilot's
// Listener (api_listener) → RouteConfiguration → Cluster → ClusterLoadAssignment
// and calls real gRPC servers registered with ServiceEntry + WorkloadEntry.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { BUCKETS, ConfigResourceSchema, configKey, connectBus, type Bus, type ConfigResource, type TypedKv } from '@mesh/contracts';
import { startNats, waitFor, type NatsServer } from '@mesh/testing';
import { startPilot, type Pilot } from './pilot.ts';
import { res, testLog } from './test-support.ts';

const HOST = 'echo.default.svc.cluster.local';
const METHOD = '/mesh.test.Echo/Say';
const encode = (v: unknown) => Buffer.from(JSON.stringify(v));
const decode = (b: Buffer) => JSON.parse(b.toString());

async function echoServer(version: string): Promise<{ port: number; stop(): Promise<void> }> {
  const server = new grpc.Server();
  server.addService(
    { Say: { path: METHOD, requestStream: false, responseStream: false, requestSerialize: encode, requestDeserialize: decode, responseSerialize: encode, responseDeserialize: decode } } as grpc.ServiceDefinition,
    { Say: (call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) => cb(null, { version, echo: call.request.msg }) },
  );
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { port, stop: () => new Promise((r) => server.tryShutdown(() => r())) };
}

function say(client: grpc.Client, msg: string, metadata = new grpc.Metadata()): Promise<{ version: string; echo: string }> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(METHOD, encode, decode, { msg }, metadata, { deadline: Date.now() + 5_000 }, (err, value) => (err ? reject(err) : resolve(value))),
  );
}

describe('proxyless gRPC (grpc-js-xds) through pilot', () => {
  let nats: NatsServer;
  let bus: Bus;
  let kv: TypedKv<ConfigResource>;
  let pilot: Pilot;
  const servers: Array<{ port: number; stop(): Promise<void> }> = [];
  let client: grpc.Client;

  before(async () => {
    nats = await startNats();
    bus = await connectBus({ servers: nats.url, name: 'grpc-xds-test', log: testLog });
    kv = await bus.kv(BUCKETS.config, ConfigResourceSchema);
    servers.push(await echoServer('v1'), await echoServer('v2'));
    const put = (r: ConfigResource) => kv.put(configKey(r.kind, r.metadata.namespace, r.metadata.name), r);
    await put(res('ServiceEntry', 'echo', { hosts: [HOST], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 7070, name: 'grpc', protocol: 'GRPC' }], workloadSelector: { labels: { app: 'echo' } } }));
    await put(res('WorkloadEntry', 'echo-v1', { address: '127.0.0.1', ports: { grpc: servers[0].port }, labels: { app: 'echo', version: 'v1' } }));
    await put(res('WorkloadEntry', 'echo-v2', { address: '127.0.0.1', ports: { grpc: servers[1].port }, labels: { app: 'echo', version: 'v2' } }));
    await put(res('DestinationRule', 'echo', { host: HOST, subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] }));
    await put(
      res('VirtualService', 'echo', {
        hosts: [HOST],
        http: [
          { match: [{ headers: { 'x-canary': { exact: 'true' } } }], route: [{ destination: { host: HOST, subset: 'v2' } }] },
          { route: [{ destination: { host: HOST, subset: 'v1' } }] },
        ],
      }),
    );
    pilot = await startPilot({
      natsUrl: nats.url,
      xdsHost: '127.0.0.1',
      xdsPort: 0,
      bindHost: '127.0.0.1',
      defaultOutboundPort: 15001,
      privilegedPortOffset: 8000,
      debounceMs: 50,
      debounceMaxMs: 500,
      domainSuffix: 'cluster.local',
      proxyStatusTtlMs: 60_000,
      log: testLog,
    });
    // grpc-js-xds reads (and caches) its bootstrap when the first xds: channel is created.
    process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
      xds_servers: [{ server_uri: `127.0.0.1:${pilot.xdsPort}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
      node: { id: 'sidecar~127.0.0.1~grpc-client.default~default.svc.cluster.local', cluster: 'grpc-client', metadata: { GENERATOR: 'grpc', NAMESPACE: 'default' }, locality: {} },
    });
    grpcXds.register();
    client = new grpc.Client(`xds:///${HOST}:7070`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  });

  after(async () => {
    client?.close();
    await pilot?.stop();
    for (const s of servers) await s.stop();
    await bus?.close();
    await nats?.stop();
  });

  it('resolves the target through LDS/RDS/CDS/EDS and routes by the VirtualService', async () => {
    const first = await waitFor('a successful call through xDS', () => say(client, 'hello'), { timeoutMs: 15_000, intervalMs: 200 });
    assert.deepEqual(first, { version: 'v1', echo: 'hello' });
    const md = new grpc.Metadata();
    md.set('x-canary', 'true');
    assert.equal((await say(client, 'canary', md)).version, 'v2');
    // The gRPC client ACKed what pilot sent (no NACK recorded).
    const stream = pilot.discovery.server.streams().find((s) => s.node.id.includes('grpc-client'))!;
    for (const [, t] of stream.types) {
      assert.equal(t.lastError, undefined);
      assert.equal(t.ackedVersion, t.sentVersion);
    }
  });

  it('follows a routing change pushed by pilot (a weighted split)', async () => {
    const vs = res('VirtualService', 'echo', {
      hosts: [HOST],
      http: [{ route: [{ destination: { host: HOST, subset: 'v1' }, weight: 50 }, { destination: { host: HOST, subset: 'v2' }, weight: 50 }] }],
    });
    await kv.put(configKey('VirtualService', 'default', 'echo'), vs);
    // Both versions answer once the split is in effect (which also leaves every
    // grpc-js-xds priority child READY, so none holds a failover timer at exit).
    const seen = new Set<string>();
    await waitFor('calls split between v1 and v2', async () => {
      seen.add((await say(client, 'again')).version);
      return seen.size === 2;
    }, { timeoutMs: 10_000, intervalMs: 20 });
  });
});
