// A lean HTTP/1.1 server codec for the proxy's listeners. Node's http server
// costs about as much CPU per request as the whole forwarding path, so the
// proxy parses requests and frames responses itself, straight on the socket:
// one request object, one response object, no streams unless a body exists.
//
// Parsing is strict (RFC 9112): a bad request line, header name or value,
// obs-fold, bare LF, conflicting Content-Length/Transfer-Encoding, more than
// one Host, an invalid Host, a bad chunk size or extension, or an unsupported
// transfer coding get 400 (or 431/501/505) and the connection closes - the
// request-smuggling cases are refused, not guessed at.
//
// Every buffer and timer is bounded:
// - bytes held per connection (pipelined requests while a response is
//   pending, a request head being assembled) stay under `bufferLimitBytes`
//   (Envoy's per_connection_buffer_limit_bytes, 1 MiB): past it the socket is
//   paused, and resumed once the parser catches up. Partial data grows one
//   accumulator (amortised doubling), never a Buffer.concat per packet.
// - one periodic sweep per server (no per-request timers) enforces the
//   keep-alive idle timeout, the request-head timeout, the stream idle
//   timeout and the close grace period of connections being closed.
// Pipelined requests are answered in order: the next request is parsed only
// once the current response is complete (and its bytes have left the
// process, when the client does not read).
//
// HTTP/2 (h2c with prior knowledge) shares the listener: with codec_type AUTO
// a new connection's first bytes are compared with the HTTP/2 preface (once
// per connection, never per request) and a match hands the socket to the
// HTTP/2 codec (h2-server.ts); HTTP2 hands every connection over at once.
// Listeners may read the first bytes themselves and unshift them before
// emitting 'connection' on `net`: both codecs start from those bytes.
// An accepted Upgrade (101) detaches the connection from this codec
// (H1Response.upgrade) for the exchange to pipe.
import { EventEmitter } from 'node:events';
import { STATUS_CODES } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { DownstreamEvents, DownstreamRequest, DownstreamResponse } from './downstream.ts';
import { H2_DEFAULTS, H2_PREFACE, H2Codec, type Http2Settings } from './h2-server.ts';

const CRLFCRLF = Buffer.from('\r\n\r\n');
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
const BAD_TARGET = /[\x00-\x20\x7f]/;
const HTTP_VERSION = /^HTTP\/\d\.\d$/;
/** Headers whose repetition is an attack (request smuggling, routing confusion): 400. */
const REJECT_DUPLICATE: Record<string, 1> = Object.assign(Object.create(null), { host: 1, 'content-length': 1, 'transfer-encoding': 1 });

/** RFC 9110 tchar, for chunk extensions. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1;
/** What a Host value (RFC 3986 authority without userinfo) may hold: reg-name / IP-literal, and a port. */
const AUTHORITY = new Uint8Array(256);
for (const c of "-._~!$&'()*+,;=:[]%0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") AUTHORITY[c.charCodeAt(0)] = 1;
/** Hex digit values, -1 for anything else. */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) HEX[65 + i] = HEX[97 + i] = 10 + i;

/** Whether `value` is a valid authority for Host / an absolute-form target: no userinfo, spaces, slashes. */
export function validAuthority(value: string): boolean {
  const n = value.length;
  if (n === 0 || n > 1024) return false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c > 255 || AUTHORITY[c] === 0) return false;
  }
  return true;
}

/**
 * A request's headers: an object with no Object.prototype in its chain, so a
 * header named `constructor`, `__proto__` or `toString` is just a header
 * (an own property), never an inherited function or a prototype change.
 * Made by a constructor (not Object.create(null), which V8 keeps in slow
 * dictionary mode) so header objects stay fast on the hot path.
 */
function HeaderMapCtor(): void {}
HeaderMapCtor.prototype = Object.freeze(Object.create(null));
export const HeaderMap = HeaderMapCtor as unknown as new () => Record<string, string | string[] | undefined>;

const STATUS_LINES: string[] = [];
for (const [code, text] of Object.entries(STATUS_CODES)) STATUS_LINES[Number(code)] = `HTTP/1.1 ${code} ${text}\r\n`;

let dateCache = '';
let dateExpires = 0;
function httpDate(): string {
  const now = Date.now();
  if (now >= dateExpires) {
    dateCache = new Date(now).toUTCString();
    dateExpires = now - (now % 1000) + 1000;
  }
  return dateCache;
}

function uncork(socket: Socket): void {
  socket.uncork();
}

/** Defaults; each is an H1ServerOptions field. */
export const H1_DEFAULTS = {
  /** Envoy's max_request_headers_kb default (60 KiB). */
  maxHeaderBytes: 60 * 1024,
  /** Envoy's common_http_protocol_options.max_headers_count default. */
  maxHeadersCount: 100,
  keepAliveTimeoutMs: 300_000,
  /** Envoy's listener per_connection_buffer_limit_bytes default (1 MiB). */
  bufferLimitBytes: 1024 * 1024,
  /**
   * The codec's own bound on receiving one request head when no request
   * headers timeout is configured: nginx's client_header_timeout (60 s).
   * Envoy has none by default (request_headers_timeout 0).
   */
  headTimeoutMs: 60_000,
  /** Envoy's stream_idle_timeout default (5 min). */
  streamIdleTimeoutMs: 300_000,
  /** Envoy's delayed_close_timeout default: how long a closing connection may linger after its last byte left. */
  closeGraceMs: 1_000,
} as const;

/** The HCM's codec_type: AUTO tells HTTP/1.1 from HTTP/2 by the connection preface (h2c, prior knowledge). */
export type CodecType = 'AUTO' | 'HTTP1' | 'HTTP2';

export interface H1ServerOptions {
  /** Which protocols connections may speak (default AUTO). */
  codecType?: CodecType;
  /** HTTP/2 settings (the HCM's http2_protocol_options, compiled). */
  http2?: Http2Settings;
  /** Largest request head (request line + headers); more is 431. */
  maxHeaderBytes?: number;
  /** Most header lines in a request head (and in trailers); more is 431. */
  maxHeadersCount?: number;
  /** Idle keep-alive connections close after this long without a request. */
  keepAliveTimeoutMs?: number;
  /** Requests per connection before it closes (0: no limit). */
  maxRequestsPerConnection?: number;
  /** Bytes a connection may hold before the socket is paused (pipelined data, request bodies nobody reads yet). */
  bufferLimitBytes?: number;
  /** A request head must be complete this long after its first byte (Envoy's request_headers_timeout; 0: off). 408. */
  requestHeadersTimeoutMs?: number;
  /** The bound used when requestHeadersTimeoutMs is 0 (0: none at all). 408. */
  headTimeoutMs?: number;
  /** No bytes either way on an active stream for this long: 408/504, or a reset once the response started (0: off). */
  streamIdleTimeoutMs?: number;
  /** Connections accepted at once; more are closed on accept and counted (0: no limit). */
  maxConnections?: number;
  /** Serve HTTP/1.0 (Envoy's accept_http_10); otherwise 426. */
  acceptHttp10?: boolean;
  /** Host given to an HTTP/1.0 request that has none (Envoy's default_host_for_http_10); empty: 400. */
  defaultHostForHttp10?: string;
  /** How long a connection being closed may linger once its output is flushed. */
  closeGraceMs?: number;
  /** Counters (Envoy's downstream_* stats); shared with the listener's HTTP stats. */
  stats?: CodecStats;
  /** A handler that threw: logged by the owner; the client gets 500 (or a reset). */
  onHandlerError?: (err: unknown) => void;
}

/** Connection-level counters the codec keeps (Envoy's names in comments). */
export interface CodecStats {
  /** downstream_cx_overflow: connections refused over maxConnections. */
  cxOverflow: number;
  /** downstream_cx_protocol_error: connections closed for a malformed request. */
  cxProtocolError: number;
  /** downstream_cx_idle_timeout */
  cxIdleTimeout: number;
  /** downstream_rq_header_timeout */
  rqHeaderTimeout: number;
  /** downstream_rq_idle_timeout */
  rqIdleTimeout: number;
  /** downstream_rq_rx_reset: requests whose client went away or broke the body before it was complete. */
  rqRxReset: number;
  /** downstream_flow_control_paused_reading_total */
  flowControlPausedReading: number;
  /** Handler exceptions answered 500 (a bug: also logged). */
  handlerErrors: number;
}

export function newCodecStats(): CodecStats {
  return { cxOverflow: 0, cxProtocolError: 0, cxIdleTimeout: 0, rqHeaderTimeout: 0, rqIdleTimeout: 0, rqRxReset: 0, flowControlPausedReading: 0, handlerErrors: 0 };
}

/**
 * Gets every request, HTTP/1.x (H1Request, H1Response) or HTTP/2 (H2Request, H2Response). Declared
 * as a method so a handler written for one codec's concrete types (the codec's own tests) still fits.
 */
export type RequestHandler = { handle(req: DownstreamRequest, res: DownstreamResponse): void }['handle'];

/**
 * The codec owns body stream errors: it destroys the stream itself (malformed
 * body, connection gone) after counting and reporting the cause to the
 * request's events. Readers see the error through their own iterator or
 * listener; this listener only guarantees an unread body never throws.
 */
function bodyErrorOwnedByCodec(this: BodyStream, err: Error): void {
  this.failure = err;
}

/** The request body as a stream; bytes arrive from the connection's parser. */
class BodyStream extends Readable {
  readonly #conn: H1Connection;
  failure: Error | undefined = undefined;
  constructor(conn: H1Connection) {
    super();
    this.#conn = conn;
    this.on('error', bodyErrorOwnedByCodec);
  }
  override _read(): void {
    this.#conn.resumeBody();
  }
}

export class H1Request implements DownstreamRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly httpVersion: string;
  readonly socket: Socket;
  complete: boolean;
  /** The body stream once asked for; bytes before that wait in `pending`. */
  stream: BodyStream | null = null;
  pending: Buffer[] | null = null;
  pendingBytes = 0;
  readonly hasBody: boolean;
  readonly conn: H1Connection;
  readonly envoyHeaders: boolean;
  events: DownstreamEvents | null = null;
  /** Why the request can no longer complete (set once). */
  error: Error | null = null;

  constructor(conn: H1Connection, method: string, url: string, version: string, headers: Record<string, string | string[] | undefined>, hasBody: boolean, envoyHeaders: boolean) {
    this.conn = conn;
    this.socket = conn.socket;
    this.method = method;
    this.url = url;
    this.httpVersion = version;
    this.headers = headers;
    this.hasBody = hasBody;
    this.complete = !hasBody;
    this.envoyHeaders = envoyHeaders;
  }

  body(): Readable | null {
    if (!this.hasBody) return null;
    if (this.stream === null) {
      const stream = (this.stream = new BodyStream(this.conn));
      const pending = this.pending;
      this.pending = null;
      this.pendingBytes = 0;
      if (this.error !== null) {
        stream.destroy(this.error);
        return stream;
      }
      if (pending !== null) for (const c of pending) stream.push(c);
      if (this.complete) stream.push(null);
      this.conn.resumeBody();
    }
    return this.stream;
  }

  /** The request can never complete: fail its body and tell its owner (once). */
  abort(err: Error, reason: 'protocol_error' | 'closed', count: boolean): void {
    if (this.error !== null || this.complete) return;
    this.error = err;
    this.pending = null;
    this.pendingBytes = 0;
    this.stream?.destroy(err);
    if (count) this.conn.server.stats.rqRxReset++;
    const events = this.events;
    if (events !== null) {
      this.events = null;
      events.downstreamReset(reason);
    }
  }
}

export class H1Response implements DownstreamResponse {
  headersSent = false;
  finished = false;
  #head: string | null = null;
  #chunked = false;
  #noBody = false;
  #close = false;
  readonly #conn: H1Connection;
  readonly #req: H1Request;

  constructor(conn: H1Connection, req: H1Request) {
    this.#conn = conn;
    this.#req = req;
  }

  get destroyed(): boolean {
    return this.#conn.socket.destroyed;
  }

  writeHead(status: number, headers: string[]): void {
    if (this.headersSent) throw new Error('headers already sent');
    this.headersSent = true;
    if (this.finished) return; // the codec answered already (malformed request); nothing more goes out
    let head = STATUS_LINES[status] ?? `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    let hasLength = false;
    let hasDate = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      const value = headers[i + 1];
      if (name === 'content-length') hasLength = true;
      else if (name === 'date') hasDate = true;
      else if (name === 'connection') {
        if (value.toLowerCase().includes('close')) this.#close = true;
        continue;
      } else if (name === 'transfer-encoding') continue; // the codec frames the body itself
      head += name + ': ' + value + '\r\n';
    }
    if (!hasDate) head += 'date: ' + httpDate() + '\r\n';
    const conn = this.#conn;
    this.#noBody = this.#req.method === 'HEAD' || status === 204 || status === 304 || status < 200;
    if (!hasLength && !this.#noBody) {
      if (this.#req.httpVersion === '1.1') {
        this.#chunked = true;
        head += 'transfer-encoding: chunked\r\n';
      } else this.#close = true; // HTTP/1.0 without a length: the body ends when the connection does
    }
    if (this.#close || !conn.keepAlive || conn.draining) {
      this.#close = true;
      head += 'connection: close\r\n';
    } else if (this.#req.httpVersion === '1.0') head += 'connection: keep-alive\r\n';
    this.#head = head + '\r\n';
  }

  #flushHead(socket: Socket): void {
    const conn = this.#conn;
    if (!conn.corked) {
      // Head, body and terminator written in this tick leave in one writev.
      conn.corked = true;
      socket.cork();
      process.nextTick(conn.uncorkSocket);
    }
    socket.write(this.#head!, 'latin1');
    this.#head = null;
  }

  write(chunk: Buffer): boolean {
    // Bytes for a response the codec already ended go nowhere; do not make the writer wait for a drain.
    if (this.finished) return true;
    const socket = this.#conn.socket;
    if (!this.headersSent) this.writeHead(200, []);
    const head = this.#head;
    if (head !== null && !this.#chunked && !this.#noBody && !this.#conn.corked && chunk.length <= 16 * 1024) {
      // The common small response: head and body in one buffer, one write, no cork.
      this.#head = null;
      const buf = Buffer.allocUnsafe(head.length + chunk.length);
      buf.write(head, 0, 'latin1');
      chunk.copy(buf, head.length);
      return socket.write(buf);
    }
    if (head !== null) this.#flushHead(socket);
    if (this.#noBody || chunk.length === 0) return true;
    if (this.#chunked) {
      socket.write(chunk.length.toString(16) + '\r\n', 'latin1');
      socket.write(chunk);
      return socket.write('\r\n', 'latin1');
    }
    return socket.write(chunk);
  }

  end(chunk?: Buffer, trailers?: Record<string, string | string[]>): void {
    if (this.finished) return;
    if (!this.headersSent) this.writeHead(200, chunk ? ['content-length', String(chunk.length)] : ['content-length', '0']);
    const socket = this.#conn.socket;
    if (chunk !== undefined && chunk.length > 0) this.write(chunk);
    else if (this.#head !== null) {
      socket.write(this.#head, 'latin1');
      this.#head = null;
    }
    if (this.#chunked && !this.#noBody) {
      // Trailers only to a client that said it takes them (RFC 9110 §6.5.1); values come from a codec that validated them.
      if (trailers !== undefined && acceptsTrailers(this.#req.headers.te)) socket.write('0\r\n' + trailerSection(trailers) + '\r\n', 'latin1');
      else socket.write('0\r\n\r\n', 'latin1');
    }
    this.finished = true;
    this.#conn.responseDone(this.#close);
  }

  once(event: 'drain', listener: () => void): this {
    this.#conn.socket.once(event, listener);
    return this;
  }

  destroy(): void {
    this.finished = true;
    this.#conn.socket.destroy();
  }

  upgrade(headers: string[]): { socket: Socket; head: Buffer } | undefined {
    if (this.headersSent || this.finished || this.#conn.socket.destroyed) return undefined;
    this.headersSent = this.finished = true;
    let head = 'HTTP/1.1 101 Switching Protocols\r\n';
    for (let i = 0; i < headers.length; i += 2) head += headers[i] + ': ' + headers[i + 1] + '\r\n';
    const rest = this.#conn.detach();
    const socket = this.#conn.socket;
    socket.write(head + '\r\n', 'latin1');
    return { socket, head: rest };
  }
}

function acceptsTrailers(te: string | string[] | undefined): boolean {
  return typeof te === 'string' && /(^|,)\s*trailers\s*(;|,|$)/i.test(te);
}

function trailerSection(trailers: Record<string, string | string[]>): string {
  let out = '';
  for (const name in trailers) {
    const v = trailers[name];
    if (name.charCodeAt(0) === 58 || !TOKEN.test(name)) continue;
    if (typeof v === 'string') {
      if (!BAD_VALUE.test(v)) out += name + ': ' + v + '\r\n';
    } else for (const one of v) if (!BAD_VALUE.test(one)) out += name + ': ' + one + '\r\n';
  }
  return out;
}

const S_HEAD = 0;
const S_BODY_LENGTH = 1;
const S_CHUNK_SIZE = 2;
const S_CHUNK_DATA = 3;
const S_CHUNK_CRLF = 4;
const S_TRAILERS = 5;
const S_DONE = 6;
const S_CLOSED = 7;

/**
 * What holding one more buffer costs besides its bytes (the Buffer object and
 * its list slot), counted against the buffer limit so that a client sending
 * one-byte packets cannot make the connection hold a million small objects.
 */
export const CHUNK_OVERHEAD = 256;

/** Longest chunk-size line (size and extensions). */
const MAX_CHUNK_LINE = 4096;

class ParseError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** Validates a chunk-size line (RFC 9112 §7.1) in buf[0, eol); returns the size. */
function chunkSize(buf: Buffer, eol: number): number {
  let i = 0;
  let size = 0;
  while (i < eol) {
    const v = HEX[buf[i]];
    if (v < 0) break;
    size = size * 16 + v;
    i++;
    if (i > 16 || size > Number.MAX_SAFE_INTEGER) throw new ParseError(400, 'chunk size too large');
  }
  if (i === 0) throw new ParseError(400, 'bad chunk size');
  if (i === eol) return size;
  // chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
  for (;;) {
    while (i < eol && (buf[i] === 32 || buf[i] === 9)) i++;
    if (i === eol) throw new ParseError(400, 'bad chunk size'); // whitespace with no extension after it
    if (buf[i] !== 59 /* ; */) throw new ParseError(400, 'bad chunk size');
    i++;
    while (i < eol && (buf[i] === 32 || buf[i] === 9)) i++;
    const nameStart = i;
    while (i < eol && TCHAR[buf[i]] === 1) i++;
    if (i === nameStart) throw new ParseError(400, 'bad chunk extension');
    let j = i;
    while (j < eol && (buf[j] === 32 || buf[j] === 9)) j++;
    if (j < eol && buf[j] === 61 /* = */) {
      j++;
      while (j < eol && (buf[j] === 32 || buf[j] === 9)) j++;
      if (j < eol && buf[j] === 34 /* " */) {
        j++;
        for (;;) {
          if (j >= eol) throw new ParseError(400, 'bad chunk extension');
          const c = buf[j];
          if (c === 34) {
            j++;
            break;
          }
          if (c === 92 /* \ */) {
            const n = buf[j + 1];
            if (j + 1 >= eol || !(n === 9 || (n >= 32 && n !== 127))) throw new ParseError(400, 'bad chunk extension');
            j += 2;
            continue;
          }
          if (!(c === 9 || (c >= 32 && c !== 127))) throw new ParseError(400, 'bad chunk extension');
          j++;
        }
      } else {
        const valueStart = j;
        while (j < eol && TCHAR[buf[j]] === 1) j++;
        if (j === valueStart) throw new ParseError(400, 'bad chunk extension');
      }
      i = j;
    }
    if (i === eol) return size;
  }
}

/** Validates one header line of a trailer section. */
function checkFieldLine(hl: string): void {
  const c0 = hl.charCodeAt(0);
  if (c0 === 32 || c0 === 9) throw new ParseError(400, 'obsolete line folding');
  const colon = hl.indexOf(':');
  if (colon <= 0 || !TOKEN.test(hl.slice(0, colon))) throw new ParseError(400, 'bad header line');
  if (BAD_VALUE.test(hl.slice(colon + 1))) throw new ParseError(400, 'bad header value');
}

export class H1Connection implements ServerConnection {
  readonly socket: Socket;
  readonly server: H1Server;
  keepAlive = true;
  draining = false;
  corked = false;
  /** A request was handed out and its response is not finished. */
  responding = false;
  requests = 0;
  /** Bytes being parsed (possibly a view on #acc). */
  #buf: Buffer | null = null;
  /** Chunks that arrived while the parser waits for a response to finish; taken in order, never re-copied. */
  #queue: Buffer[] = [];
  #queued = 0;
  /** Backing store for a partial line or head that grew over several packets (amortised doubling). */
  #acc: Buffer | null = null;
  #accUsed = 0;
  /** Where the next search for the end of a head or trailer section starts in #buf. */
  #scanFrom = 0;
  #state = S_HEAD;
  #remaining = 0;
  #req: H1Request | null = null;
  #res: H1Response | null = null;
  /** The response finished before the request body did: drop the rest of the body. */
  #discard = false;
  #parsing = false;
  /** Reading paused because a body reader is behind. */
  #bodyPaused = false;
  /** Reading paused because the connection holds bufferLimitBytes (or its output is not draining). */
  #bufferPaused = false;
  /** The next request waits for the client to read the responses already written. */
  #waitingOutput = false;
  /** Body bytes parsed in the current pass, pushed once at its end. */
  #bodyOut: Buffer[] = [];
  #bodyOutBytes = 0;
  /** Clock when the current request head started arriving (0: none pending). */
  #headStart = 0;
  /** Clock of the last byte seen either way (sampled by the sweep). */
  activeAt: number;
  #io = 0;
  /** Clock when the codec ended the connection (0: open); the sweep destroys it after the grace period. */
  #closingAt = 0;
  #closingPending = -1;
  /** When this connection last became idle (for the server's keep-alive sweep). */
  idleSince: number;
  readonly uncorkSocket: () => void;
  readonly #onWritable: () => void;
  readonly #dataListener: (chunk: Buffer) => void;
  /** Handed over by a 101 or to HTTP/2: nothing of this codec applies any more. */
  #upgraded = false;
  /** AUTO codec: the first bytes are still to be told apart from the HTTP/2 preface. */
  #sniff: boolean;
  /** A prefix of the preface, held until the rest of it (or a byte that differs) arrives. */
  #sniffed: Buffer | null = null;

  constructor(socket: Socket, server: H1Server, sniff = false) {
    this.socket = socket;
    this.server = server;
    this.#sniff = sniff;
    this.idleSince = this.activeAt = server.clock;
    this.uncorkSocket = () => {
      this.corked = false;
      uncork(socket);
    };
    this.#onWritable = () => {
      if (!this.#waitingOutput) return;
      this.#waitingOutput = false;
      if (this.#state === S_HEAD && !this.responding) this.#nextRequest();
    };
    this.#dataListener = (chunk: Buffer) => this.#onData(chunk);
    socket.on('data', this.#dataListener);
    // Socket errors (ECONNRESET, EPIPE) end in 'close', which cleans up; nothing else to do with them.
    socket.on('error', () => {});
    socket.on('close', () => this.#onClose());
  }

  /**
   * A 101 took the connection over (Upgrade): the codec stops reading it and forgets it; the bytes
   * it held after the request head are returned for the new protocol.
   */
  detach(): Buffer {
    const held: Buffer[] = [];
    if (this.#buf !== null) held.push(this.#buf);
    for (const c of this.#queue) held.push(c);
    this.#state = S_CLOSED;
    this.#upgraded = true;
    this.#buf = null;
    this.#acc = null;
    this.#queue = [];
    this.#queued = 0;
    this.responding = false;
    this.#req = null;
    this.#res = null;
    this.socket.off('data', this.#dataListener);
    this.server.connections.delete(this);
    return held.length === 1 ? held[0] : Buffer.concat(held);
  }

  get idle(): boolean {
    return !this.responding && this.#state === S_HEAD && this.#buf === null && this.#queued === 0;
  }

  /**
   * AUTO: the HTTP/2 preface (h2c with prior knowledge) hands the connection to the HTTP/2 codec;
   * anything else is HTTP/1.x - decided on the first byte in practice, once per connection.
   * Returns the bytes to parse as HTTP/1.x, or null when there is nothing (yet) to parse.
   */
  #sniffFirst(chunk: Buffer): Buffer | null {
    const buf = this.#sniffed === null ? chunk : Buffer.concat([this.#sniffed, chunk]);
    const n = buf.length < 24 ? buf.length : 24;
    if (buf[0] !== 0x50 /* P */ || buf.compare(H2_PREFACE, 0, n, 0, n) !== 0) {
      this.#sniff = false;
      this.#sniffed = null;
      return buf;
    }
    if (n < 24) {
      this.#sniffed = buf;
      if (this.#headStart === 0) this.#headStart = this.server.clock;
      return null;
    }
    this.#sniff = false;
    this.#sniffed = null;
    this.detach();
    this.server.serveH2(this.socket, buf);
    return null;
  }

  /** Bytes this connection holds for parsing (tests and stats). */
  get bufferedBytes(): number {
    return (this.#buf?.length ?? 0) + this.#queued + (this.#req?.pendingBytes ?? 0);
  }

  #onData(data: Buffer): void {
    let chunk = data;
    if (this.#sniff) {
      const first = this.#sniffFirst(chunk);
      if (first === null) return;
      chunk = first;
    }
    const state = this.#state;
    if (state === S_CLOSED) return; // an answered error: whatever else comes is dropped, never held
    if (this.#buf === null && this.#queued === 0) this.#buf = chunk;
    else if ((this.responding && (state === S_HEAD || state === S_DONE)) || this.#waitingOutput) {
      // Pipelined bytes while a response is pending: held as they came, up to the buffer limit.
      this.#queue.push(chunk);
      this.#queued += chunk.length + CHUNK_OVERHEAD;
      if ((this.#buf?.length ?? 0) + this.#queued >= this.server.bufferLimitBytes) this.#pauseForBuffer();
      return;
    } else if (this.#buf === null) {
      this.#queue.push(chunk);
      this.#queued += chunk.length + CHUNK_OVERHEAD;
    } else this.#buf = this.#append(this.#buf, chunk);
    this.#parse();
    // What the parser could not use yet (a pipelined request behind a pending response) counts toward the limit too.
    const held = this.#buf;
    if (held !== null && this.responding && held.length + this.#queued >= this.server.bufferLimitBytes) {
      const st = this.#state;
      if (st === S_HEAD || st === S_DONE) this.#pauseForBuffer();
    }
  }

  /** `buf` followed by `chunk`, copying into an accumulator that doubles: linear over many small packets. */
  #append(buf: Buffer, chunk: Buffer): Buffer {
    const acc = this.#acc;
    const total = buf.length + chunk.length;
    if (acc !== null && buf.buffer === acc.buffer && buf.byteOffset + buf.length === acc.byteOffset + this.#accUsed && this.#accUsed + chunk.length <= acc.length) {
      chunk.copy(acc, this.#accUsed);
      this.#accUsed += chunk.length;
      return acc.subarray(this.#accUsed - total, this.#accUsed);
    }
    const next = Buffer.allocUnsafeSlow(Math.max(4096, total * 2));
    buf.copy(next, 0);
    chunk.copy(next, buf.length);
    this.#acc = next;
    this.#accUsed = total;
    return next.subarray(0, total);
  }

  /** Sets what is left to parse; drops the accumulator once it is all consumed. */
  #rest(buf: Buffer, from: number): void {
    this.#scanFrom = 0;
    if (from >= buf.length) {
      this.#buf = null;
      this.#acc = null;
    } else this.#buf = buf.subarray(from);
  }

  /** Takes the next held chunk into #buf (more bytes for an incomplete line); false when none is held. */
  #takeQueued(): boolean {
    if (this.#queued === 0) return false;
    const chunk = this.#queue.shift()!;
    this.#queued -= chunk.length + CHUNK_OVERHEAD;
    this.#buf = this.#buf === null ? chunk : this.#append(this.#buf, chunk);
    return true;
  }

  #pauseForBuffer(): void {
    if (this.#bufferPaused) return;
    this.#bufferPaused = true;
    this.server.stats.flowControlPausedReading++;
    this.socket.pause();
  }

  #maybeResume(): void {
    if (!this.#bodyPaused && !this.#bufferPaused && this.#state !== S_CLOSED && this.socket.isPaused()) this.socket.resume();
  }

  #onClose(): void {
    if (this.#upgraded) return;
    const wasClosed = this.#state === S_CLOSED;
    this.#state = S_CLOSED;
    this.#buf = null;
    this.#acc = null;
    this.#queue = [];
    this.#queued = 0;
    const req = this.#req;
    // A body still expected never comes: its readers see an error (the codec owns it, see BodyStream).
    if (req !== null && !req.complete && !this.#discard) req.abort(new Error('downstream connection closed'), 'closed', !wasClosed);
    else if (req !== null && !wasClosed && this.responding) {
      // The body was complete but the response was not: tell the owner the client is gone.
      const events = req.events;
      req.events = null;
      events?.downstreamReset('closed');
    }
    this.server.connections.delete(this);
  }

  /** Called by the body stream when its reader wants more. */
  resumeBody(): void {
    if (this.#bodyPaused) {
      this.#bodyPaused = false;
      this.#maybeResume();
    }
  }

  #parse(): void {
    if (this.#parsing) return;
    this.#parsing = true;
    try {
      for (;;) {
        const state = this.#state;
        if (state === S_CLOSED) return;
        if (this.#buf === null) {
          // Held bytes are only taken while the parser can use them.
          if (this.#queued === 0 || state === S_DONE || (state === S_HEAD && (this.responding || this.#waitingOutput))) return;
          this.#takeQueued();
          continue;
        }
        if (state === S_HEAD) {
          if (this.responding || this.#waitingOutput) return; // pipelined: parsed once the current response is done (and gone)
          if (!this.#parseHead()) {
            if (this.#takeQueued()) continue;
            return;
          }
        } else if (state === S_BODY_LENGTH || state === S_CHUNK_DATA) {
          const buf = this.#buf;
          const take = Math.min(this.#remaining, buf.length);
          const data = take === buf.length ? buf : buf.subarray(0, take);
          this.#rest(buf, take);
          this.#remaining -= take;
          this.#bodyData(data);
          if (this.#remaining === 0) {
            if (state === S_BODY_LENGTH) this.#bodyDone();
            else this.#state = S_CHUNK_CRLF;
          }
        } else if (state === S_CHUNK_SIZE) {
          const buf = this.#buf;
          const eol = buf.indexOf(10 /* \n */);
          if (eol < 0) {
            if (buf.length > MAX_CHUNK_LINE) throw new ParseError(400, 'chunk size line too long');
            if (this.#takeQueued()) continue;
            return;
          }
          if (eol === 0 || buf[eol - 1] !== 13) throw new ParseError(400, 'bare LF in chunk size line');
          if (eol > MAX_CHUNK_LINE) throw new ParseError(400, 'chunk size line too long');
          const size = chunkSize(buf, eol - 1);
          this.#rest(buf, eol + 1);
          if (size === 0) this.#state = S_TRAILERS;
          else {
            this.#remaining = size;
            this.#state = S_CHUNK_DATA;
          }
        } else if (state === S_CHUNK_CRLF) {
          const buf = this.#buf;
          if (buf.length < 2) {
            if (buf[0] !== 13) throw new ParseError(400, 'missing CRLF after chunk');
            if (this.#takeQueued()) continue;
            return;
          }
          if (buf[0] !== 13 || buf[1] !== 10) throw new ParseError(400, 'missing CRLF after chunk');
          this.#rest(buf, 2);
          this.#state = S_CHUNK_SIZE;
        } else if (state === S_TRAILERS) {
          if (!this.#parseTrailers()) {
            if (this.#takeQueued()) continue;
            return;
          }
        } else {
          // S_DONE: request complete, its response pending. Keep pipelined bytes for later.
          return;
        }
      }
    } catch (err) {
      this.#fail(err instanceof ParseError ? err.status : 400, err instanceof ParseError ? err.message : 'bad request');
    } finally {
      this.#parsing = false;
      if (this.#bodyOut.length > 0) this.#flushBody();
    }
  }

  /**
   * The trailer section (RFC 9112 §7.1.2): validated like headers, bounded like
   * a head, then dropped - as Envoy does for HTTP/1 requests unless trailers are enabled.
   */
  #parseTrailers(): boolean {
    const buf = this.#buf!;
    let end: number;
    if (buf.length >= 2 && buf[0] === 13 && buf[1] === 10) end = 2;
    else {
      if (buf.length === 1 && buf[0] === 13) return false;
      const i = buf.indexOf(CRLFCRLF, this.#scanFrom);
      if (i < 0) {
        this.#checkPartialHead(buf, 0);
        return false;
      }
      end = i + 4;
      const text = buf.toString('latin1', 0, i);
      const lines = text.split('\r\n');
      if (lines.length > this.server.maxHeadersCount) throw new ParseError(431, 'too many trailers');
      for (const hl of lines) checkFieldLine(hl);
    }
    this.#rest(buf, end);
    this.#bodyDone();
    return true;
  }

  /** An incomplete head or trailer section: enforce the size limit and refuse bare LF early. */
  #checkPartialHead(buf: Buffer, start: number): void {
    if (buf.length - start > this.server.maxHeaderBytes) throw new ParseError(431, 'request head too large');
    let from = Math.max(start, this.#scanFrom);
    for (;;) {
      const lf = buf.indexOf(10, from);
      if (lf < 0) break;
      if (lf === start || buf[lf - 1] !== 13) throw new ParseError(400, 'bare LF in request head');
      from = lf + 1;
    }
    this.#scanFrom = Math.max(start, buf.length - 3);
  }

  /** Parses one request head; false when more bytes are needed. */
  #parseHead(): boolean {
    const buf = this.#buf!;
    const server = this.server;
    // RFC 9112 §2.2: ignore empty lines before a request line.
    let start = 0;
    while (start + 1 < buf.length && buf[start] === 13 && buf[start + 1] === 10) start += 2;
    const end = buf.indexOf(CRLFCRLF, Math.max(start, this.#scanFrom));
    if (end < 0) {
      if (start > 0) {
        this.#rest(buf, start);
        if (this.#buf === null) return false;
        return this.#parseHead();
      }
      if (this.#headStart === 0) this.#headStart = server.clock;
      this.#checkPartialHead(buf, start);
      return false;
    }
    if (end - start > server.maxHeaderBytes) throw new ParseError(431, 'request head too large');
    const head = buf.toString('latin1', start, end);
    this.#rest(buf, end + 4);
    this.#headStart = 0;

    let eol = head.indexOf('\r\n');
    const line = eol < 0 ? head : head.slice(0, eol);
    const sp1 = line.indexOf(' ');
    const sp2 = line.indexOf(' ', sp1 + 1);
    if (sp1 <= 0 || sp2 < 0) throw new ParseError(400, 'bad request line');
    const method = line.slice(0, sp1);
    const url = line.slice(sp1 + 1, sp2);
    const versionText = line.slice(sp2 + 1);
    if (!TOKEN.test(method) || url.length === 0 || BAD_TARGET.test(url)) throw new ParseError(400, 'bad request line');
    let version: string;
    if (versionText === 'HTTP/1.1') version = '1.1';
    else if (versionText === 'HTTP/1.0') version = '1.0';
    else throw new ParseError(HTTP_VERSION.test(versionText) ? 505 : 400, 'unsupported HTTP version');
    if (version === '1.0' && !server.acceptHttp10) throw new ParseError(426, 'HTTP/1.0 is not accepted');

    const headers: Record<string, string | string[] | undefined> = new HeaderMap();
    const maxHeaders = server.maxHeadersCount;
    let count = 0;
    let envoyHeaders = false;
    while (eol >= 0) {
      const from = eol + 2;
      eol = head.indexOf('\r\n', from);
      const hl = eol < 0 ? head.slice(from) : head.slice(from, eol);
      if (++count > maxHeaders) throw new ParseError(431, 'too many headers');
      const c0 = hl.charCodeAt(0);
      if (c0 === 32 || c0 === 9) throw new ParseError(400, 'obsolete line folding');
      const colon = hl.indexOf(':');
      if (colon <= 0) throw new ParseError(400, 'bad header line');
      const rawName = hl.slice(0, colon);
      if (!TOKEN.test(rawName)) throw new ParseError(400, 'bad header name');
      let vs = colon + 1;
      let ve = hl.length;
      while (vs < ve && (hl.charCodeAt(vs) === 32 || hl.charCodeAt(vs) === 9)) vs++;
      while (ve > vs && (hl.charCodeAt(ve - 1) === 32 || hl.charCodeAt(ve - 1) === 9)) ve--;
      const value = vs === 1 + colon && ve === hl.length ? hl.slice(vs) : hl.slice(vs, ve);
      if (BAD_VALUE.test(value)) throw new ParseError(400, 'bad header value');
      const name = rawName.toLowerCase();
      if (colon > 8 && name.charCodeAt(0) === 120 && name.startsWith('x-envoy-')) envoyHeaders = true;
      const prev = headers[name];
      if (prev === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
      else if (REJECT_DUPLICATE[name] === 1) {
        if (name !== 'content-length' || prev !== value) throw new ParseError(400, `repeated ${name}`);
      } else if (name === 'set-cookie') (prev as string[]).push(value);
      // Every value is kept: repeats are joined, as Envoy joins its inline headers (authorization, content-type...).
      else headers[name] = `${prev}${name === 'cookie' ? '; ' : ', '}${value}`;
    }

    // Framing (RFC 9112 §6): chunked only as the sole and final coding; both headers is an attack.
    const te = headers['transfer-encoding'] as string | undefined;
    const cl = headers['content-length'] as string | undefined;
    let hasBody = false;
    let chunked = false;
    let length = 0;
    if (te !== undefined) {
      if (cl !== undefined) throw new ParseError(400, 'both Content-Length and Transfer-Encoding');
      if (version === '1.0') throw new ParseError(400, 'Transfer-Encoding in HTTP/1.0');
      if (te.length !== 7 || te.toLowerCase() !== 'chunked') {
        const codings = te.toLowerCase().split(',');
        const last = codings[codings.length - 1].trim();
        for (let i = 0; i < codings.length; i++) if (codings[i].trim() === '') throw new ParseError(400, 'bad Transfer-Encoding');
        if (last !== 'chunked') throw new ParseError(codings.some((c) => c.trim() === 'chunked') ? 400 : 501, 'unsupported transfer coding');
        if (codings.length > 1) throw new ParseError(codings.slice(0, -1).some((c) => c.trim() === 'chunked') ? 400 : 501, 'unsupported transfer coding');
      }
      chunked = true;
      hasBody = true;
    } else if (cl !== undefined) {
      if (!/^\d{1,15}$/.test(cl)) throw new ParseError(400, 'bad Content-Length');
      length = Number(cl);
      hasBody = length > 0;
    }
    const host = headers.host as string | undefined;
    if (host === undefined) {
      if (version === '1.1') throw new ParseError(400, 'missing Host');
      // HTTP/1.0 (accepted): Envoy's default_host_for_http_10, else no authority at all: 400.
      if (server.defaultHostForHttp10 === '' && url.charCodeAt(0) === 47) throw new ParseError(400, 'missing Host');
      if (server.defaultHostForHttp10 !== '') headers.host = server.defaultHostForHttp10;
    } else if (!validAuthority(host)) throw new ParseError(400, 'invalid Host');

    const connection = headers.connection as string | undefined;
    this.requests++;
    if (version === '1.1') this.keepAlive = connection === undefined || !/(^|,)\s*close\s*(,|$)/i.test(connection);
    else this.keepAlive = connection !== undefined && /(^|,)\s*keep-alive\s*(,|$)/i.test(connection);
    if (server.maxRequestsPerConnection > 0 && this.requests >= server.maxRequestsPerConnection) this.keepAlive = false;

    const req = new H1Request(this, method, url, version, headers, hasBody, envoyHeaders);
    const res = new H1Response(this, req);
    this.#req = req;
    this.#res = res;
    this.#discard = false;
    this.responding = true;
    this.activeAt = server.clock;
    if (hasBody) {
      this.#state = chunked ? S_CHUNK_SIZE : S_BODY_LENGTH;
      this.#remaining = length;
      if (version === '1.1' && (headers.expect as string | undefined)?.toLowerCase() === '100-continue') this.socket.write(CONTINUE, 'latin1');
    } else this.#state = S_DONE;
    try {
      server.handler(req, res);
    } catch (err) {
      this.#handlerFailed(err, res);
    }
    return true;
  }

  #handlerFailed(err: unknown, res: H1Response): void {
    this.server.stats.handlerErrors++;
    this.server.onHandlerError?.(err);
    if (res.finished) return;
    if (res.headersSent) res.destroy();
    else this.#reply(500, 'internal error');
  }

  /**
   * Body bytes parsed in one pass (one socket read) leave as one buffer: a
   * body of many tiny chunks ("1\r\nx\r\n"...) costs one object per read, not
   * one per chunk, for the stream and whatever keeps the body (retries).
   */
  #bodyData(data: Buffer): void {
    if (this.#discard || this.#req!.error !== null) return;
    this.#bodyOut.push(data);
    this.#bodyOutBytes += data.length;
  }

  #flushBody(): void {
    const out = this.#bodyOut;
    const data = out.length === 1 ? out[0] : Buffer.concat(out, this.#bodyOutBytes);
    this.#bodyOut = [];
    this.#bodyOutBytes = 0;
    const req = this.#req;
    if (req === null || this.#discard || req.error !== null) return;
    const stream = req.stream;
    if (stream !== null) {
      if (!stream.push(data) && !this.#bodyPaused) {
        this.#bodyPaused = true;
        this.socket.pause();
      }
      return;
    }
    (req.pending ??= []).push(data);
    req.pendingBytes += data.length + CHUNK_OVERHEAD;
    // Nobody reads the body yet: hold at most the buffer limit before pushing back.
    if (!this.#bodyPaused && req.pendingBytes >= this.server.bufferLimitBytes) {
      this.#bodyPaused = true;
      this.server.stats.flowControlPausedReading++;
      this.socket.pause();
    }
  }

  #bodyDone(): void {
    if (this.#bodyOut.length > 0) this.#flushBody();
    const req = this.#req!;
    req.complete = true;
    if (!this.#discard && req.error === null) req.stream?.push(null);
    this.#state = S_DONE;
    if (!this.responding) this.#nextRequest();
  }

  /** The response to the current request is complete. */
  responseDone(close: boolean): void {
    this.responding = false;
    this.idleSince = this.server.clock;
    if (close || !this.keepAlive) {
      this.#closeAfterWrite();
      return;
    }
    if (this.#state === S_DONE) this.#nextRequest();
    else if (this.#state !== S_CLOSED) {
      // Answered before the body arrived: read and drop the rest of the body, then go on.
      this.#discard = true;
      this.#bodyOut = [];
      this.#bodyOutBytes = 0;
      const req = this.#req;
      if (req !== null) {
        req.pending = null;
        req.pendingBytes = 0;
        req.events = null;
        req.stream?.destroy();
      }
      this.#bodyPaused = false;
      this.#maybeResume();
    }
  }

  #nextRequest(): void {
    this.#state = S_HEAD;
    this.#req = null;
    this.#res = null;
    this.#bodyPaused = false;
    // A client that pipelines without reading its responses: wait for them to leave before answering more.
    if (this.socket.writableLength >= this.server.bufferLimitBytes) {
      this.#pauseForBuffer();
      this.#waitingOutput = true;
      this.socket.once('drain', this.#onWritable);
      return;
    }
    this.#bufferPaused = false;
    this.#maybeResume();
    if (this.#buf !== null || this.#queued > 0) {
      if (this.#parsing) return; // the running parse loop picks it up
      this.#parse();
    }
  }

  /** Ends the connection once its output is written; the sweep cuts it after the close grace period. */
  #closeAfterWrite(): void {
    this.#state = S_CLOSED;
    this.#buf = null;
    this.#acc = null;
    this.#queue = [];
    this.#queued = 0;
    this.#closingAt = this.server.clock;
    this.socket.end();
    // Keep reading (and dropping) so the client's FIN is seen and the close completes.
    this.#bodyPaused = this.#bufferPaused = this.#waitingOutput = false;
    if (this.socket.isPaused()) this.socket.resume();
  }

  /** Answers with a local error status (no response started) and closes. */
  #reply(status: number, body: string): void {
    const res = this.#res;
    if (res !== null) res.finished = true; // whatever the handler writes later goes nowhere
    this.responding = false;
    const text = STATUS_CODES[status] ?? 'Bad Request';
    this.socket.write(`HTTP/1.1 ${status} ${text}\r\ncontent-length: ${body.length}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${body}`, 'latin1');
    this.#closeAfterWrite();
  }

  #fail(status: number, why: string): void {
    this.server.stats.cxProtocolError++;
    const req = this.#req;
    const res = this.#res;
    const started = res !== null && (res.headersSent || res.finished);
    const streaming = started && this.responding && !res.finished;
    if (req !== null) req.abort(new Error(`malformed request: ${why}`), 'protocol_error', true);
    if (streaming) {
      // A response already started cannot be replaced: the connection just ends.
      this.#state = S_CLOSED;
      this.socket.destroy();
    } else if (started) this.#closeAfterWrite(); // answered already (the rest of the body was being dropped)
    else this.#reply(status, status === 400 ? '' : why);
  }

  /** Called by the server's sweep with the current time. */
  sweep(now: number, slack: number): void {
    const socket = this.socket;
    if (socket.destroyed) return;
    const server = this.server;
    if (this.#closingAt !== 0) {
      const pending = socket.writableLength;
      if (pending !== this.#closingPending) {
        this.#closingPending = pending;
        this.#closingAt = now;
      }
      // Output still leaving: as long as it moves; flushed: the grace period (Envoy's delayed_close_timeout).
      const limit = pending > 0 ? server.streamIdleTimeoutMs || H1_DEFAULTS.streamIdleTimeoutMs : server.closeGraceMs;
      if (now - this.#closingAt >= limit + slack) socket.destroy();
      return;
    }
    const io = socket.bytesRead + socket.bytesWritten;
    if (io !== this.#io) {
      this.#io = io;
      this.activeAt = now;
    }
    const state = this.#state;
    if (state === S_CLOSED) return;
    if (this.responding || (state !== S_HEAD && state !== S_DONE) || this.#waitingOutput) {
      const t = server.streamIdleTimeoutMs;
      if (t > 0 && now - this.activeAt >= t + slack) this.#streamIdle();
      return;
    }
    if (this.#headStart !== 0) {
      const t = server.requestHeadersTimeoutMs > 0 ? server.requestHeadersTimeoutMs : server.headTimeoutMs;
      if (t > 0 && now - this.#headStart >= t + slack) {
        server.stats.rqHeaderTimeout++;
        this.#headStart = 0;
        this.#reply(408, 'request header timeout');
      }
      return;
    }
    if (this.#buf === null && this.#queued === 0 && now - this.idleSince >= server.keepAliveTimeoutMs + slack) {
      server.stats.cxIdleTimeout++;
      socket.destroy();
    }
  }

  #streamIdle(): void {
    this.server.stats.rqIdleTimeout++;
    const req = this.#req;
    const res = this.#res;
    const events = req?.events ?? null;
    if (events !== null) {
      req!.events = null;
      events.streamIdleTimeout();
    } else if (this.responding && res !== null && !res.headersSent && !res.finished) {
      // Envoy: 408 while the request body is still coming, 504 while waiting on the response.
      this.#reply(req !== null && !req.complete ? 408 : 504, 'stream timeout');
    }
    // Whatever the owner did, a stream still hanging after its idle timeout is cut.
    if (this.#closingAt === 0 && !this.socket.destroyed && (this.responding || this.#state !== S_HEAD || this.#waitingOutput)) {
      this.#state = S_CLOSED;
      this.socket.destroy();
    }
  }
}

/** What the server keeps of each connection, whichever protocol it speaks. */
export interface ServerConnection {
  readonly socket: Socket;
  /** No request in progress: may be closed at once (drain). */
  readonly idle: boolean;
  /** Responses from now on close the connection (HTTP/1.1) or a GOAWAY went out (HTTP/2). */
  draining: boolean;
  /** Bytes held for parsing (tests and stats). */
  readonly bufferedBytes: number;
  /** The server's periodic sweep (timeouts). */
  sweep(now: number, slack: number): void;
}

/** The HTTP/1.1 listener: a net.Server whose connections speak through H1Connection (or, HTTP/2, through H2Codec). */
export class H1Server extends EventEmitter {
  readonly net: net.Server;
  readonly connections = new Set<ServerConnection>();
  handler: RequestHandler;
  maxHeaderBytes: number;
  maxHeadersCount: number;
  keepAliveTimeoutMs: number;
  maxRequestsPerConnection: number;
  bufferLimitBytes: number;
  requestHeadersTimeoutMs: number;
  headTimeoutMs: number;
  streamIdleTimeoutMs: number;
  closeGraceMs: number;
  acceptHttp10: boolean;
  defaultHostForHttp10: string;
  stats: CodecStats;
  onHandlerError: ((err: unknown) => void) | undefined;
  codecType: CodecType = 'AUTO';
  http2: Http2Settings = H2_DEFAULTS;
  /** The HTTP/2 codec, made when the first HTTP/2 connection arrives. */
  h2: H2Codec | undefined = undefined;
  /** A coarse clock (ms), advanced by the sweep: activity stamps cost no Date.now() per packet. */
  clock = Date.now();
  /** The sweep period; timeouts fire between their value and value + 2 periods. */
  sweepEveryMs = 1_000;
  #draining = false;
  #sweep: NodeJS.Timeout | undefined;

  constructor(handler: RequestHandler, options: H1ServerOptions = {}) {
    super();
    this.handler = handler;
    this.maxHeaderBytes = H1_DEFAULTS.maxHeaderBytes;
    this.maxHeadersCount = H1_DEFAULTS.maxHeadersCount;
    this.keepAliveTimeoutMs = H1_DEFAULTS.keepAliveTimeoutMs;
    this.maxRequestsPerConnection = 0;
    this.bufferLimitBytes = H1_DEFAULTS.bufferLimitBytes;
    this.requestHeadersTimeoutMs = 0;
    this.headTimeoutMs = H1_DEFAULTS.headTimeoutMs;
    this.streamIdleTimeoutMs = H1_DEFAULTS.streamIdleTimeoutMs;
    this.closeGraceMs = H1_DEFAULTS.closeGraceMs;
    this.acceptHttp10 = false;
    this.defaultHostForHttp10 = '';
    this.stats = newCodecStats();
    this.onHandlerError = undefined;
    this.net = net.createServer({ noDelay: true }, (socket) => this.#accept(socket));
    // Over maxConnections Node closes the new socket on accept (as Envoy's connection limit does): count it.
    this.net.on('drop', () => this.stats.cxOverflow++);
    this.net.on('close', () => this.#stopSweep());
    this.configure(options);
  }

  /**
   * A connection from the listener (its first bytes possibly unshifted back onto the socket by a
   * listener filter). AUTO looks at the first bytes once per connection - never per request - to
   * tell the HTTP/2 preface from an HTTP/1.x request.
   */
  #accept(socket: Socket): void {
    this.clock = Date.now();
    if (this.codecType === 'HTTP2') {
      this.serveH2(socket, null);
      return;
    }
    // HTTP/1.x, or AUTO: the connection looks at its first bytes before parsing them (H1Connection.#sniff).
    const conn = new H1Connection(socket, this, this.codecType === 'AUTO');
    conn.draining = this.#draining;
    this.connections.add(conn);
    this.#startSweep();
    // A listener that read the first bytes may have paused the socket before unshifting them.
    if (socket.isPaused()) socket.resume();
  }

  /** Serves `socket` as HTTP/2; `first` holds bytes already read off it (the preface). */
  serveH2(socket: Socket, first: Buffer | null): void {
    if (first !== null) {
      socket.pause();
      socket.unshift(first);
    }
    this.h2 ??= new H2Codec(this);
    this.h2.accept(socket);
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Applies options (a listener update); the sweep period follows the shortest timeout. */
  configure(o: H1ServerOptions): void {
    if (o.maxHeaderBytes !== undefined) this.maxHeaderBytes = o.maxHeaderBytes;
    if (o.maxHeadersCount !== undefined) this.maxHeadersCount = o.maxHeadersCount;
    if (o.keepAliveTimeoutMs !== undefined) this.keepAliveTimeoutMs = o.keepAliveTimeoutMs;
    if (o.maxRequestsPerConnection !== undefined) this.maxRequestsPerConnection = o.maxRequestsPerConnection;
    if (o.bufferLimitBytes !== undefined) this.bufferLimitBytes = o.bufferLimitBytes;
    if (o.requestHeadersTimeoutMs !== undefined) this.requestHeadersTimeoutMs = o.requestHeadersTimeoutMs;
    if (o.headTimeoutMs !== undefined) this.headTimeoutMs = o.headTimeoutMs;
    if (o.streamIdleTimeoutMs !== undefined) this.streamIdleTimeoutMs = o.streamIdleTimeoutMs;
    if (o.closeGraceMs !== undefined) this.closeGraceMs = o.closeGraceMs;
    if (o.acceptHttp10 !== undefined) this.acceptHttp10 = o.acceptHttp10;
    if (o.defaultHostForHttp10 !== undefined) this.defaultHostForHttp10 = o.defaultHostForHttp10;
    if (o.stats !== undefined) this.stats = o.stats;
    if (o.onHandlerError !== undefined) this.onHandlerError = o.onHandlerError;
    if (o.maxConnections !== undefined) this.net.maxConnections = o.maxConnections > 0 ? o.maxConnections : Infinity;
    if (o.codecType !== undefined) this.codecType = o.codecType;
    if (o.http2 !== undefined) this.http2 = o.http2;
    this.h2?.reconfigure();
    let shortest = 1_000;
    for (const t of [this.keepAliveTimeoutMs, this.requestHeadersTimeoutMs, this.headTimeoutMs, this.streamIdleTimeoutMs, this.closeGraceMs]) {
      if (t > 0) shortest = Math.min(shortest, t / 4);
    }
    const every = Math.max(10, Math.floor(shortest));
    if (every !== this.sweepEveryMs) {
      this.sweepEveryMs = every;
      if (this.#sweep !== undefined) {
        this.#stopSweep();
        this.#startSweep();
      }
    }
  }

  get maxConnections(): number {
    const m = this.net.maxConnections;
    return m === Infinity || m === undefined ? 0 : m;
  }

  /**
   * One periodic sweep enforces every connection timeout (keep-alive idle,
   * request head, stream idle, close grace) rather than timers re-armed on
   * every read; it runs only while connections exist.
   */
  #startSweep(): void {
    if (this.#sweep !== undefined) return;
    this.#sweep = setInterval(() => {
      const now = Date.now();
      this.clock = now;
      const slack = this.sweepEveryMs;
      for (const c of this.connections) c.sweep(now, slack);
      if (this.connections.size === 0) this.#stopSweep();
    }, this.sweepEveryMs);
    this.#sweep.unref();
  }

  #stopSweep(): void {
    clearInterval(this.#sweep);
    this.#sweep = undefined;
  }

  address(): AddressInfo {
    return this.net.address() as AddressInfo;
  }

  /** Responses from now on close their connections; idle connections close now. */
  drain(): void {
    this.#draining = true;
    for (const c of this.connections) c.draining = true;
    this.closeIdleConnections();
  }

  closeIdleConnections(): void {
    for (const c of this.connections) if (c.idle) c.socket.destroy();
  }
}
