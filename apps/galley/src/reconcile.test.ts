import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadResources } from '@mesh/config';
import type { ConfigResource } from '@mesh/contracts';
import { canonicalJson, effectiveState, reconcile } from './reconcile.ts';
import type { OriginContent, SourceSnapshot } from './source.ts';

function file(origin: string, text: string): OriginContent {
  return { origin, ...loadResources(text, { source: origin }) };
}
function snapshot(...origins: OriginContent[]): SourceSnapshot {
  return { origins, takenAt: 0 };
}
function gateway(name: string, port = 80, ns = 'default'): string {
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ${name}, namespace: ${ns}}
spec:
  servers:
  - port: {number: ${port}, name: http, protocol: HTTP}
    hosts: ["*"]
`;
}
const keysOf = (m: ReadonlyMap<string, unknown>) => [...m.keys()].sort();

describe('reconcile', () => {
  it('desires every valid resource under its config key, recording the file as source', () => {
    const r = reconcile(snapshot(file('/c/a.yaml', `${gateway('a')}---\n${gateway('b', 81, 'prod')}`)));
    assert.deepEqual(keysOf(r.desired), ['Gateway.default.a', 'Gateway.prod.b']);
    assert.equal(r.desired.get('Gateway.default.a')!.resource.source, '/c/a.yaml');
    assert.deepEqual(r.rejections, []);
    assert.deepEqual([...r.protectedKeys], []);
  });

  it('rejects an invalid resource with its errors and field lines, and protects its key', () => {
    const r = reconcile(snapshot(file('/c/a.yaml', `${gateway('a')}---\n${gateway('b', 0)}`)));
    assert.deepEqual(keysOf(r.desired), ['Gateway.default.a']);
    assert.equal(r.rejections.length, 1);
    const [rej] = r.rejections;
    assert.equal(rej.id, 'Gateway default/b');
    assert.equal(rej.origin, '/c/a.yaml');
    assert.equal(rej.line, 9);
    assert.deepEqual(rej.errors, [{ path: 'spec.servers[0].port.number', message: 'port number 0 must be in the range 1..65535' }]);
    assert.deepEqual(rej.errorLines, [14]);
    assert.deepEqual([...r.protectedKeys], ['Gateway.default.b']);
  });

  it('keeps the last accepted version of a rejected resource and drops resources no file defines any more', () => {
    const current = new Map<string, ConfigResource>([
      ['Gateway.default.b', { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'b', namespace: 'default' }, spec: { servers: [] }, source: '/c/a.yaml' }],
      ['Gateway.default.gone', { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'gone', namespace: 'default' }, spec: {}, source: '/c/deleted.yaml' }],
    ]);
    const r = reconcile(snapshot(file('/c/a.yaml', `${gateway('a')}---\n${gateway('b', 0)}`)));
    const state = effectiveState(r, current);
    assert.deepEqual(keysOf(state), ['Gateway.default.a', 'Gateway.default.b']);
    assert.equal(state.get('Gateway.default.b'), current.get('Gateway.default.b'), 'the old version, untouched');
  });

  it('a rejected resource that was never accepted is simply absent', () => {
    const r = reconcile(snapshot(file('/c/a.yaml', gateway('b', 0))));
    assert.deepEqual(keysOf(effectiveState(r, new Map())), []);
  });

  it('keeps everything an unparseable file contributed, unless another file now defines it', () => {
    const before = reconcile(snapshot(file('/c/a.yaml', `${gateway('a')}---\n${gateway('b')}`), file('/c/z.yaml', gateway('z'))));
    const current = effectiveState(before, new Map());
    // a.yaml is half-written: a YAML error in the second document, the first still parses.
    const broken = file('/c/a.yaml', `${gateway('a', 8080)}---\napiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: b\n`);
    const after = reconcile(snapshot(broken, file('/c/z.yaml', gateway('z'))));
    assert.deepEqual([...after.protectedOrigins], ['/c/a.yaml']);
    assert.equal(after.originProblems.length, 1);
    assert.match(after.originProblems[0].errors[0], /^line \d+: YAML syntax error: /);
    const state = effectiveState(after, current);
    assert.deepEqual(keysOf(state), ['Gateway.default.a', 'Gateway.default.b', 'Gateway.default.z']);
    assert.equal((state.get('Gateway.default.a')!.spec as any).servers[0].port.number, 8080, 'the readable part is still applied');
    assert.equal(state.get('Gateway.default.b'), current.get('Gateway.default.b'), 'the unreadable part keeps its last version');
  });

  it('keeps the resources of a file that cannot be read at all', () => {
    const current = effectiveState(reconcile(snapshot(file('/c/a.yaml', gateway('a')))), new Map());
    const after = reconcile(snapshot({ origin: '/c/a.yaml', accepted: [], rejected: [], errors: [], ignored: [], unreadable: 'EACCES: permission denied' }));
    assert.deepEqual(keysOf(effectiveState(after, current)), ['Gateway.default.a']);
    assert.deepEqual(after.originProblems, [{ origin: '/c/a.yaml', errors: ['cannot read: EACCES: permission denied'] }]);
  });

  it('on a duplicate kind/namespace/name the first file by path wins and the other is rejected naming both files', () => {
    const r = reconcile(snapshot(file('/c/b.yaml', gateway('gw', 81)), file('/c/a.yaml', gateway('gw', 80))));
    assert.equal((r.desired.get('Gateway.default.gw')!.resource.spec as any).servers[0].port.number, 80);
    assert.equal(r.desired.get('Gateway.default.gw')!.origin, '/c/a.yaml');
    assert.deepEqual(
      r.rejections.map((x) => [x.id, x.origin, x.errors, x.duplicateOf]),
      [['Gateway default/gw', '/c/b.yaml', [{ path: 'metadata.name', message: 'Gateway default/gw is already defined in /c/a.yaml (line 1); the first definition by file path wins' }], '/c/a.yaml']],
    );
    assert.deepEqual([...r.protectedKeys], [], 'the winner is desired; nothing to protect');
  });

  it('a duplicate within one file: the first document wins', () => {
    const r = reconcile(snapshot(file('/c/a.yaml', `${gateway('gw', 80)}---\n${gateway('gw', 81)}`)));
    assert.equal((r.desired.get('Gateway.default.gw')!.resource.spec as any).servers[0].port.number, 80);
    assert.equal(r.rejections[0].errors[0].message, 'Gateway default/gw is already defined earlier in the same file (line 1); the first definition by file path wins');
  });

  it('counts ignored documents', () => {
    const r = reconcile(snapshot(file('/c/a.yaml', 'apiVersion: v1\nkind: Service\nmetadata: {name: s}\n')));
    assert.equal(r.ignored, 1);
    assert.equal(r.desired.size, 0);
  });
});

describe('canonicalJson', () => {
  it('equal values give equal text whatever their key order', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [1, { y: 1, x: 2 }], c: 2 } }), canonicalJson({ a: { c: 2, d: [1, { x: 2, y: 1 }] }, b: 1 }));
    assert.notEqual(canonicalJson({ a: [1, 2] }), canonicalJson({ a: [2, 1] }));
  });
});

describe('reconcile against the mesh config', () => {
  const policy = (provider: string) => `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ext-authz, namespace: foo}
spec:
  selector: {matchLabels: {app: httpbin}}
  action: CUSTOM
  provider:
    name: ${provider}
  rules:
  - to:
    - operation: {paths: ["/headers"]}
`;
  const mesh = { extensionProviders: [{ name: 'sample-ext-authz-grpc', envoyExtAuthzGrpc: { service: 'ext-authz.foo.svc.cluster.local', port: 9000 } }, { name: 'zipkin', zipkin: { service: 'zipkin.istio-system.svc.cluster.local', port: 9411 } }] };

  it('refuses a CUSTOM policy whose provider the mesh config does not define (or is not an authorizer), naming the line, and protects its last accepted version', () => {
    const ok = reconcile(snapshot(file('/c/p.yaml', policy('sample-ext-authz-grpc'))), { meshConfig: mesh });
    assert.deepEqual(keysOf(ok.desired), ['AuthorizationPolicy.foo.ext-authz']);
    const r = reconcile(snapshot(file('/c/p.yaml', policy('opa'))), { meshConfig: mesh });
    assert.deepEqual(keysOf(r.desired), []);
    assert.deepEqual([...r.protectedKeys], ['AuthorizationPolicy.foo.ext-authz']);
    assert.deepEqual(r.rejections[0].errors, [
      { path: 'spec.provider.name', message: 'extension provider "opa" is not defined in the mesh config (extensionProviders); the mesh config defines sample-ext-authz-grpc' },
    ]);
    assert.equal(r.rejections[0].errorLines[0], 8);
    const tracing = reconcile(snapshot(file('/c/p.yaml', policy('zipkin'))), { meshConfig: mesh });
    assert.match(tracing.rejections[0].errors[0].message, /is a zipkin provider, not an external authorizer/);
    // Without a mesh config to check against (none accepted yet), the policy is accepted; pilot fails closed on it.
    assert.deepEqual(keysOf(reconcile(snapshot(file('/c/p.yaml', policy('opa')))).desired), ['AuthorizationPolicy.foo.ext-authz']);
  });
});
