// The agent-side lifecycle against a real gRPC CA over TLS (a minimal CA
// built here from @mesh/pki, since a library cannot start the citadel app):
// first certificate, renewal at the configured fraction, and jittered retries
// while the CA is unreachable with the current certificate kept in use.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { BACKENDS, buildCertificate, createCa, createIssuer, generateKeyPair, privateKeyToPem, randomSerial, spkiOf } from '@mesh/pki';
import { freePort, waitFor } from '@mesh/testing';
import { createLogger } from '@mesh/telemetry';
import { CertificateManager, caServiceDefinition, type IstioCertificateRequest, type IstioCertificateResponse } from './index.ts';

const root = createCa({ subject: { organization: 'cluster.local', commonName: 'test root' }, ttlMs: 86_400_000 });
const issuer = createIssuer(root.certPem, root.privateKey);
const serving = (() => {
  const { privateKey } = generateKeyPair('ec-p256');
  const cert = buildCertificate(
    { spki: spkiOf(privateKey), subject: { commonName: 'ca' }, sans: { ipAddresses: ['127.0.0.1'] }, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000), keyUsage: ['digitalSignature'], extKeyUsage: ['1.3.6.1.5.5.7.3.1'] },
    issuer,
  );
  return { cert, key: privateKeyToPem(privateKey) };
})();

/** A CA that signs whatever SPIFFE id is asked, with the requested lifetime; `requests` counts calls and tokens seen. */
async function startTestCa(port: number) {
  const requests: Array<{ token?: string; at: number }> = [];
  const server = new grpc.Server();
  server.addService(caServiceDefinition(), {
    CreateCertificate: async (call: grpc.ServerUnaryCall<IstioCertificateRequest, IstioCertificateResponse>, cb: grpc.sendUnaryData<IstioCertificateResponse>) => {
      requests.push({ token: call.metadata.get('authorization')[0] as string | undefined, at: Date.now() });
      const csr = await BACKENDS.native.parseCsr(call.request.csr);
      const now = Math.floor(Date.now() / 1000) * 1000;
      const pem = await BACKENDS.native.issue(csr, { spiffeId: csr.sans.uris[0], serial: randomSerial(), notBefore: new Date(now), notAfter: new Date(now + Number(call.request.validityDuration) * 1000) }, issuer);
      cb(null, { certChain: [pem, root.certPem] });
    },
  });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(serving.cert), private_key: Buffer.from(serving.key) }]), (e) => (e ? reject(e) : resolve())),
  );
  return { requests, stop: () => new Promise<void>((r) => server.tryShutdown(() => r())) };
}

describe('CertificateManager (real gRPC over TLS)', () => {
  const managers: CertificateManager[] = [];
  after(async () => {
    await Promise.all(managers.map((m) => m.stop()));
  });

  it('gets a certificate, then renews at the configured fraction of its lifetime with a new key', async () => {
    const port = await freePort();
    const ca = await startTestCa(port);
    try {
      const m = new CertificateManager({
        endpoint: { address: `127.0.0.1:${port}`, roots: () => [root.certPem], token: () => 'tok' },
        spiffeId: 'spiffe://cluster.local/ns/default/sa/a',
        validitySeconds: 4,
        renewFraction: 0.25,
        log: createLogger('test', { level: 'error' }),
      });
      managers.push(m);
      const first = await m.start();
      assert.equal(first.spiffeId, 'spiffe://cluster.local/ns/default/sa/a');
      assert.equal(ca.requests[0].token, 'Bearer tok');
      const renewed = await new Promise<typeof first>((resolve) => m.once('certificate', resolve));
      const waited = renewed.receivedAt.getTime() - first.receivedAt.getTime();
      const lifetime = first.notAfter.getTime() - first.receivedAt.getTime();
      assert.ok(waited >= lifetime * 0.25 - 50 && waited < lifetime * 0.25 + 700, `renewed after ${waited} ms of a ${lifetime} ms lifetime; expected about 25%`);
      assert.notEqual(renewed.serialHex, first.serialHex);
      assert.notEqual(privateKeyToPem(renewed.privateKey), privateKeyToPem(first.privateKey), 'a renewal uses a new key');
      await m.stop();
    } finally {
      await ca.stop();
    }
  });

  it('keeps the current certificate while the CA is unreachable, retrying with jittered backoff, and recovers when it returns', async () => {
    const port = await freePort();
    let ca = await startTestCa(port);
    const errors: Array<{ retryInMs: number; attempt: number }> = [];
    const m = new CertificateManager({
      endpoint: { address: `127.0.0.1:${port}`, roots: () => [root.certPem], token: () => 'tok', timeoutMs: 500 },
      spiffeId: 'spiffe://cluster.local/ns/default/sa/b',
      validitySeconds: 30,
      renewFraction: 0.5,
      retry: { initialMs: 100, maxMs: 400, jitter: 0.5 },
      log: createLogger('test', { level: 'error' }),
    });
    managers.push(m);
    m.on('error', (_err, info) => errors.push(info));
    const first = await m.start();
    await ca.stop();
    const renewal = m.renewNow();
    await renewal;
    await waitFor('several failed attempts', () => errors.length >= 4, { timeoutMs: 15_000 });
    assert.equal(m.current()!.serialHex, first.serialHex, 'the current certificate stays in use');
    assert.ok(m.isValid());
    // Exponential, capped and jittered: attempt n waits about initial*2^(n-1) (±50%), never more than max*1.5.
    assert.ok(errors[0].retryInMs >= 50 && errors[0].retryInMs <= 150, `first retry ${errors[0].retryInMs}`);
    assert.ok(errors.every((e) => e.retryInMs <= 600));
    assert.ok(new Set(errors.map((e) => e.retryInMs)).size > 1, 'delays are jittered');
    ca = await startTestCa(port);
    try {
      const next = await new Promise<{ serialHex: string }>((resolve) => m.once('certificate', resolve));
      assert.notEqual(next.serialHex, first.serialHex);
    } finally {
      await m.stop();
      await ca.stop();
    }
  });
});
