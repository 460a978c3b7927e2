// Citadel's signing service over real gRPC + TLS, checked with openssl and a
// real TLS handshake between two workloads.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { SignJWT } from 'jose';
import { CaRequestError, requestCertificate, createCaGrpcClient, type CaEndpoint, type IstioCertificateResponse } from '@mesh/ca-client';
import { createCsr, expectSpiffeId, generateKeyPair, peerSpiffeId, privateKeyToPem, readCertificate, verifyChain } from '@mesh/pki';
import { startCitadel, type Citadel } from './citadel.ts';
import { memoryLogger, testConfig } from './test-support.ts';

const BOOKINFO = 'spiffe://cluster.local/ns/default/sa/bookinfo';

function openssl(args: string[], input?: string): string {
  return execFileSync('openssl', args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

describe('citadel signing service (real gRPC over TLS)', () => {
  let citadel: Citadel;
  let endpoint: CaEndpoint;
  let token: string;
  let logs: string[];
  const work = mkdtempSync(path.join(tmpdir(), 'citadel-openssl-'));
  const config = testConfig();

  before(async () => {
    const { log, lines } = memoryLogger();
    logs = lines;
    citadel = await startCitadel(config, log);
    token = (await citadel.tokens!.issue('default', 'bookinfo', 600)).token;
    endpoint = { address: `127.0.0.1:${citadel.port}`, roots: () => citadel.authority.bundle(), token: () => token };
  });
  after(async () => {
    await citadel?.stop();
    rmSync(work, { recursive: true, force: true });
    rmSync(config.rootDir, { recursive: true, force: true });
  });

  /** Sends a raw request, for the cases the client library would never build. */
  async function rawRequest(csr: string, options: { token?: string; validityDuration?: number } = {}): Promise<IstioCertificateResponse> {
    const client = createCaGrpcClient(`127.0.0.1:${citadel.port}`, grpc.credentials.createSsl(Buffer.from(citadel.authority.bundle().join(''))));
    const md = new grpc.Metadata();
    if (options.token !== undefined) md.set('authorization', `Bearer ${options.token}`);
    try {
      return await new Promise((resolve, reject) =>
        client.CreateCertificate({ csr, validityDuration: options.validityDuration ?? 0 }, md, {}, (err, res) => (err ? reject(err) : resolve(res!))),
      );
    } finally {
      client.close();
    }
  }

  async function refusal(promise: Promise<unknown>): Promise<{ code: grpc.status; details: string }> {
    try {
      await promise;
    } catch (err) {
      const e = err as grpc.ServiceError;
      return { code: e.code, details: e.details };
    }
    assert.fail('expected the request to be refused');
  }

  it('issues a chain (leaf first, root last) that openssl verifies against the root', async () => {
    const { privateKey } = generateKeyPair('ec-p256');
    const issued = await requestCertificate({ endpoint, privateKey, spiffeId: BOOKINFO });
    assert.equal(issued.chain.length, 2);
    assert.equal(issued.chain[1], citadel.authority.bundle()[0]);
    writeFileSync(path.join(work, 'root.pem'), citadel.authority.bundle().join(''));
    writeFileSync(path.join(work, 'leaf.pem'), issued.chain[0]);
    assert.match(openssl(['verify', '-CAfile', path.join(work, 'root.pem'), path.join(work, 'leaf.pem')]), /leaf\.pem: OK/);
    // The leaf must be good for both ends of mutual TLS.
    for (const purpose of ['sslserver', 'sslclient']) {
      assert.match(openssl(['verify', '-purpose', purpose, '-CAfile', path.join(work, 'root.pem'), path.join(work, 'leaf.pem')]), /OK/);
    }
  });

  it('puts exactly one SPIFFE URI SAN, the workload usages, no CA rights and a 24h default lifetime in the certificate (openssl x509 -text)', async () => {
    const { privateKey } = generateKeyPair('ec-p256');
    const before = Date.now();
    const issued = await requestCertificate({ endpoint, privateKey, spiffeId: BOOKINFO });
    const text = openssl(['x509', '-noout', '-text'], issued.chain[0]);
    assert.match(text, /X509v3 Subject Alternative Name: critical\s+URI:spiffe:\/\/cluster\.local\/ns\/default\/sa\/bookinfo\s*\n/);
    assert.equal((text.match(/URI:/g) ?? []).length, 1);
    assert.doesNotMatch(text, /DNS:|IP Address:/);
    assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment\s*\n/);
    assert.match(text, /X509v3 Extended Key Usage:\s+TLS Web Server Authentication, TLS Web Client Authentication/);
    assert.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
    const fields = readCertificate(issued.chain[0]);
    const lifetime = fields.notAfter.getTime() - before;
    assert.ok(Math.abs(lifetime - 24 * 3_600_000) < 5_000, `notAfter is ${lifetime} ms after the request, expected 24h`);
    assert.ok(fields.notBefore.getTime() <= before - 55_000, 'notBefore is backdated by --cert-backdate');
  });

  it('honours a requested lifetime and gives every certificate a distinct random serial', async () => {
    const serials = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const issued = await requestCertificate({ endpoint, privateKey: generateKeyPair('ec-p256').privateKey, spiffeId: BOOKINFO, validitySeconds: 3600 });
      assert.ok(Math.abs(issued.notAfter.getTime() - Date.now() - 3_600_000) < 5_000);
      assert.equal(issued.serialHex.length, 32, '128-bit serial');
      serials.add(issued.serialHex);
    }
    assert.equal(serials.size, 20);
  });

  it('signs RSA 2048 workload keys too', async () => {
    const issued = await requestCertificate({ endpoint, privateKey: generateKeyPair('rsa-2048').privateKey, spiffeId: BOOKINFO });
    assert.match(openssl(['x509', '-noout', '-text'], issued.chain[0]), /Public-Key: \(2048 bit\)/);
    assert.equal(verifyChain(issued.chain, citadel.authority.bundle()).ok, true);
  });

  it('logs every signing with identity, serial and expiry and never logs key material or tokens', async () => {
    const issued = await requestCertificate({ endpoint, privateKey: generateKeyPair('ec-p256').privateKey, spiffeId: BOOKINFO });
    const line = logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'certificate issued' && l.serial === issued.serialHex);
    assert.ok(line, 'a signing log line');
    assert.equal(line.identity, BOOKINFO);
    assert.equal(line.notAfter, issued.notAfter.toISOString());
    assert.equal(line.authenticatedBy, 'bootstrap-token');
    const all = logs.join('\n');
    assert.doesNotMatch(all, /PRIVATE KEY/);
    assert.ok(!all.includes(token), 'the bearer token is not logged');
  });

  it('renews over mutual TLS with the current certificate when no token is sent', async () => {
    const first = await requestCertificate({ endpoint, privateKey: generateKeyPair('ec-p256').privateKey, spiffeId: BOOKINFO });
    const renewed = await requestCertificate({
      endpoint: { ...endpoint, token: undefined },
      privateKey: generateKeyPair('ec-p256').privateKey,
      spiffeId: BOOKINFO,
      clientCertificate: { chain: first.chain, privateKey: first.privateKey },
    });
    assert.notEqual(renewed.serialHex, first.serialHex);
    assert.ok(logs.some((l) => l.includes('"authenticatedBy":"client-certificate"') && l.includes(renewed.serialHex)));
  });

  it('lets two workloads with citadel certificates complete a TLS handshake, each checking the other\'s SPIFFE id', async () => {
    const server = await requestCertificate({ endpoint, privateKey: generateKeyPair('ec-p256').privateKey, spiffeId: BOOKINFO });
    const reviewsToken = (await citadel.tokens!.issue('default', 'reviews', 60)).token;
    const client = await requestCertificate({ endpoint: { ...endpoint, token: () => reviewsToken }, privateKey: generateKeyPair('ec-p256').privateKey, spiffeId: 'spiffe://cluster.local/ns/default/sa/reviews' });
    const ca = citadel.authority.bundle();
    const seenByServer = new Promise<string | undefined>((resolve) => {
      const srv = tls.createServer({ key: privateKeyToPem(server.privateKey), cert: server.chain.join(''), ca, requestCert: true, rejectUnauthorized: true }, (socket) => {
        resolve(peerSpiffeId(socket.getPeerCertificate()));
        socket.end('hello');
      });
      srv.listen(0, '127.0.0.1', () => {
        const port = (srv.address() as { port: number }).port;
        const sock = tls.connect({ port, host: '127.0.0.1', key: privateKeyToPem(client.privateKey), cert: client.chain.join(''), ca, checkServerIdentity: expectSpiffeId(BOOKINFO) }, () => {
          assert.equal(peerSpiffeId(sock.getPeerCertificate()), BOOKINFO);
        });
        sock.on('data', () => sock.end());
        sock.on('close', () => srv.close());
      });
    });
    assert.equal(await seenByServer, 'spiffe://cluster.local/ns/default/sa/reviews');
    // And a peer expecting another identity refuses the same server.
    await assert.rejects(
      new Promise<void>((resolve, reject) => {
        const srv = tls.createServer({ key: privateKeyToPem(server.privateKey), cert: server.chain.join('') }, (s) => s.end());
        srv.listen(0, '127.0.0.1', () => {
          const sock = tls.connect({ port: (srv.address() as { port: number }).port, host: '127.0.0.1', ca, checkServerIdentity: expectSpiffeId('spiffe://cluster.local/ns/default/sa/ratings') }, resolve);
          sock.on('error', (e) => (srv.close(), reject(e)));
        });
      }),
      /peer identity spiffe:\/\/cluster\.local\/ns\/default\/sa\/bookinfo is not the expected spiffe:\/\/cluster\.local\/ns\/default\/sa\/ratings/,
    );
  });

  describe('rejections', () => {
    it('PERMISSION_DENIED when the CSR asks for another identity than the token proves, naming both', async () => {
      const csr = createCsr({ privateKey: generateKeyPair('ec-p256').privateKey, uris: ['spiffe://cluster.local/ns/default/sa/productpage'] });
      const r = await refusal(rawRequest(csr, { token }));
      assert.equal(r.code, grpc.status.PERMISSION_DENIED);
      assert.equal(r.details, 'the CSR asks for identity spiffe://cluster.local/ns/default/sa/productpage but the caller proved identity spiffe://cluster.local/ns/default/sa/bookinfo');
    });

    it('PERMISSION_DENIED for another trust domain', async () => {
      const csr = createCsr({ privateKey: generateKeyPair('ec-p256').privateKey, uris: ['spiffe://evil.example/ns/default/sa/bookinfo'] });
      const r = await refusal(rawRequest(csr, { token }));
      assert.equal(r.code, grpc.status.PERMISSION_DENIED);
      assert.match(r.details, /asks for identity spiffe:\/\/evil\.example\/ns\/default\/sa\/bookinfo but the caller proved identity spiffe:\/\/cluster\.local\//);
    });

    it('UNAUTHENTICATED without any credential', async () => {
      const csr = createCsr({ privateKey: generateKeyPair('ec-p256').privateKey, uris: [BOOKINFO] });
      const r = await refusal(rawRequest(csr));
      assert.equal(r.code, grpc.status.UNAUTHENTICATED);
      assert.match(r.details, /no credentials: send "authorization: Bearer <token>" metadata or a client certificate/);
    });

    it('UNAUTHENTICATED for an expired token', async () => {
      const expired = (await citadel.tokens!.issue('default', 'bookinfo', 1)).token;
      await new Promise((r) => setTimeout(r, 2_100)); // JWT expiry has one-second resolution
      const r = await refusal(rawRequest(createCsr({ privateKey: generateKeyPair('ec-p256').privateKey, uris: [BOOKINFO] }), { token: expired }));
      assert.equal(r.code, grpc.status.UNAUTHENTICATED);
      assert.match(r.details, /bootstrap-token: bootstrap token expired at \d{4}-\d\d-\d\dT/);
    });

    it('UNAUTHENTICATED for a forged token (right claims, signed by another key)', async () => {
      const now = Math.floor(Date.now() / 1000);
      const forged = await new SignJWT({ ns: 'default', sa: 'bookinfo', td: 'cluster.local' })
        .setProtectedHeader({ alg: 'ES256' })
        .setIssuer('citadel-bootstrap')
        .setAudience('istio-ca')
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(generateKeyPair('ec-p256').privateKey);
      const r = await refusal(rawRequest(createCsr({ privateKey: generateKeyPair('ec-p256').privateKey, uris: [BOOKINFO] }), { token: forged }));
      assert.equal(r.code, grpc.status.UNAUTHENTICATED);
      assert.match(r.details, /signature does not verify: it was not issued by this citadel/);
      const garbage = await refusal(rawRequest(createCsr({ privateKey: generateKeyPair('ec-p256').privateKey, uris: [BOOKINFO] }), { token: 'not-a-jwt' }));
      assert.equal(garbage.code, grpc.status.UNAUTHENTICATED);
    });

    it('INVALID_ARGUMENT for a malformed CSR', async () => {
      const notPem = await refusal(rawRequest('hello', { token }));
      assert.equal(notPem.code, grpc.status.INVALID_ARGUMENT);
      assert.match(notPem.details, /csr: not PEM/);
      const good = createCsr({ privateKey: generateKeyPair('ec-p256').privateKey, uris: [BOOKINFO] });
      const body = Buffer.from(good.split('\n').slice(1, -2).join(''), 'base64');
      const truncated = `-----BEGIN CERTIFICATE REQUEST-----\n${body.subarray(0, body.length - 20).toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
      const t = await refusal(rawRequest(truncated, { token }));
      assert.equal(t.code, grpc.status.INVALID_ARGUMENT);
      assert.match(t.details, /malformed CSR: csr: truncated/);
      // A valid structure whose signature was tampered with.
      body[body.length - 5] ^= 0xff;
      const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${body.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
      const s = await refusal(rawRequest(tampered, { token }));
      assert.equal(s.code, grpc.status.INVALID_ARGUMENT);
      assert.match(s.details, /csr\.signature: does not verify|malformed CSR/);
      const noSan = await refusal(rawRequest(createCsr({ privateKey: generateKeyPair('ec-p256').privateKey, subject: { commonName: 'x' } }), { token }));
      assert.equal(noSan.code, grpc.status.INVALID_ARGUMENT);
      assert.match(noSan.details, /subjectAltName: must hold exactly one SPIFFE URI and nothing else; found none/);
      const extra = await refusal(rawRequest(createCsr({ privateKey: generateKeyPair('ec-p256').privateKey, uris: [BOOKINFO], dnsNames: ['evil.example'] }), { token }));
      assert.equal(extra.code, grpc.status.INVALID_ARGUMENT);
      assert.match(extra.details, /found URI:spiffe:\/\/cluster\.local\/ns\/default\/sa\/bookinfo, DNS:evil\.example/);
    });

    it('INVALID_ARGUMENT for an oversized CSR', async () => {
      const csr = createCsr({ privateKey: generateKeyPair('ec-p256').privateKey, uris: [BOOKINFO], dnsNames: Array.from({ length: 300 }, (_, i) => `name-${i}.example.com`) });
      assert.ok(csr.length > config.maxCsrBytes);
      const r = await refusal(rawRequest(csr, { token }));
      assert.equal(r.code, grpc.status.INVALID_ARGUMENT);
      assert.equal(r.details, `csr: ${csr.length} bytes is larger than the 8192-byte limit`);
    });

    it('PERMISSION_DENIED for a CSR asking for CA rights', async () => {
      const csr = createCsr({ privateKey: generateKeyPair('ec-p256').privateKey, uris: [BOOKINFO], requestCa: true });
      assert.match(openssl(['req', '-noout', '-text'], csr), /CA:TRUE/);
      const r = await refusal(rawRequest(csr, { token }));
      assert.equal(r.code, grpc.status.PERMISSION_DENIED);
      assert.match(r.details, /asks for CA rights \(basicConstraints cA=TRUE or keyCertSign\); workloads only get end-entity certificates/);
    });

    it('INVALID_ARGUMENT for a lifetime over the maximum and for weak keys', async () => {
      const csr = createCsr({ privateKey: generateKeyPair('ec-p256').privateKey, uris: [BOOKINFO] });
      const r = await refusal(rawRequest(csr, { token, validityDuration: 91 * 86400 }));
      assert.equal(r.code, grpc.status.INVALID_ARGUMENT);
      assert.equal(r.details, 'validity_duration: 7862400s exceeds the maximum certificate lifetime of 7776000s');
      const { generateKeyPairSync } = await import('node:crypto');
      const weak = createCsr({ privateKey: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey, uris: [BOOKINFO] });
      const w = await refusal(rawRequest(weak, { token }));
      assert.equal(w.code, grpc.status.INVALID_ARGUMENT);
      assert.match(w.details, /RSA 1024 keys are not accepted/);
    });

    it('counts refusals by status in the metrics', async () => {
      const { registry } = await import('@mesh/telemetry');
      const text = await registry.metrics();
      assert.match(text, /citadel_signings_total\{result="ok"\} \d+/);
      assert.match(text, /citadel_signings_total\{result="PERMISSION_DENIED"\} [1-9]/);
      assert.match(text, /citadel_signings_total\{result="UNAUTHENTICATED"\} [1-9]/);
      assert.match(text, /citadel_signings_total\{result="INVALID_ARGUMENT"\} [1-9]/);
      assert.match(text, /citadel_signing_duration_seconds_bucket/);
      assert.match(text, /citadel_root_cert_expiry_timestamp_seconds \d+/);
    });

    it('the client library reports a refusal as CaRequestError with the status', async () => {
      const err = await requestCertificate({ endpoint, privateKey: generateKeyPair('ec-p256').privateKey, spiffeId: 'spiffe://cluster.local/ns/default/sa/other' }).catch((e) => e);
      assert.ok(err instanceof CaRequestError);
      assert.equal(err.code, grpc.status.PERMISSION_DENIED);
    });
  });

  it('keeps its root across a restart (same directory, same root, same token key)', async () => {
    const rootBefore = citadel.authority.bundle();
    const keyFile = readFileSync(path.join(config.rootDir, 'ca-key.pem'), 'utf8');
    const { log } = memoryLogger();
    const second = await startCitadel({ ...config }, log);
    try {
      assert.deepEqual(second.authority.bundle(), rootBefore);
      assert.equal(readFileSync(path.join(config.rootDir, 'ca-key.pem'), 'utf8'), keyFile);
      // A token from the first instance is accepted by the restarted one.
      const issued = await requestCertificate({ endpoint: { ...endpoint, address: `127.0.0.1:${second.port}` }, privateKey: generateKeyPair('ec-p256').privateKey, spiffeId: BOOKINFO });
      assert.equal(verifyChain(issued.chain, rootBefore).ok, true);
    } finally {
      await second.stop();
    }
  });
});
