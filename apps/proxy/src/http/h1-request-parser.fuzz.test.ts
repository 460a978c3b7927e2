// Property-based fuzzing of the HTTP/1.1 request codec and its chunked
// decoder (fast-check): valid and mutated byte streams, split at random
// points, fed to one connection the way a socket delivers them (respecting
// pause/resume). Whatever the bytes, the codec never throws, dispatches
// exactly the requests it parsed, answers or closes for each, never holds
// more than its buffer limit, and reassembles every valid body exactly.
//
// FUZZ_RUNS=<n> raises the number of runs per property (default: a short run
// for `npm test`).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import fc from 'fast-check';
import { CHUNK_OVERHEAD, H1Connection, H1Server, type H1Request, type H1Response } from './h1-server.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 0);
const runs = (fallback: number) => (RUNS > 0 ? RUNS : fallback);
const LIMIT = 16 * 1024;

/** A socket as far as the codec can tell: records output, honours pause(), closes on end()/destroy(). */
class FakeSocket extends EventEmitter {
  out = '';
  destroyed = false;
  ended = false;
  paused = false;
  writableLength = 0;
  bytesRead = 0;
  bytesWritten = 0;
  remoteAddress = '127.0.0.1';
  remotePort = 40000;
  localPort = 8080;
  write(d: string | Buffer): boolean {
    if (this.destroyed || this.ended) return true;
    const s = typeof d === 'string' ? d : d.toString('latin1');
    this.out += s;
    this.bytesWritten += s.length;
    return true;
  }
  end(d?: string | Buffer): this {
    if (d !== undefined) this.write(d);
    if (!this.ended) {
      this.ended = true;
      this.destroy(); // the peer closes its side too
    }
    return this;
  }
  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    process.nextTick(() => this.emit('close', false));
    return this;
  }
  pause(): this {
    this.paused = true;
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  isPaused(): boolean {
    return this.paused;
  }
  cork(): void {}
  uncork(): void {}
  feed(chunk: Buffer): void {
    this.bytesRead += chunk.length;
    this.emit('data', chunk);
  }
}

interface Seen {
  method: string;
  url: string;
  body: string | null;
  failed: boolean;
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) await tick();
}

interface RunResult {
  seen: Seen[];
  socket: FakeSocket;
  maxBuffered: number;
  threw: unknown;
  stalled: boolean;
}

/** Feeds the pieces to a fresh connection and lets the handlers finish. */
async function run(server: H1Server, seen: Seen[], pieces: Buffer[]): Promise<RunResult> {
  seen.length = 0;
  const socket = new FakeSocket();
  const conn = new H1Connection(socket as unknown as Socket, server);
  server.connections.add(conn);
  let maxBuffered = 0;
  let threw: unknown;
  let stalled = false;
  for (const piece of pieces) {
    for (let i = 0; socket.paused && !socket.destroyed && i < 50; i++) await tick();
    if (socket.paused && !socket.destroyed) {
      stalled = true;
      break;
    }
    if (socket.destroyed) break;
    try {
      socket.feed(piece);
    } catch (err) {
      threw = err;
      break;
    }
    maxBuffered = Math.max(maxBuffered, conn.bufferedBytes);
  }
  await settle();
  socket.destroy();
  await settle();
  return { seen: [...seen], socket, maxBuffered, threw, stalled };
}

function responses(out: string): number[] {
  return [...out.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1])).filter((s) => s !== 100);
}

/**
 * The most a connection may account as held: the codec pauses once it holds the limit, so at most one more read
 * arrives after that, and each held read is accounted with CHUNK_OVERHEAD on top of its bytes.
 */
function heldBound(pieces: Buffer[]): number {
  return LIMIT + Math.max(...pieces.map((p) => p.length)) + CHUNK_OVERHEAD;
}

/** Splits `buf` at the given cut points (fractions). */
function split(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * buf.length)))].filter((p) => p > 0 && p < buf.length).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

// ---------------------------------------------------------------------------
// Generators

const tokenChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_'.split(''));
const token = fc.string({ unit: tokenChar, minLength: 1, maxLength: 12 });
const valueChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789 -_.,;:=/"\'()'.split(''));
const headerValue = fc.string({ unit: valueChar, maxLength: 30 }).map((v) => v.trim());
const pathChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-._~/%?=&'.split(''));
const urlPath = fc.string({ unit: pathChar, maxLength: 40 }).map((p) => '/' + p);
const bodyBytes = fc.string({ unit: fc.constantFrom(...'abcdefghij0123456789\r\n \x00\xff'.split('')), maxLength: 300 });

/** A valid chunk-size line suffix (extensions per RFC 9112 §7.1.1). */
const validExt = fc.constantFrom('', ';a', ';a=b', ';a="q x"', ' ;a', ';a = b', ';a="\\"";b');

interface GenRequest {
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body: string | null;
  chunked: boolean;
  chunkCuts: number[];
  exts: string[];
  trailers: Array<[string, string]>;
  upper: boolean;
}

const request: fc.Arbitrary<GenRequest> = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
  url: urlPath,
  headers: fc.array(fc.tuple(token.map((t) => 'x-' + t), headerValue), { maxLength: 6 }),
  body: fc.option(bodyBytes, { nil: null }),
  chunked: fc.boolean(),
  chunkCuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 5 }),
  exts: fc.array(validExt, { minLength: 8, maxLength: 8 }),
  trailers: fc.array(fc.tuple(token.map((t) => 'x-t-' + t), headerValue), { maxLength: 2 }),
  upper: fc.boolean(),
});

function serialize(r: GenRequest): Buffer {
  let head = `${r.method} ${r.url} HTTP/1.1\r\nHost: fuzz.example\r\n`;
  for (const [n, v] of r.headers) head += `${n}: ${v}\r\n`;
  if (r.body === null) return Buffer.from(head + '\r\n', 'latin1');
  const body = Buffer.from(r.body, 'latin1');
  if (!r.chunked) return Buffer.concat([Buffer.from(`${head}Content-Length: ${body.length}\r\n\r\n`, 'latin1'), body]);
  const parts = split(body, r.chunkCuts).filter((p) => p.length > 0);
  let out = `${head}Transfer-Encoding: chunked\r\n\r\n`;
  const bufs: Buffer[] = [];
  parts.forEach((p, i) => {
    const size = p.length.toString(16);
    out += `${r.upper ? size.toUpperCase() : size}${r.exts[i % r.exts.length]}\r\n`;
    bufs.push(Buffer.from(out, 'latin1'), p);
    out = '\r\n';
  });
  out += `0${r.exts[7]}\r\n`;
  for (const [n, v] of r.trailers) out += `${n}: ${v}\r\n`;
  bufs.push(Buffer.from(out + '\r\n', 'latin1'));
  return Buffer.concat(bufs);
}

const INTERESTING = ['\r', '\n', '\r\n', '\r\n\r\n', ' ', '\t', ':', '\x00', ';', '0x', 'ffffffffffffffffff', '-1', 'Transfer-Encoding: chunked\r\n', 'Content-Length: 5\r\n', 'Content-Length: 99999\r\n', 'Host: x\r\n', 'GET / HTTP/1.1\r\n', '0\r\n\r\n', '"', '\\', '\xff'].map((s) => Buffer.from(s, 'latin1'));

type Mutation = { kind: 'flip'; at: number; byte: number } | { kind: 'insert'; at: number; what: number } | { kind: 'delete'; at: number; len: number } | { kind: 'dup'; at: number; len: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), what: fc.integer({ min: 0, max: INTERESTING.length - 1 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), len: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('dup' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), len: fc.integer({ min: 1, max: 40 }) }),
) as fc.Arbitrary<Mutation>;

function mutate(buf: Buffer, ms: Mutation[]): Buffer {
  let b = buf;
  for (const m of ms) {
    const at = Math.min(b.length, Math.floor((m as { at: number }).at * b.length));
    if (m.kind === 'flip' && b.length > 0) {
      b = Buffer.from(b);
      b[Math.min(at, b.length - 1)] = m.byte;
    } else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), INTERESTING[m.what], b.subarray(at)]);
    else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
    else if (m.kind === 'dup') b = Buffer.concat([b.subarray(0, at + m.len), b.subarray(at, at + m.len), b.subarray(at + m.len)]);
  }
  return b;
}

const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 });

// ---------------------------------------------------------------------------

describe('HTTP/1.1 request codec (property-based)', () => {
  const seen: Seen[] = [];
  let server: H1Server;
  let uncaught = 0;
  const onUncaught = () => uncaught++;

  before(() => {
    process.on('uncaughtException', onUncaught);
    server = new H1Server(
      async (req: H1Request, res: H1Response) => {
        const entry: Seen = { method: req.method, url: req.url, body: null, failed: false };
        seen.push(entry);
        const chunks: Buffer[] = [];
        try {
          const body = req.body();
          if (body !== null) for await (const c of body) chunks.push(c as Buffer);
        } catch {
          entry.failed = true;
          return; // the codec answered (400) or the connection is gone
        }
        entry.body = Buffer.concat(chunks).toString('latin1');
        if (req.url === '/slow') await settle(); // a response that takes a while: pipelined bytes pile up behind it
        const payload = Buffer.from(`ok ${seen.length}`);
        res.writeHead(200, ['content-length', String(payload.length)]);
        res.end(payload);
      },
      { bufferLimitBytes: LIMIT, maxHeaderBytes: 8 * 1024, maxHeadersCount: 20 },
    );
  });

  after(() => {
    process.off('uncaughtException', onUncaught);
    server.net.close();
    assert.equal(uncaught, 0, 'no uncaught exception during the fuzzing');
  });

  it('valid pipelined requests, split anywhere: each dispatched once, in order, with its exact body, each answered', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 6 }), cuts, async (reqs, at) => {
        const stream = Buffer.concat(reqs.map(serialize));
        const pieces = split(stream, at);
        const r = await run(server, seen, pieces);
        assert.equal(r.threw, undefined, `the codec threw: ${r.threw}`);
        assert.ok(!r.stalled, 'the connection stalled');
        assert.equal(r.seen.length, reqs.length, 'dispatched exactly the requests sent');
        reqs.forEach((q, i) => {
          assert.equal(r.seen[i].method, q.method);
          assert.equal(r.seen[i].url, q.url);
          assert.equal(r.seen[i].body, q.body === null ? '' : q.body);
        });
        assert.deepEqual(responses(r.socket.out), reqs.map(() => 200));
        assert.ok(r.maxBuffered <= heldBound(pieces), `held ${r.maxBuffered}`);
      }),
      { numRuns: runs(300) },
    );
  });

  it('a pipelined flood behind a slow response: held bytes stay under the limit, all answered in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 4 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 16, maxLength: 48 }), async (reqs, at) => {
        const one = Buffer.concat(reqs.map(serialize));
        const copies = Math.ceil((4 * LIMIT) / one.length);
        const stream = Buffer.concat([Buffer.from('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n'), ...Array(copies).fill(one)]);
        const pieces = split(stream, at);
        const r = await run(server, seen, pieces);
        assert.equal(r.threw, undefined);
        assert.ok(!r.stalled, 'the connection stalled');
        assert.equal(r.seen.length, 1 + copies * reqs.length);
        assert.ok(r.maxBuffered <= heldBound(pieces), `held ${r.maxBuffered} bytes`);
        assert.equal(responses(r.socket.out).length, r.seen.length);
      }),
      { numRuns: runs(60) },
    );
  });

  it('mutated streams: never throws, never stalls, answers or closes for every dispatched request, stays bounded', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 4 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), cuts, async (reqs, ms, at) => {
        const stream = mutate(Buffer.concat(reqs.map(serialize)), ms);
        const pieces = split(stream, at);
        const r = await run(server, seen, pieces);
        assert.equal(r.threw, undefined, `the codec threw: ${r.threw}`);
        assert.ok(!r.stalled, 'the connection stalled');
        const heads = stream.toString('latin1').split('\r\n\r\n').length - 1;
        assert.ok(r.seen.length <= heads, 'never more requests than heads');
        const answered = responses(r.socket.out);
        // Each dispatched request got its response (or the codec's error for it), plus at most one error for a bad head.
        const dispatched = r.seen.length;
        assert.ok(answered.length >= dispatched - (r.socket.ended ? 0 : 1) && answered.length <= dispatched + 1, `${dispatched} dispatched, ${answered.length} answered: ${answered}`);
        for (let i = 0; i < answered.length; i++) if (answered[i] !== 200) assert.equal(i, answered.length - 1, 'an error is the last response, then the connection closes');
        if (answered.some((s) => s !== 200)) assert.ok(r.socket.ended || r.socket.destroyed);
        assert.ok(r.maxBuffered <= heldBound(pieces), `held ${r.maxBuffered}`);
      }),
      { numRuns: runs(600) },
    );
  });

  it('chunk-size lines: valid forms decode the body exactly, every invalid form is a 400', async () => {
    const invalidSuffix = fc.constantFrom(' ', '\t', ';', ';=v', ';a=', ';a="x', ';a b', 'x', ' ;', ';a=b ', ';a,b', ';a="\x01"');
    const sizeForm = fc.oneof(
      fc.record({ valid: fc.constant(true), prefix: fc.constantFrom('', '0', '00', '0000000000'), ext: validExt }),
      fc.record({ valid: fc.constant(false), prefix: fc.constantFrom('', '0x', '+', '-', ' ', '\t', '00000000000000000'), ext: invalidSuffix }),
    );
    await fc.assert(
      fc.asyncProperty(bodyBytes.filter((b) => b.length > 0), fc.array(sizeForm, { minLength: 1, maxLength: 6 }), cuts, async (body, forms, at) => {
        const buf = Buffer.from(body, 'latin1');
        const parts = split(buf, at.slice(0, forms.length - 1));
        let wire = 'POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n';
        let valid = true;
        const bufs: Buffer[] = [];
        parts.forEach((p, i) => {
          const f = forms[i % forms.length];
          valid &&= f.valid; // every invalid prefix or suffix makes the line invalid on its own
          wire += `${f.prefix}${p.length.toString(16)}${f.ext}\r\n`;
          bufs.push(Buffer.from(wire, 'latin1'), p);
          wire = '\r\n';
        });
        bufs.push(Buffer.from(wire + '0\r\n\r\n', 'latin1'));
        const r = await run(server, seen, split(Buffer.concat(bufs), at));
        assert.equal(r.threw, undefined);
        assert.equal(r.seen.length, 1);
        if (valid) {
          assert.deepEqual(responses(r.socket.out), [200]);
          assert.equal(r.seen[0].body, body);
        } else {
          assert.deepEqual(responses(r.socket.out), [400]);
          assert.ok(r.seen[0].failed, 'the body reader saw the failure');
        }
      }),
      { numRuns: runs(400) },
    );
  });

  it('random bytes: never throws, answers at most one error, then closes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), cuts, async (bytes, at) => {
        const r = await run(server, seen, split(Buffer.from(bytes), at));
        assert.equal(r.threw, undefined);
        const answered = responses(r.socket.out);
        assert.ok(answered.length <= r.seen.length + 1);
      }),
      { numRuns: runs(400) },
    );
  });
});
