// The trust bundle a workload verifies peers with: the union of the mounted
// root file and citadel's chain root, following the file as Kubernetes and
// citadel's local root dir replace it.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildCertificate, createCa, createIssuer, generateKeyPair, spkiOf } from '@mesh/pki';
import { createLogger } from '@mesh/telemetry';
import { waitFor } from '@mesh/testing';
import { TrustBundle, parseRoots } from './trust-bundle.ts';
import { chainWithoutRoot, parseTtl } from './workload-identity.ts';

const root = (name: string) => createCa({ subject: { organization: 'cluster.local', commonName: name }, ttlMs: 86_400_000 });
const [A, B, C] = ['Root A', 'Root B', 'Root C'].map(root);
const subjects = (roots: string[]) => roots.map((r) => new X509Certificate(r).subject.split('\n').find((l) => l.startsWith('CN='))!.slice(3));

function leafUnder(ca: { certPem: string; privateKey: import('node:crypto').KeyObject }): string {
  const { privateKey } = generateKeyPair('ec-p256');
  return buildCertificate(
    {
      spki: spkiOf(privateKey),
      subject: { organization: 'cluster.local' },
      sans: { uris: ['spiffe://cluster.local/ns/default/sa/x'] },
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3_600_000),
      keyUsage: ['digitalSignature'],
    },
    createIssuer(ca.certPem, ca.privateKey),
  );
}

function logs(): { log: ReturnType<typeof createLogger>; lines: Array<{ msg: string; [k: string]: unknown }> } {
  const lines: Array<{ msg: string }> = [];
  return { lines, log: createLogger('test', { level: 'debug', write: (l) => lines.push(JSON.parse(l)) }) };
}

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'trust-bundle-'));
  dirs.push(d);
  return d;
};

describe('trust bundle (ROOTCA)', () => {
  const bundles: TrustBundle[] = [];
  after(() => {
    for (const b of bundles) b.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("is the union of the file's roots and the root ending citadel's chain, each root once", () => {
    const files: Record<string, string> = { '/roots.pem': A.certPem + B.certPem };
    const b = new TrustBundle({ file: '/roots.pem', log: logs().log, read: (f) => files[f] });
    const changes: string[][] = [];
    b.on('change', (r) => changes.push(subjects(r)));
    b.load(true);
    assert.deepEqual(subjects(b.roots()), ['Root A', 'Root B']);
    assert.deepEqual(changes, [], 'the initial read is not a change');

    b.setCaChain([leafUnder(C), C.certPem]);
    assert.deepEqual(subjects(b.roots()), ['Root A', 'Root B', 'Root C']);
    // A chain ending in a root the file already holds adds nothing (and Root C, no longer citadel's, leaves).
    b.setCaChain([leafUnder(A), A.certPem]);
    assert.deepEqual(subjects(b.roots()), ['Root A', 'Root B']);
    // A chain without a self-signed root at its end changes nothing.
    b.setCaChain([leafUnder(A)]);
    assert.deepEqual(changes, [['Root A', 'Root B', 'Root C'], ['Root A', 'Root B']]);
  });

  it('without a file, is the root of the last chain from citadel', () => {
    const b = new TrustBundle({ log: logs().log });
    b.load(false);
    assert.deepEqual(b.roots(), []);
    b.setCaChain([leafUnder(B), B.certPem]);
    assert.deepEqual(subjects(b.roots()), ['Root B']);
  });

  it("follows citadel's root rotation in its root dir (files replaced by rename): one root, then both, then the new one", async () => {
    const dir = tmp();
    const file = path.join(dir, 'root-cert.pem');
    const replace = (text: string) => {
      writeFileSync(path.join(dir, '.root-cert.pem.tmp'), text);
      renameSync(path.join(dir, '.root-cert.pem.tmp'), file);
    };
    replace(A.certPem);
    // A poll far beyond the test's deadlines: only the directory watch can see these changes in time.
    const b = new TrustBundle({ file, pollMs: 3_600_000, log: logs().log });
    bundles.push(b);
    b.load(true);
    b.watch();
    const changes: string[][] = [];
    b.on('change', (r) => changes.push(subjects(r)));
    replace(A.certPem + B.certPem);
    await waitFor('both roots trusted', () => b.roots().length === 2);
    replace(B.certPem);
    await waitFor('the old root retired', () => b.roots().length === 1);
    assert.deepEqual(subjects(b.roots()), ['Root B']);
    assert.deepEqual(changes, [['Root A', 'Root B'], ['Root B']]);
  });

  it('follows a Kubernetes ConfigMap volume swapped through its ..data symlink', async () => {
    const dir = tmp();
    const publish = (version: string, text: string) => {
      mkdirSync(path.join(dir, version));
      writeFileSync(path.join(dir, version, 'root-cert.pem'), text);
      symlinkSync(version, path.join(dir, '..data_tmp'));
      renameSync(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
    };
    publish('..2026_12_01_1', A.certPem);
    symlinkSync('..data/root-cert.pem', path.join(dir, 'root-cert.pem'));
    const b = new TrustBundle({ file: path.join(dir, 'root-cert.pem'), pollMs: 3_600_000, log: logs().log });
    bundles.push(b);
    b.load(true);
    b.watch();
    assert.deepEqual(subjects(b.roots()), ['Root A']);
    publish('..2026_12_01_2', A.certPem + C.certPem);
    await waitFor('the swapped ConfigMap read', () => b.roots().length === 2);
    assert.deepEqual(subjects(b.roots()), ['Root A', 'Root C']);
  });

  it('polls when no watch can see the change, and keeps the last good roots when the file breaks or goes', async () => {
    const files: Record<string, string> = { '/nowhere/roots.pem': A.certPem };
    const { log, lines } = logs();
    const b = new TrustBundle({
      file: '/nowhere/roots.pem',
      pollMs: 20,
      log,
      read: (f) => {
        if (!(f in files)) throw Object.assign(new Error(`ENOENT: ${f}`), { code: 'ENOENT' });
        return files[f];
      },
    });
    bundles.push(b);
    b.load(true);
    b.watch();
    files['/nowhere/roots.pem'] = A.certPem + B.certPem;
    await waitFor('the polled change', () => b.roots().length === 2);
    files['/nowhere/roots.pem'] = A.certPem + '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n';
    await waitFor('the broken file reported', () => lines.some((l) => l.msg === 'CA root certificate file does not parse; keeping the roots read before'));
    delete files['/nowhere/roots.pem'];
    await waitFor('the missing file reported', () => lines.some((l) => l.msg === 'CA root certificate file unreadable; keeping the roots read before'));
    assert.deepEqual(subjects(b.roots()), ['Root A', 'Root B']);
    files['/nowhere/roots.pem'] = C.certPem;
    await waitFor('the file back', () => subjects(b.roots()).join() === 'Root C');
  });

  it('refuses a start without usable roots, saying what to mount or pass', () => {
    const missing = new TrustBundle({ file: path.join(tmp(), 'root-cert.pem'), log: logs().log });
    assert.throws(() => missing.load(true), /cannot read the CA root certificate .*root-cert\.pem: ENOENT.*istio-ca-root-cert ConfigMap.*--ca-root-cert/);
    missing.load(false);
    assert.deepEqual(missing.roots(), []);
    const empty = new TrustBundle({ file: '/f', log: logs().log, read: () => 'nothing here\n' });
    assert.throws(() => empty.load(true), /\/f holds no PEM certificate/);
    assert.throws(() => parseRoots(leafUnder(A), '/f'), /\/f: certificate 1 .* is not a CA certificate/);
  });
});

describe('workload identity helpers', () => {
  it('serves the chain without the self-signed root, as Istio agents do', () => {
    const leaf = leafUnder(A);
    assert.deepEqual(chainWithoutRoot([leaf, A.certPem]), [leaf]);
    assert.deepEqual(chainWithoutRoot([leaf]), [leaf]);
  });

  it('reads SECRET_TTL as Istio writes it', () => {
    assert.equal(parseTtl('24h', 'secret-ttl'), 86_400_000);
    assert.equal(parseTtl('24h0m0s', 'secret-ttl'), 86_400_000);
    assert.equal(parseTtl('1h30m', 'secret-ttl'), 5_400_000);
    assert.equal(parseTtl('20s', 'secret-ttl'), 20_000);
    assert.throws(() => parseTtl('1 day', 'secret-ttl'), /--secret-ttl: "1 day" is not a duration/);
    assert.throws(() => parseTtl('500ms', 'secret-ttl'), /shorter than one second/);
  });
});
