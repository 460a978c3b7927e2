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
// UND_ERR_SOCKET) so failures classify the same.
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
}

function codeError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const EXPECTS_BODY = new Set(['POST', 'PUT', 'PATCH']);
const NO_TRAILERS: Record<string, string | string[]> = {};

const R_HEAD = 0;
const R_LENGTH = 1;
const R_CHUNK_SIZE = 2;
const R_CHUNK_DATA = 3;
const R_CHUNK_CRLF = 4;
const R_TRAILERS = 5;
const R_UNTIL_CLOSE = 6;

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

class Connection {
  readonly socket: Socket;
  readonly pool: H1Pool;
  current: PoolRequest | null = null;
  requests = 0;
  connected = false;
  closed = false;
  #buf: Buffer | null = null;
  #state = R_HEAD;
  #remaining = 0;
  #keepAlive = true;
  /** When the connection went back to the pool (the pool's sweep closes long-idle ones). */
  idleSince = 0;
  #gotBytes = false;

  constructor(pool: H1Pool) {
    this.pool = pool;
    const socket = net.connect({ host: pool.host, port: pool.port, noDelay: true });
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
      if (!this.connected) this.#fail(codeError(`connect timeout to ${pool.host}:${pool.port}`, 'UND_ERR_CONNECT_TIMEOUT'));
    });
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#fail(err));
    socket.on('close', () => this.#fail(codeError('other side closed', 'UND_ERR_SOCKET')));
  }

  /** Starts an exchange on this connection (connected or still connecting). */
  start(ex: PoolRequest, reused: boolean): void {
    this.current = ex;
    ex.conn = this;
    ex.reused = reused;
    this.requests++;
    this.#state = R_HEAD;
    this.#gotBytes = false;
    this.#keepAlive = true;
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
      if (!ex.done && this.current === ex) this.#fail(err as Error);
    }
  }

  #onData(chunk: Buffer): void {
    const ex = this.current;
    if (ex === null) {
      // Bytes with no request outstanding: the connection is out of sync.
      this.destroy();
      return;
    }
    this.#gotBytes = true;
    this.#buf = this.#buf === null ? chunk : Buffer.concat([this.#buf, chunk]);
    try {
      this.#parse(ex);
    } catch (err) {
      this.#fail(err as Error);
    }
  }

  #parse(ex: PoolRequest): void {
    while (this.#buf !== null && this.current === ex && !ex.done) {
      const buf = this.#buf;
      switch (this.#state) {
        case R_HEAD: {
          const end = buf.indexOf(CRLFCRLF);
          if (end < 0) {
            if (buf.length > 64 * 1024) throw codeError('upstream response head too large', 'UND_ERR_HEADERS_OVERFLOW');
            return;
          }
          const head = buf.toString('latin1', 0, end);
          this.#buf = end + 4 === buf.length ? null : buf.subarray(end + 4);
          if (!this.#head(ex, head)) continue; // informational (1xx): read the next head
          if (this.#state === R_HEAD) return; // response complete (no body)
          break;
        }
        case R_LENGTH:
        case R_CHUNK_DATA:
        case R_UNTIL_CLOSE: {
          const take = this.#state === R_UNTIL_CLOSE ? buf.length : Math.min(this.#remaining, buf.length);
          const data = take === buf.length ? buf : buf.subarray(0, take);
          this.#buf = take === buf.length ? null : buf.subarray(take);
          this.#remaining -= take;
          ex.handler.onResponseData(ex, data);
          if (this.#state === R_LENGTH && this.#remaining === 0) this.#complete(ex);
          else if (this.#state === R_CHUNK_DATA && this.#remaining === 0) this.#state = R_CHUNK_CRLF;
          break;
        }
        case R_CHUNK_SIZE: {
          const eol = buf.indexOf('\r\n');
          if (eol < 0) {
            if (buf.length > 1024) throw codeError('bad chunk size line', 'UND_ERR_SOCKET');
            return;
          }
          const line = buf.toString('latin1', 0, eol);
          const semi = line.indexOf(';');
          const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
          if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw codeError('bad chunk size', 'UND_ERR_SOCKET');
          this.#buf = eol + 2 === buf.length ? null : buf.subarray(eol + 2);
          const size = parseInt(hex, 16);
          if (size === 0) this.#state = R_TRAILERS;
          else {
            this.#remaining = size;
            this.#state = R_CHUNK_DATA;
          }
          break;
        }
        case R_CHUNK_CRLF: {
          if (buf.length < 2) return;
          if (buf[0] !== 13 || buf[1] !== 10) throw codeError('missing CRLF after chunk', 'UND_ERR_SOCKET');
          this.#buf = buf.length === 2 ? null : buf.subarray(2);
          this.#state = R_CHUNK_SIZE;
          break;
        }
        case R_TRAILERS: {
          let end: number;
          if (buf.length >= 2 && buf[0] === 13 && buf[1] === 10) end = 2;
          else {
            const i = buf.indexOf(CRLFCRLF);
            if (i < 0) return;
            end = i + 4;
          }
          this.#buf = end === buf.length ? null : buf.subarray(end);
          this.#complete(ex);
          break;
        }
      }
    }
  }

  /** Parses a response head; false for 1xx (skipped). Sets the body state. */
  #head(ex: PoolRequest, head: string): boolean {
    let eol = head.indexOf('\r\n');
    const line = eol < 0 ? head : head.slice(0, eol);
    if (!(line.startsWith('HTTP/1.1 ') || line.startsWith('HTTP/1.0 ')) || line.length < 12) throw codeError('bad response status line', 'UND_ERR_SOCKET');
    const status = Number(line.slice(9, 12));
    if (!(status >= 100 && status < 600)) throw codeError('bad response status', 'UND_ERR_SOCKET');
    const http10 = line.charCodeAt(7) === 48;
    const headers: Record<string, string | string[]> = {};
    let length = -1;
    let chunked = false;
    let connection: string | undefined;
    while (eol >= 0) {
      const from = eol + 2;
      eol = head.indexOf('\r\n', from);
      const hl = eol < 0 ? head.slice(from) : head.slice(from, eol);
      const colon = hl.indexOf(':');
      if (colon <= 0) throw codeError('bad response header', 'UND_ERR_SOCKET');
      const name = hl.slice(0, colon).trim().toLowerCase();
      const value = hl.slice(colon + 1).trim();
      if (name === '__proto__') continue;
      const prev = headers[name];
      if (prev === undefined) headers[name] = value;
      else if (typeof prev === 'string') headers[name] = [prev, value];
      else prev.push(value);
      if (name === 'content-length') {
        if (!/^\d{1,15}$/.test(value) || (length >= 0 && length !== Number(value))) throw codeError('bad response content-length', 'UND_ERR_SOCKET');
        length = Number(value);
      } else if (name === 'transfer-encoding') chunked = value.toLowerCase().endsWith('chunked');
      else if (name === 'connection') connection = value.toLowerCase();
    }
    if (status < 200) return false;
    this.#keepAlive = http10 ? connection === 'keep-alive' : connection === undefined || !connection.includes('close');
    const noBody = ex.opts.method === 'HEAD' || status === 204 || status === 304;
    if (noBody) this.#state = R_HEAD;
    else if (chunked) this.#state = R_CHUNK_SIZE;
    else if (length >= 0) {
      this.#state = R_LENGTH;
      this.#remaining = length;
    } else {
      this.#state = R_UNTIL_CLOSE;
      this.#keepAlive = false;
    }
    ex.responded = true;
    ex.handler.onResponseStart(ex, status, headers, line.slice(13));
    if (ex.done || this.current !== ex) return true;
    if (noBody || (this.#state === R_LENGTH && length === 0)) {
      this.#state = R_HEAD;
      this.#complete(ex);
    }
    return true;
  }

  #complete(ex: PoolRequest): void {
    this.#state = R_HEAD;
    this.current = null;
    ex.conn = null;
    ex.done = true;
    if (ex.paused) this.socket.resume();
    const reusable = this.#keepAlive && this.#buf === null && (ex.opts.body === null || ex.bodySent) && !this.closed && (this.pool.options.maxRequestsPerConnection === 0 || this.requests < this.pool.options.maxRequestsPerConnection);
    if (!reusable) this.destroy();
    ex.handler.onResponseEnd(ex, NO_TRAILERS);
    if (reusable) this.pool.release(this);
  }

  #fail(err: Error): void {
    if (this.closed && this.current === null) return;
    const ex = this.current;
    const wasConnected = this.connected;
    this.destroy();
    if (ex === null || ex.done) return;
    this.current = null;
    ex.conn = null;
    if (this.#state === R_UNTIL_CLOSE && (err as { code?: string }).code === 'UND_ERR_SOCKET') {
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
    this.pool.forget(this);
    this.socket.destroy();
  }
}

export class H1Pool extends EventEmitter {
  readonly host: string;
  readonly port: number;
  readonly options: H1PoolOptions;
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
