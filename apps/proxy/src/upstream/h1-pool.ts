// A lean HTTP/1.1 connection pool for one plaintext upstream endpoint, used
// on the hot path instead of undici's Pool (which stays in use for TLS and
// HTTP/2 upstreams): keep-alive connections reused last-in-first-out, one
// request per connection at a time (no pipelining), a cap on connections
// with a queue behind it, streaming both ways with backpressure.
//
// It speaks undici's dispatch-handler contract (onRequestStart,
// onResponseStart, onResponseData, onResponseEnd, onResponseError and a
// controller with abort/pause/resume), so the router drives either pool the
// same way. Error codes follow undici's (ECONNREFUSED, UND_ERR_CONNECT_TIMEOUT,
// UND_ERR_SOCKET) so failures classify the same; a response that breaks
// HTTP/1.1 (framing, syntax, limits) fails with UND_ERR_RES_PROTOCOL
// ('protocol error', Envoy's upstream protocol error) and its connection is
// never reused.
//
// The upstream is not trusted (RFC 9112 read as a proxy must, Envoy's choices
// where the RFC leaves one). Each of these is a protocol error:
// - Transfer-Encoding with Content-Length (response smuggling, §6.3), any
//   transfer coding but one `chunked` (`xchunked`, `gzip, chunked`, repeats;
//   Envoy refuses what it cannot decode rather than reading until close), and
//   Transfer-Encoding in an HTTP/1.0 response;
// - a status line other than `HTTP/1.<digit> <3 digits 100-599>[ reason]`;
// - a header name that is not a token, whitespace before the colon, obs-fold,
//   a control byte (bare CR and LF included) in a name, value or reason;
// - a Content-Length that is not 1-15 digits, or repeated with another value;
// - a 101 (the pool never asks to switch protocols), a 1xx or 204 declaring a
//   body, more 1xx than maxInformationalResponses (the others are consumed);
// - a head or trailer section over maxResponseHeadBytes or
//   maxResponseHeadersCount lines; a chunk-size line that is not hex digits,
//   an optional `;extension` and CRLF, within MAX_CHUNK_LINE bytes.
// 204, 304 and HEAD responses have no body whatever they declare. A byte the
// current request cannot account for (after a complete response, or on an
// idle connection) closes the connection instead of becoming the next
// response. Partial heads, chunk-size lines and trailers are held in one
// bounded accumulator per connection (amortised doubling, no Buffer.concat per
// read); nothing a connection receives can throw out of its socket handlers.
import { EventEmitter } from 'node:events';
import net, { type Socket } from 'node:net';

export interface H1DispatchOptions {
  path: string;
  method: string;
  headers: string[];
  body: AsyncIterable<Buffer> | null;
}

export interface H1Controller {
  abort(reason?: Error): void;
  pause(): void;
  resume(): void;
}

export interface H1Handler {
  onRequestStart(controller: H1Controller, context: unknown): void;
  onResponseStart(controller: H1Controller, status: number, headers: Record<string, string | string[]>, statusText: string): void;
  onResponseData(controller: H1Controller, chunk: Buffer): void;
  onResponseEnd(controller: H1Controller, trailers: Record<string, string | string[]>): void;
  onResponseError(controller: H1Controller, err: Error): void;
}

export interface H1PoolOptions {
  connections: number;
  connectTimeoutMs: number;
  /** Idle connections close after this long (below the usual 5 s server keep-alive, to avoid racing it). */
  keepAliveTimeoutMs: number;
  /** Requests per connection before it is retired (0: no limit). */
  maxRequestsPerConnection: number;
  /** Header lines in an upstream response head or trailer section (Envoy's max_headers_count; default 100). */
  maxResponseHeadersCount?: number;
  /** Bytes of an upstream response head, status line through the blank line (Envoy's max_response_headers_kb; default 60 KiB). */
  maxResponseHeadBytes?: number;
  /** 1xx responses consumed before the final response (default 10). */
  maxInformationalResponses?: number;
  /** Source address of upstream connections (the cluster's upstream_bind_config; Istio's inbound clusters bind 127.0.0.6). */
  localAddress?: string;
}

function codeError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

const EXPECTS_BODY = new Set(['POST', 'PUT', 'PATCH']);
const NO_TRAILERS: Record<string, string | string[]> = {};

// ---------------------------------------------------------------------------
// The response parser: strict (RFC 9112 as a proxy must read it), bounded, and
// free of the socket so it can be fuzzed alone. It never buffers more than one
// head (or chunk-size line, or trailer section) and never hands the sink more
// body bytes than the framing allows. Every violation throws a protocol error
// (code UND_ERR_RES_PROTOCOL) out of execute(); the connection turns it into
// onResponseError and closes.

/** Error code of every framing or syntax violation in an upstream response (Envoy: upstream protocol error, UPE). */
export const PROTOCOL_ERROR = 'UND_ERR_RES_PROTOCOL';

/** A protocol error; `details` names the violation the way Envoy's response code details do. */
export function protocolError(details: string): Error {
  return Object.assign(new Error('protocol error'), { code: PROTOCOL_ERROR, details });
}

export interface H1ResponseLimits {
  /** Header lines per response head (and per trailer section). */
  readonly maxHeadersCount: number;
  /** Bytes per response head, status line to the blank line inclusive (and per trailer section). */
  readonly maxHeadBytes: number;
  /** 1xx responses consumed before the final one. */
  readonly maxInformational: number;
}

/** Envoy's defaults: max_headers_count 100, max_response_headers_kb 60. */
export const DEFAULT_RESPONSE_LIMITS: H1ResponseLimits = Object.freeze({ maxHeadersCount: 100, maxHeadBytes: 60 * 1024, maxInformational: 10 });

/** A chunk-size line (size, extensions, CRLF) longer than this is refused. */
export const MAX_CHUNK_LINE = 4096;
/** Hex digits of a chunk size (12: below 2^48, exact in a double). */
const MAX_CHUNK_SIZE_DIGITS = 12;
/** Digits of a Content-Length (15: exact in a double). */
const MAX_LENGTH_DIGITS = 15;

export interface H1ResponseSink {
  /** The final response's head (1xx responses are consumed by the parser). */
  onParsedHead(status: number, headers: Record<string, string | string[]>, statusText: string): void;
  onParsedData(chunk: Buffer): void;
  /** The response is complete; `extra` when more bytes followed it in the same read. */
  onParsedEnd(extra: boolean): void;
  /** After a 101 to a request that asked to upgrade (expect(_, true)): the bytes that followed the head. */
  onParsedUpgrade?(rest: Buffer): void;
}

export const P_IDLE = 0;
export const P_HEAD = 1;
export const P_LENGTH = 2;
export const P_CHUNK_SIZE = 3;
export const P_CHUNK_DATA = 4;
export const P_CHUNK_CR = 5;
export const P_CHUNK_LF = 6;
export const P_TRAILERS = 7;
export const P_UNTIL_CLOSE = 8;
/** A 101 was accepted: the connection speaks another protocol now. */
export const P_UPGRADED = 9;

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** tchar (RFC 9110 §5.6.2). */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) TCHAR[c] = 1;
for (let c = 65; c <= 90; c++) TCHAR[c] = 1;
for (let c = 97; c <= 122; c++) TCHAR[c] = 1;
/** field-vchar / SP / HTAB / obs-text: every byte but CTLs (CR and LF included) and DEL. */
const FIELD = new Uint8Array(256);
FIELD[9] = 1;
for (let c = 32; c < 256; c++) if (c !== 127) FIELD[c] = 1;
const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) HEX[65 + c] = HEX[97 + c] = 10 + c;

/**
 * Parses one response at a time: expect() before each request, then execute() with every read.
 * Informational (1xx) heads are consumed; the sink sees one head, its body, and its end, or
 * execute() throws. A sink callback may stop() or expect() again: execute() then returns at once.
 */
export class H1ResponseParser {
  readonly sink: H1ResponseSink;
  readonly limits: H1ResponseLimits;
  state = P_IDLE;
  /** The last response's trailer section (null: none). */
  trailers: Record<string, string | string[]> | null = null;
  /** After a final head: whether the connection may carry another request. */
  keepAlive = true;
  #headRequest = false;
  /** The request asked to switch protocols: a 101 ends HTTP/1.1 on the connection. */
  #upgrade = false;
  #remaining = 0;
  #informational = 0;
  /** Bumped by expect() and stop(): a callback that changed the parser ends the current execute(). */
  #epoch = 0;
  /** Partial head, chunk-size line or trailer section (bounded; grows by doubling, so no quadratic copying). */
  #acc: Buffer | null = null;
  #accLen = 0;
  /** The block (head or trailer section, without its blank line) #block() found last. */
  #text = '';

  constructor(sink: H1ResponseSink, limits: H1ResponseLimits = DEFAULT_RESPONSE_LIMITS) {
    this.sink = sink;
    this.limits = limits;
  }

  /** Waits for the response to a new request (a HEAD response has no body). */
  expect(headRequest: boolean, upgrade = false): void {
    this.#epoch++;
    this.state = P_HEAD;
    this.keepAlive = true;
    this.#headRequest = headRequest;
    this.#upgrade = upgrade;
    this.trailers = null;
    this.#informational = 0;
    this.#remaining = 0;
    this.#accLen = 0;
  }

  stop(): void {
    this.#epoch++;
    this.state = P_IDLE;
    this.#accLen = 0;
    this.#acc = null;
  }

  /** Bytes held while waiting for the rest of a head, chunk-size line or trailer section. */
  get buffered(): number {
    return this.#accLen;
  }

  execute(buf: Buffer): void {
    const epoch = this.#epoch;
    const len = buf.length;
    let pos = 0;
    while (pos < len) {
      switch (this.state) {
        case P_HEAD: {
          const end = this.#block(buf, pos, this.limits.maxHeadBytes, false);
          if (end < 0) return;
          pos = end;
          if (!this.#head(this.#text)) break; // 1xx consumed: the next head follows
          const state: number = this.state; // P_IDLE when the response has no body
          this.sink.onParsedHead(this.#status, this.#headers!, this.#statusText);
          this.#headers = null;
          if (this.#epoch !== epoch) return;
          if (state === P_IDLE) {
            this.sink.onParsedEnd(pos < len);
            return;
          }
          if (state === P_UPGRADED) {
            this.sink.onParsedUpgrade?.(pos === 0 ? buf : buf.subarray(pos));
            return;
          }
          break;
        }
        case P_LENGTH:
        case P_CHUNK_DATA: {
          const avail = len - pos;
          const take = avail < this.#remaining ? avail : this.#remaining;
          const data = pos === 0 && take === len ? buf : buf.subarray(pos, pos + take);
          pos += take;
          const left = (this.#remaining -= take);
          const state = this.state;
          if (left === 0) this.state = state === P_LENGTH ? P_IDLE : P_CHUNK_CR;
          this.sink.onParsedData(data);
          if (this.#epoch !== epoch) return;
          if (left === 0 && state === P_LENGTH) {
            this.sink.onParsedEnd(pos < len);
            return;
          }
          break;
        }
        case P_UNTIL_CLOSE: {
          this.sink.onParsedData(pos === 0 ? buf : buf.subarray(pos));
          return;
        }
        case P_CHUNK_SIZE: {
          const end = this.#chunkLine(buf, pos);
          if (end < 0) return;
          pos = end;
          break;
        }
        case P_CHUNK_CR:
          if (buf[pos++] !== 13) throw protocolError('http1.invalid_chunk_terminator');
          this.state = P_CHUNK_LF;
          break;
        case P_CHUNK_LF:
          if (buf[pos++] !== 10) throw protocolError('http1.invalid_chunk_terminator');
          this.state = P_CHUNK_SIZE;
          break;
        case P_TRAILERS: {
          const end = this.#block(buf, pos, this.limits.maxHeadBytes, true);
          if (end < 0) return;
          pos = end;
          if (this.#text.length > 0) this.#trailers(this.#text);
          this.state = P_IDLE;
          this.sink.onParsedEnd(pos < len);
          return;
        }
        default:
          throw protocolError('http1.unsolicited_response');
      }
    }
  }

  // -------------------------------------------------------------------------
  // Heads and trailer sections

  /**
   * Finds the end of a head (or, `trailers`, of a trailer section, whose first line may be the
   * blank one) from buf[pos]: returns the offset after it, the block's text in #text; or -1 when
   * the rest of buf was kept for the next read. Throws when the block outgrows `limit`.
   */
  #block(buf: Buffer, pos: number, limit: number, trailers: boolean): number {
    const len = buf.length;
    if (this.#accLen === 0) {
      if (trailers && len - pos >= 2 && buf[pos] === 13 && buf[pos + 1] === 10) {
        this.#text = '';
        return pos + 2;
      }
      const i = buf.indexOf(CRLFCRLF, pos);
      if (i >= 0) {
        if (i + 4 - pos > limit) throw protocolError(trailers ? 'http1.trailers_too_large' : 'http1.headers_too_large');
        this.#text = buf.toString('latin1', pos, i);
        return i + 4;
      }
    }
    // Slow path: the block spans reads. Copy into the accumulator, at most up to the limit.
    let old = this.#accLen;
    const seed = trailers ? 2 : 0; // a trailer section is searched as if preceded by the chunk line's CRLF
    const cap = limit + seed;
    let acc = this.#acc;
    if (old === 0 && seed !== 0) {
      if (acc === null) acc = this.#acc = Buffer.allocUnsafe(256);
      acc[0] = 13;
      acc[1] = 10;
      this.#accLen = old = 2;
    }
    const take = Math.min(cap - old, len - pos);
    acc = this.#reserve(old + take);
    buf.copy(acc, old, pos, pos + take);
    const total = (this.#accLen = old + take);
    const i = acc.indexOf(CRLFCRLF, old > 3 ? old - 3 : 0);
    if (i >= 0 && i + 4 <= total) {
      this.#text = i > seed ? acc.toString('latin1', seed, i) : '';
      this.#release();
      return pos + (i + 4 - old);
    }
    if (total >= cap) throw protocolError(trailers ? 'http1.trailers_too_large' : 'http1.headers_too_large');
    return -1;
  }

  #reserve(size: number): Buffer {
    let acc = this.#acc;
    if (acc !== null && acc.length >= size) return acc;
    let cap = acc === null ? 256 : acc.length;
    while (cap < size) cap *= 2;
    const grown = Buffer.allocUnsafe(cap);
    if (acc !== null && this.#accLen > 0) acc.copy(grown, 0, 0, this.#accLen);
    this.#acc = acc = grown;
    return acc;
  }

  #release(): void {
    this.#accLen = 0;
    // Keep a small accumulator for the next slow path; let a large one go.
    if (this.#acc !== null && this.#acc.length > 4096) this.#acc = null;
  }

  #status = 0;
  #statusText = '';
  #headers: Record<string, string | string[]> | null = null;

  /** Parses a head. False for a consumed 1xx; true for the final head, with the body state set. */
  #head(text: string): boolean {
    const n = text.length;
    // status-line = HTTP-version SP 3DIGIT SP [ reason-phrase ]  (the SP before an empty reason is optional in practice)
    let eol = text.indexOf('\r\n');
    if (eol < 0) eol = n;
    if (
      eol < 12 ||
      !text.startsWith('HTTP/1.') ||
      !isDigit(text.charCodeAt(7)) ||
      text.charCodeAt(8) !== 32 ||
      !isDigit(text.charCodeAt(9)) ||
      !isDigit(text.charCodeAt(10)) ||
      !isDigit(text.charCodeAt(11)) ||
      (eol > 12 && text.charCodeAt(12) !== 32)
    ) {
      throw protocolError('http1.invalid_status_line');
    }
    const status = (text.charCodeAt(9) - 48) * 100 + (text.charCodeAt(10) - 48) * 10 + (text.charCodeAt(11) - 48);
    if (status < 100 || status > 599) throw protocolError('http1.invalid_status');
    for (let i = 13; i < eol; i++) if (FIELD[text.charCodeAt(i)] !== 1) throw protocolError('http1.invalid_status_line');
    const http10 = text.charCodeAt(7) === 48;

    const headers: Record<string, string | string[]> = {};
    const maxCount = this.limits.maxHeadersCount;
    let count = 0;
    let length = -1;
    let chunked = false;
    let close = false;
    let keepAlive = false;
    let pos = eol + 2;
    while (pos < n) {
      let end = text.indexOf('\r\n', pos);
      if (end < 0) end = n;
      if (++count > maxCount) throw protocolError('http1.too_many_headers');
      // field-name ":" OWS field-value OWS; a leading SP/HTAB (obs-fold) or one before the colon is refused.
      let i = pos;
      while (i < end && TCHAR[text.charCodeAt(i)] === 1) i++;
      if (i === pos || i === end || text.charCodeAt(i) !== 58) throw protocolError('http1.invalid_header_name');
      const colon = i++;
      let c = 0;
      while (i < end && ((c = text.charCodeAt(i)) === 32 || c === 9)) i++;
      const vStart = i;
      let vEnd = i;
      for (; i < end; i++) {
        c = text.charCodeAt(i);
        if (FIELD[c] !== 1) throw protocolError('http1.invalid_header_value');
        if (c !== 32 && c !== 9) vEnd = i + 1;
      }
      const name = text.slice(pos, colon).toLowerCase();
      const value = vStart === vEnd ? '' : text.slice(vStart, vEnd);
      pos = end + 2;
      if (name === 'content-length') {
        // 1*DIGIT, bounded; repeated only with the same value (RFC 9110 §8.6), then kept once.
        const vl = vEnd - vStart;
        if (vl === 0 || vl > MAX_LENGTH_DIGITS) throw protocolError('http1.invalid_content_length');
        for (let k = vStart; k < vEnd; k++) if (!isDigit(text.charCodeAt(k))) throw protocolError('http1.invalid_content_length');
        const v = Number(value);
        if (length >= 0) {
          if (v !== length) throw protocolError('http1.content_length_mismatch');
          continue;
        }
        length = v;
      } else if (name === 'transfer-encoding') {
        // Only `chunked`, once, is understood (as Envoy): any other coding, a list or a repeat is refused.
        if (chunked || value.length !== 7 || value.toLowerCase() !== 'chunked') throw protocolError('http1.invalid_transfer_encoding');
        chunked = true;
      } else if (name === 'connection') {
        const v = value.toLowerCase();
        if (v.includes('close')) close = true;
        if (v.includes('keep-alive')) keepAlive = true;
      } else if (name === '__proto__') continue;
      const prev = headers[name];
      if (prev === undefined || typeof prev === 'function') headers[name] = value; // `constructor` is Object.prototype's
      else if (typeof prev === 'string') headers[name] = [prev, value];
      else prev.push(value);
    }
    if (chunked) {
      // RFC 9112 §6.3: both framings (a smuggling vector) or chunked in HTTP/1.0 is faulty framing.
      if (length >= 0) throw protocolError('http1.content_length_and_chunked_not_allowed');
      if (http10) throw protocolError('http1.invalid_transfer_encoding');
    }
    if (status < 200) {
      // The pool never asks to switch protocols: a 101 cannot be skipped like other 1xx.
      if (status === 101) {
        if (!this.#upgrade) throw protocolError('http1.unexpected_101');
        this.state = P_UPGRADED;
        this.keepAlive = false;
        this.#status = status;
        this.#statusText = eol > 13 ? text.slice(13, eol) : '';
        this.#headers = headers;
        return true;
      }
      if (chunked || length > 0) throw protocolError('http1.body_not_allowed');
      if (++this.#informational > this.limits.maxInformational) throw protocolError('http1.too_many_informational');
      return false;
    }
    if (status === 204 && (chunked || length > 0)) throw protocolError('http1.body_not_allowed');
    this.keepAlive = http10 ? keepAlive && !close : !close;
    if (this.#headRequest || status === 204 || status === 304) this.state = P_IDLE;
    else if (chunked) this.state = P_CHUNK_SIZE;
    else if (length > 0) {
      this.state = P_LENGTH;
      this.#remaining = length;
    } else if (length === 0) this.state = P_IDLE;
    else {
      this.state = P_UNTIL_CLOSE;
      this.keepAlive = false;
    }
    this.#status = status;
    this.#statusText = eol > 13 ? text.slice(13, eol) : '';
    this.#headers = headers;
    return true;
  }

  /** A trailer section's field lines, validated like header lines; kept (lower-case names) for the client. */
  #trailers(text: string): void {
    const n = text.length;
    const maxCount = this.limits.maxHeadersCount;
    const out: Record<string, string | string[]> = Object.create(null);
    let count = 0;
    let pos = 0;
    while (pos < n) {
      let end = text.indexOf('\r\n', pos);
      if (end < 0) end = n;
      if (++count > maxCount) throw protocolError('http1.too_many_trailers');
      let i = pos;
      while (i < end && TCHAR[text.charCodeAt(i)] === 1) i++;
      if (i === pos || i === end || text.charCodeAt(i) !== 58) throw protocolError('http1.invalid_trailer');
      const colon = i;
      for (i++; i < end; i++) if (FIELD[text.charCodeAt(i)] !== 1) throw protocolError('http1.invalid_trailer');
      const name = text.slice(pos, colon).toLowerCase();
      const value = text.slice(colon + 1, end).trim();
      const prev = out[name];
      if (prev === undefined) out[name] = value;
      else if (typeof prev === 'string') out[name] = [prev, value];
      else prev.push(value);
      pos = end + 2;
    }
    this.trailers = out;
  }

  /**
   * chunk-size line: 1*HEXDIG [ ";" chunk-ext ] CRLF, nothing else (no whitespace around the size, no
   * bare LF, no control bytes in extensions). Returns the offset after it, or -1 when it spans reads.
   */
  #chunkLine(buf: Buffer, pos: number): number {
    const len = buf.length;
    let lf = buf.indexOf(10, pos);
    if (this.#accLen === 0) {
      if (lf >= 0) {
        if (lf + 1 - pos > MAX_CHUNK_LINE) throw protocolError('http1.invalid_chunk_size');
        this.#chunkSize(buf, pos, lf);
        return lf + 1;
      }
      if (len - pos >= MAX_CHUNK_LINE) throw protocolError('http1.invalid_chunk_size');
    }
    const take = lf < 0 ? len - pos : lf + 1 - pos;
    const old = this.#accLen;
    // Past the bound, or at it with no end of line yet: the line cannot be valid.
    if (old + take > MAX_CHUNK_LINE || (lf < 0 && old + take >= MAX_CHUNK_LINE)) throw protocolError('http1.invalid_chunk_size');
    const acc = this.#reserve(old + take);
    buf.copy(acc, old, pos, pos + take);
    this.#accLen = old + take;
    if (lf < 0) return -1;
    lf = old + take - 1;
    this.#chunkSize(acc, 0, lf);
    this.#release();
    return pos + take;
  }

  #chunkSize(b: Buffer, start: number, lf: number): void {
    const cr = lf - 1;
    if (cr < start || b[cr] !== 13) throw protocolError('http1.invalid_chunk_size');
    let size = 0;
    let i = start;
    for (; i < cr; i++) {
      const d = HEX[b[i]];
      if (d < 0) break;
      size = size * 16 + d;
    }
    if (i === start || i - start > MAX_CHUNK_SIZE_DIGITS) throw protocolError('http1.invalid_chunk_size');
    if (i < cr) {
      if (b[i] !== 59) throw protocolError('http1.invalid_chunk_size');
      for (i++; i < cr; i++) if (FIELD[b[i]] !== 1) throw protocolError('http1.invalid_chunk_extension');
    }
    if (size === 0) this.state = P_TRAILERS;
    else {
      this.#remaining = size;
      this.state = P_CHUNK_DATA;
    }
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

// ---------------------------------------------------------------------------
// The pool

/** One request/response on one connection; also the handler's controller. */
class PoolRequest implements H1Controller {
  readonly pool: H1Pool;
  readonly handler: H1Handler;
  readonly opts: H1DispatchOptions;
  conn: Connection | null = null;
  done = false;
  responded = false;
  paused = false;
  /** Sent on a reused connection: a reset before any response byte may be retried once on a new one. */
  reused = false;
  retried = false;
  /** The whole request body was written (a connection is reusable only then). */
  bodySent = false;

  constructor(pool: H1Pool, opts: H1DispatchOptions, handler: H1Handler) {
    this.pool = pool;
    this.opts = opts;
    this.handler = handler;
  }

  abort(reason?: Error): void {
    if (this.done) return;
    this.done = true;
    const conn = this.conn;
    if (conn !== null) conn.destroy();
    else this.pool.dequeue(this);
    this.handler.onResponseError(this, reason ?? codeError('request aborted', 'UND_ERR_ABORTED'));
  }

  pause(): void {
    this.paused = true;
    this.conn?.socket.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.conn?.socket.resume();
  }
}

class Connection implements H1ResponseSink {
  readonly socket: Socket;
  readonly pool: H1Pool;
  readonly parser: H1ResponseParser;
  current: PoolRequest | null = null;
  requests = 0;
  connected = false;
  closed = false;
  /** When the connection went back to the pool (the pool's sweep closes long-idle ones). */
  idleSince = 0;
  #gotBytes = false;

  constructor(pool: H1Pool) {
    this.pool = pool;
    this.parser = new H1ResponseParser(this, pool.limits);
    const local = pool.options.localAddress;
    const socket = net.connect({ host: pool.host, port: pool.port, noDelay: true, ...(local !== undefined ? { localAddress: local } : {}) });
    this.socket = socket;
    socket.setTimeout(pool.options.connectTimeoutMs);
    socket.once('connect', () => {
      this.connected = true;
      socket.setTimeout(0);
      pool.emit('connect');
      const ex = this.current;
      if (ex !== null) this.#send(ex);
    });
    socket.on('timeout', () => {
      if (!this.connected) this.#failSafely(codeError(`connect timeout to ${pool.host}:${pool.port}`, 'UND_ERR_CONNECT_TIMEOUT'));
    });
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#failSafely(err));
    socket.on('close', () => this.#failSafely(codeError('other side closed', 'UND_ERR_SOCKET')));
  }

  /** Starts an exchange on this connection (connected or still connecting). */
  start(ex: PoolRequest, reused: boolean): void {
    this.current = ex;
    ex.conn = this;
    ex.reused = reused;
    this.requests++;
    this.#gotBytes = false;
    this.parser.expect(ex.opts.method === 'HEAD');
    if (this.connected) this.#send(ex);
  }

  #send(ex: PoolRequest): void {
    const { method, path, headers, body } = ex.opts;
    let head = `${method} ${path} HTTP/1.1\r\n`;
    let hasLength = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      if (name === 'content-length') hasLength = true;
      head += name + ': ' + headers[i + 1] + '\r\n';
    }
    const socket = this.socket;
    if (body === null) {
      if (!hasLength && EXPECTS_BODY.has(method)) head += 'content-length: 0\r\n';
      socket.write(head + '\r\n', 'latin1');
      return;
    }
    const chunked = !hasLength;
    if (chunked) head += 'transfer-encoding: chunked\r\n';
    socket.write(head + '\r\n', 'latin1');
    void this.#pump(ex, body, chunked);
  }

  async #pump(ex: PoolRequest, body: AsyncIterable<Buffer>, chunked: boolean): Promise<void> {
    const socket = this.socket;
    try {
      for await (const chunk of body) {
        if (ex.done || this.current !== ex) return;
        if (chunk.length === 0) continue;
        let ok: boolean;
        if (chunked) {
          socket.cork();
          socket.write(chunk.length.toString(16) + '\r\n', 'latin1');
          socket.write(chunk);
          ok = socket.write('\r\n', 'latin1');
          socket.uncork();
        } else ok = socket.write(chunk);
        if (!ok) await new Promise<void>((resolve) => socket.once('drain', resolve).once('close', resolve));
      }
      if (chunked && !ex.done && this.current === ex) socket.write('0\r\n\r\n', 'latin1');
      ex.bodySent = true;
    } catch (err) {
      // The request body broke (the client went away): this connection cannot finish the request.
      if (!ex.done && this.current === ex) this.#failSafely(err as Error);
    }
  }

  #onData(chunk: Buffer): void {
    if (this.current === null || this.closed) {
      // Bytes with no request outstanding (unsolicited, or a body a 204/304/HEAD response
      // should not have had): the connection is out of sync and must not carry another request.
      this.destroy();
      return;
    }
    this.#gotBytes = true;
    try {
      this.parser.execute(chunk);
    } catch (err) {
      // A protocol error, or a handler that threw: this connection is done; others are not touched.
      this.#failSafely(err as Error);
    }
  }

  onParsedHead(status: number, headers: Record<string, string | string[]>, statusText: string): void {
    const ex = this.current!;
    ex.responded = true;
    ex.handler.onResponseStart(ex, status, headers, statusText);
  }

  onParsedData(chunk: Buffer): void {
    const ex = this.current!;
    ex.handler.onResponseData(ex, chunk);
  }

  onParsedEnd(extra: boolean): void {
    const ex = this.current!;
    this.current = null;
    ex.conn = null;
    ex.done = true;
    if (ex.paused) this.socket.resume();
    const max = this.pool.options.maxRequestsPerConnection;
    // Bytes after the end of the response belong to no request: never reuse the connection then.
    const reusable = !extra && this.parser.keepAlive && (ex.opts.body === null || ex.bodySent) && !this.closed && (max === 0 || this.requests < max);
    if (!reusable) this.destroy();
    ex.handler.onResponseEnd(ex, this.parser.trailers ?? NO_TRAILERS);
    if (reusable) this.pool.release(this);
  }

  /** #fail, never throwing into the socket's event emitter (a handler's own bug stays off the process). */
  #failSafely(err: Error): void {
    try {
      this.#fail(err);
    } catch (bug) {
      this.destroy();
      this.pool.handlerError(bug as Error);
    }
  }

  #fail(err: Error): void {
    if (this.closed && this.current === null) return;
    const ex = this.current;
    const wasConnected = this.connected;
    const untilClose = this.parser.state === P_UNTIL_CLOSE;
    this.destroy();
    if (ex === null || ex.done) return;
    this.current = null;
    ex.conn = null;
    if (untilClose && (err as { code?: string }).code === 'UND_ERR_SOCKET') {
      // A close-delimited body ends with the connection.
      ex.done = true;
      ex.handler.onResponseEnd(ex, NO_TRAILERS);
      return;
    }
    // The server closed an idle keep-alive connection just as the request went out: a body-less
    // request that got no byte back is safe to send again on a fresh connection.
    if (ex.reused && !ex.retried && !this.#gotBytes && !ex.responded && ex.opts.body === null && wasConnected) {
      ex.retried = true;
      this.pool.redispatch(ex);
      return;
    }
    ex.done = true;
    ex.handler.onResponseError(ex, err);
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.parser.stop();
    this.pool.forget(this);
    this.socket.destroy();
  }
}

export class H1Pool extends EventEmitter {
  readonly host: string;
  readonly port: number;
  readonly options: H1PoolOptions;
  readonly limits: H1ResponseLimits;
  readonly #idle: Connection[] = [];
  readonly #all = new Set<Connection>();
  readonly #queue: PoolRequest[] = [];
  #closed = false;
  #destroyed = false;
  #onDrained: (() => void) | undefined;
  #sweep: NodeJS.Timeout | undefined;

  constructor(host: string, port: number, options: H1PoolOptions) {
    super();
    this.host = host;
    this.port = port;
    this.options = options;
    const d = DEFAULT_RESPONSE_LIMITS;
    this.limits = Object.freeze({
      maxHeadersCount: positive(options.maxResponseHeadersCount, d.maxHeadersCount),
      maxHeadBytes: positive(options.maxResponseHeadBytes, d.maxHeadBytes),
      maxInformational: positive(options.maxInformationalResponses, d.maxInformational),
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** Connections open (busy and idle). */
  get size(): number {
    return this.#all.size;
  }

  dispatch(opts: H1DispatchOptions, handler: H1Handler): boolean {
    const ex = new PoolRequest(this, opts, handler);
    handler.onRequestStart(ex, null);
    if (ex.done) return true;
    if (this.#closed) {
      ex.done = true;
      handler.onResponseError(ex, codeError('the pool is closed', 'UND_ERR_CLOSED'));
      return true;
    }
    this.#assign(ex, false);
    return true;
  }

  #assign(ex: PoolRequest, fresh: boolean): void {
    const idle = fresh ? undefined : this.#idle.pop();
    if (idle !== undefined) {
      idle.start(ex, true);
      return;
    }
    if (this.#all.size < this.options.connections) {
      const conn = new Connection(this);
      this.#all.add(conn);
      conn.start(ex, false);
      return;
    }
    this.#queue.push(ex);
  }

  redispatch(ex: PoolRequest): void {
    this.#assign(ex, true);
  }

  dequeue(ex: PoolRequest): void {
    const i = this.#queue.indexOf(ex);
    if (i >= 0) this.#queue.splice(i, 1);
    this.#checkDrained();
  }

  /** A connection finished its exchange and can take another. */
  release(conn: Connection): void {
    const next = this.#queue.shift();
    if (next !== undefined) {
      conn.start(next, true);
      return;
    }
    if (this.#closed) {
      conn.destroy();
      return;
    }
    conn.idleSince = Date.now();
    this.#idle.push(conn);
    this.#startSweep();
    this.#checkDrained();
  }

  /** A handler threw while the pool reported to it: reported here (event 'handlerError', else a process warning), never thrown. */
  handlerError(err: Error): void {
    if (this.listenerCount('handlerError') > 0) this.emit('handlerError', err);
    else process.emitWarning(err);
  }

  /** One periodic sweep closes connections idle past the keep-alive timeout (no per-request timers). */
  #startSweep(): void {
    if (this.#sweep !== undefined) return;
    const every = Math.max(50, Math.min(1_000, this.options.keepAliveTimeoutMs / 2));
    this.#sweep = setInterval(() => {
      const cutoff = Date.now() - this.options.keepAliveTimeoutMs;
      // #idle is in release order: the oldest idle connections come first.
      while (this.#idle.length > 0 && this.#idle[0].idleSince <= cutoff) this.#idle[0].destroy();
      if (this.#all.size === 0) {
        clearInterval(this.#sweep);
        this.#sweep = undefined;
      }
    }, every);
    this.#sweep.unref();
  }

  forget(conn: Connection): void {
    this.#all.delete(conn);
    const i = this.#idle.indexOf(conn);
    if (i >= 0) this.#idle.splice(i, 1);
    // A freed slot lets a queued request open a connection.
    const next = this.#queue.length > 0 && this.#all.size < this.options.connections ? this.#queue.shift() : undefined;
    if (next !== undefined) this.#assign(next, true);
    this.#checkDrained();
  }

  #checkDrained(): void {
    if (!this.#closed || this.#onDrained === undefined) return;
    for (const c of this.#all) if (c.current !== null) return;
    if (this.#queue.length > 0) return;
    for (const c of [...this.#all]) c.destroy();
    clearInterval(this.#sweep);
    const done = this.#onDrained;
    this.#onDrained = undefined;
    done();
  }

  /** Stops taking requests; resolves when in-flight and queued ones have finished. */
  close(): Promise<void> {
    this.#closed = true;
    return new Promise<void>((resolve) => {
      this.#onDrained = resolve;
      this.#checkDrained();
    });
  }

  async destroy(): Promise<void> {
    this.#closed = true;
    this.#destroyed = true;
    clearInterval(this.#sweep);
    for (const ex of this.#queue.splice(0)) ex.abort(codeError('the pool was destroyed', 'UND_ERR_DESTROYED'));
    for (const c of [...this.#all]) {
      const ex = c.current;
      c.destroy();
      if (ex !== null && !ex.done) {
        ex.done = true;
        ex.handler.onResponseError(ex, codeError('the pool was destroyed', 'UND_ERR_DESTROYED'));
      }
    }
    const done = this.#onDrained;
    this.#onDrained = undefined;
    done?.();
  }
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isInteger(value) && value > 0 ? value : fallback;
}
