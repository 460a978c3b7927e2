// The node-forge signing path (the package the design card named), kept so
// the two can be measured side by side. node-forge 1.x has RSA but no ECDSA,
// so: RSA requests under an RSA CA go through forge's own CSR and certificate
// API end to end (forge's JavaScript RSA signs); anything with an EC key uses
// forge's ASN.1 module to decode the CSR and encode the certificate, and
// node:crypto for the ECDSA signature forge cannot make or check.
import { createPublicKey, sign, verify } from 'node:crypto';
import forge from 'node-forge';
import { CsrError, describeSpki, interpretRequestedExtensions, type CsrInfo } from '../csr.ts';
import { privateKeyToPem } from '../keys.ts';
import { SIGNATURE_HASH } from '../oids.ts';
import type { Issuer } from '../certificate.ts';
import { WORKLOAD_KEY_USAGE, type SigningBackend, type WorkloadCertificateSpec } from '../workload-profile.ts';

const { asn1, pki } = forge;
// Exported by node-forge but missing from its type definitions.
const pkiExtras = pki as unknown as {
  certificateExtensionFromAsn1(ext: forge.asn1.Asn1): { id: string; value: string };
  certificateExtensionsToAsn1(exts: unknown[]): forge.asn1.Asn1;
};
const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
const bin = (b: Buffer) => b.toString('binary');
const buf = (s: string) => Buffer.from(s, 'binary');
const noBitStrings = { decodeBitStrings: false } as unknown as boolean;

interface ForgeHandle {
  publicKey?: forge.pki.rsa.PublicKey;
}

function extensionsFrom(values: Array<{ id: string; value: string }>): Array<{ oid: string; value: Buffer }> {
  return values.map((e) => ({ oid: e.id, value: buf(e.value) }));
}

function parseForgeCsr(pem: string): CsrInfo {
  let msgs: forge.pem.ObjectPEM[];
  try {
    msgs = forge.pem.decode(pem);
  } catch (err) {
    throw new CsrError(`csr: not PEM (${(err as Error).message})`);
  }
  if (msgs.length !== 1 || msgs[0].type !== 'CERTIFICATE REQUEST') throw new CsrError('csr: expected one "CERTIFICATE REQUEST" PEM block');
  try {
    const root = asn1.fromDer(msgs[0].body, noBitStrings);
    const [cri, algorithm, signature] = root.value as forge.asn1.Asn1[];
    const criParts = cri.value as forge.asn1.Asn1[];
    const spkiAsn = criParts[2];
    const keyOid = asn1.derToOid(((spkiAsn.value as forge.asn1.Asn1[])[0].value as forge.asn1.Asn1[])[0].value as string);
    const spki = buf(asn1.toDer(spkiAsn).getBytes());

    if (keyOid === RSA_ENCRYPTION) {
      // forge's own path: parse, verify with its RSA, read its decoded extensions.
      const csr = pki.certificationRequestFromAsn1(asn1.fromDer(msgs[0].body));
      if (!csr.verify()) throw new CsrError("csr.signature: does not verify with the request's own public key");
      const req = csr.getAttribute({ name: 'extensionRequest' }) as { extensions?: Array<{ id: string; value: string }> } | null;
      const { sans, requestsCa } = interpretRequestedExtensions(extensionsFrom(req?.extensions ?? []));
      const publicKey = csr.publicKey as forge.pki.rsa.PublicKey;
      const handle: ForgeHandle = { publicKey };
      return { subject: csr.subject.attributes.map((a) => `${a.shortName ?? a.type}=${a.value}`).join(', '), spki, key: { type: 'rsa', bits: publicKey.n.bitLength() }, sans, requestsCa, handle };
    }

    // EC: forge decodes and re-encodes the structure; node:crypto checks the ECDSA signature.
    const algOid = asn1.derToOid((algorithm.value as forge.asn1.Asn1[])[0].value as string);
    const hash = SIGNATURE_HASH[algOid];
    if (!hash) throw new CsrError(`csr.signatureAlgorithm: ${algOid} is not supported`);
    const publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    const sigBytes = buf((signature.value as string).slice(1));
    if (!verify(hash, buf(asn1.toDer(cri).getBytes()), publicKey, sigBytes)) throw new CsrError("csr.signature: does not verify with the request's own public key");
    let requested: Array<{ oid: string; value: Buffer }> = [];
    for (const attr of (criParts[3]?.value as forge.asn1.Asn1[]) ?? []) {
      const [type, values] = attr.value as forge.asn1.Asn1[];
      if (asn1.derToOid(type.value as string) !== '1.2.840.113549.1.9.14') continue;
      const exts = ((values.value as forge.asn1.Asn1[])[0].value as forge.asn1.Asn1[]).map((e) => pkiExtras.certificateExtensionFromAsn1(e));
      requested = extensionsFrom(exts);
    }
    const { sans, requestsCa } = interpretRequestedExtensions(requested);
    return { subject: '', spki, key: describeSpki(spki), sans, requestsCa, handle: {} satisfies ForgeHandle };
  } catch (err) {
    if (err instanceof CsrError) throw err;
    throw new CsrError(`malformed CSR: ${(err as Error).message}`);
  }
}

interface ForgeIssuer {
  rsaKey?: forge.pki.rsa.PrivateKey;
  cert?: forge.pki.Certificate;
  nameAsn: forge.asn1.Asn1;
  algorithmAsn: () => forge.asn1.Asn1;
}
const perIssuer = new WeakMap<Issuer, ForgeIssuer>();

function forgeIssuer(issuer: Issuer): ForgeIssuer {
  let fi = perIssuer.get(issuer);
  if (!fi) {
    const rsa = issuer.key.asymmetricKeyType === 'rsa';
    const algDer = bin(issuer.signature.identifier);
    fi = {
      rsaKey: rsa ? (pki.privateKeyFromPem(privateKeyToPem(issuer.key)) as forge.pki.rsa.PrivateKey) : undefined,
      cert: rsa ? pki.certificateFromPem(issuer.certPem) : undefined,
      nameAsn: asn1.fromDer(bin(issuer.subjectDer), noBitStrings),
      algorithmAsn: () => asn1.fromDer(algDer),
    };
    perIssuer.set(issuer, fi);
  }
  return fi;
}

function workloadExtensions(spec: WorkloadCertificateSpec, issuer: Issuer): unknown[] {
  return [
    { name: 'keyUsage', critical: true, ...Object.fromEntries(WORKLOAD_KEY_USAGE.map((u) => [u, true])) },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'basicConstraints', critical: true, cA: false },
    { name: 'authorityKeyIdentifier', keyIdentifier: bin(issuer.keyId) },
    { name: 'subjectAltName', critical: true, altNames: [{ type: 6, value: spec.spiffeId }] },
  ];
}

function time(d: Date): forge.asn1.Asn1 {
  return d.getUTCFullYear() < 2050
    ? asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTCTIME, false, asn1.dateToUtcTime(d))
    : asn1.create(asn1.Class.UNIVERSAL, asn1.Type.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(d));
}

function issueForge(csr: CsrInfo, spec: WorkloadCertificateSpec, issuer: Issuer): string {
  const fi = forgeIssuer(issuer);
  const handle = (csr.handle ?? {}) as ForgeHandle;
  if (fi.rsaKey && fi.cert && handle.publicKey) {
    // All forge: RSA key in an RSA CA.
    const cert = pki.createCertificate();
    cert.publicKey = handle.publicKey;
    cert.serialNumber = spec.serial.toString('hex');
    cert.validity.notBefore = spec.notBefore;
    cert.validity.notAfter = spec.notAfter;
    cert.setSubject([]);
    cert.setIssuer(fi.cert.subject.attributes);
    cert.setExtensions(workloadExtensions(spec, issuer) as never[]);
    cert.sign(fi.rsaKey, forge.md.sha256.create());
    return pki.certificateToPem(cert).replace(/\r\n/g, '\n');
  }
  // forge ASN.1 for the structure; the signature from forge's RSA or node:crypto's ECDSA.
  const scratch = pki.createCertificate();
  scratch.setExtensions(workloadExtensions(spec, issuer) as never[]);
  const { UNIVERSAL, CONTEXT_SPECIFIC } = asn1.Class;
  const T = asn1.Type;
  const tbs = asn1.create(UNIVERSAL, T.SEQUENCE, true, [
    asn1.create(CONTEXT_SPECIFIC, 0, true, [asn1.create(UNIVERSAL, T.INTEGER, false, asn1.integerToDer(2).getBytes())]),
    asn1.create(UNIVERSAL, T.INTEGER, false, bin(spec.serial)),
    fi.algorithmAsn(),
    fi.nameAsn,
    asn1.create(UNIVERSAL, T.SEQUENCE, true, [time(spec.notBefore), time(spec.notAfter)]),
    asn1.create(UNIVERSAL, T.SEQUENCE, true, []),
    asn1.fromDer(bin(csr.spki), noBitStrings),
    pkiExtras.certificateExtensionsToAsn1(scratch.extensions),
  ]);
  const tbsDer = asn1.toDer(tbs).getBytes();
  let signature: string;
  if (fi.rsaKey) {
    const md = forge.md.sha256.create();
    md.update(tbsDer);
    signature = fi.rsaKey.sign(md);
  } else {
    signature = bin(sign(issuer.signature.hash, buf(tbsDer), issuer.key));
  }
  const certAsn = asn1.create(UNIVERSAL, T.SEQUENCE, true, [tbs, fi.algorithmAsn(), asn1.create(UNIVERSAL, T.BITSTRING, false, '\x00' + signature)]);
  return forge.pem.encode({ type: 'CERTIFICATE', body: asn1.toDer(certAsn).getBytes() }).replace(/\r\n/g, '\n');
}

export const forgeBackend: SigningBackend = {
  name: 'forge',
  description: 'node-forge: CSR decode + certificate encode; RSA signatures in forge (JavaScript); ECDSA via node:crypto (forge has none)',
  parseCsr: parseForgeCsr,
  issue: issueForge,
};
