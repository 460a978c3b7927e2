// AuthorizationPolicy → Envoy RBAC, with the policies of Istio's tasks
// (Bookinfo's HTTP traffic, explicit deny, TCP traffic), checked after a
// round trip through Envoy's protos.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CONFIG_TYPE_URLS, TYPE_URLS, normalize } from '@mesh/xds';
import type { ConfigResource } from '@mesh/contracts';
import { authorizationFilters } from './authorization.ts';
import { generateSnapshot } from './index.ts';
import { capturedSidecar, gateway, generate, push, res } from '../test-support.ts';
import { testJwks } from './request-authentication.test-support.ts';

const ap = (name: string, spec: Record<string, unknown>, namespace = 'default') => res('AuthorizationPolicy', name, spec, namespace);

/** The HTTP and TCP RBAC filters of a workload, decoded through the protos. */
function filters(configs: ConfigResource[], namespace: string, labels: Record<string, string>) {
  const p = push(configs);
  const f = authorizationFilters(p, { namespace, labels });
  return {
    push: p,
    // The RBAC filters only (a RequestAuthentication's jwt_authn filter comes first: request-authentication.test.ts).
    http: f.http.filter((x) => x.name !== 'envoy.filters.http.jwt_authn').map((x) => ({ name: x.name, config: normalize(CONFIG_TYPE_URLS.rbac, x.typedConfig!) })),
    tcp: f.tcp.map((x) => ({ name: x.name, config: normalize(CONFIG_TYPE_URLS.networkRbac, x.typedConfig!) })),
  };
}

const ANY = { any: true };
const GET = { header: { name: ':method', stringMatch: { exact: 'GET' } } };

describe('AuthorizationPolicy translation (Istio task policies)', () => {
  const allowNothing = ap('allow-nothing', {});

  it('allow-nothing: an ALLOW filter without policies on HTTP and TCP, for every workload of the namespace only', () => {
    const f = filters([allowNothing], 'default', { app: 'productpage' });
    assert.deepEqual(f.http, [{ name: 'envoy.filters.http.rbac', config: { rules: { action: 'ALLOW' } } }]);
    assert.deepEqual(f.tcp, [{ name: 'envoy.filters.network.rbac', config: { rules: { action: 'ALLOW' }, statPrefix: 'tcp.' } }]);
    assert.deepEqual(filters([allowNothing], 'other', { app: 'x' }).http, []);
    // In the root namespace it applies mesh-wide.
    assert.equal(filters([ap('allow-nothing', {}, 'istio-system')], 'other', { app: 'x' }).http.length, 1);
  });

  it('productpage-viewer: GET from anyone, on the selected workload', () => {
    const viewer = ap('productpage-viewer', { selector: { matchLabels: { app: 'productpage' } }, action: 'ALLOW', rules: [{ to: [{ operation: { methods: ['GET'] } }] }] });
    const f = filters([allowNothing, viewer], 'default', { app: 'productpage', version: 'v1' });
    assert.deepEqual(f.http, [
      { name: 'envoy.filters.http.rbac', config: { rules: { action: 'ALLOW', policies: { 'ns[default]-policy[productpage-viewer]-rule[0]': { permissions: [GET], principals: [ANY] } } } } },
    ]);
    // Its only rule uses an HTTP-only field: on TCP ports it allows nothing (and says so).
    assert.deepEqual(f.tcp, [{ name: 'envoy.filters.network.rbac', config: { rules: { action: 'ALLOW' }, statPrefix: 'tcp.' } }]);
    assert.ok(f.push.issues.some((i) => i.name === 'productpage-viewer' && i.severity === 'warning' && /HTTP-only fields \(to\[0\]\.operation\.methods\)/.test(i.message)));
    assert.deepEqual(filters([viewer], 'default', { app: 'reviews' }).http, []);
  });

  it('details-viewer / reviews-viewer: GET from the productpage service account (its SPIFFE id)', () => {
    const rule = { from: [{ source: { principals: ['cluster.local/ns/default/sa/bookinfo-productpage'] } }], to: [{ operation: { methods: ['GET'] } }] };
    const f = filters(
      [ap('details-viewer', { selector: { matchLabels: { app: 'details' } }, action: 'ALLOW', rules: [rule] }), ap('reviews-viewer', { selector: { matchLabels: { app: 'reviews' } }, action: 'ALLOW', rules: [rule] })],
      'default',
      { app: 'details' },
    );
    assert.deepEqual(f.http[0].config.rules.policies, {
      'ns[default]-policy[details-viewer]-rule[0]': {
        permissions: [GET],
        principals: [{ authenticated: { principalName: { exact: 'spiffe://cluster.local/ns/default/sa/bookinfo-productpage' } } }],
      },
    });
  });

  it('deny-method-get with when request.headers[x-token] notValues admin: DENY before ALLOW; on TCP the HTTP-only parts are dropped (denies all)', () => {
    const deny = ap('deny-method-get', { selector: { matchLabels: { app: 'httpbin' } }, action: 'DENY', rules: [{ to: [{ operation: { methods: ['GET'] } }], when: [{ key: 'request.headers[x-token]', notValues: ['admin'] }] }] }, 'foo');
    const allow = ap('allow-path-ip', { selector: { matchLabels: { app: 'httpbin' } }, action: 'ALLOW', rules: [{ from: [{ source: { ipBlocks: ['10.0.0.0/8', '192.168.1.1'] } }], to: [{ operation: { paths: ['/ip', '/headers/*'] } }] }] }, 'foo');
    const f = filters([allow, deny], 'foo', { app: 'httpbin' });
    assert.deepEqual(
      f.http.map((x) => x.config.rules.action),
      ['DENY', 'ALLOW'],
    );
    assert.deepEqual(f.http[0].config.rules.policies['ns[foo]-policy[deny-method-get]-rule[0]'], {
      permissions: [GET],
      principals: [{ notId: { header: { name: 'x-token', stringMatch: { exact: 'admin' } } } }],
    });
    assert.deepEqual(f.http[1].config.rules.policies['ns[foo]-policy[allow-path-ip]-rule[0]'], {
      permissions: [{ orRules: { rules: [{ urlPath: { path: { exact: '/ip' } } }, { urlPath: { path: { prefix: '/headers/' } } }] } }],
      principals: [
        {
          orIds: {
            ids: [
              { directRemoteIp: { addressPrefix: '10.0.0.0', prefixLen: { value: 8 } } },
              { directRemoteIp: { addressPrefix: '192.168.1.1', prefixLen: { value: 32 } } },
            ],
          },
        },
      ],
    });
    assert.deepEqual(f.tcp[0].config.rules.policies['ns[foo]-policy[deny-method-get]-rule[0]'], { permissions: [ANY], principals: [ANY] });
  });

  it('tcp-policy: ports 9000 and 9001; with methods added the ALLOW rule is left out on TCP', () => {
    const spec = (op: Record<string, unknown>) => ({ selector: { matchLabels: { app: 'tcp-echo' } }, action: 'ALLOW', rules: [{ to: [{ operation: op }] }] });
    const f = filters([ap('tcp-policy', spec({ ports: ['9000', '9001'] }), 'foo')], 'foo', { app: 'tcp-echo' });
    assert.deepEqual(f.tcp, [
      {
        name: 'envoy.filters.network.rbac',
        config: {
          rules: { action: 'ALLOW', policies: { 'ns[foo]-policy[tcp-policy]-rule[0]': { permissions: [{ orRules: { rules: [{ destinationPort: 9000 }, { destinationPort: 9001 }] } }], principals: [ANY] } } },
          statPrefix: 'tcp.',
        },
      },
    ]);
    const withMethods = filters([ap('tcp-policy', spec({ methods: ['GET'], ports: ['9000'] }), 'foo')], 'foo', { app: 'tcp-echo' });
    assert.equal(withMethods.tcp[0].config.rules.policies, undefined);
    assert.deepEqual(withMethods.http[0].config.rules.policies['ns[foo]-policy[tcp-policy]-rule[0]'].permissions, [{ andRules: { rules: [GET, { destinationPort: 9000 }] } }]);
    // A DENY of GET on 9000 keeps its TCP part on TCP: every connection to 9000 is denied.
    const denyGet = filters([ap('tcp-deny', { ...spec({ methods: ['GET'], ports: ['9000'] }), action: 'DENY' }, 'foo')], 'foo', { app: 'tcp-echo' });
    assert.deepEqual(denyGet.tcp[0].config.rules.policies['ns[foo]-policy[tcp-deny]-rule[0]'], { permissions: [{ destinationPort: 9000 }], principals: [ANY] });
  });

  it('translates namespaces, hosts, notX fields and conditions of both sides', () => {
    const f = filters(
      [
        // Request principals and claims are matched in what jwt_authn verified for this RequestAuthentication's issuer.
        res('RequestAuthentication', 'jwt', { jwtRules: [{ issuer: 'issuer', jwks: testJwks() }] }),
        ap('mixed', {
          rules: [
            {
              from: [{ source: { namespaces: ['prod'], notPrincipals: ['*/sa/evil'], requestPrincipals: ['issuer/*'] } }],
              to: [{ operation: { hosts: ['Example.com'], notPorts: ['8080'] } }],
              when: [
                { key: 'destination.port', values: ['80'] },
                { key: 'request.auth.claims[groups]', values: ['admins'] },
                { key: 'remote.ip', values: ['1.2.3.4'] },
              ],
            },
          ],
        }),
      ],
      'default',
      {},
    );
    assert.deepEqual(f.http[0].config.rules.policies['ns[default]-policy[mixed]-rule[0]'], {
      permissions: [
        {
          andRules: {
            rules: [
              { orRules: { rules: [{ header: { name: ':authority', stringMatch: { exact: 'Example.com', ignoreCase: true } } }, { header: { name: ':authority', stringMatch: { prefix: 'Example.com:', ignoreCase: true } } }] } },
              { notRule: { destinationPort: 8080 } },
              { destinationPort: 80 },
            ],
          },
        },
      ],
      principals: [
        {
          andIds: {
            ids: [
              { notId: { authenticated: { principalName: { suffix: '/sa/evil' } } } },
              { metadata: { filter: 'envoy.filters.http.jwt_authn', path: [{ key: 'issuer' }, { key: 'sub' }], value: { stringMatch: { safeRegex: { regex: '.+' } } } } },
              { authenticated: { principalName: { safeRegex: { regex: '.*/ns/prod/.*' } } } },
              {
                orIds: {
                  ids: [
                    { metadata: { filter: 'envoy.filters.http.jwt_authn', path: [{ key: 'issuer' }, { key: 'groups' }], value: { stringMatch: { exact: 'admins' } } } },
                    { metadata: { filter: 'envoy.filters.http.jwt_authn', path: [{ key: 'issuer' }, { key: 'groups' }], value: { listMatch: { oneOf: { stringMatch: { exact: 'admins' } } } } } },
                  ],
                },
              },
              { remoteIp: { addressPrefix: '1.2.3.4', prefixLen: { value: 32 } } },
            ],
          },
        },
      ],
    });
  });
});

describe('AuthorizationPolicy that cannot be translated: more restrictive, reported', () => {
  it('a DENY rule pilot cannot translate denies everything; an ALLOW rule is left out', () => {
    const bad = { when: [{ key: 'experimental.envoy.filters.network.mysql_proxy[db.table]', values: ['[update]'] }] };
    const f = filters([ap('bad-deny', { action: 'DENY', rules: [bad] }), ap('bad-allow', { action: 'ALLOW', rules: [bad, { to: [{ operation: { ports: ['80'] } }] }] })], 'default', {});
    assert.deepEqual(f.http[0].config.rules.policies['ns[default]-policy[bad-deny]-rule[0]'], { permissions: [ANY], principals: [ANY] });
    assert.deepEqual(Object.keys(f.http[1].config.rules.policies), ['ns[default]-policy[bad-allow]-rule[1]']);
    const errors = f.push.issues.filter((i) => i.severity === 'error').map((i) => `${i.name} ${i.field}: ${i.message}`);
    assert.ok(errors.some((e) => /^bad-deny spec\.rules\[0\]\.when\[0\]\.key: .*denies every request/.test(e)), errors.join('\n'));
    assert.ok(errors.some((e) => /^bad-allow spec\.rules\[0\]\.when\[0\]\.key: .*allows nothing/.test(e)), errors.join('\n'));
  });

  it('CUSTOM naming a provider the mesh config lacks denies what its rules match (ext-authz.test.ts); targetRefs make an ALLOW allow nothing and a DENY deny everything, in the namespace', () => {
    const custom = filters([ap('ext', { action: 'CUSTOM', provider: { name: 'opa' }, rules: [{}] })], 'default', {});
    assert.deepEqual(custom.http[0].config.rules, { action: 'DENY', policies: { 'ns[default]-policy[ext]-rule[0]': { permissions: [ANY], principals: [ANY] } } });
    assert.ok(custom.push.issues.some((i) => i.name === 'ext' && i.severity === 'error' && i.category === 'unresolved'));
    const targeted = filters([ap('gw', { targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }], rules: [{}] })], 'default', { app: 'any' });
    assert.deepEqual(targeted.http, [{ name: 'envoy.filters.http.rbac', config: { rules: { action: 'ALLOW' } } }]);
    assert.ok(targeted.push.issues.some((i) => i.name === 'gw' && i.field === 'spec.targetRef' && i.severity === 'error'));
  });

  it('a dry-run policy only fills shadow rules (counted, not enforced)', () => {
    const p = { ...ap('try-deny', { action: 'DENY', rules: [{ to: [{ operation: { methods: ['DELETE'] } }] }] }) };
    p.metadata = { ...p.metadata, annotations: { 'istio.io/dry-run': 'true' } };
    const f = filters([p], 'default', {});
    assert.deepEqual(f.http[0].config, {
      shadowRules: { action: 'DENY', policies: { 'ns[default]-policy[try-deny]-rule[0]': { permissions: [{ header: { name: ':method', stringMatch: { exact: 'DELETE' } } }], principals: [ANY] } } },
      shadowRulesStatPrefix: 'istio_dry_run_deny_',
    });
  });
});

describe('RBAC filters in the generated listeners', () => {
  const mesh = [
    res('ServiceEntry', 'productpage', {
      hosts: ['productpage.default.svc.cluster.local'],
      location: 'MESH_INTERNAL',
      resolution: 'STATIC',
      ports: [
        { number: 9080, name: 'http', protocol: 'HTTP' },
        { number: 9000, name: 'tcp', protocol: 'TCP' },
      ],
      workloadSelector: { labels: { app: 'productpage' } },
    }),
    ap('deny-delete', { action: 'DENY', rules: [{ to: [{ operation: { methods: ['DELETE'] } }] }] }),
    ap('viewer', { selector: { matchLabels: { app: 'productpage' } }, rules: [{ to: [{ operation: { methods: ['GET'] } }] }] }),
    ap('ingress', { selector: { matchLabels: { istio: 'ingressgateway' } }, rules: [{ from: [{ source: { ipBlocks: ['10.0.0.0/8'] } }] }] }, 'istio-system'),
    res('Gateway', 'gw', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] }, 'istio-system'),
  ];

  it("puts the sidecar's filters in front of fault and router on inbound HTTP chains, and of tcp_proxy on TCP and passthrough chains; everything encodes", () => {
    const p = push(mesh);
    const proxy = capturedSidecar('10.1.0.9', { app: 'productpage' });
    generateSnapshot(p, proxy, { privilegedPortOffset: 8000, log: { error: (m, f) => assert.fail(`${m} ${JSON.stringify(f)}`) } });
    assert.deepEqual(p.issues.filter((i) => i.category === 'internal'), [], 'every resource encodes');
    const vi = normalize(TYPE_URLS.listener, generate(p, proxy).byName(generate(p, proxy).listeners, 'virtualInbound'));
    const chain = (name: string) => vi.filterChains.find((c: any) => c.name === name);
    const httpFilters = chain('0.0.0.0_9080').filters[0].typedConfig.httpFilters;
    assert.deepEqual(
      httpFilters.map((f: any) => [f.name, f.typedConfig.rules?.action]),
      [
        ['envoy.filters.http.rbac', 'DENY'],
        ['envoy.filters.http.rbac', 'ALLOW'],
        ['envoy.filters.http.fault', undefined],
        ['envoy.filters.http.cors', undefined],
        ['envoy.filters.http.router', undefined],
      ],
    );
    for (const name of ['0.0.0.0_9000', 'virtualInbound']) {
      assert.deepEqual(
        chain(name).filters.map((f: any) => [f.name, f.typedConfig.rules?.action]),
        [
          ['envoy.filters.network.rbac', 'DENY'],
          ['envoy.filters.network.rbac', 'ALLOW'],
          ['envoy.filters.network.tcp_proxy', undefined],
        ],
        name,
      );
    }
  });

  it("puts the gateway's filters (selected by istio=ingressgateway from the root namespace) in its HTTP connection managers", () => {
    const p = push(mesh);
    const g = generate(p, gateway());
    const l = normalize(TYPE_URLS.listener, g.byName(g.listeners, '0.0.0.0_80'));
    const hcm = l.filterChains[0].filters[0].typedConfig;
    assert.equal(hcm.httpFilters[0].name, 'envoy.filters.http.rbac');
    assert.deepEqual(hcm.httpFilters[0].typedConfig.rules.policies, {
      'ns[istio-system]-policy[ingress]-rule[0]': { permissions: [ANY], principals: [{ directRemoteIp: { addressPrefix: '10.0.0.0', prefixLen: { value: 8 } } }] },
    });
    assert.equal(hcm.useRemoteAddress.value, true);
  });
});
