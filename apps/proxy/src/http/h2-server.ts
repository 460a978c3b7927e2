// The downstream HTTP/2 codec (h2c, prior knowledge): node:http2 sessions on
// sockets the HTTP/1.1 server hands over once it has seen the connection
// preface, adapted to the DownstreamRequest / DownstreamResponse pair the
// Exchange already speaks - so routing, retries, timeouts, faults, stats and
// the access log are the same code for both protocols.
//
// Bounds (docs/security.md): every limit below is per connection, so one
// abusive connection never affects another.
// - SETTINGS_MAX_CONCURRENT_STREAMS, the initial stream and connection flow
//   control windows (node:http2 only acknowledges DATA its reader consumed, so
//   the connection window bounds what one connection can make the proxy hold),
//   SETTINGS_MAX_HEADER_LIST_SIZE = max_request_headers_kb and a header count
//   of max_headers_count (a stream over either is reset);
// - rapid reset (CVE-2023-44487): Envoy's premature-reset rule - a stream the
//   client resets within 1 s of opening it is premature; once premature resets
//   reach half of PREMATURE_RESET_STREAMS (or half of all closed streams past
//   that many) the connection is closed. nghttp2's own RST_STREAM rate limit
//   stays on beneath it;
// - PING / SETTINGS floods: more than CONTROL_FRAMES_PER_SECOND in a second
//   closes the connection (ENHANCE_YOUR_CALM); a client that does not read its
//   ACKs is cut by nghttp2's outbound-ACK limit;
// - streams rejected by nghttp2 (over the stream limit, invalid frames) past
//   node:http2's maxSessionRejectedStreams / maxSessionInvalidFrames destroy the
//   session.
import http2, { type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { DownstreamEvents, DownstreamRequest, DownstreamResponse } from './downstream.ts';
import { HeaderMap, validAuthority, type H1Server, type ServerConnection } from './h1-server.ts';

/** The HTTP/2 connection preface a client sends first (RFC 9113 §3.4). */
export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Envoy's premature_reset_total_stream_count default. */
export const PREMATURE_RESET_STREAMS = 500;
/** Envoy's premature_reset_min_stream_lifetime_seconds default. */
export const PREMATURE_RESET_LIFETIME_MS = 1_000;
/** PING and SETTINGS frames a client may send per second before its connection is closed. */
export const CONTROL_FRAMES_PER_SECOND = 1_000;

/** The HCM's http2_protocol_options this codec applies (compiled in config/hcm-config.ts). */
export interface Http2Settings {
  /** SETTINGS_MAX_CONCURRENT_STREAMS. */
  readonly maxConcurrentStreams: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE: bytes a client may send on one stream before the proxy reads them. */
  readonly initialStreamWindowSize: number;
  /** The connection's receive window: bytes a client may send on all streams before the proxy reads them. */
  readonly initialConnectionWindowSize: number;
  /** SETTINGS_HEADER_TABLE_SIZE (HPACK dynamic table). */
  readonly hpackTableSize: number;
}

/**
 * Defaults: Envoy's own (2^31-1 streams, 256 MiB windows) would let one
 * connection make the proxy hold 256 MiB; these are Envoy's edge-proxy
 * recommendations instead (docs: "Configuring Envoy as an edge proxy").
 */
export const H2_DEFAULTS: Http2Settings = Object.freeze({
  maxConcurrentStreams: 100,
  initialStreamWindowSize: 64 * 1024,
  initialConnectionWindowSize: 1024 * 1024,
  hpackTableSize: 4096,
});

/** What configured values are clamped to (docs/security.md). */
export const H2_CAPS = Object.freeze({
  maxConcurrentStreams: 1024,
  initialStreamWindowSize: 16 * 1024 * 1024,
  initialConnectionWindowSize: 64 * 1024 * 1024,
  hpackTableSize: 64 * 1024,
});

const {
  NGHTTP2_NO_ERROR,
  NGHTTP2_INTERNAL_ERROR,
  NGHTTP2_ENHANCE_YOUR_CALM,
  NGHTTP2_PROTOCOL_ERROR,
  HTTP2_HEADER_STATUS,
} = http2.constants;

/** Connection-specific headers HTTP/2 forbids (RFC 9113 §8.2.2): never sent in a response. */
const NOT_IN_H2: Record<string, 1> = Object.assign(Object.create(null), {
  connection: 1,
  'keep-alive': 1,
  'proxy-connection': 1,
  'transfer-encoding': 1,
  upgrade: 1,
  te: 1,
});

function ignoreError(): void {}

/** Trailers an HTTP/2 response may carry: no pseudo-headers, nothing connection-specific. */
function trailersForH2(trailers: Record<string, string | string[]>): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = {};
  for (const name in trailers) if (NOT_IN_H2[name] !== 1 && name.charCodeAt(0) !== 58) out[name] = trailers[name];
  return out;
}

/** One downstream HTTP/2 connection's bookkeeping (the abuse rules above). */
class H2Connection implements ServerConnection {
  readonly session: ServerHttp2Session;
  readonly socket: Socket;
  readonly codec: H2Codec;
  open = 0;
  total = 0;
  closed = 0;
  premature = 0;
  controlFrames = 0;
  controlWindowStart = 0;
  /** Closed for abuse: no more streams are handed out. */
  cut = false;

  constructor(session: ServerHttp2Session, socket: Socket, codec: H2Codec) {
    this.session = session;
    this.socket = socket;
    this.codec = codec;
  }

  get idle(): boolean {
    return this.open === 0;
  }

  get draining(): boolean {
    return this.session.closed;
  }

  /** A drain: GOAWAY, the open streams finish. */
  set draining(on: boolean) {
    if (on && !this.session.closed && !this.session.destroyed) this.session.close();
  }

  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  /** node:http2's own timers (session and stream timeouts) do what the HTTP/1.1 sweep does. */
  sweep(): void {}

  control(): void {
    const now = this.codec.owner.clock;
    if (now - this.controlWindowStart >= 1_000) {
      this.controlWindowStart = now;
      this.controlFrames = 0;
    }
    if (++this.controlFrames > CONTROL_FRAMES_PER_SECOND) this.abuse('control frame flood');
  }

  streamClosed(prematureReset: boolean): void {
    this.open--;
    this.closed++;
    if (prematureReset) this.premature++;
    if (this.premature === 0) return;
    // Envoy's rule: judged over PREMATURE_RESET_STREAMS streams, but cut early once the bad ones alone
    // make up half of that many.
    if (this.closed < PREMATURE_RESET_STREAMS ? this.premature * 2 >= PREMATURE_RESET_STREAMS : this.premature * 2 >= this.closed) {
      this.abuse('too many premature stream resets');
    }
  }

  abuse(why: string): void {
    if (this.cut) return;
    this.cut = true;
    this.codec.owner.stats.cxProtocolError++;
    const session = this.session;
    // The final GOAWAY says why; node:http2 flushes it and closes the socket. The timer is a backstop.
    if (!session.destroyed) session.destroy(new Error(`HTTP/2 abuse: ${why}`), NGHTTP2_ENHANCE_YOUR_CALM);
    const socket = this.socket;
    setTimeout(() => socket.destroy(), 1_000).unref();
  }
}


export class H2Request implements DownstreamRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly httpVersion = '2';
  readonly socket: Socket;
  readonly envoyHeaders: boolean;
  readonly stream: ServerHttp2Stream;
  readonly hasBody: boolean;
  readonly openedAt: number;
  events: DownstreamEvents | null = null;
  /** Request trailers, once received. */
  trailers: Record<string, string | string[]> | undefined = undefined;

  constructor(stream: ServerHttp2Stream, socket: Socket, method: string, url: string, headers: Record<string, string | string[] | undefined>, hasBody: boolean, envoyHeaders: boolean, now: number) {
    this.stream = stream;
    this.socket = socket;
    this.method = method;
    this.url = url;
    this.headers = headers;
    this.hasBody = hasBody;
    this.envoyHeaders = envoyHeaders;
    this.openedAt = now;
  }

  get complete(): boolean {
    return !this.hasBody || this.stream.readableEnded;
  }

  body(): Readable | null {
    return this.hasBody ? this.stream : null;
  }
}

export class H2Response implements DownstreamResponse {
  headersSent = false;
  finished = false;
  readonly #stream: ServerHttp2Stream;
  readonly #headRequest: boolean;
  #head: http2.OutgoingHttpHeaders | null = null;
  #noBody = false;
  #trailers: Record<string, string | string[]> | undefined = undefined;
  /** The HEADERS frame left without END_STREAM: trailers (or an empty DATA frame) end the stream. */
  #waitingTrailers = false;

  constructor(stream: ServerHttp2Stream, headRequest: boolean) {
    this.#stream = stream;
    this.#headRequest = headRequest;
  }

  get destroyed(): boolean {
    return this.#stream.destroyed;
  }

  writeHead(status: number, headers: string[]): void {
    if (this.headersSent) throw new Error('headers already sent');
    this.headersSent = true;
    if (this.finished) return;
    const out: http2.OutgoingHttpHeaders = { [HTTP2_HEADER_STATUS]: status };
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      if (NOT_IN_H2[name] === 1 || name.charCodeAt(0) === 58 /* : */) continue;
      const value = headers[i + 1];
      const prev = out[name];
      if (prev === undefined) out[name] = value;
      else if (Array.isArray(prev)) prev.push(value);
      else out[name] = [String(prev), value];
    }
    this.#noBody = this.#headRequest || status === 204 || status === 304;
    this.#head = out;
  }

  #respond(endStream: boolean): boolean {
    const head = this.#head!;
    this.#head = null;
    const stream = this.#stream;
    if (stream.destroyed || stream.closed) return false;
    try {
      if (endStream) stream.respond(head, { endStream: true });
      else {
        this.#waitingTrailers = true;
        stream.respond(head, { waitForTrailers: true });
        stream.once('wantTrailers', () => {
          try {
            stream.sendTrailers(this.#trailers === undefined ? {} : trailersForH2(this.#trailers));
          } catch {
            stream.close(NGHTTP2_INTERNAL_ERROR);
          }
        });
      }
      return true;
    } catch {
      // A header node:http2 refuses (it validates names and values): the stream cannot be answered.
      stream.close(NGHTTP2_INTERNAL_ERROR);
      return false;
    }
  }

  write(chunk: Buffer): boolean {
    if (this.finished) return true;
    if (!this.headersSent) this.writeHead(200, []);
    if (this.#head !== null) {
      if (this.#noBody) {
        this.#respond(true);
        return true;
      }
      if (!this.#respond(false)) return true;
    }
    if (this.#noBody || chunk.length === 0 || this.#stream.destroyed) return true;
    return this.#stream.write(chunk);
  }

  end(chunk?: Buffer, trailers?: Record<string, string | string[]>): void {
    if (this.finished) return;
    if (!this.headersSent) this.writeHead(200, ['content-length', String(chunk?.length ?? 0)]);
    const stream = this.#stream;
    const hasData = chunk !== undefined && chunk.length > 0 && !this.#noBody;
    if (this.#head !== null) {
      // Nothing after the head (a local reply, a gRPC trailers-only response): one HEADERS frame with END_STREAM.
      if (!hasData && trailers === undefined) {
        this.finished = true;
        this.#respond(true);
        return;
      }
      if (!this.#respond(false)) {
        this.finished = true;
        return;
      }
    }
    this.finished = true;
    if (trailers !== undefined && !this.#noBody) this.#trailers = trailers;
    if (stream.destroyed) return;
    if (hasData) stream.end(chunk);
    else if (this.#waitingTrailers || !stream.writableEnded) stream.end();
  }

  once(event: 'drain', listener: () => void): this {
    this.#stream.once(event, listener);
    return this;
  }

  destroy(): void {
    this.finished = true;
    if (!this.#stream.destroyed) this.#stream.close(NGHTTP2_INTERNAL_ERROR);
  }
}

function onSessionError(this: ServerHttp2Session): void {
  // Protocol errors end in 'close'; the socket is destroyed by node:http2.
}

/** node:http2 gives a session a proxy of its socket; accept() hands the raw one over through this. */
let pendingSocket: Socket | undefined;

/** The HTTP/2 side of an H1Server: one node:http2 server object fed sockets, never listening itself. */
export class H2Codec {
  readonly owner: H1Server;
  readonly connections = new Set<H2Connection>();
  #server: http2.Http2Server;
  #key = '';

  constructor(owner: H1Server) {
    this.owner = owner;
    this.#server = this.#make();
  }

  /** Settings changed (an HCM update): sessions from now on use the new ones, open ones keep theirs. */
  reconfigure(): void {
    const key = this.#settingsKey();
    if (key !== this.#key) this.#server = this.#make();
  }

  #settingsKey(): string {
    const o = this.owner;
    const s = o.http2;
    return `${s.maxConcurrentStreams}/${s.initialStreamWindowSize}/${s.initialConnectionWindowSize}/${s.hpackTableSize}/${o.maxHeaderBytes}/${o.maxHeadersCount}`;
  }

  #make(): http2.Http2Server {
    this.#key = this.#settingsKey();
    const o = this.owner;
    const s = o.http2;
    const server = http2.createServer({
      // The header count Envoy allows, plus the pseudo-headers (:method :scheme :authority :path :protocol).
      maxHeaderListPairs: o.maxHeadersCount + 5,
      // Output queued for a client that does not read, and whatever else nghttp2 holds, in MiB.
      maxSessionMemory: Math.max(4, Math.ceil((2 * s.initialConnectionWindowSize) / (1024 * 1024))),
      settings: {
        maxConcurrentStreams: s.maxConcurrentStreams,
        initialWindowSize: s.initialStreamWindowSize,
        maxHeaderListSize: o.maxHeaderBytes,
        headerTableSize: s.hpackTableSize,
        enablePush: false,
      },
    });
    const windowSize = s.initialConnectionWindowSize;
    server.on('session', (session: ServerHttp2Session) => this.#session(session, windowSize));
    server.on('sessionError', ignoreError);
    return server;
  }

  /** Takes over a connection whose first bytes (still buffered on the socket) are the HTTP/2 preface. */
  accept(socket: Socket): void {
    pendingSocket = socket;
    try {
      this.#server.emit('connection', socket);
    } finally {
      pendingSocket = undefined;
    }
  }

  #session(session: ServerHttp2Session, windowSize: number): void {
    // The raw socket (session.socket is a guarded proxy of it): exchanges key their state on it.
    const raw = pendingSocket ?? (session.socket as Socket);
    pendingSocket = undefined;
    const conn = new H2Connection(session, raw, this);
    this.connections.add(conn);
    session.on('error', onSessionError);
    session.on('stream', (stream: ServerHttp2Stream, headers: http2.IncomingHttpHeaders, flags: number) => this.#stream(conn, stream, headers, flags));
    session.on('ping', () => conn.control());
    session.on('remoteSettings', () => conn.control());
    session.on('frameError', ignoreError);
    this.owner.connections.add(conn);
    session.once('close', () => {
      this.connections.delete(conn);
      this.owner.connections.delete(conn);
    });
    try {
      if (windowSize > 65_535) session.setLocalWindowSize(windowSize);
    } catch {
      // the session is already gone
    }
    const idle = this.owner.keepAliveTimeoutMs;
    if (idle > 0) {
      session.setTimeout(idle, () => {
        if (conn.idle) {
          this.owner.stats.cxIdleTimeout++;
          session.close();
        }
      });
    }
    if (this.owner.draining) session.close();
  }

  #stream(conn: H2Connection, stream: ServerHttp2Stream, raw: http2.IncomingHttpHeaders, flags: number): void {
    stream.on('error', ignoreError);
    const owner = this.owner;
    conn.open++;
    conn.total++;
    if (stream.destroyed || stream.closed) {
      // Reset before it was even handed out ('stream' comes a tick after the frames): a premature reset.
      owner.stats.rqRxReset++;
      conn.streamClosed(true);
      return;
    }
    if (conn.cut) {
      stream.close(NGHTTP2_INTERNAL_ERROR);
      return;
    }
    const session = conn.session;
    const max = owner.maxRequestsPerConnection;
    if (max > 0 && conn.total >= max) session.close(); // Envoy's max_requests_per_connection: GOAWAY, open streams finish

    const headers: Record<string, string | string[] | undefined> = new HeaderMap();
    let envoyHeaders = false;
    let authority: string | undefined;
    let method = 'GET';
    let path = '';
    for (const name in raw) {
      const value = raw[name];
      if (value === undefined) continue;
      if (name.charCodeAt(0) === 58 /* : */) {
        if (name === ':method') method = value as string;
        else if (name === ':path') path = value as string;
        else if (name === ':authority') authority = value as string;
        continue;
      }
      if (name.length > 8 && name.charCodeAt(0) === 120 && name.startsWith('x-envoy-')) envoyHeaders = true;
      headers[name] = value;
    }
    // :authority is the request's Host (RFC 9113 §8.3.1), as Envoy maps it.
    if (authority !== undefined) headers.host = authority;
    const hasBody = (flags & 1) /* END_STREAM */ === 0;
    const req = new H2Request(stream, conn.socket, method, method === 'CONNECT' ? (authority ?? '') : path, headers, hasBody, envoyHeaders, owner.clock);
    const res = new H2Response(stream, method === 'HEAD');
    stream.once('close', () => this.#streamClosed(conn, req, res));
    if (hasBody) stream.once('trailers', (t: http2.IncomingHttpHeaders) => (req.trailers = t as Record<string, string | string[]>));
    const idle = owner.streamIdleTimeoutMs;
    if (idle > 0) stream.setTimeout(idle, () => this.#streamIdle(req, res));
    const host = headers.host as string | undefined;
    if ((host !== undefined && !validAuthority(host)) || (method !== 'CONNECT' && path.charCodeAt(0) !== 47 && path !== '*')) {
      res.writeHead(400, ['content-length', '0']);
      res.end();
      return;
    }
    try {
      owner.handler(req, res);
    } catch (err) {
      owner.stats.handlerErrors++;
      owner.onHandlerError?.(err);
      if (res.finished) return;
      if (res.headersSent) res.destroy();
      else {
        res.writeHead(500, ['content-length', '0']);
        res.end();
      }
    }
  }

  #streamClosed(conn: H2Connection, req: H2Request, res: H2Response): void {
    const stream = req.stream;
    // Reset by the client (RST_STREAM with the stream still open on our side).
    const resetByPeer = stream.rstCode !== undefined && stream.rstCode !== NGHTTP2_NO_ERROR && !res.finished;
    if (!res.finished || !req.complete) {
      if (resetByPeer || !req.complete) this.owner.stats.rqRxReset++;
      res.finished = true;
      const events = req.events;
      req.events = null;
      events?.downstreamReset(stream.rstCode === NGHTTP2_PROTOCOL_ERROR ? 'protocol_error' : 'closed');
    }
    conn.streamClosed(resetByPeer && this.owner.clock - req.openedAt < PREMATURE_RESET_LIFETIME_MS);
  }

  #streamIdle(req: H2Request, res: H2Response): void {
    this.owner.stats.rqIdleTimeout++;
    const events = req.events;
    if (events !== null) {
      req.events = null;
      events.streamIdleTimeout();
    } else if (!res.headersSent && !res.finished) {
      res.writeHead(req.complete ? 504 : 408, ['content-length', '0']);
      res.end();
    }
    if (!req.stream.destroyed && !res.finished) res.destroy();
  }

}


