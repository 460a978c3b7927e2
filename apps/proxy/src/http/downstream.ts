// What the HTTP connection manager needs from a downstream request and its
// response, whatever codec carries them: the proxy's own HTTP/1.1 codec
// today, an adapter over node:http2 later.
import type { Readable } from 'node:stream';
import type { Socket } from 'node:net';

export interface DownstreamRequest {
  readonly method: string;
  /** The request target as received: origin-form (/path?q) or absolute-form (http://host/path). */
  readonly url: string;
  /** Lower-case names; repeated headers joined with ', ' (set-cookie as an array). */
  readonly headers: Record<string, string | string[] | undefined>;
  /** '1.1' or '1.0'. */
  readonly httpVersion: string;
  readonly socket: Socket;
  /** Whether the whole request body has been received. */
  readonly complete: boolean;
  /** The request body as a stream (made on first call), or null when the request has none. */
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
  end(chunk?: Buffer): void;
  once(event: 'drain', listener: () => void): unknown;
  /** Cuts the connection (a response that cannot be completed). */
  destroy(): void;
}
