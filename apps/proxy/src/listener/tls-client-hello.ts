// What Envoy's tls_inspector listener filter learns from the first bytes of a
// connection: whether they are a TLS ClientHello, and if so its SNI host name
// and ALPN protocols, without terminating TLS. The input is hostile: the
// parser is strict (RFC 8446 §4.1.2, RFC 6066 §3, RFC 7301 §3.1), bounded
// (the whole ClientHello, over as many records as it takes, at most
// MAX_CLIENT_HELLO_BYTES, Envoy's 64 KiB), never throws, and says "need more"
// only while the bytes so far are a valid prefix.

/** Envoy's tls_inspector gives up on a ClientHello larger than 64 KiB (the connection is closed). */
export const MAX_CLIENT_HELLO_BYTES = 64 * 1024;

export type ClientHelloResult =
  /** A valid prefix of a ClientHello: read more (no progress is possible before `atLeast` bytes in all). */
  | { readonly kind: 'need-more'; readonly atLeast: number }
  /** A complete ClientHello. */
  | { readonly kind: 'tls'; readonly serverName: string | undefined; readonly alpn: readonly string[] }
  /** Not TLS, or not a well-formed ClientHello: the connection's transport protocol stays raw_buffer. */
  | { readonly kind: 'not-tls'; readonly reason: string }
  /** Larger than the bound: Envoy closes the connection. */
  | { readonly kind: 'too-large' };

const REC_HANDSHAKE = 0x16;
const HS_CLIENT_HELLO = 0x01;
const MAX_RECORD = 16_384;
const EXT_SERVER_NAME = 0x0000;
const EXT_ALPN = 0x0010;

class Malformed extends Error {}

function fail(reason: string): never {
  throw new Malformed(reason);
}

/** A bounds-checked reader over one complete message. */
class Reader {
  pos = 0;
  readonly buf: Uint8Array;
  readonly end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get left(): number {
    return this.end - this.pos;
  }

  u8(what: string): number {
    if (this.left < 1) fail(`truncated ${what}`);
    return this.buf[this.pos++];
  }

  u16(what: string): number {
    if (this.left < 2) fail(`truncated ${what}`);
    const v = (this.buf[this.pos] << 8) | this.buf[this.pos + 1];
    this.pos += 2;
    return v;
  }

  /** A sub-reader over the next `n` bytes. */
  take(n: number, what: string): Reader {
    if (n > this.left) fail(`${what} overruns its container (${n} > ${this.left})`);
    const r = new Reader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  skip(n: number, what: string): void {
    this.take(n, what);
  }
}

/**
 * Reassembles the handshake bytes carried by the leading TLS records of
 * `data`. Returns the handshake payload so far and whether more records may
 * still be needed, or throws Malformed.
 */
function handshakeBytes(data: Uint8Array): { payload: Uint8Array; complete: boolean; need: number; atLeast: number } {
  const parts: Uint8Array[] = [];
  let total = 0;
  let pos = 0;
  let need = -1; // the ClientHello's full length (4-byte header included) once known
  let atLeast = data.length + 1;
  while (pos < data.length) {
    if (data.length - pos < 5) {
      atLeast = pos + 5;
      break;
    }
    const type = data[pos];
    if (type !== REC_HANDSHAKE) fail(`record type ${type} inside a ClientHello`);
    const major = data[pos + 1];
    const minor = data[pos + 2];
    if (major !== 3 || minor > 4) fail(`record version ${major}.${minor}`);
    const len = (data[pos + 3] << 8) | data[pos + 4];
    if (len === 0) fail('empty handshake record');
    if (len > MAX_RECORD) fail(`record of ${len} bytes (more than 2^14)`);
    const body = data.subarray(pos + 5, Math.min(data.length, pos + 5 + len));
    parts.push(body);
    total += body.length;
    if (body.length < len) {
      atLeast = pos + 5 + len;
      break;
    }
    pos += 5 + len;
    atLeast = pos + 5;
    if (need < 0 && total >= 4) {
      const head = concat(parts, 4);
      need = 4 + ((head[1] << 16) | (head[2] << 8) | head[3]);
    }
    if (need >= 0 && total >= need) break;
  }
  const payload = concat(parts, total);
  if (need < 0 && payload.length >= 4) need = 4 + ((payload[1] << 16) | (payload[2] << 8) | payload[3]);
  return { payload, complete: need >= 0 && payload.length >= need, need, atLeast };
}

function concat(parts: Uint8Array[], n: number): Uint8Array {
  if (parts.length === 1) return parts[0].subarray(0, n);
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    if (off >= n) break;
    const take = Math.min(p.length, n - off);
    out.set(p.subarray(0, take), off);
    off += take;
  }
  return out;
}

/** RFC 6066: a host name is ASCII; Envoy matches it against server_names as sent. Letters, digits, '-', '_' and '.'. */
function hostName(r: Reader): string {
  const n = r.left;
  if (n === 0 || n > 255) fail(`server name of ${n} bytes`);
  let s = '';
  for (let i = 0; i < n; i++) {
    const c = r.u8('server name');
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x2e || c === 0x5f;
    if (!ok) fail(`byte 0x${c.toString(16)} in the server name`);
    s += String.fromCharCode(c);
  }
  if (s.startsWith('.') || s.includes('..')) fail('empty label in the server name');
  // A trailing dot (absolute form) is not sent in SNI (RFC 6066 §3).
  if (s.endsWith('.')) fail('trailing dot in the server name');
  return s;
}

function parseServerName(ext: Reader): string {
  const list = ext.take(ext.u16('server_name_list length'), 'server_name_list');
  if (ext.left !== 0) fail('bytes after server_name_list');
  if (list.left === 0) fail('empty server_name_list');
  let name: string | undefined;
  while (list.left > 0) {
    const type = list.u8('name_type');
    const entry = list.take(list.u16('server name length'), 'server name');
    if (type !== 0) continue; // Unknown name types are skipped (RFC 6066 leaves room for them).
    if (name !== undefined) fail('more than one host_name in server_name');
    name = hostName(entry);
  }
  if (name === undefined) fail('no host_name in server_name');
  return name;
}

function parseAlpn(ext: Reader): string[] {
  const list = ext.take(ext.u16('protocol_name_list length'), 'protocol_name_list');
  if (ext.left !== 0) fail('bytes after protocol_name_list');
  if (list.left < 2) fail('empty protocol_name_list');
  const out: string[] = [];
  while (list.left > 0) {
    const p = list.take(list.u8('protocol name length'), 'protocol name');
    if (p.left === 0) fail('empty protocol name');
    let s = '';
    while (p.left > 0) s += String.fromCharCode(p.u8('protocol name'));
    out.push(s);
  }
  return out;
}

function parseBody(hs: Uint8Array): { serverName: string | undefined; alpn: string[] } {
  const msg = new Reader(hs);
  const type = msg.u8('handshake type');
  if (type !== HS_CLIENT_HELLO) fail(`handshake type ${type} is not ClientHello`);
  const len = (msg.u8('length') << 16) | msg.u16('length');
  const r = msg.take(len, 'ClientHello');
  const major = r.u8('client_version');
  const minor = r.u8('client_version');
  if (major !== 3 || minor > 4) fail(`client_version ${major}.${minor}`);
  r.skip(32, 'random');
  const sid = r.u8('session_id length');
  if (sid > 32) fail(`session_id of ${sid} bytes`);
  r.skip(sid, 'session_id');
  const suites = r.u16('cipher_suites length');
  if (suites < 2 || suites % 2 !== 0) fail(`cipher_suites of ${suites} bytes`);
  r.skip(suites, 'cipher_suites');
  const compressions = r.u8('compression_methods length');
  if (compressions < 1) fail('no compression method');
  r.skip(compressions, 'compression_methods');
  let serverName: string | undefined;
  let alpn: string[] = [];
  if (r.left === 0) return { serverName, alpn }; // No extensions (SSL 3.0 / TLS 1.0 style).
  const exts = r.take(r.u16('extensions length'), 'extensions');
  if (r.left !== 0) fail('bytes after the extensions');
  const seen = new Set<number>();
  while (exts.left > 0) {
    const extType = exts.u16('extension type');
    const ext = exts.take(exts.u16('extension length'), `extension ${extType}`);
    if (seen.has(extType)) fail(`extension ${extType} appears twice`);
    seen.add(extType);
    if (extType === EXT_SERVER_NAME) serverName = parseServerName(ext);
    else if (extType === EXT_ALPN) alpn = parseAlpn(ext);
  }
  return { serverName, alpn };
}

/**
 * Looks at the first bytes of a connection. Never throws; reads at most
 * MAX_CLIENT_HELLO_BYTES (+ record headers) of `data`.
 */
export function parseClientHello(data: Uint8Array): ClientHelloResult {
  if (data.length === 0) return { kind: 'need-more', atLeast: 1 };
  if (data[0] !== REC_HANDSHAKE) return { kind: 'not-tls', reason: 'first byte is not a TLS handshake record' };
  try {
    if (data.length >= 2 && data[1] !== 3) fail(`record version major ${data[1]}`);
    // A record header's bytes so far may still be a valid prefix.
    if (data.length < 5) return { kind: 'need-more', atLeast: 5 };
    const { payload, complete, need, atLeast } = handshakeBytes(data);
    if (payload.length >= 1 && payload[0] !== HS_CLIENT_HELLO) fail(`handshake type ${payload[0]} is not ClientHello`);
    if (need > MAX_CLIENT_HELLO_BYTES) return { kind: 'too-large' };
    if (!complete) return { kind: 'need-more', atLeast };
    const { serverName, alpn } = parseBody(payload.subarray(0, need));
    return { kind: 'tls', serverName, alpn };
  } catch (err) {
    if (err instanceof Malformed) return { kind: 'not-tls', reason: err.message };
    return { kind: 'not-tls', reason: `unexpected: ${(err as Error)?.message}` };
  }
}
