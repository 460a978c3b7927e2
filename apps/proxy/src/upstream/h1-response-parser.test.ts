// The upstream response parser alone: what it accepts, what it refuses (each
// refusal is a protocol error, never a throw of another kind), and that where
// reads are split never changes the outcome.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { H1ResponseParser, MAX_CHUNK_LINE, P_UNTIL_CLOSE, PROTOCOL_ERROR, type H1ResponseSink } from './h1-pool.ts';
import { bufferBound, parse, type ParseOutcome } from './h1-parser-driver.ts';

const OK = 'HTTP/1.1 200 OK\r\n';

/** Parses whole, then split at every offset: the outcome must not depend on the reads. */
function parseEverySplit(input: string, options: { head?: boolean } = {}): ParseOutcome {
  const whole = parse(input, options);
  for (let cut = 1; cut < input.length; cut++) {
    const split = parse(input, { ...options, cuts: [cut] });
    assert.deepEqual(summary(split), summary(whole), `split at ${cut} of ${JSON.stringify(input)}`);
  }
  const bytewise = parse(input, { ...options, cuts: Array.from({ length: input.length }, (_, i) => i) });
  assert.deepEqual(summary(bytewise), summary(whole), `byte by byte: ${JSON.stringify(input)}`);
  return whole;
}

function summary(o: ParseOutcome): unknown {
  return { error: o.error, status: o.status, headers: o.headers, body: o.body.toString('latin1'), ended: o.ended, extra: o.extra, keepAlive: o.keepAlive };
}

function refused(input: string, details: string | RegExp, options: { head?: boolean } = {}): void {
  const o = parseEverySplit(input, options);
  assert.equal(o.ended, false, `must not complete: ${JSON.stringify(input)}`);
  if (typeof details === 'string') assert.equal(o.error, details, JSON.stringify(input));
  else assert.match(o.error ?? '(no error)', details, JSON.stringify(input));
}

describe('upstream response parser: well-formed responses', () => {
  it('reads a content-length response and keeps the connection', () => {
    const o = parseEverySplit(`${OK}Content-Type: text/plain\r\ncontent-length: 5\r\n\r\nhello`);
    assert.equal(o.status, 200);
    assert.equal(o.statusText, 'OK');
    assert.deepEqual(o.headers, { 'content-type': 'text/plain', 'content-length': '5' });
    assert.equal(o.body.toString(), 'hello');
    assert.equal(o.ended, true);
    assert.equal(o.extra, false);
    assert.equal(o.keepAlive, true);
  });

  it('decodes chunked bodies with extensions and trailers', () => {
    const o = parseEverySplit(`${OK}transfer-encoding: Chunked\r\n\r\n5;name=value\r\nhello\r\n1\r\n!\r\n0\r\nx-checksum: abc\r\n\r\n`);
    assert.equal(o.body.toString(), 'hello!');
    assert.equal(o.ended, true);
    assert.equal(o.extra, false);
    assert.equal(parseEverySplit(`${OK}transfer-encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n`).body.toString(), '0123456789');
  });

  it('consumes 100, 102 and 103 before the final response', () => {
    const o = parseEverySplit('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok');
    assert.equal(o.status, 201);
    assert.equal(o.headers.link, undefined, "a 1xx's headers are not the final response's");
    assert.equal(o.body.toString(), 'ok');
    assert.equal(o.ended, true);
  });

  it('gives 204, 304 and HEAD responses no body, whatever their content-length says', () => {
    for (const [input, head] of [
      ['HTTP/1.1 204 No Content\r\n\r\n', false],
      ['HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n', false],
      ['HTTP/1.1 304 Not Modified\r\ncontent-length: 1234\r\n\r\n', false],
      [`${OK}content-length: 1234\r\n\r\n`, true],
      [`${OK}transfer-encoding: chunked\r\n\r\n`, true],
    ] as const) {
      const o = parseEverySplit(input, { head });
      assert.equal(o.ended, true, input);
      assert.equal(o.body.length, 0, input);
      assert.equal(o.extra, false, input);
      assert.equal(o.keepAlive, true, input);
    }
  });

  it('reports bytes after a complete response (a body a HEAD/204/304 should not have, or garbage)', () => {
    const head = parse(`${OK}content-length: 5\r\n\r\nhello`, { head: true });
    assert.equal(head.ended, true);
    assert.equal(head.body.length, 0);
    assert.equal(head.extra, true);
    assert.equal(parse('HTTP/1.1 304 Not Modified\r\ncontent-length: 5\r\n\r\nhello').extra, true);
    const garbage = parse(`${OK}content-length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nEVIL`);
    assert.equal(garbage.body.toString(), 'hello', 'no more than content-length is forwarded');
    assert.equal(garbage.extra, true);
    const split = parse(`${OK}content-length: 5\r\n\r\nhelloEVIL`, { cuts: [43] });
    assert.equal(split.body.toString(), 'hello');
    assert.equal(split.extra, true);
  });

  it('reads a response with neither framing until the connection closes, never reusing it', () => {
    const o = parse(`${OK}content-type: text/plain\r\n\r\nuntil close`);
    assert.equal(o.body.toString(), 'until close');
    assert.equal(o.incomplete, true);
    assert.equal(o.keepAlive, false);
  });

  it('follows connection: close and HTTP/1.0 keep-alive', () => {
    assert.equal(parse(`${OK}connection: close\r\ncontent-length: 0\r\n\r\n`).keepAlive, false);
    assert.equal(parse(`HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n`).keepAlive, false);
    assert.equal(parse(`HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\ncontent-length: 0\r\n\r\n`).keepAlive, true);
  });

  it('accepts a status line without a reason phrase and trims OWS around values only', () => {
    const o = parseEverySplit('HTTP/1.1 200\r\nx-a: \t spaced  out \t\r\nx-empty:\r\ncontent-length: 0\r\n\r\n');
    assert.equal(o.status, 200);
    assert.equal(o.statusText, '');
    assert.equal(o.headers['x-a'], 'spaced  out');
    assert.equal(o.headers['x-empty'], '');
    assert.equal(parse('HTTP/1.1 404 \r\ncontent-length: 0\r\n\r\n').status, 404);
    const latin1 = parse(`${OK}x-obs: caf\xe9\xa0\r\ncontent-length: 0\r\n\r\n`);
    assert.equal(latin1.headers['x-obs'], 'caf\xe9\xa0', 'obs-text is kept as is (not trimmed as a space)');
  });

  it('keeps repeated headers, one identical repeated content-length, and headers named like Object.prototype members', () => {
    const o = parseEverySplit(`${OK}set-cookie: a=1\r\nSet-Cookie: b=2\r\ncontent-length: 2\r\nContent-Length: 2\r\nconstructor: c\r\n__proto__: p\r\n\r\nok`);
    assert.deepEqual(o.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(o.headers['content-length'], '2');
    assert.equal(o.headers.constructor, 'c');
    assert.equal(Object.getPrototypeOf(o.headers), Object.prototype);
    assert.equal(o.body.toString(), 'ok');
  });

  it('accepts exactly the configured header count and head size', () => {
    const lines = Array.from({ length: 99 }, (_, i) => `x-h${i}: v\r\n`).join('');
    assert.equal(parse(`${OK}${lines}content-length: 0\r\n\r\n`).ended, true);
    const head = `${OK}x-big: ${'a'.repeat(100)}\r\n\r\n`;
    assert.equal(parse(head, { limits: { maxHeadBytes: head.length } }).error, undefined);
    assert.equal(parse(head, { limits: { maxHeadBytes: head.length - 1 } }).error, 'http1.headers_too_large');
    assert.equal(parse(head, { limits: { maxHeadBytes: head.length - 1 }, cuts: [10, 50] }).error, 'http1.headers_too_large');
  });
});

describe('upstream response parser: refusals (issue #7 items 3 and 7)', () => {
  it('refuses Transfer-Encoding together with Content-Length (response smuggling)', () => {
    const smuggle = '0\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nEVIL';
    refused(`${OK}transfer-encoding: chunked\r\ncontent-length: ${smuggle.length}\r\n\r\n${smuggle}`, 'http1.content_length_and_chunked_not_allowed');
    refused(`${OK}content-length: ${smuggle.length}\r\ntransfer-encoding: chunked\r\n\r\n${smuggle}`, 'http1.content_length_and_chunked_not_allowed');
    refused(`${OK}content-length: 0\r\ntransfer-encoding: chunked\r\n\r\n`, 'http1.content_length_and_chunked_not_allowed', { head: true });
  });

  it('refuses any transfer coding but a single `chunked`', () => {
    for (const te of ['xchunked', 'chunkedx', 'chunked;q=1', 'gzip, chunked', 'chunked, chunked', 'identity', 'gzip', '', 'chunk', 'c hunked']) {
      refused(`${OK}transfer-encoding: ${te}\r\n\r\n0\r\n\r\n`, 'http1.invalid_transfer_encoding');
    }
    refused(`${OK}transfer-encoding: chunked\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n`, 'http1.invalid_transfer_encoding');
    refused('HTTP/1.0 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n', 'http1.invalid_transfer_encoding');
  });

  it('refuses bare CR, bare LF and control bytes in header names and values (header injection)', () => {
    for (const line of ['x-a: b\rinjected: 1', 'x-a: b\ninjected: 1', 'x-a\r: b', 'x-a\n: b', 'x-a: b\x00c', 'x-a: b\x7f', 'x-a: \x1b[31m', 'x-a: b\x0b']) {
      refused(`${OK}${line}\r\ncontent-length: 0\r\n\r\n`, /^http1\.invalid_header_(name|value)$/);
    }
  });

  it('refuses header names that are not tokens, whitespace before the colon, and obs-fold', () => {
    for (const line of [': empty', 'x a: b', 'x-a : b', 'x-a\t: b', '(x): b', 'x\xe9: b', 'no-colon', ' x-folded: b', 'x-a: b\r\n  folded', 'x-a: b\r\n\tfolded', 'x-a/b: c', 'x-a@: c']) {
      refused(`${OK}${line}\r\ncontent-length: 0\r\n\r\n`, 'http1.invalid_header_name');
    }
  });

  it('refuses malformed status lines: 2000, 99, 600, HTTP/2.0, lowercase, missing or extra bytes', () => {
    for (const line of ['HTTP/1.1 2000 OK', 'HTTP/1.1 099 Low', 'HTTP/1.1 99 Low', 'HTTP/1.1 600 High', 'HTTP/1.1 000 Zero', 'HTTP/2.0 200 OK', 'HTTP/2 200 OK', 'http/1.1 200 OK', 'HTTP/1.1  200 OK', 'HTTP/1.1 200OK', 'HTTP/1.1 2x0 OK', 'HTTP/1.1 200 O\rK', 'HTTP/1.1 200 O\nK', 'HTTP/1.1 200 \x00', 'HTTP/1.1', 'ICY 200 OK', '', 'HTTP/1.1 +20 OK', 'HTTP/1.x 200 OK', ' HTTP/1.1 200 OK']) {
      refused(`${line}\r\ncontent-length: 0\r\n\r\n`, /^http1\.invalid_status(_line)?$/);
    }
  });

  it('refuses an unsolicited 101, a 1xx or 204 with a body, and too many 1xx', () => {
    refused('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n', 'http1.unexpected_101');
    refused('HTTP/1.1 100 Continue\r\ncontent-length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n', 'http1.body_not_allowed');
    refused('HTTP/1.1 204 No Content\r\ncontent-length: 5\r\n\r\nhello', 'http1.body_not_allowed');
    refused('HTTP/1.1 204 No Content\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n', 'http1.body_not_allowed');
    const many = 'HTTP/1.1 100 Continue\r\n\r\n'.repeat(11) + `${OK}content-length: 0\r\n\r\n`;
    assert.equal(parse(many).error, 'http1.too_many_informational');
    assert.equal(parse('HTTP/1.1 100 Continue\r\n\r\n'.repeat(10) + `${OK}content-length: 0\r\n\r\n`).ended, true);
  });

  it('refuses more headers than max_headers_count (5,000 headers) and heads over the byte limit', () => {
    const lines = (n: number) => Array.from({ length: n }, (_, i) => `x-h${i}: v\r\n`).join('');
    assert.equal(parse(`${OK}${lines(101)}\r\n`).error, 'http1.too_many_headers');
    assert.equal(parse(`${OK}${lines(5000)}\r\n`).error, 'http1.too_many_headers');
    assert.equal(parse(`${OK}${lines(5000)}\r\n`, { limits: { maxHeadBytes: 1 << 20 } }).error, 'http1.too_many_headers');
    assert.equal(parse(`${OK}${lines(11)}\r\n`, { limits: { maxHeadersCount: 10 } }).error, 'http1.too_many_headers');
    assert.equal(parse(`${OK}x-big: ${'a'.repeat(61 * 1024)}\r\n\r\n`).error, 'http1.headers_too_large');
    const endless = parse(`${OK}x-big: ${'a'.repeat(200 * 1024)}`, { cuts: Array.from({ length: 200 }, (_, i) => i * 1024) });
    assert.equal(endless.error, 'http1.headers_too_large', 'a head that never ends is refused at the limit');
    assert.ok(endless.maxBuffered <= bufferBound(), `held ${endless.maxBuffered} bytes`);
  });

  it('refuses bad, conflicting and overlong content-lengths', () => {
    for (const cl of ['-1', '+5', '1.5', '0x10', '', ' ', '1 2', '5,5', '5, 6', '1e3', 'five', '1234567890123456', '\xb9']) {
      refused(`${OK}content-length: ${cl}\r\n\r\n`, 'http1.invalid_content_length');
    }
    refused(`${OK}content-length: 5\r\ncontent-length: 6\r\n\r\nhello!`, 'http1.content_length_mismatch');
  });

  it('refuses chunk-size lines that are not strictly hex digits, an extension and CRLF', () => {
    const chunked = `${OK}transfer-encoding: chunked\r\n\r\n`;
    for (const line of ['5 ', ' 5', '5\t', '+5', '-5', '0x5', 'g', '', '5;a=\x00', '5;\r', '1234567890abc', '5 ;ext']) {
      const o = parseEverySplit(`${chunked}${line}\r\nhello\r\n0\r\n\r\n`);
      assert.equal(o.ended, false, JSON.stringify(line));
      assert.match(o.error ?? '', /^http1\.invalid_chunk_(size|extension)$/, JSON.stringify(line));
    }
    assert.equal(parse(`${chunked}5\nhello\r\n0\r\n\r\n`).error, 'http1.invalid_chunk_size', 'bare LF');
    assert.equal(parse(`${chunked}5;${'e'.repeat(MAX_CHUNK_LINE)}\r\nhello\r\n0\r\n\r\n`).error, 'http1.invalid_chunk_size');
    const endless = parse(`${chunked}5;${'e'.repeat(100_000)}`, { cuts: Array.from({ length: 100 }, (_, i) => 100 + i * 1000) });
    assert.equal(endless.error, 'http1.invalid_chunk_size');
    assert.ok(endless.maxBuffered <= MAX_CHUNK_LINE);
    // At the bound exactly (found by the fuzzer: a line split across reads was held one byte too long).
    const atBound = `5;${'e'.repeat(MAX_CHUNK_LINE - 4)}\r\n`;
    assert.equal(atBound.length, MAX_CHUNK_LINE);
    for (const cuts of [[], [chunked.length + 1], [chunked.length + 2000]]) {
      assert.equal(parse(`${chunked}${atBound}hello\r\n0\r\n\r\n`, { cuts }).body.toString(), 'hello', `cuts ${cuts}`);
      assert.equal(parse(`${chunked}${'a'.repeat(MAX_CHUNK_LINE)}`, { cuts }).error, 'http1.invalid_chunk_size', `cuts ${cuts}`);
    }
    assert.equal(parse(`${chunked}5\r\nhelloX\r\n0\r\n\r\n`).error, 'http1.invalid_chunk_terminator');
    assert.equal(parse(`${chunked}5\r\nhello\n0\r\n\r\n`).error, 'http1.invalid_chunk_terminator');
    assert.equal(parse(`${chunked}00000000000A\r\n0123456789\r\n0\r\n\r\n`).body.toString(), '0123456789', '12 digits are fine');
  });

  it('bounds and validates trailers', () => {
    const chunked = `${OK}transfer-encoding: chunked\r\n\r\n1\r\na\r\n0\r\n`;
    assert.equal(parseEverySplit(`${chunked}x-t: 1\r\n\r\n`).ended, true);
    assert.equal(parse(`${chunked}x-t: 1\rinjected\r\n\r\n`).error, 'http1.invalid_trailer');
    assert.equal(parse(`${chunked} folded\r\n\r\n`).error, 'http1.invalid_trailer');
    assert.equal(parse(`${chunked}${'x-t: 1\r\n'.repeat(101)}\r\n`).error, 'http1.too_many_trailers');
    const endless = parse(`${chunked}x-t: ${'a'.repeat(100_000)}`, { cuts: Array.from({ length: 100 }, (_, i) => 60 + i * 1000) });
    assert.equal(endless.error, 'http1.trailers_too_large');
    assert.ok(endless.maxBuffered <= bufferBound());
  });

  it('throws only protocol errors, and nothing for bytes after a refusal is reported', () => {
    const parser = new H1ResponseParser({ onParsedHead() {}, onParsedData() {}, onParsedEnd() {} });
    parser.expect(false);
    assert.throws(() => parser.execute(Buffer.from('HTTP/1.1 200 OK\r\nbad header\r\n\r\n')), { code: PROTOCOL_ERROR, message: 'protocol error' });
    const idle = new H1ResponseParser({ onParsedHead() {}, onParsedData() {}, onParsedEnd() {} });
    assert.throws(() => idle.execute(Buffer.from('HTTP/1.1 200 OK\r\n\r\n')), { code: PROTOCOL_ERROR, details: 'http1.unsolicited_response' } as never);
  });

  it('stops at once when a callback stops the parser or starts the next response', () => {
    const seen: string[] = [];
    const sink: H1ResponseSink = {
      onParsedHead: (status) => {
        seen.push(`head ${status}`);
        parser.stop();
      },
      onParsedData: () => seen.push('data'),
      onParsedEnd: () => seen.push('end'),
    };
    const parser = new H1ResponseParser(sink);
    parser.expect(false);
    parser.execute(Buffer.from(`${OK}content-length: 5\r\n\r\nhello`));
    assert.deepEqual(seen, ['head 200']);
    const restarted: string[] = [];
    const p2: H1ResponseParser = new H1ResponseParser({
      onParsedHead: () => restarted.push('head'),
      onParsedData: () => restarted.push('data'),
      onParsedEnd: () => {
        restarted.push('end');
        p2.expect(false); // the pool reuses the connection from inside onResponseEnd
      },
    });
    p2.expect(false);
    p2.execute(Buffer.from(`${OK}content-length: 2\r\n\r\nok`));
    assert.deepEqual(restarted, ['head', 'data', 'end']);
    p2.execute(Buffer.from(`${OK}content-length: 0\r\n\r\n`));
    assert.deepEqual(restarted, ['head', 'data', 'end', 'head', 'end']);
    const closeDelimited = new H1ResponseParser({ onParsedHead() {}, onParsedData() {}, onParsedEnd() {} });
    closeDelimited.expect(false);
    closeDelimited.execute(Buffer.from(`${OK}\r\nsome`));
    assert.equal(closeDelimited.state, P_UNTIL_CLOSE);
  });
});
