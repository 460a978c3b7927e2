import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadResources } from './load.ts';
import { supportFindings, supportFindingsFor } from './support.ts';
import { checkMeshConfig, meshPathNormalization } from './mesh-config.ts';

function load(text: string) {
  const r = loadResources(text, { source: 'mesh.yaml', unenforcedSecurity: 'accept' });
  assert.deepEqual(r.rejected.map((x) => x.errors), []);
  return r.accepted.map((a) => a.resource);
}
const summary = (text: string) => supportFindingsFor(load(text)).map((f) => `${f.severity} ${f.resource} ${f.path}`);

describe('supportFindings: what the mesh accepts but does not implement', () => {
  it("reports nothing for Istio's circuit-breaking task and the features pilot translates", () => {
    assert.deepEqual(
      summary(`
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: httpbin}
spec:
  host: httpbin
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 1}
      http: {http1MaxPendingRequests: 1, maxRequestsPerConnection: 1}
    outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 3m, maxEjectionPercent: 100}
    loadBalancer:
      consistentHash: {httpCookie: {name: user, ttl: 0s}}
    tls: {mode: SIMPLE, caCertificates: /etc/ca.pem, sni: httpbin.example.com}
  subsets:
  - name: v1
    labels: {version: v1}
    trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: httpbin}
spec:
  hosts: [httpbin]
  http:
  - match: [{uri: {prefix: /status}, headers: {x-user: {exact: jason}}}]
    rewrite: {uri: /}
    timeout: 2s
    retries: {attempts: 3, perTryTimeout: 1s, retryOn: 5xx}
    fault: {abort: {httpStatus: 503, percentage: {value: 10}}}
    mirror: {host: httpbin, subset: v1}
    mirrorPercentage: {value: 5}
    route:
    - destination: {host: httpbin, subset: v1}
      headers: {request: {set: {x-a: b}}}
`),
      [],
    );
  });

  it("names each of Istio's documented samples' unimplemented fields (testdata), security ones as errors", () => {
    const findings = ['traffic-management.yaml', 'gateways.yaml', 'service-entries.yaml', 'security.yaml'].flatMap((f) =>
      supportFindingsFor(loadResources(readFileSync(new URL(`./testdata/${f}`, import.meta.url), 'utf8'), { source: f, unenforcedSecurity: 'accept' }).accepted.map((a) => a.resource)),
    );
    assert.deepEqual(
      findings.map((f) => `${f.severity} ${f.source} ${f.resource} ${f.path}`),
      [
        'warning traffic-management.yaml VirtualService default/ratings-route spec.http[3].corsPolicy',
        'warning traffic-management.yaml VirtualService default/ratings-fault spec.http[1].match[0].sourceLabels',
        'warning traffic-management.yaml DestinationRule default/bookinfo-ratings-port spec.trafficPolicy.portLevelSettings[1].loadBalancer.localityLbSetting',
        'warning traffic-management.yaml VirtualService default/bookinfo-sni spec.tls',
        'warning gateways.yaml Gateway istio-system/bookinfo-gateway spec.servers[1].port.protocol',
        'warning gateways.yaml Gateway istio-system/bookinfo-gateway spec.servers[2].port.protocol',
        'warning gateways.yaml Gateway istio-system/bookinfo-gateway spec.servers[3].port.protocol',
        'warning service-entries.yaml ServiceEntry default/external-svc-mongocluster spec.addresses[0]',
        'error security.yaml RequestAuthentication istio-system/jwt-example spec.jwtRules',
        'error security.yaml RequestAuthentication foo/inline-jwks spec.jwtRules',
        'warning security.yaml AuthorizationPolicy istio-system/require-jwt spec.rules[0].from[0].source.requestPrincipals',
        'warning security.yaml AuthorizationPolicy istio-system/require-jwt spec.rules[0].when[0].key',
        'warning security.yaml AuthorizationPolicy foo/httpbin spec.rules[0].when[0].key',
        'error security.yaml AuthorizationPolicy foo/ext-authz spec.action',
      ],
    );
    const custom = findings.find((f) => f.resource === 'AuthorizationPolicy foo/ext-authz')!;
    assert.equal(custom.message, 'CUSTOM (external authorization) is not implemented: the requests it should check would not be checked');
  });

  it('refuses a DENY rule on request principals or JWT claims (no JWT is validated, so it would deny nothing); the same in ALLOW only allows less', () => {
    const policy = (action: string) => `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ${action.toLowerCase()}, namespace: foo}
spec:
  action: ${action}
  rules:
  - from: [{source: {requestPrincipals: ["testing@secure.istio.io/testing@secure.istio.io"]}}]
    when: [{key: "request.auth.claims[groups]", values: [group1]}]
`;
    assert.deepEqual(summary(policy('DENY') + '---' + policy('ALLOW')), [
      'error AuthorizationPolicy foo/deny spec.rules[0].from[0].source.requestPrincipals',
      'error AuthorizationPolicy foo/deny spec.rules[0].when[0].key',
      'warning AuthorizationPolicy foo/allow spec.rules[0].from[0].source.requestPrincipals',
      'warning AuthorizationPolicy foo/allow spec.rules[0].when[0].key',
    ]);
  });

  it('makes TLS origination that would not be secure an error: credentialName, caCrl, no caCertificates', () => {
    assert.deepEqual(
      summary(`
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: a, namespace: prod}
spec:
  host: a.example.com
  trafficPolicy:
    portLevelSettings:
    - port: {number: 443}
      tls: {mode: SIMPLE, credentialName: a-cred}
    - port: {number: 8443}
      tls: {mode: SIMPLE}
    - port: {number: 9443}
      tls: {mode: SIMPLE, insecureSkipVerify: true}
    - port: {number: 10443}
      tls: {mode: MUTUAL, clientCertificate: /c.pem, privateKey: /k.pem, caCertificates: /ca.pem, caCrl: /crl.pem}
    - port: {number: 11443}
      tls: {mode: SIMPLE, caCertificates: /ca.pem, insecureSkipVerify: true}
    - port: {number: 12443}
      tls: {mode: DISABLE}
`),
      [
        'error DestinationRule prod/a spec.trafficPolicy.portLevelSettings[0].tls.credentialName',
        'error DestinationRule prod/a spec.trafficPolicy.portLevelSettings[1].tls.caCertificates',
        'error DestinationRule prod/a spec.trafficPolicy.portLevelSettings[3].tls.caCrl',
      ],
    );
  });

  it("implements Istio's Sidecar (the reference page's examples) and exportTo, and reports the Sidecar fields pilot cannot honour", () => {
    assert.deepEqual(
      summary(`
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: ratings, namespace: prod-us1}
spec:
  workloadSelector:
    labels: {app: ratings}
  ingress:
  - port: {number: 9080, protocol: HTTP, name: somename}
    defaultEndpoint: unix:///var/run/someuds.sock
  - port: {number: 9443, protocol: HTTPS, name: https}
    defaultEndpoint: 127.0.0.1:8443
    tls: {mode: SIMPLE, serverCertificate: /etc/c.pem, privateKey: /etc/k.pem}
    connectionPool: {tcp: {maxConnections: 10}}
  egress:
  - port: {number: 9080, protocol: HTTP, name: egresshttp}
    hosts: ["prod-us1/*"]
  - hosts: ["istio-system/*"]
  outboundTrafficPolicy:
    mode: ALLOW_ANY
    egressProxy: {host: foo.bar.com, port: {number: 443}}
  inboundConnectionPool: {http: {http1MaxPendingRequests: 1}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r, namespace: prod-us1}
spec:
  hosts: [ratings]
  exportTo: ["."]
  http: [{route: [{destination: {host: ratings}}]}]
`),
      [
        'error Sidecar prod-us1/ratings spec.ingress[1].tls',
        'warning Sidecar prod-us1/ratings spec.ingress[1].connectionPool',
        'warning Sidecar prod-us1/ratings spec.outboundTrafficPolicy.egressProxy',
        'warning Sidecar prod-us1/ratings spec.inboundConnectionPool',
      ],
    );
  });

  it('reports a field the rules do not list (an allowlist: new API fields are reported until implemented)', () => {
    const f = supportFindings({ kind: 'DestinationRule', metadata: { namespace: 'ns', name: 'x' }, spec: { host: 'x', trafficPolicy: { retryBudget: { percent: 10 } } } });
    assert.deepEqual(f, [
      { resource: 'DestinationRule ns/x', kind: 'DestinationRule', namespace: 'ns', name: 'x', path: 'spec.trafficPolicy.retryBudget', message: 'retryBudget is not implemented by this mesh and is ignored', severity: 'warning' },
    ]);
  });

  it('accepts TCP routes for sidecars; reports unserved gateway protocols and the security kinds by mode and action', () => {
    assert.deepEqual(
      summary(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db}
spec:
  hosts: [db]
  tcp:
  - route: [{destination: {host: db}}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ['*']
    tls: {httpsRedirect: true}
  - port: {number: 27017, name: mongo, protocol: MONGO}
    hosts: ['*']
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: permissive}
spec:
  mtls: {mode: PERMISSIVE}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: port-strict}
spec:
  selector: {matchLabels: {app: db}}
  portLevelMtls:
    "5432": {mode: STRICT}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: audit}
spec:
  action: AUDIT
  rules: [{}]
`),
      [
        'warning Gateway default/gw spec.servers[1].port.protocol',
        'warning AuthorizationPolicy default/audit spec.action',
      ],
    );
  });
});

describe('mesh config: pathNormalization', () => {
  it('defaults to BASE (also for DEFAULT) and reads the four modes', () => {
    assert.deepEqual(meshPathNormalization({}), { value: 'BASE' });
    assert.deepEqual(meshPathNormalization(undefined), { value: 'BASE' });
    assert.deepEqual(meshPathNormalization({ pathNormalization: { normalization: 'DEFAULT' } }), { value: 'BASE' });
    for (const n of ['NONE', 'BASE', 'MERGE_SLASHES', 'DECODE_AND_MERGE_SLASHES']) assert.deepEqual(meshPathNormalization({ pathNormalization: { normalization: n } }), { value: n });
  });
  it('names the field and the valid values when it is wrong', () => {
    assert.deepEqual(checkMeshConfig({ pathNormalization: { normalization: 'merge_slashes' } }), [
      { path: 'pathNormalization.normalization', message: '"merge_slashes" is not one of DEFAULT, NONE, BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES (did you mean MERGE_SLASHES?)' },
    ]);
    assert.deepEqual(checkMeshConfig({ pathNormalization: 'NONE' }), [{ path: 'pathNormalization', message: 'expected a map such as {normalization: MERGE_SLASHES}' }]);
    assert.deepEqual(checkMeshConfig({ pathNormalization: { mode: 'NONE' } }), [{ path: 'pathNormalization.mode', message: 'unknown field "mode" in ProxyPathNormalization; the only field is normalization' }]);
    assert.deepEqual(checkMeshConfig({ trustDomain: 'x' }), []);
  });
});
