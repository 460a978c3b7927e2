// PKCS#10 certificate signing requests (RFC 2986): creating them (what a
// workload's agent does with its in-memory key) and reading them natively
// (what the CA's default signing path does).
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import * as der from './der.ts';
import { OID, SIGNATURE_HASH } from './oids.ts';
import { fromPem, toPem } from './pem.ts';
import {
  basicConstraintsValue,
  decodeBasicConstraints,
  decodeExtensions,
  decodeGeneralNames,
  decodeKeyUsage,
  describeName,
  emptySans,
  encodeGeneralNames,
  encodeName,
  extension,
  keyUsageValue,
  signatureAlgorithmFor,
  spkiOf,
  type NameSpec,
  type SubjectAltNames,
} from './x509.ts';

/** A CSR that cannot be used: unreadable, badly signed, or asking for something not allowed. */
export class CsrError extends Error {}

export interface CreateCsrOptions {
  privateKey: KeyObject;
  uris?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  subject?: NameSpec;
  /** Ask for CA rights (basicConstraints cA=TRUE, keyCertSign). Only tests want this: the CA must refuse it. */
  requestCa?: boolean;
}

/** Builds and signs a CSR with the caller's key; the key never leaves this function's caller. */
export function createCsr(options: CreateCsrOptions): string {
  const exts: Buffer[] = [];
  const sans = { uris: options.uris ?? [], dnsNames: options.dnsNames ?? [], ipAddresses: options.ipAddresses ?? [] };
  const hasSans = sans.uris.length + sans.dnsNames.length + sans.ipAddresses.length > 0;
  const subject = encodeName(options.subject ?? {});
  // An empty subject needs the SAN extension critical (RFC 5280 §4.2.1.6), as Istio's agent writes it.
  if (hasSans) exts.push(extension(OID.subjectAltName, !options.subject, encodeGeneralNames(sans)));
  if (options.requestCa) {
    exts.push(extension(OID.basicConstraints, true, basicConstraintsValue(true)));
    exts.push(extension(OID.keyUsage, true, keyUsageValue(['keyCertSign', 'cRLSign'])));
  }
  const attributes = exts.length ? der.explicit(0, der.seq(der.oid(OID.extensionRequest), der.set(der.seq(...exts)))) : der.explicit(0);
  const info = der.seq(der.smallInt(0), subject, spkiOf(options.privateKey), attributes);
  const alg = signatureAlgorithmFor(options.privateKey);
  const signature = sign(alg.hash, info, options.privateKey);
  return toPem('CERTIFICATE REQUEST', der.seq(info, alg.identifier, der.bitString(signature)));
}

export type CsrKey = { type: 'ec'; curve: string } | { type: 'rsa'; bits: number } | { type: string };

/** What the CA needs from a request, whichever library decoded it. */
export interface CsrInfo {
  /** Readable subject, for messages only (workload identity comes from the SAN). */
  subject: string;
  /** The SubjectPublicKeyInfo DER, copied verbatim into the certificate. */
  spki: Buffer;
  key: CsrKey;
  sans: SubjectAltNames;
  /** The request asks for basicConstraints cA=TRUE or the keyCertSign usage. */
  requestsCa: boolean;
  /** Decoder-specific handle the same backend uses when issuing (for example a node-forge key). */
  handle?: unknown;
}

const CURVES: Record<string, string> = { '1.2.840.10045.3.1.7': 'P-256', '1.3.132.0.34': 'P-384', '1.3.132.0.35': 'P-521' };

/**
 * The key type and size, read from the SubjectPublicKeyInfo DER. (Asking a
 * KeyObject for asymmetricKeyDetails costs more than verifying the signature.)
 */
export function describeSpki(spki: Buffer): CsrKey {
  const root = der.readRoot(spki, der.TAG.sequence, 'subjectPublicKeyInfo');
  const [algEl, keyEl] = der.children(root, 'subjectPublicKeyInfo');
  const [algOid, param] = der.children(algEl, 'subjectPublicKeyInfo.algorithm');
  const alg = der.readOid(algOid, 'subjectPublicKeyInfo.algorithm');
  if (alg === '1.2.840.10045.2.1') {
    const curve = param?.tag === der.TAG.oid ? der.readOid(param, 'subjectPublicKeyInfo.algorithm.namedCurve') : 'explicit';
    return { type: 'ec', curve: CURVES[curve] ?? curve };
  }
  if (alg === '1.2.840.113549.1.1.1') {
    const rsaKey = der.readRoot(der.readBitString(keyEl, 'subjectPublicKeyInfo.subjectPublicKey').bytes, der.TAG.sequence, 'RSAPublicKey');
    const modulus = der.contents(der.children(rsaKey, 'RSAPublicKey')[0]);
    let i = 0;
    while (i < modulus.length && modulus[i] === 0) i++;
    const bits = (modulus.length - i) * 8 - (i < modulus.length ? Math.clz32(modulus[i]) - 24 : 0);
    return { type: 'rsa', bits };
  }
  return { type: alg };
}

/** Reads the extensionRequest attribute's extensions into SANs and CA intent. */
export function interpretRequestedExtensions(exts: Array<{ oid: string; value: Buffer }>): { sans: SubjectAltNames; requestsCa: boolean } {
  let sans = emptySans();
  let requestsCa = false;
  for (const ext of exts) {
    if (ext.oid === OID.subjectAltName) sans = decodeGeneralNames(ext.value, 'csr.extensionRequest.subjectAltName');
    else if (ext.oid === OID.basicConstraints) requestsCa ||= decodeBasicConstraints(ext.value, 'csr.extensionRequest.basicConstraints').ca;
    else if (ext.oid === OID.keyUsage) requestsCa ||= decodeKeyUsage(ext.value, 'csr.extensionRequest.keyUsage').has('keyCertSign');
  }
  return { sans, requestsCa };
}

/**
 * Decodes a PEM CSR with the native DER reader and checks its self-signature
 * with node:crypto. Throws CsrError naming the field that is wrong.
 */
export function parseCsr(pem: string): CsrInfo {
  let body: Buffer;
  try {
    body = fromPem(pem, 'CERTIFICATE REQUEST', 'csr');
  } catch (err) {
    throw new CsrError((err as Error).message);
  }
  return parseCsrDer(body);
}

export function parseCsrDer(body: Buffer): CsrInfo {
  try {
    const root = der.readRoot(body, der.TAG.sequence, 'csr');
    const [infoEl, algEl, sigEl] = der.children(root, 'csr');
    if (!sigEl) throw new CsrError('csr: expected certificationRequestInfo, signatureAlgorithm and signature');
    const info = der.children(der.expect(infoEl, der.TAG.sequence, 'csr.certificationRequestInfo'), 'csr.certificationRequestInfo');
    if (info.length !== 4) throw new CsrError('csr.certificationRequestInfo: expected version, subject, subjectPKInfo and attributes');
    const [versionEl, subjectEl, spkiEl, attrsEl] = info;
    if (der.contents(der.expect(versionEl, der.TAG.integer, 'csr.version')).toString('hex') !== '00') throw new CsrError('csr.version: only version 1 (0) exists');
    const spki = Buffer.from(der.raw(der.expect(spkiEl, der.TAG.sequence, 'csr.subjectPKInfo')));
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    } catch (err) {
      throw new CsrError(`csr.subjectPKInfo: unreadable public key (${(err as Error).message})`);
    }
    const algOid = der.readOid(der.children(der.expect(algEl, der.TAG.sequence, 'csr.signatureAlgorithm'), 'csr.signatureAlgorithm')[0], 'csr.signatureAlgorithm');
    const hash = SIGNATURE_HASH[algOid];
    if (!hash) throw new CsrError(`csr.signatureAlgorithm: ${algOid} is not supported (use ECDSA or RSA PKCS#1 v1.5 with SHA-256/384/512)`);
    const { bytes: signature, unused } = der.readBitString(sigEl, 'csr.signature');
    if (unused !== 0) throw new CsrError('csr.signature: BIT STRING with unused bits');
    if (!verify(hash, der.raw(infoEl), publicKey, signature)) throw new CsrError('csr.signature: does not verify with the request\'s own public key');

    let requested: Array<{ oid: string; value: Buffer }> = [];
    if (attrsEl.tag !== 0xa0) throw new CsrError('csr.attributes: expected [0] attributes');
    for (const [i, attr] of der.children(attrsEl, 'csr.attributes').entries()) {
      const [typeEl, valuesEl] = der.children(der.expect(attr, der.TAG.sequence, `csr.attributes[${i}]`), `csr.attributes[${i}]`);
      if (der.readOid(typeEl, `csr.attributes[${i}].type`) !== OID.extensionRequest) continue;
      const values = der.children(der.expect(valuesEl, der.TAG.set, `csr.attributes[${i}].values`), `csr.attributes[${i}].values`);
      if (values.length !== 1) throw new CsrError('csr.extensionRequest: expected exactly one Extensions value');
      requested = decodeExtensions(values[0], 'csr.extensionRequest');
    }
    const { sans, requestsCa } = interpretRequestedExtensions(requested);
    return { subject: describeName(subjectEl, 'csr.subject'), spki, key: describeSpki(spki), sans, requestsCa };
  } catch (err) {
    if (err instanceof CsrError) throw err;
    if (err instanceof der.DerError) throw new CsrError(`malformed CSR: ${err.message}`);
    throw new CsrError(`malformed CSR: ${(err as Error).message}`);
  }
}
