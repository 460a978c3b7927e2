// Component test: real nats-server + pilot (in-process) + the AdsClient.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BUCKETS, ConfigResourceSchema, ProxyStatusSchema, configKey, connectBus, proxyStatusKey, type Bus, type ConfigResource, type TypedKv, type ProxyStatus } from '@mesh/contracts';
import { freePort, startNats, waitFor, type NatsServer } from '@mesh/testing';
import { registry } from '@mesh/telemetry';
import { AdsClient, TYPE_URLS, type XdsSnapshot } from '@mesh/xds';
import { startPilot, type Pilot, type PilotOptions } from './pilot.ts';
import { GATEWAY_ID, SIDECAR_ID, res, sampleConfig, testLog } from './test-support.ts';

const HELLO = 'hello.default.svc.cluster.local';

function nextSnapshot(client: AdsClient, predicate: (s: XdsSnapshot) => boolean, timeoutMs = 5_000): Promise<XdsSnapshot> {
  if (client.snapshot && predicate(client.snapshot)) return Promise.resolve(client.snapshot);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('snapshot', on);
      reject(new Error(`no matching snapshot within ${timeoutMs} ms`));
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

const weights = (s: XdsSnapshot, host = 'hello.example.com:80') =>
  s.routes.get('http.80')?.virtualHosts.find((v: any) => v.name === host)?.routes.at(-1)?.route?.weightedClusters?.clusters.map((c: any) => c.weight.value);

describe('pilot with real NATS and ADS', () => {
  let nats: NatsServer;
  let bus: Bus;
  let config: TypedKv<ConfigResource>;
  const pilots: Pilot[] = [];
  const debug = new Map<string, (url: URL) => unknown>();

  const put = (r: ConfigResource) => config.put(configKey(r.kind, r.metadata.namespace, r.metadata.name), r);
  const launch = async (extra: Partial<PilotOptions> = {}) => {
    const p = await startPilot({
      natsUrl: nats.url,
      xdsHost: '127.0.0.1',
      xdsPort: 0,
      bindHost: '127.0.0.1',
      defaultOutboundPort: 15001,
      privilegedPortOffset: 8000,
      debounceMs: 100,
      debounceMaxMs: 1000,
      domainSuffix: 'cluster.local',
      proxyStatusTtlMs: 60_000,
      log: testLog,
      addDebug: (path, h) => debug.set(path, h),
      ...extra,
    });
    pilots.push(p);
    return p;
  };
  const client = (pilot: Pilot, id = GATEWAY_ID, metadata: Record<string, unknown> = { LABELS: { istio: 'ingressgateway' } }) => {
    const c = new AdsClient({ target: `127.0.0.1:${pilot.xdsPort}`, node: { id, metadata }, log: testLog, backoff: { initialMs: 50, maxMs: 300 } });
    c.start();
    after(() => c.stop());
    return c;
  };

  before(async () => {
    nats = await startNats();
    bus = await connectBus({ servers: nats.url, name: 'pilot-test', log: testLog });
    config = await bus.kv(BUCKETS.config, ConfigResourceSchema);
    for (const r of sampleConfig()) await put(r);
  });
  after(async () => {
    for (const p of pilots) await p.stop();
    await bus?.close();
    await nats?.stop();
  });

  it('serves the sample config from KV to a gateway: listener, routes, clusters and endpoints', async () => {
    const pilot = await launch();
    const gw = client(pilot);
    const s = await nextSnapshot(gw, () => true);
    assert.deepEqual([...s.listeners.keys()], ['0.0.0.0_80']);
    assert.equal(s.listeners.get('0.0.0.0_80').address.socketAddress.portValue, 8080);
    assert.deepEqual(weights(s), [80, 20]);
    assert.deepEqual([...s.clusters.keys()].filter((c) => c.includes(HELLO)), [`outbound|80||${HELLO}`, `outbound|80|v1|${HELLO}`, `outbound|80|v2|${HELLO}`]);
    assert.equal(s.endpoints.get(`outbound|80|v2|${HELLO}`).endpoints[0].lbEndpoints[0].endpoint.address.socketAddress.portValue, 9082);
    const sidecar = client(pilot, SIDECAR_ID, { LABELS: { app: 'sleep' }, OUTBOUND_PORT: '16001', INTERCEPTION_MODE: 'NONE' });
    const ss = await nextSnapshot(sidecar, () => true);
    assert.equal(ss.listeners.get('virtualOutbound').address.socketAddress.portValue, 16001);
    assert.ok(ss.routes.get('outbound_http').virtualHosts.some((v: any) => v.domains.includes('hello')));
  });

  it('pushes a config change within the debounce window', async () => {
    const pilot = pilots[0];
    const gw = client(pilot);
    await nextSnapshot(gw, (s) => weights(s)?.[0] === 80);
    const vs = sampleConfig().find((r) => r.kind === 'VirtualService')!;
    (vs.spec as any).http[1].route[0].weight = 30;
    (vs.spec as any).http[1].route[1].weight = 70;
    const started = Date.now();
    await put(vs);
    const s = await nextSnapshot(gw, (x) => weights(x)?.[0] === 30);
    const took = Date.now() - started;
    assert.deepEqual(weights(s), [30, 70]);
    assert.ok(took < 1_000, `the change took ${took} ms to arrive`);
    // Only RDS changed: the gateway's listeners and clusters kept their versions.
    const push = debug.get('/debug/push_status')!(new URL('http://x/')) as any;
    assert.equal(push.trigger, 'config change');
    assert.ok(push.reasons.some((r: string) => r.includes('VirtualService.default.hello')));
  });

  it('sends only EDS when only a WorkloadEntry changed', async () => {
    const pilot = pilots[0];
    const gw = client(pilot);
    const before = await nextSnapshot(gw, () => true);
    const we = sampleConfig().find((r) => r.metadata.name === 'hello-v2')!;
    (we.spec as any).ports.http = 9999;
    await put(we);
    const after = await nextSnapshot(gw, (s) => s.endpoints.get(`outbound|80|v2|${HELLO}`)?.endpoints[0].lbEndpoints[0].endpoint.address.socketAddress.portValue === 9999);
    assert.notEqual(after.versions[TYPE_URLS.endpoint], before.versions[TYPE_URLS.endpoint]);
    for (const t of [TYPE_URLS.listener, TYPE_URLS.route, TYPE_URLS.cluster]) assert.equal(after.versions[t], before.versions[t], t);
  });

  it('skips an invalid resource, says which and why, and still serves everything else', async () => {
    const pilot = pilots[0];
    const gw = client(pilot);
    await put(res('VirtualService', 'broken', { hosts: ['broken.example.com'], gateways: ['hello-gateway'], http: [{ match: [{ uri: { regex: '([' } }], route: [{ destination: { host: HELLO } }] }] }));
    await put(res('VirtualService', 'extra', { hosts: ['extra.example.com'], gateways: ['hello-gateway'], http: [{ route: [{ destination: { host: HELLO, subset: 'v1' } }] }] }));
    const s = await nextSnapshot(gw, (x) => x.routes.get('http.80')?.virtualHosts.some((v: any) => v.name === 'extra.example.com:80'));
    assert.ok(!s.routes.get('http.80').virtualHosts.some((v: any) => v.name.startsWith('broken')));
    const status = debug.get('/debug/push_status')!(new URL('http://x/')) as any;
    const issue = status.issues.find((i: any) => i.name === 'broken');
    assert.deepEqual({ kind: issue.kind, namespace: issue.namespace, field: issue.field, severity: issue.severity }, { kind: 'VirtualService', namespace: 'default', field: 'spec.http[0].match[0].uri.regex', severity: 'error' });
    await config.delete(configKey('VirtualService', 'default', 'broken'));
  });

  it('shows config the mesh does not implement on /debug/push_status and in pilot_translation_issues, security as errors', async () => {
    const pilot = pilots[0];
    const gw = client(pilot);
    await nextSnapshot(gw, () => true);
    // Written straight into NATS (galley refuses both): pilot still reports what it cannot enforce. The JWKS URI answers
    // nothing (a port no one listens on): pilot's fetch fails, and says so (its provider rejects every token).
    const jwksUri = `http://127.0.0.1:${await freePort()}/jwks.json`;
    const gwTarget = [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'gw' }];
    await put(res('RequestAuthentication', 'jwt', { targetRefs: gwTarget, jwtRules: [{ issuer: 'testing@secure.istio.io', jwksUri }] }, 'istio-system'));
    await put(res('AuthorizationPolicy', 'deny-get', { action: 'DENY', targetRefs: gwTarget, rules: [{ from: [{ source: { requestPrincipals: ['*'] } }] }] }));
    const status = await waitFor('push with the unsupported config and the failed JWKS fetch', async () => {
      const s = debug.get('/debug/push_status')!(new URL('http://x/')) as any;
      return s.issues?.some((i: any) => i.name === 'deny-get') && s.issues.some((i: any) => i.name === 'jwt' && i.category === 'unresolved' && /could not fetch/.test(i.message)) ? s : undefined;
    });
    const mine = status.issues.filter((i: any) => (i.name === 'jwt' || i.name === 'deny-get') && i.category === 'unsupported');
    assert.deepEqual(mine, [
      {
        kind: 'RequestAuthentication',
        namespace: 'istio-system',
        name: 'jwt',
        field: 'spec.targetRefs',
        message: 'targetRefs is not implemented: the policy would not validate tokens on what it targets',
        severity: 'error',
        category: 'unsupported',
      },
      {
        kind: 'AuthorizationPolicy',
        namespace: 'default',
        name: 'deny-get',
        field: 'spec.targetRefs',
        message: 'targetRefs is not implemented: the policy would not apply to what it targets',
        severity: 'error',
        category: 'unsupported',
      },
      {
        kind: 'RequestAuthentication',
        namespace: 'istio-system',
        name: 'jwt',
        field: 'spec.targetRef',
        message: 'targetRef/targetRefs are not implemented: the policy validates tokens on every workload of its namespace',
        severity: 'warning',
        category: 'unsupported',
      },
    ]);
    const fetchFailure = status.issues.find((i: any) => i.name === 'jwt' && i.category === 'unresolved');
    assert.equal(fetchFailure.field, 'spec.jwtRules[0].jwksUri');
    assert.equal(fetchFailure.severity, 'error');
    assert.match(fetchFailure.message, /every token of issuer testing@secure\.istio\.io is rejected/);
    assert.ok(JSON.parse(JSON.stringify(status)).issueCounts['error/unsupported'] >= 2);
    const metrics = await registry.getSingleMetricAsString('pilot_translation_issues');
    assert.match(metrics, /pilot_translation_issues\{kind="AuthorizationPolicy",severity="error",category="unsupported"\} 1/);
    assert.match(metrics, /pilot_translation_issues\{kind="RequestAuthentication",severity="error",category="unsupported"\} 1/);
    await config.delete(configKey('RequestAuthentication', 'istio-system', 'jwt'));
    await config.delete(configKey('AuthorizationPolicy', 'default', 'deny-get'));
    await waitFor('issues gone', async () => !(debug.get('/debug/push_status')!(new URL('http://x/')) as any).issues.some((i: any) => i.name === 'deny-get' || i.name === 'jwt'));
    assert.doesNotMatch(await registry.getSingleMetricAsString('pilot_translation_issues'), /AuthorizationPolicy/);
  });

  it('records per-proxy sync status in NATS and on /debug/syncz, and removes it on disconnect', async () => {
    const pilot = pilots[0];
    const statusKv = await bus.kv<ProxyStatus>(BUCKETS.proxyStatus, ProxyStatusSchema);
    const id = 'sidecar~127.0.0.1~status-probe.default~default.svc.cluster.local';
    const c = new AdsClient({ target: `127.0.0.1:${pilot.xdsPort}`, node: { id, metadata: { CLUSTER_ID: 'local', ISTIO_VERSION: '1.24.0', PROXY_CONFIG: { proxyAdminPort: 15400 } } }, log: testLog });
    c.start();
    const snap = await nextSnapshot(c, () => true);
    const entry = await waitFor('proxy status with ACKed versions', async () => {
      const e = await statusKv.get(proxyStatusKey(id));
      return e && e.value.types.LDS?.ackedVersion === snap.versions[TYPE_URLS.listener] && e.value.types.EDS?.ackedVersion ? e.value : undefined;
    });
    assert.equal(entry.proxyId, id);
    assert.equal(entry.clusterId, 'local');
    assert.equal(entry.types.CDS.ackedVersion, snap.versions[TYPE_URLS.cluster]);
    const syncz = debug.get('/debug/syncz')!(new URL('http://x/')) as any[];
    const mine = syncz.find((s) => s.proxy === id && s.types.LDS.ackedVersion);
    assert.ok(mine, JSON.stringify(syncz));
    // What istioctl proxy-status and proxy-config read.
    assert.deepEqual([mine.pilot, mine.clusterId, mine.version, mine.proxyAdminPort], [entry.pilot, 'local', '1.24.0', 15400]);
    // The bucket holds the same for istioctl proxy-status --nats (every replica at once).
    assert.deepEqual([entry.version, entry.proxyAdminPort, entry.types.LDS.ackedNonce], ['1.24.0', 15400, entry.types.LDS.sentNonce]);
    await c.stop();
    await waitFor('proxy status deleted', async () => !(await statusKv.get(proxyStatusKey(id))));
  });

  it('a pilot that starts late rebuilds everything from KV and agrees on versions', async () => {
    const late = await launch();
    const a = client(pilots[0]);
    const b = client(late);
    const [sa, sb] = await Promise.all([nextSnapshot(a, () => true), nextSnapshot(b, () => true)]);
    assert.deepEqual(sb.versions, sa.versions, 'content-derived versions are the same on every replica');
    assert.deepEqual([...sb.routes.get('http.80').virtualHosts.map((v: any) => v.name)], [...sa.routes.get('http.80').virtualHosts.map((v: any) => v.name)]);
    const configz = debug.get('/debug/configz')!(new URL('http://x/')) as any;
    assert.ok(configz.resources.length >= 7);
  });

  it('keeps serving its last model while NATS is down and resyncs when it returns', async () => {
    const pilot = pilots[0];
    await nats.kill();
    // A proxy connecting now still gets the full configuration.
    const fresh = client(pilot, 'router~127.0.0.1~gw-2.istio-system~istio-system.svc.cluster.local');
    const s = await nextSnapshot(fresh, () => true);
    assert.ok(s.routes.get('http.80').virtualHosts.length >= 2);
    await nats.restart();
    // A change written after NATS returns reaches proxies.
    const writer = await connectBus({ servers: nats.url, name: 'pilot-test-2', log: testLog });
    after(() => writer.close());
    const kv = await writer.kv(BUCKETS.config, ConfigResourceSchema);
    const vs = sampleConfig().find((r) => r.kind === 'VirtualService')!;
    (vs.spec as any).http[1].route[0].weight = 55;
    (vs.spec as any).http[1].route[1].weight = 45;
    await kv.put(configKey('VirtualService', 'default', 'hello'), vs);
    await nextSnapshot(fresh, (x) => weights(x)?.[0] === 55, 15_000);
  });
});
