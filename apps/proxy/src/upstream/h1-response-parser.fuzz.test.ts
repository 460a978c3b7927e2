// Property-based fuzzing of the upstream response parser and its chunked
// decoder (fast-check): random, generated and mutated upstream byte streams,
// split at random points, checked against an independent whole-buffer
// reference decoder written from RFC 9112's grammar. The parser must never
// throw anything but a protocol error, report at most one response (one end
// or one error) per request, forward exactly the bytes the framing allows,
// give the same answer however the reads are split, and hold no more than its
// bounds between reads. A last property drives the real pool over sockets.
//
// FUZZ_RUNS sets the number of runs per property (default: a ~5 s run).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { H1Pool, MAX_CHUNK_LINE, PROTOCOL_ERROR, type H1ResponseLimits } from './h1-pool.ts';
import { bufferBound, parse, type ParseOutcome } from './h1-parser-driver.ts';
import { poolRequest, startRawUpstream, type RawUpstream } from './h1-test-helpers.ts';

const RUNS = Number(process.env.FUZZ_RUNS) > 0 ? Number(process.env.FUZZ_RUNS) : 0;
/** `fallback` runs by default; with FUZZ_RUNS, that many (divided by `cost` for the slower, socket-bound properties). */
const runs = (fallback: number, cost = 1) => ({ numRuns: RUNS ? Math.max(1, Math.ceil(RUNS / cost)) : fallback });

/** Small limits so that generated input reaches them. */
const LIMITS: H1ResponseLimits = { maxHeadersCount: 8, maxHeadBytes: 300, maxInformational: 2 };

// ---------------------------------------------------------------------------
// The reference: RFC 9112 framing as a whole-buffer function of regular expressions.

type Reference =
  | { kind: 'error' }
  | { kind: 'incomplete'; status: number; body: string; untilClose: boolean }
  | { kind: 'ended'; status: number; body: string; extra: boolean; keepAlive: boolean };

const STATUS_LINE = /^HTTP\/1\.(\d) ([1-5]\d\d)(?: [\t\x20-\x7e\x80-\xff]*)?$/;
const FIELD_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[\t ]*([\t\x20-\x7e\x80-\xff]*?)[\t ]*$/;
const CHUNK_LINE = /^([0-9a-fA-F]{1,12})(;[\t\x20-\x7e\x80-\xff]*)?\r\n$/;

function reference(input: string, head: boolean, limits: H1ResponseLimits): Reference {
  const len = input.length;
  let pos = 0;
  let informational = 0;
  for (;;) {
    const end = input.indexOf('\r\n\r\n', pos);
    if (end < 0) return len - pos >= limits.maxHeadBytes ? { kind: 'error' } : { kind: 'incomplete', status: 0, body: '', untilClose: false };
    if (end + 4 - pos > limits.maxHeadBytes) return { kind: 'error' };
    const lines = input.slice(pos, end).split('\r\n');
    pos = end + 4;
    const m = STATUS_LINE.exec(lines[0]);
    if (m === null) return { kind: 'error' };
    const http10 = m[1] === '0';
    const status = Number(m[2]);
    if (lines.length - 1 > limits.maxHeadersCount) return { kind: 'error' };
    let length = -1;
    let chunked = false;
    let close = false;
    let keepAliveToken = false;
    for (const line of lines.slice(1)) {
      const f = FIELD_LINE.exec(line);
      if (f === null) return { kind: 'error' };
      const name = f[1].toLowerCase();
      const value = f[2];
      if (name === 'content-length') {
        if (!/^\d{1,15}$/.test(value)) return { kind: 'error' };
        if (length >= 0 && Number(value) !== length) return { kind: 'error' };
        length = Number(value);
      } else if (name === 'transfer-encoding') {
        if (chunked || value.toLowerCase() !== 'chunked') return { kind: 'error' };
        chunked = true;
      } else if (name === 'connection') {
        if (value.toLowerCase().includes('close')) close = true;
        if (value.toLowerCase().includes('keep-alive')) keepAliveToken = true;
      }
    }
    if (chunked && (length >= 0 || http10)) return { kind: 'error' };
    if (status < 200) {
      if (status === 101 || chunked || length > 0 || ++informational > limits.maxInformational) return { kind: 'error' };
      continue;
    }
    if (status === 204 && (chunked || length > 0)) return { kind: 'error' };
    const keepAlive = http10 ? keepAliveToken && !close : !close;
    if (head || status === 204 || status === 304 || length === 0) return { kind: 'ended', status, body: '', extra: pos < len, keepAlive };
    if (length > 0) {
      if (len - pos < length) return { kind: 'incomplete', status, body: input.slice(pos), untilClose: false };
      return { kind: 'ended', status, body: input.slice(pos, pos + length), extra: pos + length < len, keepAlive };
    }
    if (!chunked) return { kind: 'incomplete', status, body: input.slice(pos), untilClose: true };
    let body = '';
    for (;;) {
      const lf = input.indexOf('\n', pos);
      if (lf < 0) return len - pos >= MAX_CHUNK_LINE ? { kind: 'error' } : { kind: 'incomplete', status, body, untilClose: false };
      if (lf + 1 - pos > MAX_CHUNK_LINE) return { kind: 'error' };
      const c = CHUNK_LINE.exec(input.slice(pos, lf + 1));
      if (c === null) return { kind: 'error' };
      pos = lf + 1;
      const size = parseInt(c[1], 16);
      if (size === 0) break;
      if (len - pos < size) return { kind: 'incomplete', status, body: body + input.slice(pos), untilClose: false };
      body += input.slice(pos, pos + size);
      pos += size;
      if (pos < len && input[pos] !== '\r') return { kind: 'error' };
      if (pos + 1 < len && input[pos + 1] !== '\n') return { kind: 'error' };
      if (pos + 2 > len) return { kind: 'incomplete', status, body, untilClose: false };
      pos += 2;
    }
    // Trailer section: field lines, then a blank line.
    if (input.startsWith('\r\n', pos)) return { kind: 'ended', status, body, extra: pos + 2 < len, keepAlive };
    const t = input.indexOf('\r\n\r\n', pos);
    if (t < 0) return len - pos >= limits.maxHeadBytes ? { kind: 'error' } : { kind: 'incomplete', status, body, untilClose: false };
    if (t + 4 - pos > limits.maxHeadBytes) return { kind: 'error' };
    const trailers = input.slice(pos, t).split('\r\n');
    if (trailers.length > limits.maxHeadersCount) return { kind: 'error' };
    for (const line of trailers) if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*$/.test(line)) return { kind: 'error' };
    return { kind: 'ended', status, body, extra: t + 4 < len, keepAlive };
  }
}

/** The parser's outcome on `bytes` split at `cuts` agrees with the reference, and with itself unsplit. */
function check(bytes: Buffer, cuts: number[], head: boolean, limits: H1ResponseLimits = LIMITS): ParseOutcome {
  const split = parse(bytes, { cuts, head, limits });
  const outcome = split.error ?? (split.ended ? 'ended' : 'incomplete');
  outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  const whole = parse(bytes, { head, limits });
  const ref = reference(bytes.toString('latin1'), head, limits);
  const what = () => JSON.stringify({ input: bytes.toString('latin1'), cuts, head, ref, got: { error: split.error, status: split.status, body: split.body.toString('latin1'), ended: split.ended, extra: split.extra } });
  for (const o of [split, whole]) {
    assert.ok(o.maxBuffered <= bufferBound(limits), `held ${o.maxBuffered} bytes: ${what()}`);
    if (ref.kind === 'error') {
      assert.notEqual(o.error, undefined, `accepted what the reference refuses: ${what()}`);
      continue;
    }
    assert.equal(o.error, undefined, `refused (${o.error}) what the reference accepts: ${what()}`);
    assert.equal(o.status, ref.status, what());
    assert.equal(o.body.toString('latin1'), ref.body, `body: ${what()}`);
    assert.equal(o.ended, ref.kind === 'ended', what());
    if (ref.kind === 'ended') {
      assert.equal(o.extra, ref.extra, `extra: ${what()}`);
      assert.equal(o.keepAlive, ref.keepAlive, `keep-alive: ${what()}`);
      const cl = o.headers['content-length'];
      if (typeof cl === 'string' && !head && o.status !== 204 && o.status !== 304) assert.equal(o.body.length, Number(cl), 'exactly content-length bytes');
    }
  }
  return split;
}

/** How often each outcome was reached (printed with FUZZ_STATS=1, to see what the generators cover). */
const outcomes = new Map<string, number>();

// ---------------------------------------------------------------------------
// Generators

const tchars = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const token = fc.string({ unit: fc.constantFrom(...tchars), minLength: 1, maxLength: 12 });
const fieldValue = fc.string({ unit: fc.constantFrom(...'abc xyz\t=;,/"019\x80\xe9\xff'), maxLength: 20 });
const RESERVED = new Set(['content-length', 'transfer-encoding', 'connection', '__proto__', 'constructor']);
const headerLine = fc.tuple(token, fieldValue).filter(([n]) => !RESERVED.has(n.toLowerCase())).map(([n, v]) => `${n}: ${v}\r\n`);
const bodyBytes = fc.string({ unit: fc.constantFrom(...'abc\r\n0;HTTP/1.1 200\x00\xff'), maxLength: 80 });

interface Model {
  informational: string[];
  status: number;
  version: '1.0' | '1.1';
  headers: string[];
  framing: 'length' | 'chunked' | 'close' | 'none';
  body: string;
  chunkCuts: number[];
  ext: string[];
  trailers: string[];
  head: boolean;
}

const model: fc.Arbitrary<Model> = fc.record({
  informational: fc.array(fc.constantFrom('HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 102 Processing\r\n\r\n', 'HTTP/1.1 103 Early Hints\r\nlink: </s.css>\r\n\r\n'), { maxLength: 3 }),
  status: fc.constantFrom(200, 201, 204, 206, 301, 304, 400, 404, 500, 503, 599),
  version: fc.constantFrom('1.0', '1.1'),
  headers: fc.array(headerLine, { maxLength: 4 }),
  framing: fc.constantFrom('length', 'chunked', 'close', 'none'),
  body: bodyBytes,
  chunkCuts: fc.array(fc.nat(80), { maxLength: 4 }),
  ext: fc.array(fc.constantFrom('', ';a', ';a=b', ';a="q v"', '; x'), { maxLength: 5 }),
  trailers: fc.array(headerLine, { maxLength: 2 }),
  head: fc.boolean(),
});

/** Header lines a hostile upstream adds (to the mutated responses only). */
const hostileHeaders = fc.array(
  fc.constantFrom('content-length: 3\r\n', 'content-length: 0\r\n', 'Content-Length: 99\r\n', 'transfer-encoding: chunked\r\n', 'Transfer-Encoding: xchunked\r\n', 'transfer-encoding: gzip, chunked\r\n', 'connection: close\r\n', 'x-a: b\nc\r\n', 'x-a: b\rc\r\n', ' folded\r\n', 'x a: b\r\n', 'x-many: 1\r\n'.repeat(9)),
  { maxLength: 2 },
);

function serialize(m: Model, hostile: string[] = []): { bytes: string; body: string; ends: boolean } {
  let framing = m.framing;
  if (framing === 'chunked' && m.version === '1.0') framing = 'length';
  const noBody = m.head || m.status === 204 || m.status === 304;
  if (m.status === 204 && (framing === 'chunked' || framing === 'length')) framing = 'none';
  let out = m.informational.join('') + `HTTP/${m.version} ${m.status} Reason\r\n` + m.headers.join('') + hostile.join('');
  if (m.version === '1.0') out += 'connection: keep-alive\r\n';
  let payload = '';
  if (framing === 'length') {
    out += `content-length: ${m.body.length}\r\n\r\n`;
    payload = m.body;
  } else if (framing === 'chunked') {
    out += 'transfer-encoding: chunked\r\n\r\n';
    const cuts = [...new Set(m.chunkCuts.filter((c) => c > 0 && c < m.body.length))].sort((a, b) => a - b);
    let from = 0;
    let i = 0;
    for (const to of [...cuts, m.body.length]) {
      if (to > from) payload += `${(to - from).toString(16)}${m.ext[i++ % Math.max(1, m.ext.length)] ?? ''}\r\n${m.body.slice(from, to)}\r\n`;
      from = to;
    }
    payload += `0\r\n${m.trailers.join('')}\r\n`;
  } else if (framing === 'close') {
    out += '\r\n';
    payload = m.body;
  } else out += '\r\n';
  if (noBody) return { bytes: out, body: '', ends: true };
  return { bytes: out + payload, body: framing === 'none' ? '' : m.body, ends: framing !== 'close' && framing !== 'none' };
}

const cutsFor = (maxLen: number) => fc.array(fc.nat(maxLen), { maxLength: 8 });

/** Streams of HTTP-ish fragments: far likelier than random bytes to get deep into the parser. */
const FRAGMENTS = [
  'HTTP/1.1 ', 'HTTP/1.0 ', 'HTTP/2.0 ', '200', '204', '304', '100', '101', '2000', '99', ' OK', '\r\n', '\r\n\r\n', '\r', '\n', ':', ': ', ' ', '\t',
  'content-length', 'Content-Length: 5', 'transfer-encoding', 'Transfer-Encoding: chunked', 'chunked', 'xchunked', 'connection: close', '0', '5', 'a', 'ff',
  ';ext=1', 'hello', '\x00', '\x7f', '\xff', 'x-h: v', '0\r\n\r\n', '5\r\nhello\r\n',
  '\r\ncontent-length: 3', '\r\ncontent-length: 0', '\r\ntransfer-encoding: chunked', '\r\nx-h: v', '\r\n x-folded: v',
  'HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 101 Switching\r\n\r\n', 'HTTP/1.1 204 No Content\r\n',
];
const fragments = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 40 }).map((f) => f.join(''));
const fragmentStream = fc.oneof(fragments, fragments.map((f) => `HTTP/1.1 200 OK\r\n${f}`), fragments.map((f) => `HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n${f}`));

type Mutation = { at: number; kind: 'insert' | 'delete' | 'replace' | 'fragment'; byte: number; n: number; fragment: string };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('insert', 'delete', 'replace', 'fragment'),
  byte: fc.constantFrom(0, 9, 10, 13, 32, 48, 58, 59, 65, 127, 255),
  n: fc.integer({ min: 1, max: 4 }),
  fragment: fc.constantFrom(...FRAGMENTS),
});

function mutate(s: string, mutations: Mutation[]): string {
  for (const m of mutations) {
    const at = s.length === 0 ? 0 : m.at % (s.length + 1);
    const ch = String.fromCharCode(m.byte);
    if (m.kind === 'insert') s = s.slice(0, at) + ch + s.slice(at);
    else if (m.kind === 'delete') s = s.slice(0, at) + s.slice(at + m.n);
    else if (m.kind === 'replace') s = s.slice(0, at) + ch + s.slice(at + 1);
    else s = s.slice(0, at) + m.fragment + s.slice(at);
  }
  return s;
}

const latin1 = (s: string) => Buffer.from(s, 'latin1');

describe('upstream response parser: property-based fuzzing', () => {
  after(() => {
    if (process.env.FUZZ_STATS) console.log(Object.fromEntries([...outcomes].sort((a, b) => b[1] - a[1])));
  });

  it('decodes every well-formed response exactly, however it is split', () => {
    fc.assert(
      fc.property(model, cutsFor(600), (m, cuts) => {
        const { bytes, body, ends } = serialize(m);
        const o = check(latin1(bytes), cuts, m.head, { ...LIMITS, maxHeadBytes: 4096, maxInformational: 3 });
        assert.equal(o.error, undefined);
        assert.equal(o.status, m.status);
        assert.equal(o.body.toString('latin1'), body);
        assert.equal(o.ended, ends);
        if (ends) assert.equal(o.extra, false);
      }),
      runs(1500),
    );
  });

  it('never forwards bytes past the end of a response, and reports them', () => {
    fc.assert(
      fc.property(model, fc.string({ minLength: 1, maxLength: 40 }), cutsFor(600), (m, garbage, cuts) => {
        const { bytes, body, ends } = serialize(m);
        fc.pre(ends);
        const o = check(latin1(bytes + garbage), cuts, m.head, { ...LIMITS, maxHeadBytes: 4096, maxInformational: 3 });
        assert.equal(o.body.toString('latin1'), body);
        assert.equal(o.extra, true);
      }),
      runs(800),
    );
  });

  it('agrees with the reference on mutated responses (split at random points)', () => {
    fc.assert(
      fc.property(model, hostileHeaders, fc.array(mutation, { maxLength: 4 }), cutsFor(600), (m, hostile, mutations, cuts) => {
        check(latin1(mutate(serialize(m, hostile).bytes, mutations)), cuts, m.head);
      }),
      runs(8000),
    );
  });

  it('agrees with the reference on streams of HTTP fragments', () => {
    fc.assert(
      fc.property(fragmentStream, cutsFor(400), fc.boolean(), (s, cuts, head) => {
        check(latin1(s), cuts, head);
      }),
      runs(5000),
    );
  });

  it('survives arbitrary bytes within its bounds', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), cutsFor(700), fc.boolean(), (bytes, cuts, head) => {
        check(Buffer.from(bytes), cuts, head);
        const prefixed = Buffer.concat([latin1('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n'), Buffer.from(bytes)]);
        check(prefixed, cuts, head);
      }),
      runs(2000),
    );
  });

  it('applies the head and trailer byte limits to the byte', () => {
    fc.assert(
      fc.property(fc.integer({ min: -4, max: 4 }), fc.boolean(), cutsFor(400), (delta, inTrailers, cuts) => {
        const limit = LIMITS.maxHeadBytes;
        const chunked = 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\na\r\n0\r\n';
        // A block (head or trailer section, blank line included) of exactly limit + delta bytes.
        const fixed = inTrailers ? 'x-pad: \r\n\r\n'.length : 'HTTP/1.1 200 OK\r\nx-pad: \r\ncontent-length: 0\r\n\r\n'.length;
        const pad = 'p'.repeat(limit + delta - fixed);
        const input = inTrailers ? `${chunked}x-pad: ${pad}\r\n\r\n` : `HTTP/1.1 200 OK\r\nx-pad: ${pad}\r\ncontent-length: 0\r\n\r\n`;
        const o = check(latin1(input), cuts, false);
        assert.equal(o.error === undefined, delta <= 0, `${delta}: ${o.error}`);
      }),
      runs(300),
    );
  });

  it('stays within its bounds on endless heads, chunk lines and trailers', () => {
    fc.assert(
      fc.property(fc.constantFrom('', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n'), fc.string({ unit: fc.constantFrom('a', ' ', ':', '\r', '\n', ';', '5'), minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 2000 }), cutsFor(9000), (prefix, unit, n, cuts) => {
        const o = check(latin1(prefix + unit.repeat(n)), cuts, false);
        assert.ok(o.maxBuffered <= bufferBound(LIMITS));
      }),
      runs(500),
    );
  });
});

describe('upstream pool over sockets: property-based fuzzing', () => {
  let upstream: RawUpstream;
  let pool: H1Pool;
  let next: { bytes: Buffer; cuts: number[] } = { bytes: Buffer.alloc(0), cuts: [] };

  before(async () => {
    upstream = await startRawUpstream((_method, path, conn) => {
      if (path === '/ok') return void conn.socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      const { bytes, cuts } = next;
      let from = 0;
      for (const to of [...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length]) {
        if (to > from) conn.socket.write(bytes.subarray(from, to));
        from = to;
      }
      conn.socket.end(); // whatever the response, the upstream then closes
    });
    pool = new H1Pool('127.0.0.1', upstream.port, {
      connections: 2,
      connectTimeoutMs: 1_000,
      keepAliveTimeoutMs: 4_000,
      maxRequestsPerConnection: 0,
      maxResponseHeadersCount: LIMITS.maxHeadersCount,
      maxResponseHeadBytes: LIMITS.maxHeadBytes,
      maxInformationalResponses: LIMITS.maxInformational,
    });
  });

  after(async () => {
    await pool.destroy();
    await upstream.close();
  });

  it('reports one response or one error per request, with the reference body, and keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(model, hostileHeaders, fc.array(mutation, { maxLength: 3 }), cutsFor(600), async (m, hostile, mutations, cuts) => {
        const text = mutate(serialize(m, hostile).bytes, mutations);
        next = { bytes: latin1(text), cuts };
        const method = m.head ? 'HEAD' : 'GET';
        const r = await poolRequest(pool, { path: '/fuzz', method });
        const ref = reference(text, m.head, LIMITS);
        const terminal = r.events.filter((e) => e === 'end' || e === 'error');
        assert.equal(terminal.length, 1);
        assert.ok(r.events.filter((e) => e === 'start').length <= 1);
        if (ref.kind === 'error') {
          assert.equal(r.error?.code, PROTOCOL_ERROR, `${JSON.stringify(text)}: ${r.error?.message}`);
        } else if (ref.kind === 'ended' || ref.untilClose) {
          // A close-delimited body ends with the connection.
          assert.equal(r.error, undefined, `${JSON.stringify(text)}: ${r.error?.message}`);
          assert.equal(r.status, ref.status);
          assert.equal(r.body.toString('latin1'), ref.body);
        } else {
          assert.equal(r.error?.code, 'UND_ERR_SOCKET', JSON.stringify(text));
          assert.equal(r.body.toString('latin1'), ref.body);
        }
        const ok = await poolRequest(pool, { path: '/ok' });
        assert.equal(ok.body.toString(), 'ok');
        assert.deepEqual(r.events.slice(r.events.indexOf(terminal[0]) + 1), [], 'nothing after the end or the error');
      }),
      runs(500, 20),
    );
  });
});
