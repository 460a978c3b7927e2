// RequestAuthentication → Envoy jwt_authn (and the RBAC matchers that read
// what it verified), with Istio's JWT task policies, checked after a round
// trip through Envoy's protos; jwksUri fetched by pilot from a real local
// HTTP server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import { waitFor } from '@mesh/testing';
import { CONFIG_TYPE_URLS, TYPE_URLS, normalize } from '@mesh/xds';
import type { ConfigResource } from '@mesh/contracts';
import { PushContext } from '../model/push-context.ts';
import { JwksResolver } from '../jwks-resolver.ts';
import { authorizationFilters } from './authorization.ts';
import { checkJwks, failClosedJwks, requestAuthentication } from './request-authentication.ts';
import { generateSnapshot } from './index.ts';
import { capturedSidecar, gateway, generate, push, res } from '../test-support.ts';
import { testJwks } from './request-authentication.test-support.ts';

const ISSUER = 'testing@secure.istio.io';
const ra = (name: string, spec: Record<string, unknown>, namespace = 'foo') => res('RequestAuthentication', name, spec, namespace);
const httpbin = { namespace: 'foo', labels: { app: 'httpbin' } };

function jwtConfig(p: PushContext, w = httpbin) {
  const f = requestAuthentication(p, w).filter;
  return f && { name: f.name, config: normalize(CONFIG_TYPE_URLS.jwtAuthn, f.typedConfig!) };
}

describe('RequestAuthentication translation', () => {
  it("Istio's task (jwt-example on httpbin): one provider, any provider or no token, CORS preflight bypassed", () => {
    const jwks = testJwks();
    const p = push([ra('jwt-example', { selector: { matchLabels: { app: 'httpbin' } }, jwtRules: [{ issuer: ISSUER, jwks }] })]);
    assert.deepEqual(jwtConfig(p), {
      name: 'envoy.filters.http.jwt_authn',
      config: {
        providers: {
          'origins-0': { issuer: ISSUER, localJwks: { inlineString: jwks }, payloadInMetadata: ISSUER, normalizePayloadInMetadata: { spaceDelimitedClaims: ['scope', 'permission'] } },
        },
        rules: [{ match: { prefix: '/' }, requires: { requiresAny: { requirements: [{ providerName: 'origins-0' }, { allowMissing: {} }] } } }],
        bypassCorsPreflight: true,
      },
    });
    assert.deepEqual(p.issues, []);
    assert.equal(jwtConfig(p, { namespace: 'foo', labels: { app: 'sleep' } }), undefined, 'only the selected workload');
    assert.equal(jwtConfig(p, { namespace: 'bar', labels: { app: 'httpbin' } }), undefined, 'only its namespace');
  });

  it('translates every rule field; policies of the root namespace (mesh-wide), the namespace and the workload add up, oldest first', () => {
    const jwks = testJwks();
    const p = push([
      ra('mesh', { jwtRules: [{ issuer: 'mesh-issuer', jwks }] }, 'istio-system'),
      ra('ns', {
        jwtRules: [
          {
            issuer: ISSUER,
            jwks,
            audiences: ['bookstore.example.com'],
            fromHeaders: [{ name: 'X-Jwt-Assertion', prefix: 'Bearer ' }],
            fromParams: ['my_token'],
            fromCookies: ['session'],
            forwardOriginalToken: true,
            outputPayloadToHeader: 'x-jwt-payload',
            outputClaimToHeaders: [{ header: 'x-jwt-claim-group', claim: 'group' }],
            spaceDelimitedClaims: ['roles'],
          },
        ],
      }),
    ]);
    const c = jwtConfig(p)!.config;
    assert.deepEqual(Object.keys(c.providers), ['origins-0', 'origins-1']);
    assert.equal(c.providers['origins-0'].issuer, 'mesh-issuer');
    assert.deepEqual(c.providers['origins-1'], {
      issuer: ISSUER,
      audiences: ['bookstore.example.com'],
      localJwks: { inlineString: jwks },
      forward: true,
      fromHeaders: [{ name: 'x-jwt-assertion', valuePrefix: 'Bearer ' }],
      fromParams: ['my_token'],
      fromCookies: ['session'],
      forwardPayloadHeader: 'x-jwt-payload',
      claimToHeaders: [{ headerName: 'x-jwt-claim-group', claimName: 'group' }],
      payloadInMetadata: ISSUER,
      normalizePayloadInMetadata: { spaceDelimitedClaims: ['scope', 'permission', 'roles'] },
    });
    assert.deepEqual(c.rules[0].requires.requiresAny.requirements, [{ providerName: 'origins-0' }, { providerName: 'origins-1' }, { allowMissing: {} }]);
    assert.deepEqual(requestAuthentication(p, httpbin).issuers, [ISSUER, 'mesh-issuer'].sort());
  });

  it('fails closed: a JWKS that cannot be used, a JWKS URI without a fetcher and an unreadable policy get a key no one holds; each is reported', () => {
    const p = push([
      ra('bad-jwks', { jwtRules: [{ issuer: 'a', jwks: '{"keys":[{"kty":"RSA","e":"AQAB"},{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}' }] }),
      ra('uri', { jwtRules: [{ issuer: 'b', jwksUri: 'https://idp.example/jwks.json' }] }),
      ra('unreadable', { jwtRules: [{ issuer: 'c', jwks: testJwks(), bogus: true }] }),
    ]);
    const c = jwtConfig(p)!.config;
    const fake = failClosedJwks();
    assert.equal(checkJwks(fake), undefined, 'a well-formed JWKS: the proxy accepts it');
    assert.deepEqual(
      Object.values(c.providers).map((x: any) => [x.issuer ?? '(any)', x.localJwks.inlineString === fake]),
      [
        ['a', true],
        ['b', true],
        ['(any)', true],
      ],
    );
    const errors = p.issues.filter((i) => i.severity === 'error').map((i) => `${i.name} ${i.field} ${i.category}: ${i.message}`);
    assert.deepEqual(errors, [
      'bad-jwks spec.jwtRules[0].jwks invalid: the JWKS has no usable signature verification key: every token of issuer a is rejected',
      'uri spec.jwtRules[0].jwksUri unresolved: could not fetch https://idp.example/jwks.json (pilot has no JWKS fetcher): every token of issuer b is rejected',
      'unreadable spec.jwtRules[0].bogus invalid: is not a field of JWTRule; the policy cannot be read, so every request carrying a token to the workloads of namespace foo is rejected',
    ]);
  });

  it('puts jwt_authn before the RBAC filters (whose request principal and claim matchers read its payloads) on sidecars and gateways; everything encodes', () => {
    const mesh: ConfigResource[] = [
      res('ServiceEntry', 'httpbin', { hosts: ['httpbin.foo.svc.cluster.local'], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 8000, name: 'http', protocol: 'HTTP', targetPort: 80 }], workloadSelector: { labels: { app: 'httpbin' } } }, 'foo'),
      res('WorkloadEntry', 'httpbin', { address: '10.1.0.9', labels: { app: 'httpbin' } }, 'foo'),
      ra('jwt-example', { selector: { matchLabels: { app: 'httpbin' } }, jwtRules: [{ issuer: ISSUER, jwks: testJwks() }] }),
      res('AuthorizationPolicy', 'require-jwt', { selector: { matchLabels: { app: 'httpbin' } }, action: 'ALLOW', rules: [{ from: [{ source: { requestPrincipals: [`${ISSUER}/${ISSUER}`] } }], when: [{ key: 'request.auth.claims[groups]', values: ['group1'] }] }] }, 'foo'),
      ra('gw-jwt', { selector: { matchLabels: { istio: 'ingressgateway' } }, jwtRules: [{ issuer: 'gw-issuer', jwks: testJwks() }] }, 'istio-system'),
      res('AuthorizationPolicy', 'gw-any', { selector: { matchLabels: { istio: 'ingressgateway' } }, rules: [{ from: [{ source: { requestPrincipals: ['*'] } }] }] }, 'istio-system'),
      res('Gateway', 'gw', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] }, 'istio-system'),
    ];
    const p = push(mesh);
    const proxy = capturedSidecar('10.1.0.9', { app: 'httpbin' }, 'foo');
    generateSnapshot(p, proxy, { privilegedPortOffset: 8000, log: { error: (m, f) => assert.fail(`${m} ${JSON.stringify(f)}`) } });
    assert.deepEqual(p.issues.filter((i) => i.category === 'internal' || i.severity === 'error'), [], 'every resource encodes');
    const g = generate(p, proxy);
    const vi = normalize(TYPE_URLS.listener, g.byName(g.listeners, 'virtualInbound'));
    const httpChain = vi.filterChains.find((c: any) => c.filters[0].name === 'envoy.filters.network.http_connection_manager');
    const filters = httpChain.filters[0].typedConfig.httpFilters;
    assert.deepEqual(
      filters.map((f: any) => f.name),
      ['envoy.filters.http.jwt_authn', 'envoy.filters.http.rbac', 'envoy.filters.http.fault', 'envoy.filters.http.cors', 'envoy.filters.http.router'],
    );
    const meta = (path: string[], value: object) => ({ metadata: { filter: 'envoy.filters.http.jwt_authn', path: path.map((key) => ({ key })), value } });
    assert.deepEqual(filters[1].typedConfig.rules.policies['ns[foo]-policy[require-jwt]-rule[0]'].principals, [
      {
        andIds: {
          ids: [
            meta([ISSUER, 'sub'], { stringMatch: { exact: ISSUER } }),
            { orIds: { ids: [meta([ISSUER, 'groups'], { stringMatch: { exact: 'group1' } }), meta([ISSUER, 'groups'], { listMatch: { oneOf: { stringMatch: { exact: 'group1' } } } })] } },
          ],
        },
      },
    ]);
    const gw = generate(p, gateway());
    const hcm = normalize(TYPE_URLS.listener, gw.byName(gw.listeners, '0.0.0.0_80')).filterChains[0].filters[0].typedConfig;
    assert.deepEqual(
      hcm.httpFilters.map((f: any) => f.name),
      ['envoy.filters.http.jwt_authn', 'envoy.filters.http.rbac', 'envoy.filters.http.fault', 'envoy.filters.http.cors', 'envoy.filters.http.router'],
    );
    assert.deepEqual(Object.values(hcm.httpFilters[0].typedConfig.providers).map((x: any) => x.issuer), ['gw-issuer']);
    assert.deepEqual(hcm.httpFilters[1].typedConfig.rules.policies['ns[istio-system]-policy[gw-any]-rule[0]'].principals, [meta(['gw-issuer', 'sub'], { stringMatch: { safeRegex: { regex: '.+' } } })]);
  });

  it('splits request principals at each accepted issuer (issuers with slashes, prefix and suffix wildcards); with no issuer they match nothing', () => {
    const policy = (values: string[]) =>
      res('AuthorizationPolicy', 'p', { selector: { matchLabels: { app: 'httpbin' } }, rules: [{ from: [{ source: { requestPrincipals: values } }] }] }, 'foo');
    const principalsOf = (configs: ConfigResource[]) => {
      const f = authorizationFilters(push(configs), httpbin).http.find((x) => x.name === 'envoy.filters.http.rbac')!;
      return normalize(CONFIG_TYPE_URLS.rbac, f.typedConfig!).rules.policies['ns[foo]-policy[p]-rule[0]'].principals[0];
    };
    const issuers = [ra('a', { jwtRules: [{ issuer: 'https://idp.example/realms/x', jwks: testJwks() }, { issuer: 'other', jwks: testJwks() }] })];
    const sub = (iss: string, m: object) => ({ metadata: { filter: 'envoy.filters.http.jwt_authn', path: [{ key: iss }, { key: 'sub' }], value: { stringMatch: m } } });
    assert.deepEqual(principalsOf([...issuers, policy(['https://idp.example/realms/x/alice'])]), sub('https://idp.example/realms/x', { exact: 'alice' }));
    assert.deepEqual(principalsOf([...issuers, policy(['https://idp.example/*'])]), sub('https://idp.example/realms/x', { safeRegex: { regex: '.+' } }));
    assert.deepEqual(principalsOf([...issuers, policy(['other/adm*'])]), sub('other', { prefix: 'adm' }));
    assert.deepEqual(principalsOf([...issuers, policy(['*x/alice'])]), {
      orIds: { ids: [sub('https://idp.example/realms/x', { suffix: 'x/alice' }), sub('https://idp.example/realms/x', { exact: 'alice' }), sub('other', { suffix: 'x/alice' })] },
    });
    assert.deepEqual(principalsOf([policy(['*'])]), { notId: { any: true } }, 'no RequestAuthentication: no token is ever verified here');
  });
});

describe('jwksUri: pilot fetches the keys itself and inlines them', () => {
  let server: http.Server;
  let body = '';
  let status = 200;
  let requests = 0;
  let url = '';

  before(async () => {
    server = http.createServer((_req, res) => {
      requests++;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });

  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('rejects every token while the first fetch runs, inlines the keys when they arrive (pushing), refreshes, keeps the last good keys when a refresh fails', async () => {
    body = testJwks();
    const changes: string[] = [];
    const resolver = new JwksResolver({ onChange: (u) => changes.push(u), refreshMs: 3_600_000 });
    try {
      const config = [ra('jwt', { jwtRules: [{ issuer: ISSUER, jwksUri: url, timeout: '2s' }] })];
      const jwksOf = () => {
        const p = new PushContext({ configs: config }, { domainSuffix: 'cluster.local', version: 'test', jwks: resolver });
        return { inline: jwtConfig(p)!.config.providers['origins-0'].localJwks.inlineString as string, issues: p.issues.map((i) => `${i.severity} ${i.field}: ${i.message}`) };
      };
      const first = jwksOf();
      assert.equal(first.inline, failClosedJwks());
      assert.deepEqual(first.issues, [`warning spec.jwtRules[0].jwksUri: fetching ${url}: until it arrives every token of issuer ${ISSUER} is rejected`]);
      await waitFor('fetched', () => changes.length === 1);
      assert.deepEqual(JSON.parse(jwksOf().inline), JSON.parse(body));
      assert.deepEqual(jwksOf().issues, []);

      // New keys at the IdP: the refresh notices and asks for a push; the same keys again do not.
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      body = JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'rotated' }] });
      await resolver.refreshAll();
      assert.equal(changes.length, 2);
      assert.equal(JSON.parse(jwksOf().inline).keys[0].kid, 'rotated');
      await resolver.refreshAll();
      assert.equal(changes.length, 2);

      status = 503;
      await resolver.refreshAll();
      assert.equal(JSON.parse(jwksOf().inline).keys[0].kid, 'rotated', 'the last good keys stay');
      assert.match(jwksOf().issues[0], /^warning spec\.jwtRules\[0\]\.jwksUri: .*the last refresh failed \(HTTP 503\)/);
      assert.ok(requests >= 4);
    } finally {
      status = 200;
      resolver.close();
    }
  });

  it('reports a URI that never answered with keys, and bounds what it reads', async () => {
    const resolver = new JwksResolver({ onChange: () => {}, maxBytes: 1024 });
    try {
      body = JSON.stringify({ keys: [{ kty: 'oct', k: 'x'.repeat(2048) }] });
      const big = resolver.get(`${url}?big`);
      assert.deepEqual(big, { error: 'the keys are being fetched', pending: true });
      await resolver.settled();
      assert.deepEqual(resolver.get(`${url}?big`), { error: 'the JWKS is larger than 1024 bytes' });
      body = 'not json';
      resolver.get(`${url}?bad`);
      await resolver.settled();
      assert.deepEqual(resolver.get(`${url}?bad`), { error: 'the response is not JSON' });
    } finally {
      resolver.close();
    }
  });
});
