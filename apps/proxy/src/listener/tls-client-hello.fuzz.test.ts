// Property-based fuzzing of tls_inspector's ClientHello parser and
// http_inspector's request-line check (fast-check): random bytes, valid
// hellos with random fields split over random records, and valid hellos with
// random mutations. Whatever the bytes, the parsers never throw, "need more"
// only on a prefix that could still become valid (and promise progress past
// the bytes they have), and read back exactly what a valid hello carries.
//
// FUZZ_RUNS=<n> raises the number of runs per property (default: a short run
// for `npm test`).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseClientHello } from './tls-client-hello.ts';
import { inspectHttp } from './http-inspector.ts';
import { clientHelloMessage, records } from './client-hello-builder.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 0);
const runs = (fallback: number) => (RUNS > 0 ? RUNS : fallback);

const label = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/);
const hostName = fc.array(label, { minLength: 1, maxLength: 6 }).map((l) => l.join('.'));
const protocol = fc.stringMatching(/^[\x21-\x7e]{1,20}$/);
const hello = fc.record({
  serverName: fc.option(hostName, { nil: undefined }),
  alpn: fc.option(fc.array(protocol, { minLength: 1, maxLength: 5 }), { nil: undefined }),
  sessionIdLength: fc.integer({ min: 0, max: 32 }),
  cipherSuites: fc.integer({ min: 1, max: 60 }),
  compressionMethods: fc.integer({ min: 1, max: 3 }),
  extra: fc.array(fc.tuple(fc.integer({ min: 17, max: 0xffff }), fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u))), { maxLength: 4 }),
  split: fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 6 }),
});
type Hello = typeof hello extends fc.Arbitrary<infer T> ? T : never;

function build(h: Hello): Buffer {
  // Extension types must be distinct (the parser refuses duplicates, as TLS does).
  const seen = new Set<number>();
  const extra = h.extra.filter(([t]) => !seen.has(t) && seen.add(t));
  return records(clientHelloMessage({ ...h, extra }), h.split);
}

function checkResult(r: ReturnType<typeof parseClientHello>, length: number): void {
  assert.ok(['need-more', 'tls', 'not-tls', 'too-large'].includes(r.kind));
  if (r.kind === 'need-more') assert.ok(r.atLeast > length, `need-more must ask for more than the ${length} bytes it has (asked ${r.atLeast})`);
  if (r.kind === 'tls' && r.serverName !== undefined) assert.match(r.serverName, /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/);
}

describe('ClientHello parser (fuzz)', () => {
  it('never throws on random bytes, starting with a handshake record header or not', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.uint8Array({ maxLength: 3000 }), (header, bytes) => {
        const input = header ? Buffer.concat([Buffer.from([0x16, 3, 1, bytes.length >> 8, bytes.length & 0xff, 1]), bytes]) : Buffer.from(bytes);
        checkResult(parseClientHello(input), input.length);
      }),
      { numRuns: runs(2000) },
    );
  });

  it('reads back SNI and ALPN of any valid hello, however it is split, and needs more for its prefixes', () => {
    fc.assert(
      fc.property(hello, fc.array(fc.nat(), { maxLength: 8 }), (h, cuts) => {
        const bytes = build(h);
        assert.deepEqual(parseClientHello(bytes), { kind: 'tls', serverName: h.serverName, alpn: h.alpn ?? [] });
        for (const c of cuts) {
          const n = c % bytes.length;
          const r = parseClientHello(bytes.subarray(0, n));
          assert.equal(r.kind, 'need-more', `prefix of ${n}/${bytes.length}`);
          checkResult(r, n);
        }
      }),
      { numRuns: runs(500) },
    );
  });

  it('never throws on a valid hello with random bytes changed, inserted or removed', () => {
    fc.assert(
      fc.property(
        hello,
        fc.array(fc.record({ at: fc.nat(), op: fc.constantFrom('set', 'insert', 'delete'), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 6 }),
        (h, edits) => {
          let b = build(h);
          for (const e of edits) {
            const at = e.at % (b.length + 1);
            if (e.op === 'set' && at < b.length) b[at] = e.byte;
            else if (e.op === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from([e.byte]), b.subarray(at)]);
            else if (e.op === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
          }
          checkResult(parseClientHello(b), b.length);
        },
      ),
      { numRuns: runs(1000) },
    );
  });
});

describe('http_inspector (fuzz)', () => {
  it('never throws, and what it calls HTTP starts with a well-formed request line or the h2 preface', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.stringMatching(/^[A-Z]{1,7} [\x21-\x7e]{1,30} HTTP\/1\.[0-2]\r?\n?/).map((s) => Buffer.from(s, 'latin1'))), (input) => {
        const r = inspectHttp(input);
        assert.ok(['need-more', 'http', 'not-http'].includes(r.kind));
        if (r.kind === 'http') {
          const text = Buffer.from(input).toString('latin1');
          assert.ok(r.protocol === 'h2c' ? text.startsWith('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n') : /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+ [\x21-\x7e]+ HTTP\/1\.[01]\r\n/.test(text), text);
        }
      }),
      { numRuns: runs(2000) },
    );
  });
});
