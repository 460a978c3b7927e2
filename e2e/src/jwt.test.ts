// Istio's "Authorization with JWT" / "JWT Token" tasks on the local mesh, as
// real processes: httpbin and sleep in namespace foo with sidecars. A
// RequestAuthentication on httpbin names a jwksUri that this test serves (the
// IdP): pilot fetches it and inlines the keys into httpbin's jwt_authn filter,
// and the sidecar verifies tokens (galley -> pilot -> proxy). Then an
// AuthorizationPolicy requires a request principal, then a group claim.
// The keys are made here; tokens are signed with node:crypto.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freeMeshPorts, startLocalMesh, type LocalMesh } from '@mesh/local-mesh';
import { waitFor } from '@mesh/testing';
import { callHttpbin, freeHttpbinSleepPorts, httpbinSleepWorkloads, httpbinSleepYaml, type HttpbinSleepPorts } from './httpbin-sleep.ts';

const ISSUER = 'testing@secure.istio.io';

function token(key: KeyObject, claims: Record<string, unknown>, kid = 'idp-1'): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: 'RS256', typ: 'JWT', kid })}.${b64({ iss: ISSUER, sub: ISSUER, iat: now, exp: now + 3600, ...claims })}`;
  return `${input}.${cryptoSign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

describe("Istio's JWT tasks on the local mesh: RequestAuthentication (jwksUri fetched by pilot) and AuthorizationPolicy on request principals and claims", { timeout: 240_000 }, () => {
  let mesh: LocalMesh;
  let idp: Server;
  let configDir: string;
  let stateDir: string;
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let ports: HttpbinSleepPorts;
  let jwksUri = '';

  /** `kubectl exec sleep -- curl http://httpbin.foo:8000/headers -H "Authorization: Bearer $TOKEN"`, through sleep's sidecar. */
  const curl = (headers: Record<string, string> = {}) => callHttpbin(ports.egress, 'foo', { headers });
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  before(async () => {
    idp = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [{ ...keys.publicKey.export({ format: 'jwk' }), kid: 'idp-1', alg: 'RS256', use: 'sig' }] }));
    });
    await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
    jwksUri = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/jwks.json`;
    configDir = mkdtempSync(path.join(tmpdir(), 'mesh-e2e-jwt-config-'));
    stateDir = mkdtempSync(path.join(tmpdir(), 'mesh-e2e-jwt-state-'));
    ports = await freeHttpbinSleepPorts();
    writeFileSync(path.join(configDir, 'foo.yaml'), httpbinSleepYaml('foo', ports));
    const workloads = httpbinSleepWorkloads('foo', ports);
    mesh = await startLocalMesh({
      configDir,
      stateDir,
      sample: false,
      workloads,
      ports: await freeMeshPorts(),
      logLevel: 'info',
      onLine: process.env.MESH_TEST_VERBOSE === '1' ? (name, text) => process.stderr.write(`[${name}] ${text}\n`) : undefined,
    });
    // The sidecars get their certificates and config after the mesh reports started; a loaded machine takes a while.
    let last = { status: 0, body: '' };
    await waitFor('sleep reaches httpbin', async () => (last = await curl()).status === 200, { timeoutMs: 120_000, intervalMs: 250 }).catch((err: Error) => {
      const tail = (name: string) => mesh.processes.get(name)?.output().split('\n').slice(-8).join('\n');
      throw new Error(`${err.message}; last answer ${last.status} ${last.body.slice(0, 200)}\n[sleep-foo-sidecar]\n${tail('sleep-foo-sidecar')}\n[httpbin-foo-sidecar]\n${tail('httpbin-foo-sidecar')}`);
    });
  });

  after(async () => {
    await mesh?.stop();
    await new Promise<void>((r) => (idp ? idp.close(() => r()) : r()));
    for (const d of [configDir, stateDir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('RequestAuthentication: a valid token 200 (not forwarded to the app), an invalid one 401, none 200', async () => {
    writeFileSync(
      path.join(configDir, 'jwt-example.yaml'),
      `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt-example, namespace: foo}
spec:
  selector: {matchLabels: {app: httpbin}}
  jwtRules:
  - issuer: "${ISSUER}"
    jwksUri: "${jwksUri}"
`,
    );
    const valid = token(keys.privateKey, {});
    // Enforced once the keys are fetched and pushed: a valid token passes, a forged one is refused.
    await waitFor('the token is verified', async () => (await curl(bearer(valid))).status === 200 && (await curl(bearer('invalidToken'))).status === 401, { timeoutMs: 30_000, intervalMs: 200 });
    const ok = await curl(bearer(valid));
    assert.equal(ok.status, 200);
    assert.equal((JSON.parse(ok.body) as { headers: Record<string, string> }).headers.authorization, undefined, 'forwardOriginalToken is false');
    const forged = await curl(bearer(token(stranger.privateKey, {})));
    assert.equal(forged.status, 401);
    assert.equal(forged.body, 'Jwt verification fails');
    assert.equal((await curl(bearer('invalidToken'))).status, 401);
    assert.equal((await curl()).status, 200, 'a request without a token is not rejected by authentication');
  });

  it('AuthorizationPolicy requestPrincipals ["*"]: no token 403, a valid token 200; then a principal and a request.auth.claims[groups] condition', async () => {
    const policy = (principal: string, when: string) => `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: require-jwt, namespace: foo}
spec:
  selector: {matchLabels: {app: httpbin}}
  action: ALLOW
  rules:
  - from:
    - source:
        requestPrincipals: ["${principal}"]
${when}`;
    writeFileSync(path.join(configDir, 'require-jwt.yaml'), policy('*', ''));
    const valid = token(keys.privateKey, { groups: ['group1', 'group2'] });
    await waitFor('a request without a token is denied', async () => (await curl()).status === 403, { timeoutMs: 30_000, intervalMs: 200 });
    assert.deepEqual(await curl(), { status: 403, body: 'RBAC: access denied' });
    assert.equal((await curl(bearer(valid))).status, 200);
    assert.equal((await curl(bearer(token(keys.privateKey, { sub: 'someone-else' })))).status, 200, 'any principal');

    writeFileSync(path.join(configDir, 'require-jwt.yaml'), policy(`${ISSUER}/${ISSUER}`, `    when:\n    - key: request.auth.claims[groups]\n      values: ["group1"]\n`));
    const group2 = token(keys.privateKey, { groups: ['group2'] });
    await waitFor('a token without group1 is denied', async () => (await curl(bearer(group2))).status === 403, { timeoutMs: 30_000, intervalMs: 200 });
    assert.equal((await curl(bearer(valid))).status, 200);
    assert.equal((await curl(bearer(token(keys.privateKey, { sub: 'someone-else', groups: ['group1'] })))).status, 403, 'another principal');
    assert.equal((await curl()).status, 403);
  });
});
