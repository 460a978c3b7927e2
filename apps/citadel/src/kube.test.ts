// Kubernetes mode against a served Kubernetes API: an HTTP server in the test
// answers with the responses a real API server gives (Secret 404 → create,
// TokenReview results, ConfigMap create/replace, namespace list + watch with
// bookmarks and a 410 Gone that forces a relist). No cluster is needed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { KubeConfig } from '@kubernetes/client-node';
import { CaRequestError, requestCertificate } from '@mesh/ca-client';
import { generateKeyPair, verifyChain } from '@mesh/pki';
import { waitFor } from '@mesh/testing';
import { startCitadel, type Citadel } from './citadel.ts';
import { createKubeApi } from './kube/api.ts';
import { memoryLogger, testConfig } from './test-support.ts';

interface Served {
  url: string;
  secrets: Map<string, { data: Record<string, string>; resourceVersion: string }>;
  configMaps: Map<string, { data: Record<string, string>; resourceVersion: string }>;
  requests: string[];
  reviews: Array<{ token: string; audiences: string[] }>;
  close(): Promise<void>;
}

const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

async function serveKubernetesApi(): Promise<Served> {
  const secrets = new Map<string, { data: Record<string, string>; resourceVersion: string }>();
  const configMaps = new Map<string, { data: Record<string, string>; resourceVersion: string }>();
  const requests: string[] = [];
  const reviews: Array<{ token: string; audiences: string[] }> = [];
  const open = new Set<http.ServerResponse>();
  let rv = 100;
  let lists = 0;
  let watches = 0;
  const namespaces = ['default', 'istio-system'];
  const nsObject = (name: string, resourceVersion: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, resourceVersion, uid: `uid-${name}` }, status: { phase: 'Active' } });

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url!, 'http://x');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    let body = '';
    for await (const c of req) body += c;
    const json = (code: number, obj: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(obj));
    };
    if (req.headers.authorization !== 'Bearer citadel-sa-token') return json(401, status(401, 'Unauthorized', 'Unauthorized'));
    let m: RegExpExecArray | null;
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/secrets(?:\/([^/]+))?$/.exec(url.pathname))) {
      const [, ns, name] = m;
      const key = `${ns}/${name ?? JSON.parse(body || '{}').metadata?.name}`;
      if (req.method === 'GET') {
        const s = secrets.get(key);
        if (!s) return json(404, status(404, 'NotFound', `secrets "${name}" not found`));
        return json(200, { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns, resourceVersion: s.resourceVersion }, type: 'istio.io/ca-root', data: s.data });
      }
      const obj = JSON.parse(body);
      if (req.method === 'POST') {
        if (secrets.has(key)) return json(409, status(409, 'AlreadyExists', `secrets "${obj.metadata.name}" already exists`));
        secrets.set(key, { data: obj.data, resourceVersion: String(++rv) });
        return json(201, { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } });
      }
      if (req.method === 'PUT') {
        const cur = secrets.get(key);
        if (!cur) return json(404, status(404, 'NotFound', 'not found'));
        if (obj.metadata.resourceVersion !== cur.resourceVersion) return json(409, status(409, 'Conflict', 'the object has been modified'));
        secrets.set(key, { data: obj.data, resourceVersion: String(++rv) });
        return json(200, { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } });
      }
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/configmaps(?:\/([^/]+))?$/.exec(url.pathname))) {
      const [, ns, name] = m;
      const key = `${ns}/${name ?? JSON.parse(body || '{}').metadata?.name}`;
      if (req.method === 'GET') {
        const c = configMaps.get(key);
        if (!c) return json(404, status(404, 'NotFound', `configmaps "${name}" not found`));
        return json(200, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, resourceVersion: c.resourceVersion }, data: c.data });
      }
      const obj = JSON.parse(body);
      if (req.method === 'POST' || req.method === 'PUT') {
        if (req.method === 'POST' && configMaps.has(key)) return json(409, status(409, 'AlreadyExists', 'exists'));
        configMaps.set(key, { data: obj.data, resourceVersion: String(++rv) });
        return json(req.method === 'POST' ? 201 : 200, { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } });
      }
    }
    if (url.pathname === '/apis/authentication.k8s.io/v1/tokenreviews' && req.method === 'POST') {
      const review = JSON.parse(body);
      reviews.push({ token: review.spec.token, audiences: review.spec.audiences });
      const reply = (st: object) => json(201, { ...review, status: st });
      if (review.spec.token === 'sa-token-bookinfo') return reply({ authenticated: true, user: { username: 'system:serviceaccount:default:bookinfo', uid: 'u1', groups: ['system:serviceaccounts'] }, audiences: ['istio-ca'] });
      if (review.spec.token === 'sa-token-wrong-audience') return reply({ authenticated: false, error: '[invalid bearer token, token audiences ["kubernetes.default.svc"] is invalid for the target audiences ["istio-ca"]]' });
      if (review.spec.token === 'sa-token-other-audience-echoed') return reply({ authenticated: true, user: { username: 'system:serviceaccount:default:bookinfo' }, audiences: ['vault'] });
      if (review.spec.token === 'user-token') return reply({ authenticated: true, user: { username: 'alice@example.com' }, audiences: ['istio-ca'] });
      return reply({ authenticated: false, error: 'invalid bearer token' });
    }
    if (url.pathname === '/api/v1/namespaces' && req.method === 'GET') {
      if (url.searchParams.get('watch') !== 'true') {
        lists++;
        if (lists === 2) namespaces.push('bookinfo', 'late');
        return json(200, { kind: 'NamespaceList', apiVersion: 'v1', metadata: { resourceVersion: String(lists * 1000) }, items: namespaces.map((n) => nsObject(n, '1')) });
      }
      watches++;
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      open.add(res);
      res.on('close', () => open.delete(res));
      const send = (type: string, object: unknown) => res.write(JSON.stringify({ type, object }) + '\n');
      if (watches === 1) {
        send('BOOKMARK', { kind: 'Namespace', apiVersion: 'v1', metadata: { resourceVersion: '1005', annotations: { 'k8s.io/initial-events-end': 'true' } } });
        send('ADDED', nsObject('bookinfo', '1006'));
        // The watch cache moved past us: the API server ends the watch with 410 Gone; the client must relist.
        send('ERROR', status(410, 'Expired', 'too old resource version: 1000 (1500)'));
        res.end();
      }
      return; // later watches stay open until the test ends
    }
    json(404, status(404, 'NotFound', `no route ${req.method} ${url.pathname}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    secrets,
    configMaps,
    requests,
    reviews,
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of open) r.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function kubeConfigFor(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'served', server: url, skipTLSVerify: true }],
    users: [{ name: 'citadel', token: 'citadel-sa-token' }],
    contexts: [{ name: 'served', cluster: 'served', user: 'citadel' }],
    currentContext: 'served',
  });
  return kc;
}

describe('Kubernetes mode (against a served Kubernetes API)', () => {
  let api: Served;
  let citadel: Citadel;
  const config = testConfig();
  const start = () => {
    const { log } = memoryLogger();
    return startCitadel({ ...config, kube: { api: createKubeApi(kubeConfigFor(api.url), log, { relistDelayMs: 20 }), namespace: 'istio-system' } }, log);
  };

  before(async () => {
    api = await serveKubernetesApi();
    citadel = await start();
  });
  after(async () => {
    await citadel?.stop();
    await api?.close();
    rmSync(config.rootDir, { recursive: true, force: true });
  });

  it('creates the istio-ca-secret Secret after a 404 (against a served Kubernetes API)', () => {
    const getIdx = api.requests.indexOf('GET /api/v1/namespaces/istio-system/secrets/istio-ca-secret');
    const postIdx = api.requests.indexOf('POST /api/v1/namespaces/istio-system/secrets');
    assert.ok(getIdx >= 0 && postIdx > getIdx, api.requests.join('\n'));
    const stored = api.secrets.get('istio-system/istio-ca-secret')!;
    const decoded = Object.fromEntries(Object.entries(stored.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    assert.equal(decoded['ca-cert.pem'], citadel.authority.bundle()[0]);
    assert.match(decoded['ca-key.pem'], /BEGIN PRIVATE KEY/);
  });

  it('writes istio-ca-root-cert into every namespace, including ones that appear through the watch and after a 410 relist (against a served Kubernetes API)', async () => {
    const bundle = citadel.authority.bundle().join('');
    await waitFor('root ConfigMaps in all four namespaces', () => ['default', 'istio-system', 'bookinfo', 'late'].every((ns) => api.configMaps.get(`${ns}/istio-ca-root-cert`)?.data['root-cert.pem'] === bundle));
    const lists = api.requests.filter((r) => r.startsWith('GET /api/v1/namespaces?') || r === 'GET /api/v1/namespaces');
    const watches = api.requests.filter((r) => r.includes('/api/v1/namespaces?') && r.includes('watch=true'));
    assert.ok(lists.length - watches.length >= 2, `a relist after 410 Gone:\n${api.requests.join('\n')}`);
    assert.match(watches[0], /allowWatchBookmarks=true/);
    assert.match(watches[0], /resourceVersion=1000/);
    assert.match(watches[1], /resourceVersion=2000/, 'the second watch resumes from the relist, not the stale version');
  });

  it('rewrites every namespace ConfigMap when the bundle changes (rotation) (against a served Kubernetes API)', async () => {
    await citadel.authority.rotate('test');
    const bundle = citadel.authority.bundle().join('');
    assert.equal(citadel.authority.bundle().length, 2);
    for (const ns of ['default', 'istio-system', 'bookinfo', 'late']) assert.equal(api.configMaps.get(`${ns}/istio-ca-root-cert`)!.data['root-cert.pem'], bundle);
    assert.ok(api.requests.some((r) => r.startsWith('PUT /api/v1/namespaces/default/configmaps/istio-ca-root-cert')));
    // The pending root is persisted in the Secret too.
    assert.ok(api.secrets.get('istio-system/istio-ca-secret')!.data['next-ca-cert.pem']);
  });

  it('authenticates with a TokenReview for audience istio-ca and signs for that service account (against a served Kubernetes API)', async () => {
    const issued = await requestCertificate({
      endpoint: { address: `127.0.0.1:${citadel.port}`, roots: () => citadel.authority.bundle(), token: () => 'sa-token-bookinfo' },
      privateKey: generateKeyPair('ec-p256').privateKey,
      spiffeId: 'spiffe://cluster.local/ns/default/sa/bookinfo',
    });
    assert.equal(verifyChain(issued.chain, citadel.authority.bundle()).ok, true);
    assert.deepEqual(api.reviews.at(-1), { token: 'sa-token-bookinfo', audiences: ['istio-ca'] });
  });

  it('refuses unauthenticated, wrong-audience and non-service-account tokens with UNAUTHENTICATED (against a served Kubernetes API)', async () => {
    const attempt = (token: string) =>
      requestCertificate({
        endpoint: { address: `127.0.0.1:${citadel.port}`, roots: () => citadel.authority.bundle(), token: () => token },
        privateKey: generateKeyPair('ec-p256').privateKey,
        spiffeId: 'spiffe://cluster.local/ns/default/sa/bookinfo',
      }).then(
        () => assert.fail('expected a refusal'),
        (e: CaRequestError) => e,
      );
    const bad = await attempt('expired-or-garbage');
    assert.equal(bad.code, grpc.status.UNAUTHENTICATED);
    assert.match(bad.details, /kubernetes-token: the Kubernetes API did not authenticate the token: invalid bearer token/);
    const aud = await attempt('sa-token-wrong-audience');
    assert.equal(aud.code, grpc.status.UNAUTHENTICATED);
    assert.match(aud.details, /token audiences \["kubernetes\.default\.svc"\] is invalid for the target audiences \["istio-ca"\]/);
    const echoed = await attempt('sa-token-other-audience-echoed');
    assert.equal(echoed.code, grpc.status.UNAUTHENTICATED);
    assert.match(echoed.details, /the token is not for audience istio-ca \(it is for vault\)/);
    const user = await attempt('user-token');
    assert.equal(user.code, grpc.status.UNAUTHENTICATED);
    assert.match(user.details, /belongs to alice@example\.com, not a service account/);
  });

  it('reuses the root from the Secret on restart (against a served Kubernetes API)', async () => {
    const before = citadel.authority.bundle();
    const posts = api.requests.filter((r) => r === 'POST /api/v1/namespaces/istio-system/secrets').length;
    const second = await start();
    try {
      assert.deepEqual(new Set(second.authority.bundle()), new Set(before));
      assert.equal(api.requests.filter((r) => r === 'POST /api/v1/namespaces/istio-system/secrets').length, posts, 'no second Secret was created');
    } finally {
      await second.stop();
    }
  });
});
