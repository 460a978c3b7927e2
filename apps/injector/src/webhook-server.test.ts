// The webhook over real HTTPS (self-signed certificate, trusted by the client)
// with real AdmissionReview JSON.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { X509Certificate } from 'node:crypto';
import { createLogger, registry } from '@mesh/telemetry';
import { startWebhookServer, type WebhookServer } from './webhook-server.ts';
import { selfSignedCert } from './serving-cert.ts';
import { appPod, applyResponse, deps, expectedPod, review } from './testing/fixtures.ts';

interface Reply {
  status: number;
  body: string;
  peerCert?: string;
}

function request(port: number, ca: string, o: { method?: string; path?: string; body?: string | Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, method: o.method ?? 'POST', path: o.path ?? '/inject', ca, servername: 'localhost', agent: false, headers: { 'content-type': 'application/json' } },
      (res) => {
        let body = '';
        const peerCert = (res.socket as import('node:tls').TLSSocket).getPeerCertificate?.().fingerprint256;
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body, peerCert }));
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

async function counter(result: string): Promise<number> {
  const metric = await registry.getSingleMetric('mesh_injector_injections_total')!.get();
  return metric.values.find((v) => v.labels.result === result)?.value ?? 0;
}

describe('webhook server (HTTPS)', () => {
  const tls = selfSignedCert(['localhost', '127.0.0.1']);
  let server: WebhookServer;
  let openServer: WebhookServer;
  before(async () => {
    const log = createLogger('injector-test', { write: () => {} });
    server = await startWebhookServer({ host: '127.0.0.1', port: 0, tls, log, deps: deps(), maxBodyBytes: 64 * 1024 });
    openServer = await startWebhookServer({ host: '127.0.0.1', port: 0, tls, log, deps: deps({ failurePolicy: 'open' }) });
  });
  after(async () => {
    await server.close();
    await openServer.close();
  });

  it('answers a pod creation with the JSONPatch that turns it into the Istio-injected pod', async () => {
    const before = await counter('injected');
    const r = await request(server.port, tls.cert, { body: JSON.stringify(review(appPod())) });
    assert.equal(r.status, 200);
    const body = JSON.parse(r.body);
    assert.equal(body.apiVersion, 'admission.k8s.io/v1');
    assert.equal(body.kind, 'AdmissionReview');
    assert.equal(body.response.patchType, 'JSONPatch');
    assert.deepEqual(applyResponse(appPod(), body.response).pod, expectedPod());
    assert.equal(await counter('injected'), before + 1);
  });

  it('accepts /inject/<suffix> paths as Istio does', async () => {
    const r = await request(server.port, tls.cert, { path: '/inject/cluster/Kubernetes/net/network1', body: JSON.stringify(review(appPod())) });
    assert.equal(JSON.parse(r.body).response.allowed, true);
  });

  it('returns 400 with the reason for a malformed AdmissionReview', async () => {
    const before = await counter('bad-request');
    const r = await request(server.port, tls.cert, { body: JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'x' } }) });
    assert.equal(r.status, 400);
    assert.match(r.body, /request\.object: expected the pod being created/);
    assert.equal(await counter('bad-request'), before + 1);
  });

  it('returns 404 for other paths, 405 for other methods, 413 for huge bodies', async () => {
    assert.equal((await request(server.port, tls.cert, { path: '/mutate', body: '{}' })).status, 404);
    assert.equal((await request(server.port, tls.cert, { method: 'GET' })).status, 405);
    const big = await request(server.port, tls.cert, { body: Buffer.alloc(100 * 1024, 'a') });
    assert.equal(big.status, 413);
  });

  it('fail-closed denies an uninjectable pod; fail-open admits it unchanged with a warning', async () => {
    const pod = appPod();
    pod.spec.containers = [];
    const closed = JSON.parse((await request(server.port, tls.cert, { body: JSON.stringify(review(pod)) })).body);
    assert.equal(closed.response.allowed, false);
    assert.match(closed.response.status.message, /spec\.containers: expected at least one container/);
    const open = JSON.parse((await request(openServer.port, tls.cert, { body: JSON.stringify(review(pod)) })).body);
    assert.equal(open.response.allowed, true);
    assert.equal(open.response.patch, undefined);
    assert.match(open.response.warnings[0], /admitted without a sidecar \(failure policy open\)/);
  });

  it('serves a rotated certificate to new connections', async () => {
    const next = selfSignedCert(['localhost', '127.0.0.1']);
    server.setCert(next);
    const r = await request(server.port, next.cert, { body: JSON.stringify(review(appPod())) });
    assert.equal(r.status, 200);
    assert.equal(r.peerCert, new X509Certificate(next.cert).fingerprint256);
    await assert.rejects(request(server.port, tls.cert, { body: '{}' }), /self-signed|certificate/);
    server.setCert(tls);
  });
});
