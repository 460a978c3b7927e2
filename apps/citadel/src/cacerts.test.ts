// A plugged-in CA made the way Istio's docs make one (openssl: an offline
// root and an intermediate for the cluster), loaded from a cacerts directory.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requestCertificate } from '@mesh/ca-client';
import { generateKeyPair, verifyChain } from '@mesh/pki';
import { startCitadel, type Citadel } from './citadel.ts';
import { memoryLogger, testConfig } from './test-support.ts';

function openssl(args: string[], cwd: string): string {
  return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('plugged-in CA (cacerts layout, made with openssl)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cacerts-'));
  let citadel: Citadel;
  const config = testConfig({ cacertsDir: dir });

  before(async () => {
    writeFileSync(path.join(dir, 'root.cnf'), '[v3]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n');
    writeFileSync(
      path.join(dir, 'int.cnf'),
      '[v3]\nbasicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
    );
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'root-key.pem'], dir);
    openssl(['req', '-x509', '-new', '-key', 'root-key.pem', '-subj', '/O=Istio/CN=Root CA', '-days', '3650', '-extensions', 'v3', '-config', 'root.cnf', '-out', 'root-cert.pem'], dir);
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca-key.pem'], dir);
    openssl(['req', '-new', '-key', 'ca-key.pem', '-subj', '/O=Istio/CN=Intermediate CA/L=cluster1', '-out', 'ca.csr', '-config', 'int.cnf'], dir);
    openssl(['x509', '-req', '-in', 'ca.csr', '-CA', 'root-cert.pem', '-CAkey', 'root-key.pem', '-CAcreateserial', '-days', '730', '-extensions', 'v3', '-extfile', 'int.cnf', '-out', 'ca-cert.pem'], dir);
    writeFileSync(path.join(dir, 'cert-chain.pem'), readFileSync(path.join(dir, 'ca-cert.pem'), 'utf8') + readFileSync(path.join(dir, 'root-cert.pem'), 'utf8'));
    rmSync(path.join(dir, 'root-key.pem')); // the root key stays offline, as it should
    citadel = await startCitadel(config, memoryLogger().log);
  });
  after(async () => {
    await citadel?.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(config.rootDir, { recursive: true, force: true });
  });

  it('signs as the intermediate and returns leaf, intermediate, root; openssl verifies the chain to the root', async () => {
    const { token } = await citadel.tokens!.issue('default', 'bookinfo', 600);
    const root = readFileSync(path.join(dir, 'root-cert.pem'), 'utf8');
    assert.deepEqual(citadel.authority.bundle().map((r) => r.trim()), [root.trim()]);
    const issued = await requestCertificate({
      endpoint: { address: `127.0.0.1:${citadel.port}`, roots: () => [root], token: () => token },
      privateKey: generateKeyPair('ec-p256').privateKey,
      spiffeId: 'spiffe://cluster.local/ns/default/sa/bookinfo',
    });
    assert.equal(issued.chain.length, 3);
    assert.equal(issued.chain[1].trim(), readFileSync(path.join(dir, 'ca-cert.pem'), 'utf8').trim());
    assert.equal(issued.chain[2].trim(), root.trim());
    writeFileSync(path.join(dir, 'leaf.pem'), issued.chain[0]);
    writeFileSync(path.join(dir, 'untrusted.pem'), issued.chain[1]);
    assert.match(openssl(['verify', '-CAfile', 'root-cert.pem', '-untrusted', 'untrusted.pem', 'leaf.pem'], dir), /leaf\.pem: OK/);
    assert.equal(verifyChain(issued.chain, [root]).ok, true);
    // Without the intermediate the leaf does not verify: the chain really goes through it.
    assert.equal(verifyChain([issued.chain[0]], [root]).ok, false);
  });

  it('refuses to start on a cacerts directory whose intermediate does not chain to root-cert.pem', async () => {
    const bad = mkdtempSync(path.join(tmpdir(), 'cacerts-bad-'));
    try {
      for (const f of ['ca-cert.pem', 'ca-key.pem', 'cert-chain.pem']) writeFileSync(path.join(bad, f), readFileSync(path.join(dir, f)));
      openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'other-key.pem', '-subj', '/CN=Other Root', '-days', '30', '-out', 'root-cert.pem'], bad);
      await assert.rejects(startCitadel(testConfig({ cacertsDir: bad }), memoryLogger().log), /plugged-in CA .*: ca-cert\.pem does not chain to root-cert\.pem through cert-chain\.pem/);
      rmSync(path.join(bad, 'ca-key.pem'));
      await assert.rejects(startCitadel(testConfig({ cacertsDir: bad }), memoryLogger().log), /ca-key\.pem is missing/);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });
});
