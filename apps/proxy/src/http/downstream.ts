// What the HTTP connection manager needs from a downstream request and its
// response, whatever codec carries them: the proxy's own HTTP/1.1 codec
// today, an adapter over node:http2 later.
import type { Readable } from 'node:stream';
import type { Socket } from 'node:net';

/**
 * What the codec tells the request's owner (the Exchange) about the stream,
 * besides the body bytes. The codec calls these at most once each; the owner
 * must stop its upstream work and end (or reset) the response.
 */
export interface DownstreamEvents {
  /**
   * The request can never complete: a malformed body (the codec has already
   * answered 400 when no response had started) or the connection closed.
   */
  downstreamReset(reason: 'protocol_error' | 'closed'): void;
  /** No bytes either way on the stream for the stream idle timeout (Envoy's stream_idle_timeout). */
  streamIdleTimeout(): void;
}

export interface DownstreamRequest {
  readonly method: string;
  /** The request target as received: origin-form (/path?q) or absolute-form (http://host/path). */
  readonly url: string;
  /**
   * Lower-case names, no Object.prototype in the chain (a header named
   * `constructor` or `__proto__` is just a header); repeated headers joined with ', '
   * (cookie with '; ', set-cookie as an array), as Envoy joins its inline headers.
   */
  readonly headers: Record<string, string | string[] | undefined>;
  /** '1.1', '1.0' or '2' (what Envoy's %PROTOCOL% prints after "HTTP/"). */
  readonly httpVersion: string;
  readonly socket: Socket;
  /** Whether the whole request body has been received. */
  readonly complete: boolean;
  /** A header name starting with `x-envoy-` was received (the HCM sanitizes them for external clients). */
  readonly envoyHeaders: boolean;
  /** Set by the request's owner to hear about resets and timeouts. */
  events: DownstreamEvents | null;
  /**
   * The request body as a stream (made on first call), or null when the request has none.
   * The codec owns the stream's errors: it always listens for 'error' (a destroyed body never
   * throws out of the process) and reports the cause through `events`. Readers still see
   * the error through their iterator or their own 'error' listener.
   */
  body(): Readable | null;
}

export interface DownstreamResponse {
  /** True once writeHead was called. */
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  /** Headers as a flat [name, value, ...] array with lower-case names. */
  writeHead(status: number, headers: string[]): void;
  /** False when the connection's buffer is full: wait for 'drain'. */
  write(chunk: Buffer): boolean;
  /**
   * Ends the response; `trailers` (when the upstream sent some) go out as HTTP/2 trailers, or as an
   * HTTP/1.1 chunked trailer section when the client asked for them (TE: trailers).
   */
  end(chunk?: Buffer, trailers?: Record<string, string | string[]>): void;
  once(event: 'drain', listener: () => void): unknown;
  /** Cuts the connection (a response that cannot be completed). */
  destroy(): void;
  /**
   * HTTP/1.1 only: sends `101 Switching Protocols` with these headers and hands the connection over
   * (the socket, and bytes the client already sent after the request head). Undefined when the codec
   * cannot switch (HTTP/2, a response already started).
   */
  upgrade?(headers: string[]): { socket: Socket; head: Buffer } | undefined;
}
