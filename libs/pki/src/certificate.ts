// Certificates: building CA and serving certificates natively, loading an
// issuer (a CA certificate with its key and the chain above it), reading the
// fields policy and tests care about, and verifying chains against roots.
import { X509Certificate, randomBytes, sign, type KeyObject } from 'node:crypto';
import * as der from './der.ts';
import { generateKeyPair, type KeyType } from './keys.ts';
import { OID, type KeyUsageName } from './oids.ts';
import { fromPem, splitCertificates, toPem } from './pem.ts';
import {
  authorityKeyIdentifierValue,
  basicConstraintsValue,
  decodeBasicConstraints,
  decodeExtKeyUsage,
  decodeExtensions,
  decodeGeneralNames,
  decodeKeyUsage,
  describeName,
  emptySans,
  encodeGeneralNames,
  encodeName,
  extKeyUsageValue,
  extension,
  keyIdentifier,
  keyUsageValue,
  signatureAlgorithmFor,
  spkiOf,
  type NameSpec,
  type SignatureAlgorithm,
  type SubjectAltNames,
} from './x509.ts';

const V3 = der.explicit(0, der.smallInt(2));

/** A positive serial of 16 random bytes (RFC 5280 allows up to 20; CAB BR asks for at least 64 random bits). */
export function randomSerial(): Buffer {
  const b = randomBytes(16);
  b[0] &= 0x7f;
  if (b[0] === 0) b[0] = 0x01; // keep it 16 bytes and never zero
  return b;
}

/** A CA certificate with its private key and the chain above it, ready to sign. */
export interface Issuer {
  readonly certPem: string;
  readonly cert: X509Certificate;
  readonly key: KeyObject;
  /** The issuer's subject Name DER, copied verbatim into every certificate it signs as their issuer. */
  readonly subjectDer: Buffer;
  readonly keyId: Buffer;
  readonly signature: SignatureAlgorithm;
  /** Certificates above this one up to and including the root (empty for a root). */
  readonly chainAbove: string[];
  readonly notAfter: Date;
}

export function createIssuer(certPem: string, key: KeyObject, chainAbove: string[] = []): Issuer {
  const certDer = fromPem(certPem, 'CERTIFICATE', 'CA certificate');
  const cert = new X509Certificate(certDer);
  if (!cert.ca) throw new Error(`CA certificate ${cert.subject}: basicConstraints does not allow signing (cA is false)`);
  if (!cert.checkPrivateKey(key)) throw new Error(`CA certificate ${cert.subject}: the private key does not match the certificate's public key`);
  const tbs = der.children(der.readRoot(certDer, der.TAG.sequence, 'certificate'), 'certificate')[0];
  const fields = der.children(tbs, 'certificate.tbsCertificate');
  const subjectDer = Buffer.from(der.raw(fields[5]));
  return {
    certPem: toPem('CERTIFICATE', certDer),
    cert,
    key,
    subjectDer,
    keyId: readCertificate(certDer).subjectKeyId ?? keyIdentifier(spkiOf(key)),
    signature: signatureAlgorithmFor(key),
    chainAbove,
    notAfter: cert.validToDate,
  };
}

export interface CertificateTemplate {
  spki: Buffer;
  subject: NameSpec | Buffer;
  sans?: Partial<SubjectAltNames>;
  serial?: Buffer;
  notBefore: Date;
  notAfter: Date;
  ca?: { pathLen?: number };
  keyUsage: KeyUsageName[];
  extKeyUsage?: string[];
}

/** Signs a certificate natively. With no issuer it is self-signed by `selfKey`. */
export function buildCertificate(t: CertificateTemplate, issuer: Issuer | { selfKey: KeyObject }): string {
  const signingKey = 'selfKey' in issuer ? issuer.selfKey : issuer.key;
  const alg = signatureAlgorithmFor(signingKey);
  const subject = Buffer.isBuffer(t.subject) ? t.subject : encodeName(t.subject);
  const ownKeyId = keyIdentifier(t.spki);
  const sans = t.sans ?? {};
  const hasSans = (sans.uris?.length ?? 0) + (sans.dnsNames?.length ?? 0) + (sans.ipAddresses?.length ?? 0) + (sans.emails?.length ?? 0) > 0;
  const emptySubject = subject.length === 2;
  const exts = [
    extension(OID.basicConstraints, true, basicConstraintsValue(!!t.ca, t.ca?.pathLen)),
    extension(OID.keyUsage, true, keyUsageValue(t.keyUsage)),
    ...(t.extKeyUsage?.length ? [extension(OID.extKeyUsage, false, extKeyUsageValue(t.extKeyUsage))] : []),
    extension(OID.subjectKeyIdentifier, false, der.octetString(ownKeyId)),
    ...('selfKey' in issuer ? [] : [extension(OID.authorityKeyIdentifier, false, authorityKeyIdentifierValue(issuer.keyId))]),
    ...(hasSans ? [extension(OID.subjectAltName, emptySubject, encodeGeneralNames(sans))] : []),
  ];
  const tbs = der.seq(
    V3,
    der.uintBytes(t.serial ?? randomSerial()),
    alg.identifier,
    'selfKey' in issuer ? subject : issuer.subjectDer,
    der.seq(der.time(t.notBefore), der.time(t.notAfter)),
    subject,
    t.spki,
    der.explicit(3, der.seq(...exts)),
  );
  return toPem('CERTIFICATE', der.seq(tbs, alg.identifier, der.bitString(sign(alg.hash, tbs, signingKey))));
}

export interface CreateCaOptions {
  keyType?: KeyType;
  subject: NameSpec;
  ttlMs: number;
  /** Signs an intermediate when given; otherwise the CA is a self-signed root. */
  parent?: Issuer;
  pathLen?: number;
  /** Backdating absorbs clock skew between the CA and verifiers. */
  backdateMs?: number;
  now?: Date;
}

/** A new CA key and certificate. The key is returned as a KeyObject; persisting it is the caller's decision. */
export function createCa(options: CreateCaOptions): { certPem: string; privateKey: KeyObject } {
  const { privateKey } = generateKeyPair(options.keyType ?? 'ec-p256');
  const now = options.now?.getTime() ?? Date.now();
  const certPem = buildCertificate(
    {
      spki: spkiOf(privateKey),
      subject: options.subject,
      notBefore: new Date(now - (options.backdateMs ?? 60_000)),
      notAfter: new Date(now + options.ttlMs),
      ca: { pathLen: options.pathLen },
      keyUsage: ['digitalSignature', 'keyCertSign', 'cRLSign'],
    },
    options.parent ?? { selfKey: privateKey },
  );
  return { certPem, privateKey };
}

/** The fields of a certificate the mesh's policy and tests look at. */
export interface CertificateFields {
  serialHex: string;
  issuer: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  ca: boolean;
  keyUsage: KeyUsageName[];
  extKeyUsage: string[];
  sans: SubjectAltNames;
  sanCritical: boolean;
  subjectKeyId?: Buffer;
  authorityKeyId?: Buffer;
}

export function readCertificate(input: string | Buffer): CertificateFields {
  const body = typeof input === 'string' ? fromPem(input, 'CERTIFICATE', 'certificate') : input;
  const root = der.readRoot(body, der.TAG.sequence, 'certificate');
  const tbs = der.children(root, 'certificate')[0];
  const f = der.children(tbs, 'certificate.tbsCertificate');
  const off = f[0].tag === 0xa0 ? 1 : 0;
  const [serialEl, , issuerEl, validityEl, subjectEl] = f.slice(off);
  const [nb, na] = der.children(validityEl, 'certificate.validity');
  const out: CertificateFields = {
    serialHex: der.contents(serialEl).toString('hex').replace(/^00/, '').toUpperCase(),
    issuer: describeName(issuerEl, 'certificate.issuer'),
    subject: describeName(subjectEl, 'certificate.subject'),
    notBefore: der.readTime(nb, 'certificate.validity.notBefore'),
    notAfter: der.readTime(na, 'certificate.validity.notAfter'),
    ca: false,
    keyUsage: [],
    extKeyUsage: [],
    sans: emptySans(),
    sanCritical: false,
  };
  const extsEl = f.find((e) => e.tag === 0xa3);
  if (extsEl) {
    for (const ext of decodeExtensions(der.children(extsEl, 'certificate.extensions')[0], 'certificate.extensions')) {
      if (ext.oid === OID.basicConstraints) out.ca = decodeBasicConstraints(ext.value, 'basicConstraints').ca;
      else if (ext.oid === OID.keyUsage) out.keyUsage = [...decodeKeyUsage(ext.value, 'keyUsage')];
      else if (ext.oid === OID.extKeyUsage) out.extKeyUsage = decodeExtKeyUsage(ext.value, 'extKeyUsage');
      else if (ext.oid === OID.subjectAltName) {
        out.sans = decodeGeneralNames(ext.value, 'subjectAltName');
        out.sanCritical = ext.critical;
      } else if (ext.oid === OID.subjectKeyIdentifier) out.subjectKeyId = der.contents(der.readRoot(ext.value, der.TAG.octetString, 'subjectKeyIdentifier'));
      else if (ext.oid === OID.authorityKeyIdentifier) {
        const kid = der.children(der.readRoot(ext.value, der.TAG.sequence, 'authorityKeyIdentifier'), 'authorityKeyIdentifier').find((e) => e.tag === 0x80);
        if (kid) out.authorityKeyId = der.contents(kid);
      }
    }
  }
  return out;
}

/** The SPIFFE URIs of a certificate (PEM, DER or a TLS peer certificate's `raw`). */
export function spiffeIdsOf(cert: string | Buffer): string[] {
  return readCertificate(cert).sans.uris.filter((u) => u.startsWith('spiffe://'));
}

export type ChainResult = { ok: true; root: string } | { ok: false; error: string };

function label(c: X509Certificate): string {
  return `${(c.subject ?? '').replace(/\n/g, ', ') || '(empty subject)'} serial ${c.serialNumber}`;
}

/**
 * Verifies `chain` (leaf first; intermediates may follow; a trailing root is
 * only trusted if it is one of `roots`) at time `at`: every signature, every
 * validity period, and CA rights on every issuer.
 */
export function verifyChain(chain: string[], roots: string[], at: Date = new Date()): ChainResult {
  if (chain.length === 0) return { ok: false, error: 'empty chain' };
  let certs: X509Certificate[];
  let trusted: X509Certificate[];
  try {
    certs = chain.map((p) => new X509Certificate(p));
    trusted = roots.flatMap((r) => splitCertificates(r)).map((p) => new X509Certificate(p));
  } catch (err) {
    return { ok: false, error: `unreadable certificate: ${(err as Error).message}` };
  }
  const valid = (c: X509Certificate) => c.validFromDate <= at && at <= c.validToDate;
  const signs = (issuer: X509Certificate, c: X509Certificate) => issuer.ca && c.checkIssued(issuer) && c.verify(issuer.publicKey);
  let current = certs[0];
  const used = new Set<X509Certificate>([current]);
  for (let depth = 0; depth < 8; depth++) {
    if (!valid(current)) return { ok: false, error: `${label(current)} is not valid at ${at.toISOString()} (valid ${current.validFrom} to ${current.validTo})` };
    const root = trusted.find((r) => signs(r, current));
    if (root) {
      if (!valid(root)) return { ok: false, error: `root ${label(root)} is not valid at ${at.toISOString()}` };
      return { ok: true, root: root.toString() };
    }
    const next = certs.find((c) => !used.has(c) && signs(c, current));
    if (!next) return { ok: false, error: `no trusted root (of ${trusted.length}) or intermediate in the chain signed ${label(current)}` };
    used.add(next);
    current = next;
  }
  return { ok: false, error: 'chain too long' };
}

