// AuthorizationPolicy CUSTOM → Envoy's ext_authz (the shapes of
// docs/security.md's contract), checked after a round trip through Envoy's
// protos, with the fail-closed cases: a provider the mesh config lacks, one
// that is no authorizer, two providers for one workload, an HTTP provider on
// TCP ports.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CONFIG_TYPE_URLS, TYPE_URLS, decodeMessage, encodeMessage, normalize, type HttpFilter } from '@mesh/xds';
import type { ConfigResource } from '@mesh/contracts';
import { authorizationFilters } from './authorization.ts';
import { generateSnapshot } from './index.ts';
import { capturedSidecar, gateway, generate, push, res } from '../test-support.ts';

const ap = (name: string, spec: Record<string, unknown>, namespace = 'default') => res('AuthorizationPolicy', name, spec, namespace);
const ANY = { any: true };
const TYPE_OF: Record<string, string> = {
  'envoy.filters.http.rbac': CONFIG_TYPE_URLS.rbac,
  'envoy.filters.http.ext_authz': CONFIG_TYPE_URLS.extAuthz,
  'envoy.filters.http.jwt_authn': CONFIG_TYPE_URLS.jwtAuthn,
  'envoy.filters.network.rbac': CONFIG_TYPE_URLS.networkRbac,
  'envoy.filters.network.ext_authz': CONFIG_TYPE_URLS.networkExtAuthz,
};

const MESH = {
  extensionProviders: [
    {
      name: 'sample-ext-authz-http',
      envoyExtAuthzHttp: {
        service: 'ext-authz.foo.svc.cluster.local',
        port: 8000,
        pathPrefix: '/check',
        timeout: '2s',
        statusOnError: '503',
        includeRequestHeadersInCheck: ['x-ext-authz', 'x-user-*'],
        includeAdditionalHeadersInCheck: { 'x-from': 'mesh', 'a-first': '1' },
        includeRequestBodyInCheck: { maxRequestBytes: 4096, allowPartialMessage: true },
        headersToUpstreamOnAllow: ['x-user'],
        headersToDownstreamOnDeny: ['x-ext-authz-check-result', '*-reason'],
        headersToDownstreamOnAllow: ['x-ok'],
      },
    },
    { name: 'sample-ext-authz-grpc', envoyExtAuthzGrpc: { service: 'foo/ext-authz.foo.svc.cluster.local', port: 9000, failOpen: true } },
    { name: 'zipkin', zipkin: { service: 'zipkin.istio-system.svc.cluster.local', port: 9411 } },
  ],
};

const EXT_AUTHZ_SERVICE = res(
  'ServiceEntry',
  'ext-authz',
  {
    hosts: ['ext-authz.foo.svc.cluster.local'],
    location: 'MESH_INTERNAL',
    resolution: 'STATIC',
    ports: [
      { number: 8000, name: 'http', protocol: 'HTTP' },
      { number: 9000, name: 'grpc', protocol: 'GRPC' },
    ],
    endpoints: [{ address: '10.0.0.20' }],
  },
  'foo',
);

const custom = (name: string, provider: string, rules: unknown[] = [{ to: [{ operation: { paths: ['/headers'] } }] }], extra: Record<string, unknown> = {}) =>
  ap(name, { selector: { matchLabels: { app: 'httpbin' } }, action: 'CUSTOM', provider: { name: provider }, rules, ...extra }, 'foo');

/** Encodes each typed config with the real protos and decodes it back (what a proxy receives). */
function wire(list: Array<{ name?: string; typedConfig?: unknown }>) {
  return list.map((f) => {
    const url = TYPE_OF[f.name ?? ''];
    assert.ok(url, `unexpected filter ${f.name}`);
    const typeName = url.slice('type.googleapis.com/'.length);
    const { '@type': _t, ...fields } = f.typedConfig as Record<string, unknown>;
    decodeMessage(url, encodeMessage(typeName, fields));
    return { name: f.name ?? '', config: normalize(url, f.typedConfig as never) };
  });
}

function filters(configs: ConfigResource[], mesh: Record<string, unknown> = MESH, labels: Record<string, string> = { app: 'httpbin' }) {
  const p = push(configs, mesh);
  const f = authorizationFilters(p, { namespace: 'foo', labels });
  return { push: p, http: wire(f.http), tcp: wire(f.tcp) };
}

const SHADOW_HEADERS = {
  shadowRules: {
    action: 'DENY',
    policies: { 'istio-ext-authz-ns[foo]-policy[ext-authz]-rule[0]': { permissions: [{ urlPath: { path: { exact: '/headers' } } }], principals: [ANY] } },
  },
  shadowRulesStatPrefix: 'istio_ext_authz_',
};
const enabledBy = (filter: string) => ({ filter, path: [{ key: 'istio_ext_authz_shadow_effective_policy_id' }], value: { stringMatch: { prefix: 'istio-ext-authz' } } });

describe('AuthorizationPolicy CUSTOM → ext_authz', () => {
  it("HTTP provider: the shadow RBAC filter of the policy's rules, then ext_authz with the provider's settings (Istio's authz-custom task)", () => {
    const f = filters([EXT_AUTHZ_SERVICE, custom('ext-authz', 'sample-ext-authz-http')]);
    assert.deepEqual(f.http, [
      { name: 'envoy.filters.http.rbac', config: SHADOW_HEADERS },
      {
        name: 'envoy.filters.http.ext_authz',
        config: {
          transportApiVersion: 'V3',
          filterEnabledMetadata: enabledBy('envoy.filters.http.rbac'),
          failureModeAllow: false,
          statusOnError: { code: 'ServiceUnavailable' },
          withRequestBody: { maxRequestBytes: 4096, allowPartialMessage: true },
          httpService: {
            serverUri: { uri: 'http://ext-authz.foo.svc.cluster.local/check', cluster: 'outbound|8000||ext-authz.foo.svc.cluster.local', timeout: { seconds: '2' } },
            pathPrefix: '/check',
            authorizationRequest: {
              allowedHeaders: { patterns: [{ exact: 'x-ext-authz', ignoreCase: true }, { prefix: 'x-user-', ignoreCase: true }] },
              headersToAdd: [
                { key: 'a-first', value: '1' },
                { key: 'x-from', value: 'mesh' },
              ],
            },
            authorizationResponse: {
              allowedUpstreamHeaders: { patterns: [{ exact: 'x-user', ignoreCase: true }] },
              allowedClientHeaders: { patterns: [{ exact: 'x-ext-authz-check-result', ignoreCase: true }, { suffix: '-reason', ignoreCase: true }] },
              allowedClientHeadersOnSuccess: { patterns: [{ exact: 'x-ok', ignoreCase: true }] },
            },
          },
        },
      },
    ]);
    // An HTTP authorizer cannot check a connection: TCP chains deny what the rules match (their HTTP-only fields dropped), and say so.
    assert.deepEqual(f.tcp, [{ name: 'envoy.filters.network.rbac', config: { statPrefix: 'tcp.', rules: { action: 'DENY', policies: { 'ns[foo]-policy[ext-authz]-rule[0]': { permissions: [ANY], principals: [ANY] } } } } }]);
    assert.deepEqual(
      f.push.issues.filter((i) => i.kind === 'AuthorizationPolicy').map((i) => [i.severity, i.message]),
      [['warning', `extension provider "sample-ext-authz-http" is an HTTP authorizer: on TCP ports the connections this policy's rules match are denied (Istio would not check them)`]],
    );
    // The zipkin provider is read for its name only.
    assert.ok(f.push.issues.some((i) => i.kind === 'MeshConfig' && i.field === 'extensionProviders[2].zipkin' && i.severity === 'warning'));
  });

  it('gRPC provider: the same on HTTP, and on TCP chains the network shadow RBAC and ext_authz; the default timeout is 600s', () => {
    const f = filters([EXT_AUTHZ_SERVICE, custom('ext-authz', 'sample-ext-authz-grpc')]);
    const grpcService = { envoyGrpc: { clusterName: 'outbound|9000||ext-authz.foo.svc.cluster.local', authority: 'ext-authz.foo.svc.cluster.local' }, timeout: { seconds: '600' } };
    assert.deepEqual(f.http[1], {
      name: 'envoy.filters.http.ext_authz',
      config: { transportApiVersion: 'V3', filterEnabledMetadata: enabledBy('envoy.filters.http.rbac'), failureModeAllow: true, statusOnError: { code: 'Forbidden' }, grpcService },
    });
    assert.deepEqual(f.tcp, [
      {
        name: 'envoy.filters.network.rbac',
        config: {
          statPrefix: 'tcp.',
          shadowRules: { action: 'DENY', policies: { 'istio-ext-authz-ns[foo]-policy[ext-authz]-rule[0]': { permissions: [ANY], principals: [ANY] } } },
          shadowRulesStatPrefix: 'istio_ext_authz_',
        },
      },
      { name: 'envoy.filters.network.ext_authz', config: { statPrefix: 'tcp.', transportApiVersion: 'V3', grpcService, failureModeAllow: true, filterEnabledMetadata: enabledBy('envoy.filters.network.rbac') } },
    ]);
    assert.deepEqual(f.push.issues.filter((i) => i.kind === 'AuthorizationPolicy'), []);
  });

  it('evaluates CUSTOM first, then DENY, then ALLOW (Istio), after jwt_authn; on TCP before the DENY/ALLOW network RBAC', () => {
    const f = filters([
      EXT_AUTHZ_SERVICE,
      custom('ext-authz', 'sample-ext-authz-grpc'),
      ap('deny-delete', { action: 'DENY', rules: [{ to: [{ operation: { methods: ['DELETE'] } }] }] }, 'foo'),
      ap('allow-all', { rules: [{}] }, 'foo'),
      res('RequestAuthentication', 'jwt', { jwtRules: [{ issuer: 'issuer-1', jwks: '{"keys":[{"kty":"oct","k":"c2VjcmV0","alg":"HS256"}]}' }] }, 'foo'),
    ]);
    assert.deepEqual(
      f.http.map((x) => `${x.name} ${x.config.rules?.action ?? (x.config.shadowRules ? 'shadow' : '')}`.trim()),
      ['envoy.filters.http.jwt_authn', 'envoy.filters.http.rbac shadow', 'envoy.filters.http.ext_authz', 'envoy.filters.http.rbac DENY', 'envoy.filters.http.rbac ALLOW'],
    );
    assert.deepEqual(
      f.tcp.map((x) => `${x.name} ${x.config.rules?.action ?? (x.config.shadowRules ? 'shadow' : '')}`.trim()),
      ['envoy.filters.network.rbac shadow', 'envoy.filters.network.ext_authz', 'envoy.filters.network.rbac DENY', 'envoy.filters.network.rbac ALLOW'],
    );
  });

  it('fails closed when the provider cannot be used: not in the mesh config, not an authorizer, or a second provider on the workload', () => {
    const deny = (policies: Record<string, unknown>) => [{ name: 'envoy.filters.http.rbac', config: { rules: { action: 'DENY', policies } } }];
    const headers = { permissions: [{ urlPath: { path: { exact: '/headers' } } }], principals: [ANY] };

    const missing = filters([EXT_AUTHZ_SERVICE, custom('ext-authz', 'opa')]);
    assert.deepEqual(missing.http, deny({ 'ns[foo]-policy[ext-authz]-rule[0]': headers }));
    assert.deepEqual(missing.tcp[0].config.rules.action, 'DENY');
    assert.ok(missing.push.issues.some((i) => i.name === 'ext-authz' && i.severity === 'error' && /"opa" is not defined in the mesh config/.test(i.message)));
    // Without any mesh config at all, the same.
    assert.deepEqual(filters([custom('ext-authz', 'opa')], {}).http, deny({ 'ns[foo]-policy[ext-authz]-rule[0]': headers }));

    const tracing = filters([custom('ext-authz', 'zipkin')]);
    assert.deepEqual(tracing.http, deny({ 'ns[foo]-policy[ext-authz]-rule[0]': headers }));
    assert.ok(tracing.push.issues.some((i) => i.name === 'ext-authz' && /is a zipkin provider, not envoyExtAuthzHttp or envoyExtAuthzGrpc/.test(i.message)));

    const two = filters([EXT_AUTHZ_SERVICE, custom('ext-authz', 'sample-ext-authz-grpc'), custom('other', 'sample-ext-authz-http', [{ to: [{ operation: { methods: ['POST'] } }] }])]);
    assert.deepEqual(two.http, deny({ 'ns[foo]-policy[ext-authz]-rule[0]': headers, 'ns[foo]-policy[other]-rule[0]': { permissions: [{ header: { name: ':method', stringMatch: { exact: 'POST' } } }], principals: [ANY] } }));
    assert.equal(two.tcp.length, 1);
    assert.deepEqual(
      two.push.issues.filter((i) => i.kind === 'AuthorizationPolicy').map((i) => `${i.severity} ${i.name}`),
      ['error ext-authz', 'error other'],
    );
    assert.match(two.push.issues.find((i) => i.name === 'other')!.message, /one provider per workload/);
    // Two CUSTOM policies of one provider are one ext_authz filter with both rules.
    const same = filters([EXT_AUTHZ_SERVICE, custom('ext-authz', 'sample-ext-authz-grpc'), custom('other', 'sample-ext-authz-grpc', [{ to: [{ operation: { methods: ['POST'] } }] }])]);
    assert.deepEqual(Object.keys(same.http[0].config.shadowRules.policies), ['istio-ext-authz-ns[foo]-policy[ext-authz]-rule[0]', 'istio-ext-authz-ns[foo]-policy[other]-rule[0]']);
    assert.equal(same.http[1].name, 'envoy.filters.http.ext_authz');
  });

  it('an unknown authorizer service still gets the filter (each check fails: statusOnError) and is reported; with failOpen it is an error', () => {
    const f = filters([custom('ext-authz', 'sample-ext-authz-http')]);
    assert.equal(f.http[1].config.httpService.serverUri.cluster, 'outbound|8000||ext-authz.foo.svc.cluster.local');
    assert.ok(f.push.issues.some((i) => i.name === 'ext-authz' && i.severity === 'warning' && i.category === 'unresolved' && /no service ext-authz.foo.svc.cluster.local is registered.*answered 503/.test(i.message)));
    const open = filters([custom('ext-authz', 'sample-ext-authz-grpc')]);
    assert.ok(open.push.issues.some((i) => i.name === 'ext-authz' && i.severity === 'error' && /failOpen is set, so the requests it should check pass unchecked/.test(i.message)));
    // The namespace part of the service must match too.
    const elsewhere = filters([{ ...EXT_AUTHZ_SERVICE, metadata: { ...EXT_AUTHZ_SERVICE.metadata, namespace: 'bar' } }, custom('ext-authz', 'sample-ext-authz-grpc')]);
    assert.ok(elsewhere.push.issues.some((i) => i.name === 'ext-authz' && /no service foo\/ext-authz/.test(i.message)));
  });

  it('dry-run is not supported for CUSTOM (Istio): the policy is enforced and the annotation reported', () => {
    const p = custom('ext-authz', 'sample-ext-authz-grpc');
    p.metadata = { ...p.metadata, annotations: { 'istio.io/dry-run': 'true' } };
    const f = filters([EXT_AUTHZ_SERVICE, p]);
    assert.equal(f.http[1].name, 'envoy.filters.http.ext_authz');
    assert.ok(f.push.issues.some((i) => i.name === 'ext-authz' && i.severity === 'warning' && /dry-run is not supported for action CUSTOM/.test(i.message)));
  });

  it('a CUSTOM rule that cannot be translated sends every request to the authorizer', () => {
    const f = filters([EXT_AUTHZ_SERVICE, custom('ext-authz', 'sample-ext-authz-grpc', [{ to: [{ operation: { paths: ['/a/{*}'] } }] }])]);
    assert.deepEqual(f.http[0].config.shadowRules.policies, { 'istio-ext-authz-ns[foo]-policy[ext-authz]-rule[0]': { permissions: [ANY], principals: [ANY] } });
    assert.ok(f.push.issues.some((i) => i.name === 'ext-authz' && i.severity === 'error' && /applies to every request/.test(i.message)));
  });
});

describe('ext_authz filters in the generated listeners', () => {
  const httpbin = res(
    'ServiceEntry',
    'httpbin',
    {
      hosts: ['httpbin.foo.svc.cluster.local'],
      location: 'MESH_INTERNAL',
      resolution: 'STATIC',
      ports: [
        { number: 8000, name: 'http', protocol: 'HTTP' },
        { number: 9000, name: 'tcp', protocol: 'TCP' },
      ],
      workloadSelector: { labels: { app: 'httpbin' } },
    },
    'foo',
  );

  it('sidecar inbound: shadow RBAC and ext_authz before DENY on HTTP chains and before tcp_proxy on TCP chains; everything encodes', () => {
    const p = push([httpbin, EXT_AUTHZ_SERVICE, custom('ext-authz', 'sample-ext-authz-grpc'), ap('deny-delete', { action: 'DENY', rules: [{ to: [{ operation: { methods: ['DELETE'] } }] }] }, 'foo')], MESH);
    const proxy = capturedSidecar('10.1.0.9', { app: 'httpbin' }, 'foo');
    generateSnapshot(p, proxy, { privilegedPortOffset: 8000, log: { error: (m, f) => assert.fail(`${m} ${JSON.stringify(f)}`) } });
    assert.deepEqual(p.issues.filter((i) => i.category === 'internal'), [], 'every resource encodes');
    const g = generate(p, proxy);
    const vi = normalize(TYPE_URLS.listener, g.byName(g.listeners, 'virtualInbound'));
    const chain = (name: string) => vi.filterChains.find((c: any) => c.name === name);
    assert.deepEqual(
      chain('0.0.0.0_8000').filters[0].typedConfig.httpFilters.map((f: HttpFilter) => f.name),
      ['envoy.filters.http.rbac', 'envoy.filters.http.ext_authz', 'envoy.filters.http.rbac', 'envoy.filters.http.fault', 'envoy.filters.http.cors', 'envoy.filters.http.router'],
    );
    assert.deepEqual(
      chain('0.0.0.0_9000').filters.map((f: any) => f.name),
      ['envoy.filters.network.rbac', 'envoy.filters.network.ext_authz', 'envoy.filters.network.rbac', 'envoy.filters.network.tcp_proxy'],
    );
    // The authorizer's cluster is one the sidecar has.
    assert.ok(g.clusters.some((c: any) => c.name === 'outbound|9000||ext-authz.foo.svc.cluster.local'));
  });

  it('gateway: a CUSTOM policy selecting the ingress gateway puts ext_authz in its HTTP connection managers', () => {
    const p = push(
      [
        EXT_AUTHZ_SERVICE,
        res('Gateway', 'gw', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] }, 'istio-system'),
        ap('ext-authz', { selector: { matchLabels: { istio: 'ingressgateway' } }, action: 'CUSTOM', provider: { name: 'sample-ext-authz-http' }, rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }] }, 'istio-system'),
      ],
      MESH,
    );
    const g = generate(p, gateway());
    assert.deepEqual(p.issues.filter((i) => i.category === 'internal'), []);
    const hcm = normalize(TYPE_URLS.listener, g.byName(g.listeners, '0.0.0.0_80')).filterChains[0].filters[0].typedConfig;
    assert.deepEqual(
      hcm.httpFilters.map((f: HttpFilter) => f.name),
      ['envoy.filters.http.rbac', 'envoy.filters.http.ext_authz', 'envoy.filters.http.fault', 'envoy.filters.http.cors', 'envoy.filters.http.router'],
    );
    assert.deepEqual(hcm.httpFilters[0].typedConfig.shadowRules.policies, {
      'istio-ext-authz-ns[istio-system]-policy[ext-authz]-rule[0]': { permissions: [{ urlPath: { path: { prefix: '/admin' } } }], principals: [ANY] },
    });
  });
});
