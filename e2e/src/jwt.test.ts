// Istio's "Authorization with JWT" / "JWT Token" tasks on the local mesh, as
// real processes: httpbin and sleep in namespace foo with sidecars. A
// RequestAuthentication on httpbin names a jwksUri that this test serves (the
// IdP): pilot fetches it and inlines the keys into httpbin's jwt_authn filter,
// and the sidecar verifies tokens (galley -> pilot -> proxy). Then an
// AuthorizationPolicy requires a request principal, then a group claim.
// The keys are made here; tokens are signed with node:crypto.
// The same mesh runs Istio's "Ingress Gateway" authorization task: ipBlocks
// and remoteIpBlocks on the ingress gateway, behind one trusted proxy
// (mesh config defaultConfig.gatewayTopology.numTrustedProxies: 1).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freeMeshPorts, startLocalMesh, type LocalMesh, type MeshPorts } from '@mesh/local-mesh';
import { request } from 'undici';
import { waitFor } from '@mesh/testing';
import { callHttpbin, freeHttpbinSleepPorts, httpbinSleepWorkloads, httpbinSleepYaml, type HttpbinSleepPorts } from './httpbin-sleep.ts';

const ISSUER = 'testing@secure.istio.io';

function token(key: KeyObject, claims: Record<string, unknown>, kid = 'idp-1'): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: 'RS256', typ: 'JWT', kid })}.${b64({ iss: ISSUER, sub: ISSUER, iat: now, exp: now + 3600, ...claims })}`;
  return `${input}.${cryptoSign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

describe("Istio's JWT and ingress authorization tasks on the local mesh: RequestAuthentication (jwksUri fetched by pilot), AuthorizationPolicy on request principals, claims and client IPs", { timeout: 240_000 }, () => {
  let mesh: LocalMesh;
  let idp: Server;
  let configDir: string;
  let stateDir: string;
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let ports: HttpbinSleepPorts;
  let meshPorts: MeshPorts;
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
    meshPorts = await freeMeshPorts();
    // Gateways trust one proxy in front of them (Istio's gatewayTopology).
    const meshConfigFile = path.join(stateDir, 'mesh.yaml');
    writeFileSync(meshConfigFile, 'defaultConfig:\n  gatewayTopology:\n    numTrustedProxies: 1\n');
    mesh = await startLocalMesh({
      configDir,
      stateDir,
      meshConfigFile,
      sample: false,
      workloads,
      ports: meshPorts,
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
    // Enforced once the keys are fetched and pushed: a forged token is refused (the filter is there), then a valid one
    // passes (its keys are there). In this order: the config only moves forward (no filter, the filter without keys,
    // the filter with them), so the two answers cannot straddle a change and look done too early.
    await waitFor('the token is verified', async () => (await curl(bearer('invalidToken'))).status === 401 && (await curl(bearer(valid))).status === 200, { timeoutMs: 30_000, intervalMs: 200 });
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

  it("Istio's ingress task: ipBlocks match the gateway's peer, remoteIpBlocks the client behind numTrustedProxies (X-Forwarded-For)", async () => {
    /** `curl "$INGRESS_HOST:$INGRESS_PORT"/headers -H "X-Forwarded-For: ..."`: status, and httpbin's view of the headers. */
    const viaIngress = async (xff?: string) => {
      const res = await request(`http://127.0.0.1:${meshPorts.gatewayHttp}/headers`, { headers: { host: 'httpbin.example.com', ...(xff ? { 'x-forwarded-for': xff } : {}) } });
      const body = await res.body.text();
      return { status: res.statusCode, body, headers: res.statusCode === 200 ? (JSON.parse(body) as { headers: Record<string, string> }).headers : undefined };
    };
    // The JWT task's clean-up: httpbin no longer requires a token.
    rmSync(path.join(configDir, 'require-jwt.yaml'), { force: true });
    writeFileSync(
      path.join(configDir, 'ingress.yaml'),
      `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: httpbin-gateway, namespace: foo}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${meshPorts.gatewayHttp}, name: http, protocol: HTTP}
    hosts: ["httpbin.example.com"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: httpbin, namespace: foo}
spec:
  hosts: ["httpbin.example.com"]
  gateways: [httpbin-gateway]
  http:
  - route:
    - destination: {host: httpbin.foo.svc.cluster.local, port: {number: 8000}}
`,
    );
    await waitFor('the ingress gateway routes to httpbin', async () => (await viaIngress()).status === 200, { timeoutMs: 30_000, intervalMs: 200 });
    // The gateway appends its peer (the trusted proxy) to X-Forwarded-For.
    assert.equal((await viaIngress('198.51.100.9, 203.0.113.7')).headers?.['x-forwarded-for'] ?? '', '198.51.100.9, 203.0.113.7,127.0.0.1');

    const policy = (action: string, source: string) => `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ingress-policy, namespace: istio-system}
spec:
  selector: {matchLabels: {app: istio-ingressgateway}}
  action: ${action}
  rules:
  - from:
    - source: {${source}}
`;
    const file = path.join(configDir, 'ingress-policy.yaml');
    // ipBlocks: the address the gateway's connection comes from, whatever XFF claims.
    writeFileSync(file, policy('ALLOW', 'ipBlocks: ["1.2.3.4", "5.6.7.0/24"]'));
    await waitFor('ipBlocks without the peer deny', async () => (await viaIngress()).status === 403, { timeoutMs: 30_000, intervalMs: 200 });
    assert.deepEqual(await viaIngress('1.2.3.4'), { status: 403, body: 'RBAC: access denied', headers: undefined });
    writeFileSync(file, policy('ALLOW', 'ipBlocks: ["127.0.0.1"]'));
    await waitFor('ipBlocks with the peer allow', async () => (await viaIngress('198.51.100.9')).status === 200, { timeoutMs: 30_000, intervalMs: 200 });

    // remoteIpBlocks: the client's address from X-Forwarded-For, numTrustedProxies hops back.
    writeFileSync(file, policy('ALLOW', 'remoteIpBlocks: ["203.0.113.0/24"]'));
    await waitFor('remoteIpBlocks decide by XFF', async () => (await viaIngress('198.51.100.9')).status === 403, { timeoutMs: 30_000, intervalMs: 200 });
    assert.equal((await viaIngress('198.51.100.9, 203.0.113.7')).status, 200);
    assert.equal((await viaIngress('203.0.113.7, 198.51.100.9')).status, 403, 'only the entry the trusted proxy appended counts');
    assert.equal((await viaIngress()).status, 403, 'no XFF: the client is the peer, 127.0.0.1');

    writeFileSync(file, policy('DENY', 'remoteIpBlocks: ["203.0.113.7"]'));
    await waitFor('a DENY on remoteIpBlocks', async () => (await viaIngress('203.0.113.7')).status === 403, { timeoutMs: 30_000, intervalMs: 200 });
    assert.equal((await viaIngress('203.0.113.8')).status, 200);
    assert.equal((await viaIngress()).status, 200);
  });

  it("Istio's JWT claim based routing task: the ingress gateway routes on @request.auth.claims.groups of a verified token", async () => {
    rmSync(path.join(configDir, 'ingress-policy.yaml'), { force: true });
    const viaIngress = async (headers: Record<string, string> = {}) => {
      const res = await request(`http://127.0.0.1:${meshPorts.gatewayHttp}/headers`, { headers: { host: 'httpbin.example.com', ...headers } });
      return { status: res.statusCode, body: await res.body.text() };
    };
    writeFileSync(
      path.join(configDir, 'ingress.yaml'),
      `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: httpbin-gateway, namespace: foo}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${meshPorts.gatewayHttp}, name: http, protocol: HTTP}
    hosts: ["httpbin.example.com"]
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: ingress-jwt, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  jwtRules:
  - issuer: "${ISSUER}"
    jwksUri: "${jwksUri}"
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: httpbin, namespace: foo}
spec:
  hosts: ["httpbin.example.com"]
  gateways: [httpbin-gateway]
  http:
  - match:
    - uri: {prefix: /headers}
      headers:
        "@request.auth.claims.groups": {exact: group1}
    route:
    - destination: {host: httpbin.foo.svc.cluster.local, port: {number: 8000}}
`,
    );
    const group1 = token(keys.privateKey, { groups: ['group1', 'group2'] });
    const group2 = token(keys.privateKey, { groups: 'group2' });
    await waitFor('only a token with group1 is routed', async () => (await viaIngress()).status === 404 && (await viaIngress(bearer(group1))).status === 200, { timeoutMs: 30_000, intervalMs: 200 });
    assert.equal((await viaIngress(bearer(group2))).status, 404, 'a verified token without the claim finds no route');
    assert.equal((await viaIngress()).status, 404, 'no token: no claims, no route');
    assert.equal((await viaIngress(bearer('invalidToken'))).status, 401);
    assert.equal((await viaIngress(bearer(token(stranger.privateKey, { groups: ['group1'] })))).status, 401, 'an unverified token never matches');
  });
});
