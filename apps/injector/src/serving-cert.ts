// The webhook's TLS serving certificate: read from files (and re-read when
// they change, so cert-manager or a Secret update rotates it without a
// restart), or, with no files, a self-signed one made at start. A self-signed
// certificate is only trusted by a client given it: in Kubernetes that means
// putting it (--self-signed-cert-out) into the webhook configuration's caBundle.
import { readFile } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';
import { isIP } from 'node:net';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface ServingCert {
  cert: string;
  key: string;
}

export async function loadServingCert(certFile: string, keyFile: string): Promise<ServingCert> {
  const [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
  if (!cert.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`--tls-cert-file ${certFile}: no PEM certificate in it`);
  if (!/-----BEGIN (EC |RSA )?PRIVATE KEY-----/.test(key)) throw new Error(`--tls-key-file ${keyFile}: no PEM private key in it`);
  return { cert, key };
}

/**
 * A self-signed RSA-2048 certificate for `hosts` (DNS names or IPs), valid for
 * a year. The key pair comes from node's crypto (fast); forge only writes the
 * certificate.
 */
export function selfSignedCert(hosts: string[]): ServingCert {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60_000);
  cert.validity.notAfter = new Date(now + 365 * 24 * 3600_000);
  const name = [{ name: 'commonName', value: hosts[0] ?? 'injector' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })) },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keyPem };
}

/** Calls `onChange` with the new pair whenever either file changes and both still load. */
export function watchServingCert(certFile: string, keyFile: string, onChange: (c: ServingCert) => void, onError: (err: Error) => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const reload = () => {
    clearTimeout(timer);
    // Secret volume updates swap a symlink; wait for both files to settle.
    timer = setTimeout(() => loadServingCert(certFile, keyFile).then(onChange, onError), 200);
  };
  const watchers: FSWatcher[] = [];
  for (const f of [certFile, keyFile]) {
    try {
      watchers.push(watch(f, reload));
    } catch (err) {
      onError(err as Error);
    }
  }
  return () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
