import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeResources, gatewayKey } from './analyze.ts';
import { loadResources } from './load.ts';

function load(text: string) {
  const r = loadResources(text, { source: 'mesh.yaml', unenforcedSecurity: 'accept' });
  assert.deepEqual(r.rejected.map((x) => x.errors), []);
  return r.accepted.map((a) => a.resource);
}

describe('analyzeResources (cross-resource checks)', () => {
  it('warns about a subset no DestinationRule defines, and about an undefined gateway', () => {
    const resources = load(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: prod}
spec:
  hosts: [reviews]
  gateways: [mesh, bookinfo-gateway]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 90
    - destination: {host: reviews.prod.svc.cluster.local, subset: v3}
      weight: 10
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: prod}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`);
    assert.deepEqual(
      analyzeResources(resources).map((f) => [f.resource, f.path, f.message]),
      [
        [
          'VirtualService prod/reviews',
          'spec.http[0].route[1].destination.subset',
          'subset "v3" of host reviews.prod.svc.cluster.local is not defined by its DestinationRule (prod/reviews), so this route sends traffic nowhere',
        ],
        ['VirtualService prod/reviews', 'spec.gateways[1]', 'gateway "bookinfo-gateway" (prod/bookinfo-gateway) is not defined by any Gateway'],
      ],
    );
  });

  it('finds the DestinationRule across namespaces when the VirtualService uses the full name', () => {
    const resources = load(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: frontend}
spec:
  hosts: [reviews.prod.svc.cluster.local]
  http:
  - route:
    - destination: {host: reviews.prod.svc.cluster.local, subset: v2}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: prod}
spec:
  host: reviews
  subsets:
  - {name: v2, labels: {version: v2}}
`);
    assert.deepEqual(analyzeResources(resources), []);
  });

  it('warns when no DestinationRule exists for a subset host', () => {
    const resources = load(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings}
spec:
  hosts: [ratings]
  http:
  - route:
    - destination: {host: ratings, subset: v1}
`);
    const [f] = analyzeResources(resources);
    assert.equal(f.message, 'subset "v1" of host ratings.default.svc.cluster.local is not defined: there is no DestinationRule for this host, so this route sends traffic nowhere');
    assert.equal(f.source, 'mesh.yaml');
  });

  it('warns about competing DestinationRules, namespace-wide Sidecars and PeerAuthentications', () => {
    const resources = load(`
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: a}
spec: {host: reviews, trafficPolicy: {loadBalancer: {simple: RANDOM}}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: b}
spec: {host: reviews.default.svc.cluster.local, trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: s1}
spec: {egress: [{hosts: ["./*"]}]}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: s2}
spec: {egress: [{hosts: ["./*"]}]}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: p1}
spec: {mtls: {mode: STRICT}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: p2}
spec: {mtls: {mode: PERMISSIVE}}
`);
    assert.deepEqual(
      analyzeResources(resources).map((f) => f.resource),
      ['DestinationRule default/b', 'Sidecar default/s2', 'PeerAuthentication default/p2'],
    );
  });

  it('resolves gateway references', () => {
    assert.equal(gatewayKey('gw', 'prod'), 'prod/gw');
    assert.equal(gatewayKey('istio-system/gw', 'prod'), 'istio-system/gw');
    assert.equal(gatewayKey('gw.istio-system.svc.cluster.local', 'prod'), 'istio-system/gw');
  });
});
