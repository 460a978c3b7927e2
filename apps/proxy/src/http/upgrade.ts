// HTTP/1.1 upgrades (WebSocket) to an upstream: a dedicated connection per
// upgrade request (an upgraded connection never returns to a pool), the
// request head written as-is with `Connection: upgrade` and `Upgrade`, and the
// answer read by the upstream pool's strict response parser. A 101 hands both
// connections to a Tunnel; any other answer is an ordinary response, driven
// through the same handler callbacks the pools use (so retries, timeouts and
// local replies behave as for every other request).
//
// The tunnel is a bounded byte pipe both ways (stream backpressure: neither
// side's bytes pile up past the sockets' buffers) with an idle timeout: no
// byte either way for that long closes both connections.
import type { Socket } from 'node:net';
import type { Host } from '../upstream/host.ts';
import { DEFAULT_RESPONSE_LIMITS, H1ResponseParser, type H1Controller, type H1Handler, type H1ResponseSink } from '../upstream/h1-pool.ts';

export interface UpgradeHandler extends H1Handler {
  /** The upstream answered 101: `socket` now speaks the new protocol; `rest` are its bytes that followed the head. */
  onUpgrade(controller: H1Controller, headers: Record<string, string | string[]>, socket: Socket, rest: Buffer): void;
}

function codeError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

const NO_TRAILERS: Record<string, string | string[]> = {};

class UpgradeRequest implements H1Controller, H1ResponseSink {
  readonly socket: Socket;
  readonly handler: UpgradeHandler;
  readonly parser: H1ResponseParser;
  #connectTimer: NodeJS.Timeout | undefined;
  #done = false;
  #upgradeHeaders: Record<string, string | string[]> | undefined;

  constructor(host: Host, connectTimeoutMs: number, head: string, handler: UpgradeHandler, autoHost: string | undefined) {
    this.handler = handler;
    this.parser = new H1ResponseParser(this, DEFAULT_RESPONSE_LIMITS);
    this.parser.expect(false, true);
    // An upgrade is HTTP/1.1: a TLS host is offered http/1.1 after its configured ALPN protocols.
    const { socket, ready } = host.connect({ protocol: 'http/1.1', autoHost });
    this.socket = socket;
    this.#connectTimer = setTimeout(() => this.#fail(codeError('connect timeout', 'UND_ERR_CONNECT_TIMEOUT')), connectTimeoutMs);
    socket.once(ready, () => {
      clearTimeout(this.#connectTimer);
      this.#connectTimer = undefined;
      socket.write(head, 'latin1');
    });
    socket.on('data', this.#onData);
    socket.on('error', (err: Error) => this.#fail(err));
    socket.on('close', () => this.#fail(codeError('upstream connection closed', 'UND_ERR_SOCKET')));
    handler.onRequestStart(this, undefined);
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#done) return;
    try {
      this.parser.execute(chunk);
    } catch (err) {
      this.#fail(err as Error);
    }
  };

  #fail(err: Error): void {
    if (this.#connectTimer !== undefined) clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    if (this.#done) return;
    this.#done = true;
    this.socket.destroy();
    this.handler.onResponseError(this, err);
  }

  // H1ResponseSink
  onParsedHead(status: number, headers: Record<string, string | string[]>, statusText: string): void {
    if (status === 101) {
      this.#upgradeHeaders = headers;
      return;
    }
    this.handler.onResponseStart(this, status, headers, statusText);
  }

  onParsedData(chunk: Buffer): void {
    this.handler.onResponseData(this, chunk);
  }

  onParsedEnd(): void {
    if (this.#done) return;
    this.#done = true;
    this.socket.destroy();
    this.handler.onResponseEnd(this, NO_TRAILERS);
  }

  onParsedUpgrade(rest: Buffer): void {
    this.#done = true;
    const socket = this.socket;
    socket.off('data', this.#onData);
    socket.removeAllListeners('close');
    socket.removeAllListeners('error');
    socket.pause();
    this.handler.onUpgrade(this, this.#upgradeHeaders!, socket, rest);
  }

  // H1Controller
  abort(): void {
    if (!this.#done) {
      this.#done = true;
      if (this.#connectTimer !== undefined) clearTimeout(this.#connectTimer);
    }
    this.socket.destroy();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }
}

/** Sends an upgrade request to `host`; the answer comes back through `handler`. */
export function dispatchUpgrade(host: Host, connectTimeoutMs: number, method: string, path: string, headers: string[], handler: UpgradeHandler): void {
  let head = `${method} ${path} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += headers[i] + ': ' + headers[i + 1] + '\r\n';
  new UpgradeRequest(host, connectTimeoutMs, head + '\r\n', handler, host.autoTlsHost(headers));
}

/** Both upgraded connections, piped into each other until either ends or nothing moves for idleTimeoutMs. */
export class Tunnel {
  readonly downstream: Socket;
  readonly upstream: Socket;
  readonly #onClosed: (tunnel: Tunnel) => void;
  #timer: NodeJS.Timeout | undefined;
  #lastIo = -1;
  #lastMove = Date.now();
  closed = false;

  constructor(downstream: Socket, downHead: Buffer, upstream: Socket, upRest: Buffer, idleTimeoutMs: number, onClosed: (tunnel: Tunnel) => void) {
    this.downstream = downstream;
    this.upstream = upstream;
    this.#onClosed = onClosed;
    const close = () => this.close();
    downstream.on('error', close);
    upstream.on('error', close);
    downstream.once('close', close);
    upstream.once('close', close);
    // A half-close is passed on: each side's FIN ends the other's writes.
    if (downHead.length > 0) upstream.write(downHead);
    if (upRest.length > 0) downstream.write(upRest);
    downstream.pipe(upstream);
    upstream.pipe(downstream);
    if (idleTimeoutMs > 0) {
      const every = Math.max(10, Math.min(1_000, Math.floor(idleTimeoutMs / 4)));
      this.#timer = setInterval(() => this.#sweep(idleTimeoutMs), every);
      this.#timer.unref();
    }
  }

  #sweep(idleTimeoutMs: number): void {
    const io = this.downstream.bytesRead + this.downstream.bytesWritten;
    const now = Date.now();
    if (io !== this.#lastIo) {
      this.#lastIo = io;
      this.#lastMove = now;
    } else if (now - this.#lastMove >= idleTimeoutMs) this.close();
  }

  /** Bytes the client sent through the tunnel and bytes it received. */
  get bytes(): { received: number; sent: number } {
    return { received: this.downstream.bytesRead, sent: this.downstream.bytesWritten };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.#timer);
    this.downstream.destroy();
    this.upstream.destroy();
    this.#onClosed(this);
  }
}
