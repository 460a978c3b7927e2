// X.509 pieces shared by requests and certificates: names, general names,
// extensions and signature algorithms, both written and read.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import * as der from './der.ts';
import { KEY_USAGE, OID, type KeyUsageName } from './oids.ts';

// ---- names ----

export interface NameSpec {
  organization?: string;
  commonName?: string;
}

/** A distinguished name with at most O and CN; `{}` is the empty name workload certificates carry. */
export function encodeName(name: NameSpec): Buffer {
  const rdns: Buffer[] = [];
  if (name.organization) rdns.push(der.set(der.seq(der.oid(OID.organization), der.utf8(name.organization))));
  if (name.commonName) rdns.push(der.set(der.seq(der.oid(OID.commonName), der.utf8(name.commonName))));
  return der.seq(...rdns);
}

const NAME_LABELS: Record<string, string> = { [OID.commonName]: 'CN', [OID.organization]: 'O', '2.5.4.6': 'C', '2.5.4.11': 'OU', '2.5.4.7': 'L', '2.5.4.8': 'ST' };

/** A readable one-line form of a Name ("O=cluster.local, CN=..."), for messages only. */
export function describeName(el: der.Element, path: string): string {
  const parts: string[] = [];
  for (const rdn of der.children(der.expect(el, der.TAG.sequence, path), path)) {
    for (const atv of der.children(rdn, path)) {
      const [type, value] = der.children(atv, path);
      const o = der.readOid(type, path);
      let v: string;
      try {
        v = der.readString(value, path);
      } catch {
        v = '#' + der.contents(value).toString('hex');
      }
      parts.push(`${NAME_LABELS[o] ?? o}=${v}`);
    }
  }
  return parts.join(', ');
}

// ---- general names (subjectAltName) ----

export interface SubjectAltNames {
  uris: string[];
  dnsNames: string[];
  ipAddresses: string[];
  emails: string[];
  /** otherName, directoryName and the rest: counted, since policy only needs to know they are there. */
  others: number;
}

export function emptySans(): SubjectAltNames {
  return { uris: [], dnsNames: [], ipAddresses: [], emails: [], others: 0 };
}

function ipBytes(ip: string): Buffer {
  const v = isIP(ip);
  if (v === 4) return Buffer.from(ip.split('.').map(Number));
  if (v === 6) {
    const [head, tail = ''] = ip.split('::');
    const h = head ? head.split(':') : [];
    const t = ip.includes('::') && tail ? tail.split(':') : [];
    const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
    const out = Buffer.alloc(16);
    groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
    return out;
  }
  throw new Error(`"${ip}" is not an IP address`);
}

function ipText(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  if (b.length === 16) return Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16)).join(':');
  return '#' + b.toString('hex');
}

export function encodeGeneralNames(names: Partial<SubjectAltNames>): Buffer {
  const parts: Buffer[] = [];
  for (const e of names.emails ?? []) parts.push(der.implicitPrimitive(1, Buffer.from(e, 'latin1')));
  for (const d of names.dnsNames ?? []) parts.push(der.implicitPrimitive(2, Buffer.from(d, 'latin1')));
  for (const u of names.uris ?? []) parts.push(der.implicitPrimitive(6, Buffer.from(u, 'latin1')));
  for (const ip of names.ipAddresses ?? []) parts.push(der.implicitPrimitive(7, ipBytes(ip)));
  return der.seq(...parts);
}

export function decodeGeneralNames(value: Buffer, path: string): SubjectAltNames {
  const out = emptySans();
  const seq = der.readRoot(value, der.TAG.sequence, path);
  for (const [i, gn] of der.children(seq, path).entries()) {
    const body = der.contents(gn);
    switch (gn.tag) {
      case 0x81:
        out.emails.push(body.toString('latin1'));
        break;
      case 0x82:
        out.dnsNames.push(body.toString('latin1'));
        break;
      case 0x86:
        out.uris.push(body.toString('latin1'));
        break;
      case 0x87:
        out.ipAddresses.push(ipText(body));
        break;
      default:
        if ((gn.tag & 0xc0) !== 0x80) throw new der.DerError(`${path}[${i}]`, 'not a GeneralName');
        out.others++;
    }
  }
  return out;
}

// ---- extensions ----

export function extension(oidDotted: string, critical: boolean, value: Buffer): Buffer {
  return critical ? der.seq(der.oid(oidDotted), der.bool(true), der.octetString(value)) : der.seq(der.oid(oidDotted), der.octetString(value));
}

export function keyUsageValue(usages: KeyUsageName[]): Buffer {
  let bits = 0;
  let highest = -1;
  for (const u of usages) {
    bits |= 0x80 >> KEY_USAGE[u];
    highest = Math.max(highest, KEY_USAGE[u]);
  }
  // DER: a named bit list drops trailing zero bits (X.690 §11.2.2).
  return der.tlv(der.TAG.bitString, Buffer.from([7 - highest, bits]));
}

export function extKeyUsageValue(oids: string[]): Buffer {
  return der.seq(...oids.map((o) => der.oid(o)));
}

export function basicConstraintsValue(ca: boolean, pathLen?: number): Buffer {
  if (!ca) return der.seq();
  return pathLen === undefined ? der.seq(der.bool(true)) : der.seq(der.bool(true), der.smallInt(pathLen));
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING contents. */
export function keyIdentifier(spki: Buffer): Buffer {
  const root = der.readRoot(spki, der.TAG.sequence, 'subjectPublicKeyInfo');
  const [, key] = der.children(root, 'subjectPublicKeyInfo');
  return createHash('sha1').update(der.readBitString(key, 'subjectPublicKeyInfo.subjectPublicKey').bytes).digest();
}

export function authorityKeyIdentifierValue(keyId: Buffer): Buffer {
  return der.seq(der.implicitPrimitive(0, keyId));
}

export interface ParsedExtension {
  oid: string;
  critical: boolean;
  value: Buffer;
}

export function decodeExtensions(el: der.Element, path: string): ParsedExtension[] {
  return der.children(der.expect(el, der.TAG.sequence, path), path).map((ext, i) => {
    const p = `${path}[${i}]`;
    const parts = der.children(der.expect(ext, der.TAG.sequence, p), p);
    const id = der.readOid(parts[0], `${p}.extnID`);
    const critical = parts.length === 3 ? der.readBool(parts[1], `${p}.critical`) : false;
    const valueEl = parts[parts.length - 1];
    return { oid: id, critical, value: der.contents(der.expect(valueEl, der.TAG.octetString, `${p}.extnValue`)) };
  });
}

export function decodeBasicConstraints(value: Buffer, path: string): { ca: boolean; pathLen?: number } {
  const items = der.children(der.readRoot(value, der.TAG.sequence, path), path);
  const ca = items.length > 0 && items[0].tag === der.TAG.boolean ? der.readBool(items[0], `${path}.cA`) : false;
  return { ca };
}

export function decodeKeyUsage(value: Buffer, path: string): Set<KeyUsageName> {
  const { bytes } = der.readBitString(der.readRoot(value, der.TAG.bitString, path), path);
  const out = new Set<KeyUsageName>();
  for (const [name, bit] of Object.entries(KEY_USAGE) as Array<[KeyUsageName, number]>) {
    const byte = bytes[bit >> 3] ?? 0;
    if (byte & (0x80 >> (bit & 7))) out.add(name);
  }
  return out;
}

export function decodeExtKeyUsage(value: Buffer, path: string): string[] {
  return der.children(der.readRoot(value, der.TAG.sequence, path), path).map((o, i) => der.readOid(o, `${path}[${i}]`));
}

// ---- signature algorithms ----

export interface SignatureAlgorithm {
  oid: string;
  hash: 'sha256' | 'sha384';
  /** The AlgorithmIdentifier DER, ready to embed. */
  identifier: Buffer;
}

const RSA_SHA256: SignatureAlgorithm = { oid: OID.sha256WithRsa, hash: 'sha256', identifier: der.seq(der.oid(OID.sha256WithRsa), der.NULL) };
const ECDSA_SHA256: SignatureAlgorithm = { oid: OID.ecdsaWithSha256, hash: 'sha256', identifier: der.seq(der.oid(OID.ecdsaWithSha256)) };
const ECDSA_SHA384: SignatureAlgorithm = { oid: OID.ecdsaWithSha384, hash: 'sha384', identifier: der.seq(der.oid(OID.ecdsaWithSha384)) };

/** The algorithm a key signs with: ECDSA with the hash matching its curve, RSA PKCS#1 v1.5 with SHA-256. */
export function signatureAlgorithmFor(key: KeyObject): SignatureAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return RSA_SHA256;
  if (key.asymmetricKeyType === 'ec') return key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? ECDSA_SHA384 : ECDSA_SHA256;
  throw new Error(`unsupported signing key type ${key.asymmetricKeyType}; use EC P-256 or RSA`);
}

export function spkiOf(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ format: 'der', type: 'spki' });
}
