// A minimal DER (X.690) encoder and reader: just the types X.509 certificates
// and PKCS#10 requests use. Written for the signing hot path, so it works on
// Buffers directly and never builds an intermediate object tree.

export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

/** Thrown for bytes that are not the DER we expect; `path` names where in the structure. */
export class DerError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.path = path;
  }
}

function lengthBytes(len: number): Buffer {
  if (len < 0x80) return Buffer.from([len]);
  const bytes: number[] = [];
  for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One tag-length-value from already-encoded contents. */
export function tlv(tag: number, ...contents: Buffer[]): Buffer {
  const body = contents.length === 1 ? contents[0] : Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), lengthBytes(body.length), body]);
}

export const seq = (...items: Buffer[]): Buffer => tlv(TAG.sequence, ...items);
export const set = (...items: Buffer[]): Buffer => tlv(TAG.set, ...items);
/** Context-specific constructed tag [n] (EXPLICIT wrapping, or IMPLICIT of a constructed type). */
export const explicit = (n: number, ...items: Buffer[]): Buffer => tlv(0xa0 | n, ...items);
/** Context-specific primitive tag [n] (IMPLICIT of a primitive type). */
export const implicitPrimitive = (n: number, content: Buffer): Buffer => tlv(0x80 | n, content);
export const NULL = Buffer.from([0x05, 0x00]);
export const bool = (v: boolean): Buffer => Buffer.from([0x01, 0x01, v ? 0xff : 0x00]);
export const octetString = (b: Buffer): Buffer => tlv(TAG.octetString, b);
export const utf8 = (s: string): Buffer => tlv(TAG.utf8String, Buffer.from(s, 'utf8'));
export const printable = (s: string): Buffer => tlv(TAG.printableString, Buffer.from(s, 'latin1'));
/** BIT STRING with whole bytes (no unused bits), as signatures and keys are. */
export const bitString = (b: Buffer): Buffer => tlv(TAG.bitString, Buffer.from([0]), b);

/** INTEGER from unsigned big-endian magnitude bytes (a leading 0 is added when the high bit is set). */
export function uintBytes(magnitude: Buffer): Buffer {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const trimmed = magnitude.subarray(i);
  return trimmed[0] & 0x80 ? tlv(TAG.integer, Buffer.from([0]), trimmed) : tlv(TAG.integer, trimmed);
}

export function smallInt(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new RangeError(`smallInt: ${n} out of range`);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return uintBytes(Buffer.from(bytes.length ? bytes : [0]));
}

const oidCache = new Map<string, Buffer>();
/** OBJECT IDENTIFIER from dotted form; encodings are cached since the same few OIDs recur. */
export function oid(dotted: string): Buffer {
  const cached = oidCache.get(dotted);
  if (cached) return cached;
  const arcs = dotted.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isInteger(a) || a < 0)) throw new RangeError(`bad OID ${dotted}`);
  const out: number[] = [];
  const push = (v: number) => {
    const bytes = [v & 0x7f];
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift((v & 0x7f) | 0x80);
    out.push(...bytes);
  };
  push(arcs[0] * 40 + arcs[1]);
  for (const a of arcs.slice(2)) push(a);
  const enc = tlv(TAG.oid, Buffer.from(out));
  oidCache.set(dotted, enc);
  return enc;
}

const pad2 = (n: number) => (n < 10 ? '0' : '') + n;
/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; always seconds and Z. */
export function time(date: Date): Buffer {
  const y = date.getUTCFullYear();
  const rest = pad2(date.getUTCMonth() + 1) + pad2(date.getUTCDate()) + pad2(date.getUTCHours()) + pad2(date.getUTCMinutes()) + pad2(date.getUTCSeconds()) + 'Z';
  if (y >= 1950 && y < 2050) return tlv(TAG.utcTime, Buffer.from(pad2(y % 100) + rest, 'latin1'));
  return tlv(TAG.generalizedTime, Buffer.from(String(y).padStart(4, '0') + rest, 'latin1'));
}

// ---- reading ----

/** One element read from a buffer: `start`/`end` bound the contents; `header` is where the element begins. */
export interface Element {
  readonly tag: number;
  readonly header: number;
  readonly start: number;
  readonly end: number;
  readonly buf: Buffer;
}

export function read(buf: Buffer, offset: number, path: string, limit = buf.length): Element {
  if (offset + 2 > limit) throw new DerError(path, 'truncated (no tag and length)');
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) throw new DerError(path, 'multi-byte tags are not supported');
  let len = buf[offset + 1];
  let start = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw new DerError(path, 'indefinite length is not DER');
    if (n > 4) throw new DerError(path, 'length too large');
    if (start + n > limit) throw new DerError(path, 'truncated length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i];
    if (len < 0x80 || (n > 1 && buf[start] === 0)) throw new DerError(path, 'non-minimal length encoding');
    start += n;
  }
  const end = start + len;
  if (end > limit) throw new DerError(path, `truncated (needs ${end - limit} more bytes)`);
  return { tag, header: offset, start, end, buf };
}

/** Reads a whole buffer as exactly one element of the expected tag. */
export function readRoot(buf: Buffer, tag: number, path: string): Element {
  const el = expect(read(buf, 0, path), tag, path);
  if (el.end !== buf.length) throw new DerError(path, `${buf.length - el.end} trailing bytes after the structure`);
  return el;
}

export function expect(el: Element, tag: number, path: string): Element {
  if (el.tag !== tag) throw new DerError(path, `expected tag 0x${tag.toString(16)}, found 0x${el.tag.toString(16)}`);
  return el;
}

/** The children of a constructed element, in order. */
export function children(el: Element, path: string): Element[] {
  const out: Element[] = [];
  for (let off = el.start; off < el.end; ) {
    const c = read(el.buf, off, `${path}[${out.length}]`, el.end);
    out.push(c);
    off = c.end;
  }
  return out;
}

export const contents = (el: Element): Buffer => el.buf.subarray(el.start, el.end);
/** The whole encoding of an element, header included (for hashing or copying verbatim). */
export const raw = (el: Element): Buffer => el.buf.subarray(el.header, el.end);

export function readOid(el: Element, path: string): string {
  expect(el, TAG.oid, path);
  const b = contents(el);
  if (b.length === 0) throw new DerError(path, 'empty OID');
  const arcs: number[] = [];
  let v = 0;
  for (let i = 0; i < b.length; i++) {
    v = v * 128 + (b[i] & 0x7f);
    if (!(b[i] & 0x80)) {
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    } else if (i === b.length - 1) throw new DerError(path, 'truncated OID');
  }
  return arcs.join('.');
}

export function readBool(el: Element, path: string): boolean {
  expect(el, TAG.boolean, path);
  if (el.end - el.start !== 1) throw new DerError(path, 'BOOLEAN must be one byte');
  return el.buf[el.start] !== 0;
}

/** BIT STRING contents as bytes plus the count of unused trailing bits. */
export function readBitString(el: Element, path: string): { bytes: Buffer; unused: number } {
  expect(el, TAG.bitString, path);
  const b = contents(el);
  if (b.length === 0 || b[0] > 7) throw new DerError(path, 'malformed BIT STRING');
  return { bytes: b.subarray(1), unused: b[0] };
}

export function readString(el: Element, path: string): string {
  const b = contents(el);
  switch (el.tag) {
    case TAG.utf8String:
      return b.toString('utf8');
    case TAG.printableString:
    case TAG.ia5String:
    case 0x14: // TeletexString, read as latin1
      return b.toString('latin1');
    case 0x1e: // BMPString
      return Buffer.from(b).swap16().toString('utf16le');
    default:
      throw new DerError(path, `not a string type (tag 0x${el.tag.toString(16)})`);
  }
}

export function readTime(el: Element, path: string): Date {
  const s = contents(el).toString('latin1');
  const m = el.tag === TAG.utcTime ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s) : /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s);
  if (!m || (el.tag !== TAG.utcTime && el.tag !== TAG.generalizedTime)) throw new DerError(path, `malformed time "${s}"`);
  let year = Number(m[1]);
  if (el.tag === TAG.utcTime) year += year < 50 ? 2000 : 1900;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}
