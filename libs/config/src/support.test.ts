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
        'warning traffic-management.yaml DestinationRule default/bookinfo-ratings-port spec.trafficPolicy.portLevelSettings[1].loadBalancer.localityLbSetting',
        'warning service-entries.yaml ServiceEntry default/external-svc-mongocluster spec.addresses[0]',
      ],
    );
    // CUSTOM is implemented (ext_authz with the mesh config's provider): nothing to report about it.
    assert.equal(findings.find((f) => f.resource === 'AuthorizationPolicy foo/ext-authz'), undefined);
  });

  it('accepts RequestAuthentication and request principals / JWT claims in AuthorizationPolicy (enforced); refuses targetRef, warns for a rule without keys', () => {
    const policy = (action: string) => `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ${action.toLowerCase()}, namespace: foo}
spec:
  action: ${action}
  rules:
  - from: [{source: {requestPrincipals: ["testing@secure.istio.io/testing@secure.istio.io"], notRequestPrincipals: ["*"]}}]
    when: [{key: "request.auth.claims[groups]", values: [group1]}, {key: request.auth.audiences, values: [a]}]
`;
    const ra = `
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: foo}
spec:
  selector: {matchLabels: {app: httpbin}}
  jwtRules:
  - issuer: testing@secure.istio.io
    jwksUri: https://example.com/jwks.json
    audiences: [a]
    fromHeaders: [{name: x-jwt, prefix: "Bearer "}]
    fromParams: [token]
    fromCookies: [session]
    forwardOriginalToken: true
    outputPayloadToHeader: x-jwt-payload
    outputClaimToHeaders: [{header: x-group, claim: group}]
    timeout: 3s
    spaceDelimitedClaims: [roles]
  - issuer: discovery-only
`;
    const targeted = `
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: targeted, namespace: foo}
spec:
  targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: gw}]
  jwtRules: [{issuer: a, jwks: '{"keys":[]}'}]
`;
    assert.deepEqual(summary(policy('DENY') + '---' + policy('ALLOW') + '---' + ra + '---' + targeted), [
      'warning RequestAuthentication foo/jwt spec.jwtRules[1].jwksUri',
      'error RequestAuthentication foo/targeted spec.targetRefs',
    ]);
  });

  it('makes TLS origination that would not be secure an error (caCrl, no caCertificates); credentialName, which fails closed off gateways, a warning', () => {
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
        'warning DestinationRule prod/a spec.trafficPolicy.portLevelSettings[0].tls.credentialName',
        'error DestinationRule prod/a spec.trafficPolicy.portLevelSettings[1].tls.caCertificates',
        'error DestinationRule prod/a spec.trafficPolicy.portLevelSettings[3].tls.caCrl',
      ],
    );
  });

  it('serves Gateway TLS (SIMPLE, MUTUAL, ISTIO_MUTUAL, PASSTHROUGH with tls routes) and reports AUTO_PASSTHROUGH, unpinned or unrevoked client certificates, and tls routes for sidecars', () => {
    assert.deepEqual(
      summary(`
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [httpbin.example.com]
    tls: {mode: SIMPLE, credentialName: httpbin-credential, minProtocolVersion: TLSV1_2, cipherSuites: [ECDHE-RSA-AES256-GCM-SHA384]}
  - port: {number: 443, name: https-mutual, protocol: HTTPS}
    hosts: [mutual.example.com]
    tls: {mode: MUTUAL, credentialName: mutual-credential, subjectAltNames: [client.example.com], caCrl: /crl.pem}
  - port: {number: 8443, name: tls, protocol: TLS}
    hosts: [nginx.example.com]
    tls: {mode: PASSTHROUGH}
  - port: {number: 15443, name: tls-auto, protocol: TLS}
    hosts: ['*.local']
    tls: {mode: AUTO_PASSTHROUGH}
  - port: {number: 9443, name: https-mesh, protocol: HTTPS}
    hosts: ['*']
    tls: {mode: ISTIO_MUTUAL, verifyCertificateHash: [ab]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: nginx, namespace: istio-system}
spec:
  hosts: [nginx.example.com]
  gateways: [gw]
  tls:
  - match: [{port: 8443, sniHosts: [nginx.example.com]}]
    route: [{destination: {host: nginx.default.svc.cluster.local, port: {number: 443}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: mesh-sni}
spec:
  hosts: [a.example.com]
  tls:
  - match: [{sniHosts: [a.example.com]}]
    route: [{destination: {host: a.example.com}}]
`),
      [
        'error Gateway istio-system/gw spec.servers[1].tls.caCrl',
        'warning Gateway istio-system/gw spec.servers[3].tls.mode',
        'error Gateway istio-system/gw spec.servers[4].tls.verifyCertificateHash',
        'warning VirtualService default/mesh-sni spec.tls',
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

describe('supportFindings: JWT claim routing (@request.auth.claims.*)', () => {
  const vs = (gateways: string) => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: claims, namespace: foo}
spec:
  hosts: [httpbin.foo.svc.cluster.local]
  gateways: ${gateways}
  http:
  - match:
    - headers:
        "@request.auth.claims.groups": {exact: group1}
      withoutHeaders:
        "@request.auth.claims.nested.key": {exact: x}
    route:
    - destination: {host: httpbin}
`;

  it('is valid Istio; on a gateway it is implemented, bound to sidecars (mesh) it is reported: no token is verified there', () => {
    assert.deepEqual(summary(vs('[foo/gw]')), []);
    assert.deepEqual(summary(vs('[mesh, foo/gw]')), [
      'warning VirtualService foo/claims spec.http[0].match[0].headers["@request.auth.claims.groups"]',
      'warning VirtualService foo/claims spec.http[0].match[0].withoutHeaders["@request.auth.claims.nested.key"]',
    ]);
  });

  it('refuses a claim pseudo-header without a claim name; other names starting with @ stay invalid header names', () => {
    const bad = (name: string) =>
      loadResources(vs('[foo/gw]').replace('"@request.auth.claims.groups"', `"${name}"`), { source: 'x.yaml' }).rejected.flatMap((r) => r.errors.map((e) => `${e.path}: ${e.message}`));
    assert.match(bad('@request.auth.claims.').join('\n'), /needs a claim name/);
    assert.match(bad('@request.auth.claims.a..b').join('\n'), /needs a claim name/);
    assert.match(bad('@request.auth.principal').join('\n'), /is not a valid HTTP header name/);
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
