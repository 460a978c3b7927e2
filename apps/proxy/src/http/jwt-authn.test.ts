// Envoy's jwt_authn filter as pilot configures it for RequestAuthentication
// (one provider per jwtRule, requires_any [providers..., allow_missing]), and
// the RBAC filters reading its metadata: real HTTP requests through listeners
// built from Envoy resources round-tripped through the protos.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { normalize } from '@mesh/xds';
import { filterTestListener, startHarness, staticCluster, type Harness } from '../listener/listener-test-harness.ts';
import { compileJwtAuthn, JWT_AUTHN_TYPE } from '../config/jwt-config.ts';
import { ConfigError } from '../config/proto-values.ts';
import { JWT_MESSAGES, MAX_TOKEN_BYTES, runJwtAuthn, verifyToken } from './jwt-authn.ts';

type Json = Record<string, unknown>;
const JWT_TYPE_URL = `type.googleapis.com/${JWT_AUTHN_TYPE}`;
const RBAC_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC';
const ISSUER = 'testing@secure.istio.io';
const META = 'envoy.filters.http.jwt_authn';

interface Keys {
  privateKey: CryptoKey;
  jwk: JWK;
}

async function keys(alg: 'RS256' | 'ES256', kid: string): Promise<Keys> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg } };
}

function sign(k: Keys, claims: Json, opts: { alg?: string; kid?: string; exp?: number } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: ISSUER, sub: ISSUER, exp: opts.exp ?? now + 3600, ...claims })
    .setProtectedHeader({ alg: opts.alg ?? String(k.jwk.alg), kid: opts.kid ?? String(k.jwk.kid) })
    .sign(k.privateKey);
}

function provider(jwks: JWK[], extra: Json = {}): Json {
  return { issuer: ISSUER, localJwks: { inlineString: JSON.stringify({ keys: jwks }) }, payloadInMetadata: ISSUER, ...extra };
}

/** Istio's shape: one rule for every path requiring any provider or no token at all. */
function jwtFilter(providers: Record<string, Json>): Json {
  const names = Object.keys(providers);
  return {
    name: 'envoy.filters.http.jwt_authn',
    typedConfig: {
      '@type': JWT_TYPE_URL,
      providers,
      rules: [{ match: { prefix: '/' }, requires: { requiresAny: { requirements: [...names.map((providerName) => ({ providerName })), { allowMissing: {} }] } } }],
      bypassCorsPreflight: true,
    },
  };
}


const metadataIds = (path: string[], value: Json): Json => ({ metadata: { filter: META, path: [ISSUER, ...path].map((key) => ({ key })), value } });

interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString(), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe('jwt_authn filter', () => {
  let h: Harness;
  let app: http.Server;
  let rsa: Keys;
  let ec: Keys;
  let other: Keys;
  let seen: http.IncomingHttpHeaders[] = [];

  before(async () => {
    rsa = await keys('RS256', 'rsa-1');
    ec = await keys('ES256', 'ec-1');
    other = await keys('RS256', 'rsa-1');
    app = http.createServer((req, res) => {
      seen.push(req.headers);
      res.end('app says hi');
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    h = startHarness();
    await h.apply({
      clusters: [staticCluster('app', (app.address() as AddressInfo).port)],
      listeners: [
        filterTestListener('authn', [jwtFilter({ 'origins-0': provider([rsa.jwk, ec.jwk]) })]),
        // AuthorizationPolicy requestPrincipals ["*"] and when request.auth.claims[groups] = group1, as pilot translates them.
        filterTestListener('authz', [
          jwtFilter({ 'origins-0': provider([rsa.jwk]) }),
          {
            name: 'envoy.filters.http.rbac',
            typedConfig: {
              '@type': RBAC_TYPE_URL,
              rules: {
                action: 'ALLOW',
                policies: {
                  'require-jwt': {
                    permissions: [{ any: true }],
                    principals: [
                      {
                        andIds: {
                          ids: [
                            metadataIds(['sub'], { stringMatch: { safeRegex: { regex: '.+' } } }),
                            { orIds: { ids: [metadataIds(['groups'], { stringMatch: { exact: 'group1' } }), metadataIds(['groups'], { listMatch: { oneOf: { stringMatch: { exact: 'group1' } } } })] } },
                          ],
                        },
                      },
                    ],
                  },
                },
              },
            },
          },
        ]),
        filterTestListener('outputs', [
          jwtFilter({
            'origins-0': provider([rsa.jwk], {
              audiences: ['https://bookinfo.example/'],
              forward: true,
              forwardPayloadHeader: 'x-jwt-payload',
              claimToHeaders: [{ headerName: 'x-jwt-group', claimName: 'groups' }, { headerName: 'x-jwt-team', claimName: 'org.team' }],
              fromHeaders: [{ name: 'x-token' }, { name: 'authorization', valuePrefix: 'Bearer ' }],
              fromParams: ['jwt'],
            }),
          }),
        ]),
      ],
    });
  });

  after(async () => {
    await h.close();
    await new Promise<void>((r) => app.close(() => r()));
  });

  it("follows Istio's task: a valid token passes (its header removed), a forged one is 401, none passes", async () => {
    const port = h.port('authn');
    seen = [];
    const ok = await get(port, '/headers', bearer(await sign(rsa, {})));
    assert.equal(ok.status, 200);
    assert.equal(ok.body, 'app says hi');
    assert.equal(seen[0].authorization, undefined, 'forwardOriginalToken false: the token does not reach the app');
    assert.equal((await get(port, '/headers', bearer(await sign(ec, {})))).status, 200, 'an ES256 key of the same JWKS');

    const forged = await sign(other, {});
    const bad = await get(port, '/headers', bearer(forged));
    assert.equal(bad.status, 401);
    assert.equal(bad.body, JWT_MESSAGES.verificationFails);
    assert.equal(bad.headers['www-authenticate'], `Bearer realm="http://127.0.0.1:${port}/headers", error="invalid_token"`);

    const garbage = await get(port, '/headers', bearer('deadbeef'));
    assert.equal(garbage.status, 401);
    assert.equal(garbage.body, JWT_MESSAGES.badFormat);

    assert.equal((await get(port, '/headers')).status, 200, 'no token: allow_missing');
    assert.equal((await get(port, '/headers', { authorization: 'Basic dXNlcjpwYXNz' })).status, 200, 'another scheme holds no token of this provider');
    const before = seen.length;
    await get(port, '/headers', bearer(forged));
    assert.equal(seen.length, before, 'a rejected request never reaches the app');
    const stats = h.stats.httpPrefix('authn').rbac;
    assert.ok((stats.get('jwt_authn.denied') ?? 0) >= 3);
    assert.ok((stats.get('jwt_authn.allowed') ?? 0) >= 4);
  });

  it('checks exp and nbf with 60 s of clock skew, the issuer, and reads the access_token parameter', async () => {
    const port = h.port('authn');
    const now = Math.floor(Date.now() / 1000);
    const expired = await get(port, '/', bearer(await sign(rsa, {}, { exp: now - 120 })));
    assert.equal(expired.status, 401);
    assert.equal(expired.body, JWT_MESSAGES.expired);
    assert.equal((await get(port, '/', bearer(await sign(rsa, {}, { exp: now - 30 })))).status, 200, 'within the skew');
    const early = await get(port, '/', bearer(await sign(rsa, { nbf: now + 600 })));
    assert.equal(early.status, 401);
    assert.equal(early.body, JWT_MESSAGES.notYetValid);
    const stranger = await get(port, '/', bearer(await sign(rsa, { iss: 'someone@else' })));
    assert.equal(stranger.status, 401);
    assert.equal(stranger.body, JWT_MESSAGES.unknownIssuer);
    assert.equal((await get(port, `/?access_token=${await sign(rsa, {})}`)).status, 200);
    assert.equal((await get(port, `/?access_token=${forged(await sign(rsa, {}))}`)).status, 401);
    const noneAlg = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(`{"iss":"${ISSUER}"}`).toString('base64url')}.`;
    assert.equal((await get(port, '/', bearer(noneAlg))).status, 401, 'alg none is never accepted');
  });

  it('lets a CORS preflight through unchecked (bypass_cors_preflight)', async () => {
    const r = await get(h.port('authn'), '/', { ...bearer('deadbeef'), origin: 'https://a.example', 'access-control-request-method': 'GET' }, 'OPTIONS');
    assert.equal(r.status, 200);
  });

  it('gives the RBAC filters the verified payload: requestPrincipals ["*"] denies a request without a token, claims[groups] is matched', async () => {
    const port = h.port('authz');
    const missing = await get(port, '/');
    assert.equal(missing.status, 403);
    assert.equal(missing.body, 'RBAC: access denied');
    assert.equal((await get(port, '/', bearer(await sign(rsa, { groups: ['group1', 'group2'] })))).status, 200);
    assert.equal((await get(port, '/', bearer(await sign(rsa, { groups: 'group1' })))).status, 200);
    assert.equal((await get(port, '/', bearer(await sign(rsa, { groups: ['group2'] })))).status, 403);
    assert.equal((await get(port, '/', bearer(await sign(other, { groups: ['group1'] })))).status, 401, 'jwt_authn answers before RBAC');
  });

  it('checks audiences (403 when none is allowed), forwards the token and writes the payload and claim headers', async () => {
    const port = h.port('outputs');
    const wrong = await get(port, '/', bearer(await sign(rsa, { aud: 'other.example' })));
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body, JWT_MESSAGES.audienceNotAllowed);
    seen = [];
    const token = await sign(rsa, { aud: ['x', 'bookinfo.example'], groups: ['a', 'b'], org: { team: 'blue' } });
    const ok = await get(port, '/', { 'x-token': token, 'x-jwt-team': 'spoofed' });
    assert.equal(ok.status, 200);
    assert.equal(seen[0]['x-token'], token, 'forward: the token stays');
    assert.deepEqual(JSON.parse(Buffer.from(String(seen[0]['x-jwt-payload']), 'base64url').toString()).groups, ['a', 'b']);
    assert.equal(seen[0]['x-jwt-group'], 'a,b');
    assert.equal(seen[0]['x-jwt-team'], 'blue');
    assert.equal((await get(port, `/?jwt=${token}`)).status, 200, 'from_params');
    assert.equal((await get(port, '/', bearer(token))).status, 200, 'the second configured header');
    // With locations configured, the default access_token parameter is not one of them: no token there.
    assert.equal((await get(port, `/?access_token=deadbeef`)).status, 200);
    // Without a token, a client's own copies of the output headers never reach the app.
    seen = [];
    assert.equal((await get(port, '/', { 'x-jwt-team': 'spoofed', 'x-jwt-payload': 'e30', 'x-jwt-group': 'admins' })).status, 200);
    assert.deepEqual([seen[0]['x-jwt-team'], seen[0]['x-jwt-payload'], seen[0]['x-jwt-group']], [undefined, undefined, undefined]);
  });
});

function forged(token: string): string {
  const [h, p, s] = token.split('.');
  return `${h}.${p}.${s.slice(0, -4)}AAAA`;
}

describe('jwt_authn config', () => {
  const compile = (config: Json) => compileJwtAuthn(normalize(JWT_AUTHN_TYPE, config), 'jwt');

  it('refuses (NACKs) what it would not enforce: remote JWKS, unknown providers, JWKS without keys, unknown fields', async () => {
    const k = await keys('RS256', 'k');
    const good = provider([k.jwk]);
    assert.throws(() => compile({ providers: { p: { issuer: ISSUER, remoteJwks: { httpUri: { uri: 'https://example.com/jwks', cluster: 'x', timeout: { seconds: 1 } } } } } }), (e: Error) => e instanceof ConfigError && /remoteJwks/.test(e.message));
    assert.throws(() => compile({ providers: { p: good }, rules: [{ match: { prefix: '/' }, requires: { providerName: 'q' } }] }), /names no provider/);
    assert.throws(() => compile({ providers: { p: { ...good, localJwks: { inlineString: '{"keys":[]}' } } } }), /no usable verification key/);
    assert.throws(() => compile({ providers: { p: { ...good, localJwks: { inlineString: 'not json' } } } }), /not JSON/);
    assert.throws(() => compile({ providers: { p: { ...good, headerInMetadata: 'h' } } }), /headerInMetadata/);
    assert.throws(() => compile({ providers: { p: good }, rules: [{ match: { safeRegex: { regex: '.*' } }, requires: { providerName: 'p' } }] }), /safeRegex/);
    const ok = compile({ providers: { p: good }, rules: [{ match: { prefix: '/' }, requires: { providerName: 'p' } }] });
    assert.equal(ok.providers.get('p')!.locations[0].name, 'authorization');
  });

  it('never throws on hostile tokens and stays bounded (fuzz)', async () => {
    const k = await keys('RS256', 'k');
    const config = compile({ providers: { p: provider([k.jwk]) }, rules: [{ match: { prefix: '/' }, requires: { providerName: 'p' } }] });
    const p = config.providers.get('p')!;
    const valid = await sign(k, {});
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const alphabet = 'ABCxyz019-_.=+/ {}":,\u0000\u00ff\ud800';
    const samples: string[] = [
      '',
      '.',
      '..',
      'a.b.c',
      'a'.repeat(MAX_TOKEN_BYTES + 1),
      `${'e'.repeat(MAX_TOKEN_BYTES)}.e.e`,
      `${Buffer.from('[]').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.x`,
      `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from('{"exp":"soon","iss":1}').toString('base64url')}.x`,
      `${Buffer.from('{"alg":"RS256","kid":{}}').toString('base64url')}.${Buffer.from('{"aud":[1,2]}').toString('base64url')}.x`,
    ];
    for (let i = 0; i < 400; i++) {
      // Mutations of a valid token and random strings.
      const base = rand(2) === 0 ? valid : '';
      const chars = [...base];
      const n = 1 + rand(20);
      for (let j = 0; j < n; j++) {
        const at = rand(chars.length + 1);
        const c = alphabet[rand(alphabet.length)];
        if (rand(2) === 0) chars.splice(at, 1, c);
        else chars.splice(at, 0, c);
      }
      // A replacement by the same character can give the valid token back: that one must pass, it is checked below.
      if (chars.join('') !== valid) samples.push(chars.join(''));
    }
    for (const s of samples) {
      const r = await verifyToken(s, p, [], Math.floor(Date.now() / 1000));
      assert.equal(r.ok, false, `accepted ${JSON.stringify(s.slice(0, 60))}`);
      const head = { method: 'GET', authority: 'a', path: '/', scheme: 'http', headers: { authorization: `Bearer ${s}` } };
      const outcome = await runJwtAuthn(config, head, {});
      // A value without a token (e.g. "Bearer " alone) is a missing token; anything else is refused.
      assert.equal(outcome.allowed, false);
      assert.ok(outcome.status === 401 || outcome.status === 403);
    }
    assert.equal((await verifyToken(valid, p, [], Math.floor(Date.now() / 1000))).ok, true);
  });
});
