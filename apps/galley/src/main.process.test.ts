// Galley as a real process against a real nats-server, driven by editing
// files the way a user would. The steps share one galley and run in order.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  BUCKETS,
  ConfigChangedSchema,
  ConfigRejectedSchema,
  ConfigResourceSchema,
  MESH_CONFIG_KEY,
  MeshConfigSchema,
  SUBJECTS,
  connectBus,
  type Bus,
  type ConfigChanged,
  type ConfigRejected,
  type ConfigResource,
  type MeshConfig,
  type TypedKv,
} from '@mesh/contracts';
import { createLogger } from '@mesh/telemetry';
import { freePort, startNats, startProcess, waitFor, type LogLine, type ManagedProcess, type NatsServer } from '@mesh/testing';

const gateway = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: bookinfo-gateway
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
`;
const reviews = (v1: number, v2: number) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: ${v1}
    - destination: {host: reviews, subset: v2}
      weight: ${v2}
`;
const reviewsDr = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`;
const ratings = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
  namespace: prod
spec:
  hosts: [ratings]
  http:
  - route:
    - destination: {host: ratings}
`;

describe('galley (real process, real NATS)', () => {
  let nats: NatsServer;
  let dir: string;
  let galley: ManagedProcess;
  let bus: Bus;
  let kv: TypedKv<ConfigResource>;
  let meshKv: TypedKv<MeshConfig>;
  let port: number;
  const changed: ConfigChanged[] = [];
  const rejected: ConfigRejected[] = [];
  const file = (name: string) => path.join(dir, name);
  const value = async (key: string) => (await kv.get(key))?.value;
  const weights = async () => ((await value('VirtualService.default.reviews'))?.spec as any)?.http[0].route.map((r: any) => r.weight);
  const fetchJson = async (p: string) => (await fetch(`http://127.0.0.1:${port}${p}`)).json() as Promise<any>;

  before(async () => {
    nats = await startNats();
    dir = mkdtempSync(path.join(tmpdir(), 'galley-e2e-'));
    writeFileSync(file('bookinfo.yaml'), `${gateway}---\n${reviews(90, 10)}---\n${reviewsDr}`);
    writeFileSync(file('ratings.yaml'), ratings);
    writeFileSync(file('mesh.yaml'), 'trustDomain: example.org\noutboundTrafficPolicy: {mode: REGISTRY_ONLY}\n');
    port = await freePort();
    bus = await connectBus({ servers: nats.url, name: 'galley-test', log: createLogger('test', { write: () => {} }) });
    bus.subscribe(SUBJECTS.configChanged, ConfigChangedSchema, (m) => changed.push(m));
    bus.subscribe(SUBJECTS.configRejected, ConfigRejectedSchema, (m) => rejected.push(m));
    kv = await bus.kv(BUCKETS.config, ConfigResourceSchema);
    meshKv = await bus.kv(BUCKETS.meshConfig, MeshConfigSchema);
    galley = startProcess('galley', 'apps/galley/src/main.ts', [
      '--config-dir',
      dir,
      '--mesh-config',
      file('mesh.yaml'),
      '--nats-url',
      nats.url,
      '--monitoring-port',
      String(port),
      '--debounce-ms',
      '50',
    ]);
  });

  after(async () => {
    await galley?.stop();
    await bus?.close();
    await nats?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loads the directory into KV, writes the mesh config, and becomes ready', async () => {
    await galley.waitForLine((l) => l.msg === `watching ${dir}`);
    const summary = await galley.waitForLine((l) => l.msg === 'accepted 4 resources (0 rejected)');
    assert.equal(summary.files, 3, 'the mesh config file sits in the directory too; it holds no resources');
    await waitFor('ready', async () => (await fetch(`http://127.0.0.1:${port}/ready`)).status === 200);
    assert.deepEqual((await kv.keys()).sort(), ['DestinationRule.default.reviews', 'Gateway.default.bookinfo-gateway', 'VirtualService.default.reviews', 'VirtualService.prod.ratings']);
    const vs = await value('VirtualService.prod.ratings');
    assert.equal(vs?.source, file('ratings.yaml'));
    assert.deepEqual(vs?.metadata, { name: 'ratings', namespace: 'prod' });
    assert.deepEqual((await meshKv.get(MESH_CONFIG_KEY))?.value, { trustDomain: 'example.org', outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } });
    const configz = await fetchJson('/debug/configz');
    assert.equal(configz.count, 4);
    assert.equal(configz.synced, true);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /galley_config_resources\{state="accepted"\} 4/);
    assert.match(metrics, /galley_last_sync_timestamp_seconds\{bucket="mesh-config"\} \d/);
  });

  it('applies an edit within 2 s and publishes configChanged with the KV revision', async () => {
    const eventsBefore = changed.length;
    const started = Date.now();
    writeFileSync(file('bookinfo.yaml'), `${gateway}---\n${reviews(50, 50)}---\n${reviewsDr}`);
    await waitFor('edit in KV', async () => (await weights())?.join() === '50,50', { timeoutMs: 2000, intervalMs: 20 });
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 2000, `took ${elapsed} ms`);
    await waitFor('event', () => changed.length > eventsBefore);
    const revision = (await kv.get('VirtualService.default.reviews'))!.revision;
    assert.deepEqual(changed.slice(eventsBefore), [{ op: 'put', kind: 'VirtualService', namespace: 'default', name: 'reviews', revision }], 'only the edited resource is written');
  });

  it('rewriting a file with the same content writes nothing', async () => {
    const revision = (await kv.get('VirtualService.default.reviews'))!.revision;
    const eventsBefore = changed.length;
    writeFileSync(file('bookinfo.yaml'), `${gateway}---\n${reviews(50, 50)}---\n${reviewsDr}`);
    writeFileSync(file('marker.yaml'), gateway.replace('bookinfo-gateway', 'marker'));
    await waitFor('marker in KV', async () => !!(await value('Gateway.default.marker')));
    assert.equal((await kv.get('VirtualService.default.reviews'))!.revision, revision);
    await waitFor('marker event', () => changed.length > eventsBefore);
    assert.deepEqual(changed.slice(eventsBefore).map((e) => e.name), ['marker']);
  });

  it('rejects an invalid edit with a clear log line naming file, resource and field, and keeps the previous version', async () => {
    writeFileSync(file('bookinfo.yaml'), `${gateway}---\n${reviews(0, 0)}---\n${reviewsDr}`);
    const line: LogLine = await galley.waitForLine((l) => l.level === 'warn' && l.resource === 'VirtualService default/reviews');
    assert.equal(line.file, file('bookinfo.yaml'));
    assert.deepEqual(line.errors, ['spec.http[0].route: weights of the 2 destinations add up to 0 (0 + 0); give at least one a weight above 0 (line 18)']);
    assert.equal(
      line.msg,
      `rejected VirtualService default/reviews from ${file('bookinfo.yaml')}:11: weights of the 2 destinations add up to 0 (0 + 0); give at least one a weight above 0; keeping the last accepted version`,
    );
    await waitFor('rejection event', () => rejected.some((r) => r.name === 'reviews'));
    const event = rejected.find((r) => r.name === 'reviews')!;
    assert.equal(event.source, file('bookinfo.yaml'));
    assert.deepEqual(event.errors, [{ path: 'spec.http[0].route', message: 'weights of the 2 destinations add up to 0 (0 + 0); give at least one a weight above 0' }]);
    assert.deepEqual(await weights(), [50, 50], 'the last accepted version stays in KV');
    const debug = await fetchJson('/debug/rejected');
    assert.deepEqual(debug.rejected.map((r: any) => [r.resource, r.inEffect, r.errors[0].line]), [['VirtualService default/reviews', 'last accepted version', 18]]);
  });

  it('applies the resource again once it is fixed', async () => {
    writeFileSync(file('bookinfo.yaml'), `${gateway}---\n${reviews(20, 80)}---\n${reviewsDr}`);
    await galley.waitForLine((l) => l.msg === 'VirtualService default/reviews is valid again');
    await waitFor('fixed version in KV', async () => (await weights())?.join() === '20,80');
  });

  it('keeps every resource of a file that stops parsing', async () => {
    writeFileSync(file('bookinfo.yaml'), `${gateway}---\n${reviews(20, 80)}\n  - oops: [unclosed\n`);
    await galley.waitForLine((l) => l.msg === `cannot parse ${file('bookinfo.yaml')}; the resources it defined before stay in effect`);
    // Give the rescan a chance to (wrongly) delete, using a second change as the marker.
    writeFileSync(file('marker.yaml'), gateway.replace('bookinfo-gateway', 'marker').replace('number: 80', 'number: 81'));
    await waitFor('marker updated', async () => (await value('Gateway.default.marker'))?.spec && ((await value('Gateway.default.marker'))!.spec as any).servers[0].port.number === 81);
    assert.ok(await value('DestinationRule.default.reviews'), 'the DestinationRule from the broken file is still there');
    assert.ok(await value('Gateway.default.bookinfo-gateway'));
    assert.deepEqual(await weights(), [20, 80]);
    writeFileSync(file('bookinfo.yaml'), `${gateway}---\n${reviews(20, 80)}---\n${reviewsDr}`);
    await galley.waitForLine((l) => l.msg === `${file('bookinfo.yaml')} parses again`);
  });

  it('rejects a duplicate from a later file, naming both files', async () => {
    writeFileSync(file('z-dup.yaml'), reviews(100, 0));
    const line = await galley.waitForLine((l) => l.level === 'warn' && l.file === file('z-dup.yaml'));
    assert.deepEqual(line.errors, [`metadata.name: VirtualService default/reviews is already defined in ${file('bookinfo.yaml')} (line 11); the first definition by file path wins (line 4)`]);
    assert.deepEqual(await weights(), [20, 80]);
    unlinkSync(file('z-dup.yaml'));
  });

  it('deletes the resources of a deleted file and publishes the deletion', async () => {
    const eventsBefore = changed.length;
    unlinkSync(file('ratings.yaml'));
    await waitFor('deleted from KV', async () => !(await value('VirtualService.prod.ratings')));
    await waitFor('delete event', () => changed.slice(eventsBefore).some((e) => e.op === 'delete' && e.name === 'ratings'));
    const event = changed.slice(eventsBefore).find((e) => e.name === 'ratings')!;
    assert.equal(event.namespace, 'prod');
    assert.ok(event.revision > 0);
    await galley.waitForLine((l) => l.msg === 'removed VirtualService prod/ratings');
  });

  it('accepts valid config the mesh does not implement and reports it: log line, /debug/rejected, galley_unsupported_config', async () => {
    writeFileSync(
      file('backoff.yaml'),
      `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: backoff}
spec:
  hosts: [backoff]
  http:
  - retries: {attempts: 2, retryRemoteLocalities: true}
    route: [{destination: {host: backoff}}]
`,
    );
    const line = await galley.waitForLine((l) => l.resource === 'VirtualService default/backoff' && l.level === 'warn');
    assert.match(String(line.msg), /^not implemented: VirtualService default\/backoff: spec\.http\[0\]\.retries\.retryRemoteLocalities: retryRemoteLocalities is not implemented/);
    assert.equal(line.file, file('backoff.yaml'));
    await waitFor('stored (valid Istio)', async () => !!(await value('VirtualService.default.backoff')));
    const debug = await fetchJson('/debug/rejected');
    assert.deepEqual(debug.unsupported.map((f: any) => [f.resource, f.path, f.severity, f.source]), [['VirtualService default/backoff', 'spec.http[0].retries.retryRemoteLocalities', 'warning', file('backoff.yaml')]]);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /galley_unsupported_config\{kind="VirtualService",severity="warning"\} 1/);
    unlinkSync(file('backoff.yaml'));
    await waitFor('deleted from KV', async () => !(await value('VirtualService.default.backoff')));
  });

  it('refuses security configuration it cannot enforce, naming the field, and keeps the last accepted version', async () => {
    const jwt = (spec: string) => `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt}
spec:
${spec}  jwtRules: [{issuer: testing@secure.istio.io, jwksUri: "https://example.com/jwks.json"}]
`;
    writeFileSync(file('jwt.yaml'), jwt('  selector: {matchLabels: {app: httpbin}}\n'));
    await waitFor('the version with a selector is stored', async () => !!(await value('RequestAuthentication.default.jwt')));
    writeFileSync(file('jwt.yaml'), jwt('  targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: gw}]\n'));
    const line = await galley.waitForLine((l) => l.level === 'warn' && l.resource === 'RequestAuthentication default/jwt' && String(l.msg).startsWith('rejected'));
    assert.match(String(line.msg), /spec\.targetRefs|not enforced by this mesh, so the resource is refused: targetRefs is not implemented/);
    assert.match(String(line.msg), /keeping the last accepted version$/);
    await waitFor('rejection event', () => rejected.some((r) => r.name === 'jwt'));
    assert.deepEqual(rejected.find((r) => r.name === 'jwt')!.errors.map((e) => e.path), ['spec.targetRefs']);
    const stored = await value('RequestAuthentication.default.jwt');
    assert.equal((stored as any).spec.targetRefs, undefined, 'the refused version never reaches NATS');
    unlinkSync(file('jwt.yaml'));
    await waitFor('deleted from KV', async () => !(await value('RequestAuthentication.default.jwt')));
  });

  it('publishes an edited mesh config and keeps it when an edit is invalid', async () => {
    writeFileSync(file('mesh.yaml'), 'trustDomain: corp.example\n');
    await waitFor('mesh config updated', async () => (await meshKv.get(MESH_CONFIG_KEY))?.value.trustDomain === 'corp.example');
    writeFileSync(file('mesh.yaml'), 'outboundTrafficPolicy: {mode: SOMETIMES}\n');
    await galley.waitForLine((l) => l.level === 'warn' && typeof l.msg === 'string' && l.msg.startsWith('rejected mesh config'));
    assert.equal((await meshKv.get(MESH_CONFIG_KEY))?.value.trustDomain, 'corp.example');
  });

  it('survives a NATS outage: edits made meanwhile land after NATS returns', async () => {
    await nats.kill();
    await galley.waitForLine((l) => l.msg === 'NATS connection lost; serving last known state');
    writeFileSync(file('bookinfo.yaml'), `${gateway}---\n${reviews(0, 100)}---\n${reviewsDr}`);
    await galley.waitForLine((l) => l.msg === 'cannot write config to NATS; keeping the desired state and retrying', 15_000);
    await nats.restart();
    await waitFor('edit in KV after the outage', async () => (await weights())?.join() === '0,100', { timeoutMs: 20_000, intervalMs: 200 });
    const configz = await fetchJson('/debug/configz');
    assert.equal(configz.resources.find((r: any) => r.key === 'VirtualService.default.reviews').spec.http[0].route[1].weight, 100);
  });

  it('shuts down cleanly on SIGTERM', async () => {
    const code = await galley.stop();
    assert.equal(code, 0, galley.output());
    assert.ok(galley.lines.some((l) => l.msg === 'stopped'));
  });
});
