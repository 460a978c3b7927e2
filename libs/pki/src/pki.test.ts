import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BACKENDS, CsrError, createCa, createCsr, createIssuer, formatSpiffeId, generateKeyPair, parseCsr, parseSpiffeId, randomSerial, readCertificate, verifyChain } from './index.ts';
import * as der from './der.ts';


describe('SPIFFE ids', () => {
  it('formats and parses Istio workload ids, and says why a bad one is bad', () => {
    const id = formatSpiffeId({ trustDomain: 'cluster.local', namespace: 'default', serviceAccount: 'bookinfo' });
    assert.equal(id, 'spiffe://cluster.local/ns/default/sa/bookinfo');
    assert.deepEqual(parseSpiffeId(id), { ok: true, id: { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: 'bookinfo' } });
    const bad = parseSpiffeId('spiffe://cluster.local/ns/Default/sa/x');
    assert.equal(bad.ok, false);
    assert.match((bad as { error: string }).error, /namespace "Default" is not a valid Kubernetes namespace name/);
    assert.equal(parseSpiffeId('https://example.com').ok, false);
  });
});

describe('DER', () => {
  it('round-trips OIDs, integers and times (UTCTime before 2050, GeneralizedTime after)', () => {
    const o = der.readRoot(der.oid('1.2.840.113549.1.9.14'), der.TAG.oid, 'oid');
    assert.equal(der.readOid(o, 'oid'), '1.2.840.113549.1.9.14');
    assert.deepEqual(der.uintBytes(Buffer.from([0x80])), Buffer.from([0x02, 0x02, 0x00, 0x80]));
    const t1 = new Date('2049-12-31T23:59:59Z');
    const t2 = new Date('2050-01-01T00:00:00Z');
    assert.equal(der.time(t1)[0], der.TAG.utcTime);
    assert.equal(der.time(t2)[0], der.TAG.generalizedTime);
    assert.equal(der.readTime(der.readRoot(der.time(t2), der.TAG.generalizedTime, 't'), 't').getTime(), t2.getTime());
  });
  it('refuses truncated input and non-minimal lengths with the path', () => {
    assert.throws(() => der.readRoot(Buffer.from([0x30, 0x05, 0x01]), der.TAG.sequence, 'csr'), /csr: truncated/);
    assert.throws(() => der.readRoot(Buffer.from([0x30, 0x81, 0x01, 0x00]), der.TAG.sequence, 'csr'), /non-minimal length/);
  });
});

describe('CSRs', () => {
  it('creates CSRs openssl accepts and reads back their SANs and CA intent', () => {
    const csr = createCsr({ privateKey: generateKeyPair('ec-p256').privateKey, uris: ['spiffe://cluster.local/ns/a/sa/b'], requestCa: true });
    const check = spawnSync('openssl', ['req', '-verify', '-noout'], { input: csr, encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stderr + check.stdout, /verify OK/);
    const info = parseCsr(csr);
    assert.deepEqual(info.sans.uris, ['spiffe://cluster.local/ns/a/sa/b']);
    assert.equal(info.requestsCa, true);
    assert.deepEqual(info.key, { type: 'ec', curve: 'P-256' });
    assert.deepEqual(parseCsr(createCsr({ privateKey: generateKeyPair('rsa-2048').privateKey, uris: ['x:y'] })).key, { type: 'rsa', bits: 2048 });
  });
  it('reads a CSR made by openssl', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pki-openssl-'));
    try {
      execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${dir}/key.pem`]);
      const csr = execFileSync('openssl', ['req', '-new', '-key', `${dir}/key.pem`, '-subj', '/CN=x', '-addext', 'subjectAltName=URI:spiffe://cluster.local/ns/a/sa/b'], { encoding: 'utf8' });
      const info = parseCsr(csr);
      assert.deepEqual(info.sans.uris, ['spiffe://cluster.local/ns/a/sa/b']);
      assert.equal(info.subject, 'CN=x');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('rejects a CSR whose signature does not match its key', () => {
    const csr = createCsr({ privateKey: generateKeyPair('ec-p256').privateKey, uris: ['spiffe://cluster.local/ns/a/sa/b'] });
    const body = Buffer.from(csr.replace(/-----[A-Z ]+-----|\n/g, ''), 'base64');
    body[40] ^= 0x01; // inside the certificationRequestInfo
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${body.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    assert.throws(() => parseCsr(tampered), (e: Error) => e instanceof CsrError);
  });
});

describe('signing backends', () => {
  for (const caType of ['ec-p256', 'rsa-2048'] as const) {
    it(`native and node-forge issue the same workload profile under an ${caType} CA, and openssl verifies both`, async () => {
      const root = createCa({ keyType: caType, subject: { organization: 'cluster.local', commonName: 'root' }, ttlMs: 86_400_000 });
      const issuer = createIssuer(root.certPem, root.privateKey);
      const csr = createCsr({ privateKey: generateKeyPair('ec-p256').privateKey, uris: ['spiffe://cluster.local/ns/a/sa/b'] });
      const spec = { spiffeId: 'spiffe://cluster.local/ns/a/sa/b', serial: randomSerial(), notBefore: new Date(Date.now() - 1000), notAfter: new Date(Date.now() + 3_600_000) };
      const fields = [];
      for (const backend of Object.values(BACKENDS)) {
        const pem = await backend.issue(await backend.parseCsr(csr), spec, issuer);
        const dir = mkdtempSync(path.join(tmpdir(), 'pki-test-'));
        writeFileSync(`${dir}/root.pem`, root.certPem);
        writeFileSync(`${dir}/leaf.pem`, pem);
        assert.match(execFileSync('openssl', ['verify', '-CAfile', `${dir}/root.pem`, `${dir}/leaf.pem`], { encoding: 'utf8' }), /OK/);
        rmSync(dir, { recursive: true });
        assert.equal(verifyChain([pem], [root.certPem]).ok, true);
        const f = readCertificate(pem);
        fields.push({ ...f, authorityKeyId: f.authorityKeyId?.toString('hex') });
      }
      assert.deepEqual(fields[0], fields[1]);
      assert.deepEqual(fields[0].keyUsage.sort(), ['digitalSignature', 'keyEncipherment']);
      assert.equal(fields[0].ca, false);
      assert.equal(fields[0].sanCritical, true);
    });
  }
  it('verifyChain names the certificate that fails', () => {
    const a = createCa({ subject: { commonName: 'a' }, ttlMs: 60_000 });
    const b = createCa({ subject: { commonName: 'b' }, ttlMs: 60_000 });
    const r = verifyChain([a.certPem], [b.certPem]);
    assert.equal(r.ok, false);
    assert.match((r as { error: string }).error, /no trusted root \(of 1\) or intermediate in the chain signed CN=a/);
  });
});
