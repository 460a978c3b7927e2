// What every workload certificate looks like, whichever library encodes it:
// an empty subject, exactly one SPIFFE URI SAN (critical, since the subject is
// empty), digitalSignature + keyEncipherment, serverAuth + clientAuth, no CA
// rights, and the issuer's key id so verifiers can pick the right root during
// a rotation when two roots are trusted at once.
import type { CsrInfo } from './csr.ts';
import type { Issuer } from './certificate.ts';

export interface WorkloadCertificateSpec {
  spiffeId: string;
  /** Positive serial, big-endian bytes. */
  serial: Buffer;
  notBefore: Date;
  notAfter: Date;
}

export const WORKLOAD_KEY_USAGE = ['digitalSignature', 'keyEncipherment'] as const;

/** A way of decoding CSRs and encoding + signing certificates. The CA applies one policy on top of any of them. */
export interface SigningBackend {
  readonly name: BackendName;
  /** What the backend uses for decoding, encoding and signing (for the benchmark table). */
  readonly description: string;
  /** Decodes the CSR and checks its self-signature; throws CsrError. */
  parseCsr(pem: string): CsrInfo | Promise<CsrInfo>;
  /** Encodes and signs the workload certificate for the CSR's public key; returns PEM. */
  issue(csr: CsrInfo, spec: WorkloadCertificateSpec, issuer: Issuer): string | Promise<string>;
}

export const BACKEND_NAMES = ['native', 'forge'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
