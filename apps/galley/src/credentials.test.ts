import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BUCKETS, CredentialSchema, connectBus } from '@mesh/contracts';
import { createLogger } from '@mesh/telemetry';
import { startNats, waitFor } from '@mesh/testing';
import { CredentialDirectory, scanCredentials } from './credential-directory.ts';
import { DirectorySource } from './directory-source.ts';
import { startGalley } from './galley.ts';

const openssl = (cwd: string, ...args: string[]) => execFileSync('openssl', args, { cwd, stdio: 'pipe' });

/** A CA and a leaf for `host` signed by it, as Istio's Secure Gateways task makes them. */
function makeCredential(dir: string, host: string): void {
  mkdirSync(dir, { recursive: true });
  openssl(dir, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/O=example Inc./CN=example.com');
  openssl(dir, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'tls.key', '-out', 'leaf.csr', '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host}`);
  openssl(dir, 'x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'tls.crt', '-days', '1', '-copy_extensions', 'copy');
  for (const f of ['ca.key', 'leaf.csr', 'ca.srl']) rmSync(path.join(dir, f), { force: true });
}

describe('credential directory (credentialName sources)', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'galley-creds-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const lines: string[] = [];
  const log = createLogger('galley-test', { write: (l) => lines.push(l) });

  it('reads <dir>/<name> into the default namespace and <dir>/<namespace>/<name>, CA-only credentials too; refuses mismatched keys without logging contents', async () => {
    const dir = path.join(root, 'scan');
    makeCredential(path.join(dir, 'httpbin-credential'), 'httpbin.example.com');
    makeCredential(path.join(dir, 'team', 'api-credential'), 'api.example.com');
    mkdirSync(path.join(dir, 'httpbin-credential-cacert'));
    copyFileSync(path.join(dir, 'httpbin-credential', 'ca.crt'), path.join(dir, 'httpbin-credential-cacert', 'ca.crt'));
    // A key that does not belong to the certificate.
    makeCredential(path.join(dir, 'mixed'), 'mixed.example.com');
    copyFileSync(path.join(dir, 'team', 'api-credential', 'tls.key'), path.join(dir, 'mixed', 'tls.key'));
    mkdirSync(path.join(dir, 'half'));
    copyFileSync(path.join(dir, 'mixed', 'tls.crt'), path.join(dir, 'half', 'tls.crt'));

    const scan = await scanCredentials(dir, 'istio-system');
    assert.deepEqual([...scan.credentials.keys()].sort(), ['istio-system.httpbin-credential', 'istio-system.httpbin-credential-cacert', 'team.api-credential']);
    const c = scan.credentials.get('istio-system.httpbin-credential')!;
    assert.equal(c.cert, readFileSync(path.join(dir, 'httpbin-credential', 'tls.crt'), 'utf8'));
    assert.ok(c.key?.includes('PRIVATE KEY'));
    assert.ok(c.ca?.startsWith('-----BEGIN CERTIFICATE-----'));
    assert.deepEqual(Object.keys(scan.credentials.get('istio-system.httpbin-credential-cacert')!).sort(), ['ca', 'name', 'namespace', 'source']);
    assert.deepEqual(
      scan.problems.map((p) => `${p.credential}: ${p.message}`).sort(),
      ['istio-system/half: tls.crt and tls.key come together', 'istio-system/mixed: tls.key is not the private key of the first certificate in tls.crt'],
    );
  });

  it("reads a generic Secret's layout (cert, key, cacert) too, and refuses ambiguous layouts and revocation lists it cannot check", async () => {
    const dir = path.join(root, 'generic');
    makeCredential(path.join(dir, 'generic'), 'generic.example.com');
    for (const [from, to] of [['tls.crt', 'cert'], ['tls.key', 'key'], ['ca.crt', 'cacert']]) {
      copyFileSync(path.join(dir, 'generic', from), path.join(dir, 'generic', to));
      rmSync(path.join(dir, 'generic', from));
    }
    makeCredential(path.join(dir, 'both'), 'both.example.com');
    copyFileSync(path.join(dir, 'both', 'tls.crt'), path.join(dir, 'both', 'cert'));
    makeCredential(path.join(dir, 'revoked'), 'revoked.example.com');
    writeFileSync(path.join(dir, 'revoked', 'ca.crl'), '-----BEGIN X509 CRL-----\nAA==\n-----END X509 CRL-----\n');
    mkdirSync(path.join(dir, 'half-generic'));
    copyFileSync(path.join(dir, 'generic', 'cert'), path.join(dir, 'half-generic', 'cert'));

    const scan = await scanCredentials(dir, 'istio-system');
    const c = scan.credentials.get('istio-system.generic')!;
    assert.equal(c.cert, readFileSync(path.join(dir, 'generic', 'cert'), 'utf8'));
    assert.equal(c.key, readFileSync(path.join(dir, 'generic', 'key'), 'utf8'));
    assert.equal(c.ca, readFileSync(path.join(dir, 'generic', 'cacert'), 'utf8'));
    assert.deepEqual([...scan.credentials.keys()], ['istio-system.generic']);
    assert.deepEqual(
      scan.problems.map((p) => `${p.credential}: ${p.message}`).sort(),
      [
        "istio-system/both: holds both tls.crt and cert: use one layout (kubernetes.io/tls keys or Istio's generic cert/key/cacert)",
        'istio-system/half-generic: cert and key come together',
        'istio-system/revoked: ca.crl: certificate revocation lists are not implemented; the credential is refused rather than served without the revocation check',
      ],
    );
  });

  it('publishes changes as files change, keeps the last good version of a credential that turns invalid, and never logs key material', async () => {
    const dir = path.join(root, 'watch');
    makeCredential(path.join(dir, 'web'), 'web.example.com');
    const seen: Array<Map<string, unknown>> = [];
    const d = new CredentialDirectory({ dir, namespace: 'istio-system', log, debounceMs: 20, resyncMs: 0, onChange: (m) => seen.push(new Map(m)) });
    after(() => d.stop());
    await d.start();
    assert.equal(seen.length, 1);
    const first = (d.current.get('istio-system.web') as { cert: string }).cert;

    makeCredential(path.join(dir, 'second'), 'second.example.com');
    await waitFor('the new credential', () => d.current.has('istio-system.second'));

    // Broken key: the last good one stays in effect.
    writeFileSync(path.join(dir, 'web', 'tls.key'), '-----BEGIN PRIVATE KEY-----\nbm9wZQ==\n-----END PRIVATE KEY-----\n');
    await waitFor('the broken key reported', () => lines.some((l) => l.includes('credential istio-system/web rejected')));
    assert.equal((d.current.get('istio-system.web') as { cert: string }).cert, first);

    rmSync(path.join(dir, 'second'), { recursive: true });
    await waitFor('the removed credential gone', () => !d.current.has('istio-system.second'));
    const key = readFileSync(path.join(dir, 'web', 'tls.key'), 'utf8');
    assert.ok(!lines.some((l) => l.includes('PRIVATE KEY') || l.includes(key.split('\n')[1])), 'no key material in the log');
  });

  it('galley publishes the credentials into the mesh-credentials bucket, follows changes, and lists them without contents', async () => {
    const nats = await startNats();
    const cleanup: Array<() => Promise<unknown> | void> = [() => nats.stop()];
    try {
    const configDir = path.join(root, 'galley-config');
    const credDir = path.join(root, 'galley-creds');
    mkdirSync(configDir, { recursive: true });
    makeCredential(path.join(credDir, 'httpbin-credential'), 'httpbin.example.com');
    const glines: string[] = [];
    const glog = createLogger('galley-test', { write: (l) => glines.push(l) });
    const galley = await startGalley({
      source: new DirectorySource({ dir: configDir, log: glog, debounceMs: 20, resyncMs: 0 }),
      natsUrl: nats.url,
      log: glog,
      credentialDir: credDir,
      meshConfigResyncMs: 0,
    });
    cleanup.unshift(() => galley.stop());
    const bus = await connectBus({ servers: nats.url, name: 'creds-reader', log: glog });
    cleanup.unshift(() => bus.close());
    const kv = await bus.kv(BUCKETS.credentials, CredentialSchema);
    const entry = await waitFor('the credential in NATS', () => kv.get('istio-system.httpbin-credential'));
    assert.equal(entry.value.cert, readFileSync(path.join(credDir, 'httpbin-credential', 'tls.crt'), 'utf8'));
    assert.deepEqual(galley.credentials(), {
      source: `directory ${credDir}`,
      dir: credDir,
      listed: true,
      problems: [],
      credentials: [
        {
          namespace: 'istio-system',
          name: 'httpbin-credential',
          source: path.join(credDir, 'httpbin-credential'),
          cert: true,
          key: true,
          ca: true,
          subjectAltNames: 'DNS:httpbin.example.com',
          expires: (galley.credentials() as { credentials: Array<{ expires: string }> }).credentials[0].expires,
        },
      ],
    });

    makeCredential(path.join(credDir, 'prod', 'api'), 'api.example.com');
    await waitFor('the namespaced credential in NATS', () => kv.get('prod.api'));
    rmSync(path.join(credDir, 'httpbin-credential'), { recursive: true });
    await waitFor('the removed credential gone from NATS', async () => !(await kv.get('istio-system.httpbin-credential')));
    const key = readFileSync(path.join(credDir, 'prod', 'api', 'tls.key'), 'utf8').split('\n')[1];
    assert.ok(!glines.some((l) => l.includes('PRIVATE KEY') || l.includes(key)), 'no key material in the log');
    } finally {
      for (const c of cleanup) await c();
    }
  });
});
