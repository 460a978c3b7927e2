// Test helper: builds TLS ClientHello bytes field by field (RFC 8446 §4.1.2),
// optionally split over several handshake records, so tests can make valid
// hellos and break exactly one thing in them.

export interface HelloParts {
  serverName?: string;
  /** Raw server_name extension body (overrides serverName). */
  serverNameExt?: Buffer;
  alpn?: string[];
  alpnExt?: Buffer;
  sessionIdLength?: number;
  cipherSuites?: number;
  compressionMethods?: number;
  /** Extra extensions [type, body]. */
  extra?: Array<[number, Buffer]>;
  /** Omit the extensions block entirely. */
  noExtensions?: boolean;
  /** Record payload sizes to split the handshake message into (the rest goes in a last record). */
  split?: number[];
  recordVersion?: [number, number];
  clientVersion?: [number, number];
}

const u16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const u24 = (n: number) => Buffer.from([(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);

export function serverNameExtension(name: string): Buffer {
  const host = Buffer.from(name, 'latin1');
  const entry = Buffer.concat([Buffer.from([0]), u16(host.length), host]);
  return Buffer.concat([u16(entry.length), entry]);
}

export function alpnExtension(protocols: string[]): Buffer {
  const list = Buffer.concat(protocols.map((p) => Buffer.concat([Buffer.from([Buffer.byteLength(p, 'latin1')]), Buffer.from(p, 'latin1')])));
  return Buffer.concat([u16(list.length), list]);
}

/** The handshake message (type, length, body), without record framing. */
export function clientHelloMessage(p: HelloParts = {}): Buffer {
  const sid = p.sessionIdLength ?? 32;
  const suites = p.cipherSuites ?? 4;
  const comp = p.compressionMethods ?? 1;
  const exts: Buffer[] = [];
  const sn = p.serverNameExt ?? (p.serverName !== undefined ? serverNameExtension(p.serverName) : undefined);
  if (sn) exts.push(Buffer.concat([u16(0), u16(sn.length), sn]));
  const al = p.alpnExt ?? (p.alpn !== undefined ? alpnExtension(p.alpn) : undefined);
  if (al) exts.push(Buffer.concat([u16(16), u16(al.length), al]));
  for (const [t, b] of p.extra ?? []) exts.push(Buffer.concat([u16(t), u16(b.length), b]));
  const extBlock = Buffer.concat(exts);
  const body = Buffer.concat([
    Buffer.from(p.clientVersion ?? [3, 3]),
    Buffer.alloc(32, 7),
    Buffer.from([sid]),
    Buffer.alloc(sid, 1),
    u16(suites * 2),
    Buffer.alloc(suites * 2, 0x13),
    Buffer.from([comp]),
    Buffer.alloc(comp, 0),
    ...(p.noExtensions ? [] : [u16(extBlock.length), extBlock]),
  ]);
  return Buffer.concat([Buffer.from([1]), u24(body.length), body]);
}

/** Frames a handshake message in TLS records. */
export function records(message: Buffer, split: number[] = [], version: [number, number] = [3, 1]): Buffer {
  const out: Buffer[] = [];
  let off = 0;
  for (const n of split) {
    if (off >= message.length) break;
    const part = message.subarray(off, off + Math.max(1, n));
    out.push(Buffer.concat([Buffer.from([0x16, ...version]), u16(part.length), part]));
    off += part.length;
  }
  while (off < message.length) {
    const part = message.subarray(off, off + 16_384);
    out.push(Buffer.concat([Buffer.from([0x16, ...version]), u16(part.length), part]));
    off += part.length;
  }
  return Buffer.concat(out);
}

export function clientHello(p: HelloParts = {}): Buffer {
  return records(clientHelloMessage(p), p.split, p.recordVersion);
}
