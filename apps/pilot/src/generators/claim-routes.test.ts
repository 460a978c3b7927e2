// VirtualService matches on JWT claims (@request.auth.claims.<name>, Istio's
// "JWT claim based routing"): at a gateway each becomes RouteMatch.dynamicMetadata
// on what jwt_authn verified, one Envoy route per accepted issuer.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TYPE_URLS, decodeMessage, encodeMessage, normalize } from '@mesh/xds';
import type { ConfigResource } from '@mesh/contracts';
import { gateway, generate, push, res, sidecar } from '../test-support.ts';
import { testJwks } from './request-authentication.test-support.ts';

const SERVICES = ['v1', 'v2'].map((v) =>
  res('ServiceEntry', `httpbin-${v}`, { hosts: [`httpbin-${v}.foo.svc.cluster.local`], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 8000, name: 'http', protocol: 'HTTP' }], endpoints: [{ address: '10.0.0.1' }] }, 'foo'),
);
const GATEWAY = res('Gateway', 'gw', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] }, 'istio-system');
const jwt = (issuers: string[]) =>
  res('RequestAuthentication', 'jwt', { selector: { matchLabels: { istio: 'ingressgateway' } }, jwtRules: issuers.map((issuer) => ({ issuer, jwks: testJwks() })) }, 'istio-system');

function vs(match: Record<string, unknown>, gateways: string[] = ['istio-system/gw']): ConfigResource {
  return res(
    'VirtualService',
    'claims',
    {
      hosts: ['*'],
      gateways,
      http: [
        { name: 'group1', match: [match], route: [{ destination: { host: 'httpbin-v2.foo.svc.cluster.local' } }] },
        { name: 'rest', route: [{ destination: { host: 'httpbin-v1.foo.svc.cluster.local' } }] },
      ],
    },
    'foo',
  );
}

/** The gateway's routes for port 80, as the proxy decodes them. */
function gatewayRoutes(configs: ConfigResource[]) {
  const p = push([...SERVICES, GATEWAY, ...configs]);
  const g = generate(p, gateway());
  const rc = g.byName(g.routes, 'http.80');
  const wire = normalize(TYPE_URLS.route, rc);
  decodeMessage(TYPE_URLS.route, encodeMessage(TYPE_URLS.route, rc));
  return { push: p, routes: wire.virtualHosts[0].routes as any[] };
}

const claim = (iss: string, path: string[], value: object, invert = false) => ({
  filter: 'envoy.filters.http.jwt_authn',
  path: [iss, ...path].map((key) => ({ key })),
  value,
  ...(invert ? { invert: true } : {}),
});
const str = (m: object) => ({ stringMatch: m });
const list = (m: object) => ({ listMatch: { oneOf: { stringMatch: m } } });

describe('VirtualService JWT claim matches at a gateway', () => {
  it('headers @request.auth.claims.groups: one route per accepted issuer and claim shape (string, or a list holding it), in order, never a header matcher', () => {
    const r = gatewayRoutes([jwt(['issuer-a', 'issuer-b']), vs({ headers: { '@request.auth.claims.groups': { exact: 'group1' }, 'x-real': { exact: 'yes' } } })]);
    const group1 = r.routes.filter((x) => x.name.startsWith('group1'));
    assert.deepEqual(
      group1.map((x) => [x.name, x.match.dynamicMetadata]),
      [
        ['group1.0', [claim('issuer-a', ['groups'], str({ exact: 'group1' }))]],
        ['group1.1', [claim('issuer-a', ['groups'], list({ exact: 'group1' }))]],
        ['group1.2', [claim('issuer-b', ['groups'], str({ exact: 'group1' }))]],
        ['group1.3', [claim('issuer-b', ['groups'], list({ exact: 'group1' }))]],
      ],
    );
    // The pseudo-header is not matched against a request header of that name; real headers still are.
    for (const x of group1) assert.deepEqual(x.match.headers, [{ name: 'x-real', stringMatch: { exact: 'yes' } }]);
    for (const x of group1) assert.equal(x.route.cluster, 'outbound|8000||httpbin-v2.foo.svc.cluster.local');
    assert.equal(r.routes.at(-1).name, 'rest');
  });

  it('nested claims (a.b) and prefix / regex / presence values', () => {
    const r = gatewayRoutes([jwt(['issuer-a']), vs({ headers: { '@request.auth.claims.nested.key': { prefix: 'adm' }, '@request.auth.claims.email': {} } })]);
    assert.deepEqual(
      r.routes.filter((x) => x.name.startsWith('group1')).map((x) => x.match.dynamicMetadata),
      [
        [claim('issuer-a', ['nested', 'key'], str({ prefix: 'adm' })), claim('issuer-a', ['email'], { presentMatch: true })],
        [claim('issuer-a', ['nested', 'key'], list({ prefix: 'adm' })), claim('issuer-a', ['email'], { presentMatch: true })],
      ],
    );
    const re = gatewayRoutes([jwt(['issuer-a']), vs({ headers: { '@request.auth.claims.sub': { regex: 'user-[0-9]+' } } })]);
    assert.deepEqual(re.routes[0].match.dynamicMetadata, [claim('issuer-a', ['sub'], str({ safeRegex: { regex: 'user-[0-9]+' } }))]);
  });

  it('withoutHeaders: the claim matches in no accepted issuer, in neither shape (inverted matchers, one route)', () => {
    const r = gatewayRoutes([jwt(['issuer-a', 'issuer-b']), vs({ withoutHeaders: { '@request.auth.claims.groups': { exact: 'banned' } } })]);
    const group1 = r.routes.filter((x) => x.name.startsWith('group1'));
    assert.deepEqual(
      group1.map((x) => [x.name, x.match.dynamicMetadata]),
      [
        [
          'group1',
          [
            claim('issuer-a', ['groups'], str({ exact: 'banned' }), true),
            claim('issuer-a', ['groups'], list({ exact: 'banned' }), true),
            claim('issuer-b', ['groups'], str({ exact: 'banned' }), true),
            claim('issuer-b', ['groups'], list({ exact: 'banned' }), true),
          ],
        ],
      ],
    );
  });

  it('no RequestAuthentication accepts a token at the gateway: the claim match never holds, so its route is left out and reported', () => {
    const r = gatewayRoutes([vs({ headers: { '@request.auth.claims.groups': { exact: 'group1' } } })]);
    assert.deepEqual(
      r.routes.map((x) => x.name),
      ['rest'],
    );
    assert.ok(r.push.issues.some((i) => i.kind === 'VirtualService' && i.field === 'spec.http[0].match[0]' && /no RequestAuthentication of this gateway accepts a token/.test(i.message)));
    // A RequestAuthentication of another workload does not count.
    const other = res('RequestAuthentication', 'jwt', { selector: { matchLabels: { app: 'httpbin' } }, jwtRules: [{ issuer: 'issuer-a', jwks: testJwks() }] }, 'istio-system');
    assert.deepEqual(
      gatewayRoutes([other, vs({ headers: { '@request.auth.claims.groups': { exact: 'group1' } } })]).routes.map((x) => x.name),
      ['rest'],
    );
  });

  it('bound to sidecars (mesh): a claim match never holds there (no verified token), reported by the support findings', () => {
    const mesh = vs({ headers: { '@request.auth.claims.groups': { exact: 'group1' } } }, ['mesh']);
    mesh.spec = { ...mesh.spec, hosts: ['httpbin-v1.foo.svc.cluster.local'] };
    const p = push([...SERVICES, jwt(['issuer-a']), mesh]);
    const g = generate(p, sidecar());
    const all = JSON.stringify(g.routes.map((r: any) => normalize(TYPE_URLS.route, r)));
    assert.ok(all.includes('"name":"rest"'), 'the VirtualService applies to the sidecar');
    assert.ok(!all.includes('group1'), 'the claim route is not in the sidecar route table');
    assert.ok(!all.includes('@request.auth.claims'), 'never a header matcher');
    assert.ok(p.issues.some((i) => i.kind === 'VirtualService' && i.severity === 'warning' && /JWT claim matches are implemented at gateways only/.test(i.message)));
  });
});
