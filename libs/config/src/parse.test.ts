import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fieldLine, parseResources } from './parse.ts';
import { loadResources } from './load.ts';
import { resourceId, toConfigResource } from './resource.ts';
import { ConfigResourceSchema } from '@mesh/contracts';

const VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: prod
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 0
    - destination: {host: reviews, subset: v2}
      weight: 0
`;

describe('parseResources', () => {
  it('reads every document with its file, document index and line, tolerating comments, empty documents and separators', () => {
    const text = `# leading comment
---
---
${VS}---
# only a comment
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
...
`;
    const r = parseResources(text, { source: 'bookinfo.yaml' });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.ignored, []);
    assert.deepEqual(
      r.resources.map((x) => [resourceId(x), x.location]),
      [
        ['VirtualService prod/reviews', { source: 'bookinfo.yaml', document: 1, line: 4 }],
        ['DestinationRule default/reviews', { source: 'bookinfo.yaml', document: 3, line: 20 }],
      ],
    );
    assert.equal(r.resources[0].source, 'bookinfo.yaml');
  });

  it('puts resources without a namespace in "default", or in the configured default namespace', () => {
    const text = 'apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec: {}\n';
    assert.equal(parseResources(text).resources[0].metadata.namespace, 'default');
    assert.equal(parseResources(text, { defaultNamespace: 'istio-system' }).resources[0].metadata.namespace, 'istio-system');
  });

  it('expands Kubernetes Lists (and typed lists) into their items', () => {
    const text = `apiVersion: v1
kind: List
items:
- apiVersion: networking.istio.io/v1
  kind: Gateway
  metadata: {name: a}
  spec: {}
- apiVersion: v1
  kind: Service
  metadata: {name: reviews}
---
apiVersion: networking.istio.io/v1
kind: VirtualServiceList
items:
- apiVersion: networking.istio.io/v1
  kind: VirtualService
  metadata: {name: b, namespace: x}
  spec: {}
`;
    const r = parseResources(text, { source: 'list.yaml' });
    assert.deepEqual(
      r.resources.map((x) => [resourceId(x), x.location]),
      [
        ['Gateway default/a', { source: 'list.yaml', document: 0, item: 0, line: 4 }],
        ['VirtualService x/b', { source: 'list.yaml', document: 1, item: 0, line: 15 }],
      ],
    );
    assert.deepEqual(r.ignored, [
      { location: { source: 'list.yaml', document: 0, item: 1, line: 8 }, apiVersion: 'v1', kind: 'Service', name: 'reviews', reason: 'Service (v1) is not an Istio config kind' },
    ]);
  });

  it('reports non-Istio kinds as ignored, not as errors, including the Gateway API Gateway and unsupported Istio kinds', () => {
    const text = `apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v1, namespace: prod}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: lua}
`;
    const r = parseResources(text);
    assert.deepEqual(r.resources, []);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.ignored.map((i) => [i.kind, i.reason]),
      [
        ['Deployment', 'Deployment (apps/v1) is not an Istio config kind'],
        ['Gateway', 'Gateway (gateway.networking.k8s.io/v1) is not an Istio config kind'],
        ['EnvoyFilter', 'EnvoyFilter (networking.istio.io/v1alpha3) is an Istio kind this mesh does not support'],
      ],
    );
  });

  it('reports YAML syntax errors with their line and keeps the readable documents', () => {
    const text = `${VS}---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: broken
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: dup
  name: dup2
`;
    const r = parseResources(text, { source: 'f.yaml' });
    assert.deepEqual(r.resources.map(resourceId), ['VirtualService prod/reviews']);
    assert.equal(r.errors.length >= 2, true, JSON.stringify(r.errors));
    const [flow, dup] = [r.errors.find((e) => e.location.document === 1), r.errors.find((e) => e.location.document === 2)];
    assert.match(flow!.message, /^YAML syntax error: /);
    assert.equal(flow!.location.source, 'f.yaml');
    assert.ok(flow!.location.line >= 17 && flow!.location.line <= 18, `line ${flow!.location.line}`);
    assert.match(dup!.message, /^YAML syntax error: Map keys must be unique/);
    assert.equal(dup!.location.line, 23);
  });

  it('reports documents it cannot name: no kind, no metadata.name, not an object', () => {
    const text = `apiVersion: networking.istio.io/v1
metadata: {name: x}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
spec: {hosts: [a]}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: 5}
---
- just
- a list of strings
---
plain text
`;
    const r = parseResources(text);
    assert.deepEqual(
      r.errors.map((e) => [e.location.document, e.location.line, e.message]),
      [
        [0, 1, 'kind is required (e.g. VirtualService)'],
        [1, 4, 'metadata.name is required for VirtualService'],
        [2, 8, 'metadata.namespace of Gateway gw must be a string'],
        [3, 12, 'document is not an object: expected apiVersion, kind, metadata and spec'],
        [3, 13, 'document is not an object: expected apiVersion, kind, metadata and spec'],
        [4, 15, 'document is not an object: expected apiVersion, kind, metadata and spec'],
      ],
    );
  });

  it('reads JSON files, including a JSON array of resources', () => {
    const r = parseResources(
      JSON.stringify([{ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'a' }, spec: {} }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' } }], null, 2),
      { source: 'x.json' },
    );
    assert.deepEqual(r.resources.map(resourceId), ['Gateway default/a']);
    assert.equal(r.ignored.length, 1);
  });

  it('handles an empty file and a file of comments', () => {
    for (const text of ['', '\n\n', '# nothing here\n', '---\n---\n']) {
      assert.deepEqual(parseResources(text), { resources: [], errors: [], ignored: [] });
    }
  });

  it('supports YAML anchors and merge keys', () => {
    const text = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: r}
spec:
  host: reviews
  subsets:
  - name: v1
    labels: &base {app: reviews, version: v1}
  - name: v1-canary
    labels:
      <<: *base
      track: canary
`;
    const r = loadResources(text);
    assert.deepEqual(r.rejected, []);
    assert.deepEqual((r.accepted[0].resource.spec as any).subsets[1].labels, { app: 'reviews', version: 'v1', track: 'canary' });
  });
});

describe('fieldLine', () => {
  it('finds the line of the field an error names, or of the nearest enclosing field', () => {
    const [r] = parseResources(`# comment\n${VS}`).resources;
    assert.equal(fieldLine(r, 'spec.http[0].route[1].weight'), 14);
    assert.equal(fieldLine(r, 'spec.http[0].route'), 10);
    assert.equal(fieldLine(r, 'spec.http[0].route[0].destination.subset'), 11);
    assert.equal(fieldLine(r, 'spec.http[0].timeout'), 10, 'an absent field falls back to its parent');
    assert.equal(fieldLine(r, 'metadata.name'), 5);
    assert.equal(fieldLine(r, 'not a path ['), 2, 'an unparseable path falls back to the resource line');
  });

  it('works inside List items', () => {
    const text = `kind: List\nitems:\n- apiVersion: networking.istio.io/v1\n  kind: Gateway\n  metadata: {name: a}\n  spec:\n    servers:\n    - port: {number: 0}\n`;
    const loaded = loadResources(text);
    const rejected = loaded.rejected[0];
    const err = rejected.errors.find((e) => e.path === 'spec.servers[0].port.number')!;
    assert.equal(fieldLine(rejected.parsed, err.path), 8);
  });
});

describe('loadResources and toConfigResource', () => {
  it('splits accepted from rejected resources and maps accepted ones to a valid ConfigResource', () => {
    const text = `${VS}---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  name: reviews
  namespace: prod
  labels: {team: bookinfo}
  uid: 1234
spec:
  host: reviews
  subsets:
  - name: v1
    labels: {version: v1}
status: {}
`;
    const r = loadResources(text, { source: 'a.yaml' });
    assert.deepEqual(
      r.rejected.map((x) => [x.id, x.errors]),
      [['VirtualService prod/reviews', [{ path: 'spec.http[0].route', message: 'weights of the 2 destinations add up to 0 (0 + 0); give at least one a weight above 0' }]]],
    );
    assert.equal(r.accepted.length, 1);
    const stored = toConfigResource(r.accepted[0].resource);
    assert.deepEqual(stored, {
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'DestinationRule',
      metadata: { name: 'reviews', namespace: 'prod', labels: { team: 'bookinfo' } },
      spec: { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }] },
      source: 'a.yaml',
    });
    assert.deepEqual(ConfigResourceSchema.parse(stored), stored);
  });
});
