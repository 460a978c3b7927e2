// A plugged-in CA: the operator's intermediate in a directory laid out as
// Istio's `cacerts` Secret (ca-cert.pem, ca-key.pem, root-cert.pem,
// cert-chain.pem). Citadel signs with the intermediate and returns the chain
// up to the operator's root.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { createIssuer, privateKeyFromPem, splitCertificates, verifyChain, type Issuer } from '@mesh/pki';

export const CACERTS_FILES = ['ca-cert.pem', 'ca-key.pem', 'root-cert.pem', 'cert-chain.pem'] as const;

export interface PluggedCa {
  issuer: Issuer;
  /** The operator's roots: the whole trust bundle in this mode (several while the operator rotates). */
  roots: string[];
}

export function loadCacerts(dir: string): PluggedCa {
  const read = (name: string, required: boolean): string | undefined => {
    const p = path.join(dir, name);
    if (!existsSync(p)) {
      if (required) throw new Error(`plugged-in CA ${dir}: ${name} is missing (expected ${CACERTS_FILES.join(', ')})`);
      return undefined;
    }
    return readFileSync(p, 'utf8');
  };
  const caCertText = read('ca-cert.pem', true)!;
  const caCerts = splitCertificates(caCertText);
  if (caCerts.length !== 1) throw new Error(`plugged-in CA ${dir}: ca-cert.pem must hold exactly one certificate, found ${caCerts.length}`);
  const key = privateKeyFromPem(read('ca-key.pem', true)!, `plugged-in CA ${dir}: ca-key.pem`);
  const roots = splitCertificates(read('root-cert.pem', true)!);
  if (roots.length === 0) throw new Error(`plugged-in CA ${dir}: root-cert.pem holds no certificate`);
  // cert-chain.pem is ca-cert followed by any intermediates and (usually) the root; it may be absent when the CA is signed by the root directly.
  let chain = splitCertificates(read('cert-chain.pem', false) ?? caCerts[0]);
  const caFingerprint = new X509Certificate(caCerts[0]).fingerprint256;
  if (chain.length === 0 || new X509Certificate(chain[0]).fingerprint256 !== caFingerprint) chain = [caCerts[0], ...chain];
  const verdict = verifyChain(chain, roots);
  if (!verdict.ok) throw new Error(`plugged-in CA ${dir}: ca-cert.pem does not chain to root-cert.pem through cert-chain.pem: ${verdict.error}`);
  // Callers get the chain with exactly one root at its end.
  const rootFingerprint = new X509Certificate(verdict.root).fingerprint256;
  chain = chain.filter((c) => new X509Certificate(c).fingerprint256 !== rootFingerprint);
  const rootPem = roots.find((r) => new X509Certificate(r).fingerprint256 === rootFingerprint)!;
  let issuer: Issuer;
  try {
    issuer = createIssuer(caCerts[0], key, [...chain.slice(1), rootPem]);
  } catch (err) {
    throw new Error(`plugged-in CA ${dir}: ${(err as Error).message}`);
  }
  return { issuer, roots };
}
