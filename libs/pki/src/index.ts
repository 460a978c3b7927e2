export { TAG, DerError } from './der.ts';
export { OID, KEY_USAGE, type KeyUsageName } from './oids.ts';
export { toPem, fromPem, pemBlocks, splitCertificates } from './pem.ts';
export { formatSpiffeId, parseSpiffeId, validateIdentity, validateTrustDomain, type WorkloadIdentity } from './spiffe.ts';
export { KEY_TYPES, generateKeyPair, parseKeyType, describeKey, privateKeyToPem, privateKeyFromPem, type KeyType, type KeyPair } from './keys.ts';
export { createCsr, parseCsr, CsrError, type CreateCsrOptions, type CsrInfo, type CsrKey } from './csr.ts';
export { signatureAlgorithmFor, spkiOf, keyIdentifier, type NameSpec, type SubjectAltNames } from './x509.ts';
export {
  randomSerial,
  createIssuer,
  buildCertificate,
  createCa,
  readCertificate,
  spiffeIdsOf,
  verifyChain,
  type Issuer,
  type CertificateTemplate,
  type CreateCaOptions,
  type CertificateFields,
  type ChainResult,
} from './certificate.ts';
export { BACKEND_NAMES, WORKLOAD_KEY_USAGE, type BackendName, type SigningBackend, type WorkloadCertificateSpec } from './workload-profile.ts';
export { BACKENDS, backendByName } from './backends/index.ts';
export { peerSpiffeId, expectSpiffeId } from './tls-identity.ts';
