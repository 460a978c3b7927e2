// The default signing path: the CSR is read by our own DER reader, the
// certificate is assembled from pre-encoded pieces, and node:crypto (OpenSSL)
// checks the CSR signature and signs the certificate.
import { sign } from 'node:crypto';
import * as der from '../der.ts';
import { parseCsr, type CsrInfo } from '../csr.ts';
import { OID } from '../oids.ts';
import { toPem } from '../pem.ts';
import type { Issuer } from '../certificate.ts';
import { WORKLOAD_KEY_USAGE, type SigningBackend, type WorkloadCertificateSpec } from '../workload-profile.ts';
import { authorityKeyIdentifierValue, basicConstraintsValue, encodeGeneralNames, extKeyUsageValue, extension, keyUsageValue } from '../x509.ts';

const V3 = der.explicit(0, der.smallInt(2));
const EMPTY_NAME = der.seq();
const FIXED_EXTENSIONS = Buffer.concat([
  extension(OID.keyUsage, true, keyUsageValue([...WORKLOAD_KEY_USAGE])),
  extension(OID.extKeyUsage, false, extKeyUsageValue([OID.serverAuth, OID.clientAuth])),
  extension(OID.basicConstraints, true, basicConstraintsValue(false)),
]);

// Everything about a certificate that depends only on the issuer, encoded once per issuer.
const perIssuer = new WeakMap<Issuer, { algorithm: Buffer; issuerName: Buffer; fixedExtensions: Buffer }>();

function issuerParts(issuer: Issuer) {
  let parts = perIssuer.get(issuer);
  if (!parts) {
    parts = {
      algorithm: issuer.signature.identifier,
      issuerName: issuer.subjectDer,
      fixedExtensions: Buffer.concat([FIXED_EXTENSIONS, extension(OID.authorityKeyIdentifier, false, authorityKeyIdentifierValue(issuer.keyId))]),
    };
    perIssuer.set(issuer, parts);
  }
  return parts;
}

export const nativeBackend: SigningBackend = {
  name: 'native',
  description: 'own DER reader/writer + node:crypto (OpenSSL) for CSR verification and signing',
  parseCsr,
  issue(csr: CsrInfo, spec: WorkloadCertificateSpec, issuer: Issuer): string {
    const p = issuerParts(issuer);
    const san = extension(OID.subjectAltName, true, encodeGeneralNames({ uris: [spec.spiffeId] }));
    const tbs = der.seq(
      V3,
      der.uintBytes(spec.serial),
      p.algorithm,
      p.issuerName,
      der.seq(der.time(spec.notBefore), der.time(spec.notAfter)),
      EMPTY_NAME,
      csr.spki,
      der.explicit(3, der.tlv(der.TAG.sequence, p.fixedExtensions, san)),
    );
    return toPem('CERTIFICATE', der.seq(tbs, p.algorithm, der.bitString(sign(issuer.signature.hash, tbs, issuer.key))));
  },
};
