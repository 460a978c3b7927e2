// A lean HTTP/1.1 server codec for the proxy's listeners. Node's http server
// costs about as much CPU per request as the whole forwarding path, so the
// proxy parses requests and frames responses itself, straight on the socket:
// one request object, one response object, no streams unless a body exists.
//
// Parsing is strict (RFC 9112): a bad request line, header name or value,
// obs-fold, conflicting Content-Length/Transfer-Encoding, more than one Host
// or an unsupported transfer coding get 400 (or 431/501) and the connection
// closes - the request-smuggling cases are refused, not guessed at.
// Pipelined requests are answered in order: the next request is parsed only
// once the current response is complete.
import { EventEmitter } from 'node:events';
import { STATUS_CODES } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { DownstreamRequest, DownstreamResponse } from './downstream.ts';

const CRLFCRLF = Buffer.from('\r\n\r\n');
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
const BAD_TARGET = /[\x00-\x20\x7f]/;
/** Headers that must not repeat (a second one is a 400) or whose duplicates Node drops; others are joined. */
const SINGLE = new Set(['host', 'content-length', 'content-type', 'authorization', 'user-agent', 'referer', 'from', 'age', 'expires', 'if-modified-since', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'retry-after', 'etag']);
const REJECT_DUPLICATE = new Set(['host', 'content-length', 'transfer-encoding']);

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

export interface H1ServerOptions {
  /** Largest request head (request line + headers), like Envoy's 60 KiB default. */
  maxHeaderBytes?: number;
  /** Idle keep-alive connections close after this long without a request. */
  keepAliveTimeoutMs?: number;
  /** Requests per connection before it closes (0: no limit). */
  maxRequestsPerConnection?: number;
}

export type RequestHandler = (req: H1Request, res: H1Response) => void;

/** The request body as a stream; bytes arrive from the connection's parser. */
class BodyStream extends Readable {
  readonly #conn: H1Connection;
  constructor(conn: H1Connection) {
    super();
    this.#conn = conn;
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
  readonly hasBody: boolean;
  readonly conn: H1Connection;

  constructor(conn: H1Connection, method: string, url: string, version: string, headers: Record<string, string | string[] | undefined>, hasBody: boolean) {
    this.conn = conn;
    this.socket = conn.socket;
    this.method = method;
    this.url = url;
    this.httpVersion = version;
    this.headers = headers;
    this.hasBody = hasBody;
    this.complete = !hasBody;
  }

  body(): Readable | null {
    if (!this.hasBody) return null;
    if (this.stream === null) {
      this.stream = new BodyStream(this.conn);
      const pending = this.pending;
      this.pending = null;
      if (pending !== null) for (const c of pending) this.stream.push(c);
      if (this.complete) this.stream.push(null);
      this.conn.resumeBody();
    }
    return this.stream;
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
    if (this.finished) return false;
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

  end(chunk?: Buffer): void {
    if (this.finished) return;
    if (!this.headersSent) this.writeHead(200, chunk ? ['content-length', String(chunk.length)] : ['content-length', '0']);
    const socket = this.#conn.socket;
    if (chunk !== undefined && chunk.length > 0) this.write(chunk);
    else if (this.#head !== null) {
      socket.write(this.#head, 'latin1');
      this.#head = null;
    }
    if (this.#chunked && !this.#noBody) socket.write('0\r\n\r\n', 'latin1');
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
}

const S_HEAD = 0;
const S_BODY_LENGTH = 1;
const S_CHUNK_SIZE = 2;
const S_CHUNK_DATA = 3;
const S_CHUNK_CRLF = 4;
const S_TRAILERS = 5;
const S_DONE = 6;
const S_CLOSED = 7;

class ParseError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export class H1Connection {
  readonly socket: Socket;
  readonly server: H1Server;
  keepAlive = true;
  draining = false;
  corked = false;
  /** A request was handed out and its response is not finished. */
  responding = false;
  requests = 0;
  #buf: Buffer | null = null;
  #state = S_HEAD;
  #remaining = 0;
  #req: H1Request | null = null;
  #res: H1Response | null = null;
  /** The response finished before the request body did: drop the rest of the body. */
  #discard = false;
  #parsing = false;
  #bodyPaused = false;
  readonly uncorkSocket: () => void;

  constructor(socket: Socket, server: H1Server) {
    this.socket = socket;
    this.server = server;
    this.uncorkSocket = () => {
      this.corked = false;
      uncork(socket);
    };
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => this.#onClose());
  }

  get idle(): boolean {
    return !this.responding && this.#state === S_HEAD && this.#buf === null;
  }

  /** When this connection last became idle (for the server's keep-alive sweep). */
  idleSince = Date.now();

  #onData(chunk: Buffer): void {
    this.#buf = this.#buf === null ? chunk : Buffer.concat([this.#buf, chunk]);
    this.#parse();
  }

  #onClose(): void {
    this.#state = S_CLOSED;
    const req = this.#req;
    if (req !== null && !req.complete) req.stream?.destroy(new Error('downstream connection closed'));
    this.server.connections.delete(this);
  }

  /** Called by the body stream when its reader wants more. */
  resumeBody(): void {
    if (this.#bodyPaused) {
      this.#bodyPaused = false;
      this.socket.resume();
    }
  }

  #parse(): void {
    if (this.#parsing) return;
    this.#parsing = true;
    try {
      while (this.#buf !== null && this.#state !== S_CLOSED) {
        const state = this.#state;
        if (state === S_HEAD) {
          if (this.responding) {
            // Pipelined request: parsed once the current response is done. Stop reading if it piles up.
            if (this.#buf.length > this.server.maxHeaderBytes) this.socket.pause();
            return;
          }
          if (!this.#parseHead()) return;
        } else if (state === S_BODY_LENGTH || state === S_CHUNK_DATA) {
          const buf = this.#buf;
          const take = Math.min(this.#remaining, buf.length);
          const data = take === buf.length ? buf : buf.subarray(0, take);
          this.#buf = take === buf.length ? null : buf.subarray(take);
          this.#remaining -= take;
          this.#bodyData(data);
          if (this.#remaining === 0) {
            if (state === S_BODY_LENGTH) this.#bodyDone();
            else this.#state = S_CHUNK_CRLF;
          }
        } else if (state === S_CHUNK_SIZE) {
          const buf = this.#buf;
          const eol = buf.indexOf('\r\n');
          if (eol < 0) {
            if (buf.length > 1024) throw new ParseError(400, 'chunk size line too long');
            return;
          }
          const line = buf.toString('latin1', 0, eol);
          const semi = line.indexOf(';');
          const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
          if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw new ParseError(400, 'bad chunk size');
          const size = parseInt(hex, 16);
          this.#buf = eol + 2 === buf.length ? null : buf.subarray(eol + 2);
          if (size === 0) this.#state = S_TRAILERS;
          else {
            this.#remaining = size;
            this.#state = S_CHUNK_DATA;
          }
        } else if (state === S_CHUNK_CRLF) {
          const buf = this.#buf;
          if (buf.length < 2) return;
          if (buf[0] !== 13 || buf[1] !== 10) throw new ParseError(400, 'missing CRLF after chunk');
          this.#buf = buf.length === 2 ? null : buf.subarray(2);
          this.#state = S_CHUNK_SIZE;
        } else if (state === S_TRAILERS) {
          const buf = this.#buf;
          let end: number;
          if (buf.length >= 2 && buf[0] === 13 && buf[1] === 10) end = 2;
          else {
            const i = buf.indexOf(CRLFCRLF);
            if (i < 0) {
              if (buf.length > this.server.maxHeaderBytes) throw new ParseError(431, 'trailers too large');
              return;
            }
            end = i + 4;
          }
          this.#buf = end === buf.length ? null : buf.subarray(end);
          this.#bodyDone();
        } else {
          // S_DONE: request complete, its response pending. Keep pipelined bytes for later.
          return;
        }
      }
    } catch (err) {
      this.#fail(err instanceof ParseError ? err.status : 400);
    } finally {
      this.#parsing = false;
    }
  }

  /** Parses one request head; false when more bytes are needed. */
  #parseHead(): boolean {
    const buf = this.#buf!;
    // RFC 9112 §2.2: ignore empty lines before a request line.
    let start = 0;
    while (start + 1 < buf.length && buf[start] === 13 && buf[start + 1] === 10) start += 2;
    const end = buf.indexOf(CRLFCRLF, start);
    if (end < 0) {
      if (buf.length - start > this.server.maxHeaderBytes) throw new ParseError(431, 'request head too large');
      if (start > 0) this.#buf = start === buf.length ? null : buf.subarray(start);
      return false;
    }
    if (end - start > this.server.maxHeaderBytes) throw new ParseError(431, 'request head too large');
    const head = buf.toString('latin1', start, end);
    this.#buf = end + 4 === buf.length ? null : buf.subarray(end + 4);

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
    else throw new ParseError(versionText.startsWith('HTTP/') ? 505 : 400, 'unsupported HTTP version');

    const headers: Record<string, string | string[] | undefined> = {};
    while (eol >= 0) {
      const from = eol + 2;
      eol = head.indexOf('\r\n', from);
      const hl = eol < 0 ? head.slice(from) : head.slice(from, eol);
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
      if (name === '__proto__') continue;
      const prev = headers[name];
      if (prev === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
      else if (REJECT_DUPLICATE.has(name)) {
        if (name !== 'content-length' || prev !== value) throw new ParseError(400, `repeated ${name}`);
      } else if (name === 'set-cookie') (prev as string[]).push(value);
      else if (!SINGLE.has(name)) headers[name] = `${prev}${name === 'cookie' ? '; ' : ', '}${value}`;
    }

    // Framing (RFC 9112 §6): chunked wins only when it is the sole coding; both headers is an attack.
    const te = headers['transfer-encoding'] as string | undefined;
    const cl = headers['content-length'] as string | undefined;
    let hasBody = false;
    let chunked = false;
    let length = 0;
    if (te !== undefined) {
      if (cl !== undefined) throw new ParseError(400, 'both Content-Length and Transfer-Encoding');
      if (version === '1.0') throw new ParseError(400, 'Transfer-Encoding in HTTP/1.0');
      if (te.toLowerCase() !== 'chunked') throw new ParseError(501, 'unsupported transfer coding');
      chunked = true;
      hasBody = true;
    } else if (cl !== undefined) {
      if (!/^\d{1,15}$/.test(cl)) throw new ParseError(400, 'bad Content-Length');
      length = Number(cl);
      hasBody = length > 0;
    }
    if (version === '1.1' && headers.host === undefined) throw new ParseError(400, 'missing Host');

    const connection = headers.connection as string | undefined;
    const server = this.server;
    this.requests++;
    if (version === '1.1') this.keepAlive = connection === undefined || !/(^|,)\s*close\s*(,|$)/i.test(connection);
    else this.keepAlive = connection !== undefined && /(^|,)\s*keep-alive\s*(,|$)/i.test(connection);
    if (server.maxRequestsPerConnection > 0 && this.requests >= server.maxRequestsPerConnection) this.keepAlive = false;

    const req = new H1Request(this, method, url, version, headers, hasBody);
    const res = new H1Response(this, req);
    this.#req = req;
    this.#res = res;
    this.#discard = false;
    this.responding = true;
    if (hasBody) {
      this.#state = chunked ? S_CHUNK_SIZE : S_BODY_LENGTH;
      this.#remaining = length;
      if (version === '1.1' && (headers.expect as string | undefined)?.toLowerCase() === '100-continue') this.socket.write(CONTINUE, 'latin1');
    } else this.#state = S_DONE;
    server.handler(req, res);
    return true;
  }

  #bodyData(data: Buffer): void {
    const req = this.#req!;
    if (this.#discard) return;
    const stream = req.stream;
    if (stream !== null) {
      if (!stream.push(data) && !this.#bodyPaused) {
        this.#bodyPaused = true;
        this.socket.pause();
      }
      return;
    }
    (req.pending ??= []).push(data);
    // Nobody reads the body yet: hold at most a buffer's worth before pushing back.
    if (!this.#bodyPaused && req.pending.length > 16) {
      this.#bodyPaused = true;
      this.socket.pause();
    }
  }

  #bodyDone(): void {
    const req = this.#req!;
    req.complete = true;
    if (!this.#discard) req.stream?.push(null);
    this.#state = S_DONE;
    if (!this.responding) this.#nextRequest();
  }

  /** The response to the current request is complete. */
  responseDone(close: boolean): void {
    this.responding = false;
    this.idleSince = Date.now();
    if (close || !this.keepAlive) {
      this.#state = S_CLOSED;
      this.socket.end();
      return;
    }
    if (this.#state === S_DONE) this.#nextRequest();
    else {
      // Answered before the body arrived: read and drop the rest of the body, then go on.
      this.#discard = true;
      const req = this.#req;
      if (req !== null) {
        req.pending = null;
        req.stream?.destroy();
      }
      this.resumeBody();
    }
  }

  #nextRequest(): void {
    this.#state = S_HEAD;
    this.#req = null;
    this.#res = null;
    if (this.socket.isPaused()) this.socket.resume();
    if (this.#buf !== null) {
      if (this.#parsing) return; // the running parse loop picks it up
      this.#parse();
    }
  }

  #fail(status: number): void {
    this.#state = S_CLOSED;
    this.#buf = null;
    const req = this.#req;
    if (req !== null && !req.complete) req.stream?.destroy(new Error('malformed request body'));
    const res = this.#res;
    if (this.responding && res !== null) {
      // A response already started cannot be replaced: the connection just ends.
      if (res.headersSent) {
        this.socket.destroy();
        return;
      }
      res.finished = true; // whatever the handler writes later goes nowhere
    }
    const text = STATUS_CODES[status] ?? 'Bad Request';
    this.socket.end(`HTTP/1.1 ${status} ${text}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`, 'latin1');
  }
}

/** The HTTP/1.1 listener: a net.Server whose connections speak through H1Connection. */
export class H1Server extends EventEmitter {
  readonly net: net.Server;
  readonly connections = new Set<H1Connection>();
  handler: RequestHandler;
  maxHeaderBytes: number;
  keepAliveTimeoutMs: number;
  maxRequestsPerConnection: number;
  #draining = false;
  #sweep: NodeJS.Timeout | undefined;

  constructor(handler: RequestHandler, options: H1ServerOptions = {}) {
    super();
    this.handler = handler;
    this.maxHeaderBytes = options.maxHeaderBytes ?? 60 * 1024;
    this.keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? 300_000;
    this.maxRequestsPerConnection = options.maxRequestsPerConnection ?? 0;
    this.net = net.createServer({ noDelay: true }, (socket) => {
      const conn = new H1Connection(socket, this);
      conn.draining = this.#draining;
      this.connections.add(conn);
      this.#startSweep();
    });
    this.net.on('close', () => clearInterval(this.#sweep));
  }

  /**
   * Idle keep-alive connections (and ones stuck sending a request head) are
   * closed by one periodic sweep rather than a timer re-armed on every read.
   */
  #startSweep(): void {
    if (this.#sweep !== undefined) return;
    this.#sweep = setInterval(() => {
      const cutoff = Date.now() - this.keepAliveTimeoutMs;
      for (const c of this.connections) if (!c.responding && c.idleSince < cutoff) c.socket.destroy();
      if (this.connections.size === 0) {
        clearInterval(this.#sweep);
        this.#sweep = undefined;
      }
    }, Math.min(1_000, this.keepAliveTimeoutMs));
    this.#sweep.unref();
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
