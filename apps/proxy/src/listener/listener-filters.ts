// Envoy's listener filter phase for the inspectors: tls_inspector and
// http_inspector look at the first bytes of a connection (read into one
// bounded buffer, never more than LISTENER_FILTER_PEEK_LIMIT) until each has
// decided, within listener_filters_timeout. The bytes are then handed back
// (the caller unshifts them) for whichever filter chain serves the
// connection.
import type { Socket } from 'node:net';
import { inspectHttp } from './http-inspector.ts';
import { MAX_CLIENT_HELLO_BYTES, parseClientHello } from './tls-client-hello.ts';

/**
 * The most a connection may send before the inspectors decide: a 64 KiB
 * ClientHello plus its record headers. A ClientHello that does not fit is
 * refused, as Envoy refuses one over 64 KiB.
 */
export const LISTENER_FILTER_PEEK_LIMIT = MAX_CLIENT_HELLO_BYTES + 1024;

export interface Inspected {
  /** "tls" when a ClientHello was seen, else "raw_buffer". */
  readonly transportProtocol: string;
  readonly serverName: string;
  readonly applicationProtocols: readonly string[];
  /** What was read from the socket, to be put back. */
  readonly bytes: Buffer;
}

export type InspectOutcome =
  | { readonly ok: true; readonly inspected: Inspected; readonly timedOut: boolean }
  | { readonly ok: false; readonly why: 'timeout' | 'closed' | 'client_hello_too_large' };

export interface InspectOptions {
  readonly tls: boolean;
  readonly http: boolean;
  /** 0: none. */
  readonly timeoutMs: number;
  readonly continueOnTimeout: boolean;
}

const EMPTY = Buffer.alloc(0);

/**
 * Runs the inspectors on `socket` and calls `done` once (asynchronously when
 * bytes were read, so the socket is back in its initial mode and the bytes can
 * be unshifted for a 'data' reader).
 */
export function inspect(socket: Socket, o: InspectOptions, done: (outcome: InspectOutcome) => void): void {
  if (!o.tls && !o.http) {
    done({ ok: true, inspected: { transportProtocol: 'raw_buffer', serverName: '', applicationProtocols: [], bytes: EMPTY }, timedOut: false });
    return;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  let tlsPending = o.tls;
  let tlsAtLeast = 1;
  let httpPending = o.http;
  let transportProtocol = 'raw_buffer';
  let serverName = '';
  let alpn: readonly string[] = [];
  let finished = false;
  let timer: NodeJS.Timeout | undefined;

  const bytes = () => {
    if (chunks.length > 1) chunks.splice(0, chunks.length, Buffer.concat(chunks, total));
    return chunks[0] ?? EMPTY;
  };
  const finish = (outcome: InspectOutcome) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.removeListener('readable', onReadable);
    socket.removeListener('end', onEnd);
    socket.removeListener('close', onEnd);
    // Removing the last 'readable' listener resets the stream's mode on the next tick: hand over after it.
    process.nextTick(done, outcome);
  };
  const succeed = (timedOut: boolean) => finish({ ok: true, inspected: { transportProtocol, serverName, applicationProtocols: alpn, bytes: bytes() }, timedOut });

  const decide = () => {
    if (tlsPending && total >= tlsAtLeast) {
      const r = parseClientHello(bytes());
      if (r.kind === 'need-more') {
        tlsAtLeast = r.atLeast;
        if (total >= LISTENER_FILTER_PEEK_LIMIT) return finish({ ok: false, why: 'client_hello_too_large' });
      } else if (r.kind === 'too-large') {
        return finish({ ok: false, why: 'client_hello_too_large' });
      } else {
        tlsPending = false;
        if (r.kind === 'tls') {
          transportProtocol = 'tls';
          serverName = r.serverName ?? '';
          alpn = r.alpn;
          // http_inspector leaves TLS connections alone.
          httpPending = false;
        }
      }
    }
    // http_inspector decides once the TLS question is settled (a TLS connection is not HTTP).
    if (httpPending && !tlsPending) {
      const r = inspectHttp(bytes());
      if (r.kind === 'http') {
        httpPending = false;
        alpn = [r.protocol];
      } else if (r.kind === 'not-http') httpPending = false;
    }
    if (!tlsPending && !httpPending) succeed(false);
  };

  function onReadable(): void {
    while (!finished && total < LISTENER_FILTER_PEEK_LIMIT) {
      const n = socket.readableLength;
      if (n === 0) {
        // Nothing buffered: ask for more (at end of stream this emits 'end': the peer left before we decided).
        socket.read();
        return;
      }
      // read(n) of exactly what is buffered does not end the stream even when the FIN came with the bytes,
      // so they can still be put back for the chain's server.
      const chunk = socket.read(Math.min(n, LISTENER_FILTER_PEEK_LIMIT - total)) as Buffer | null;
      if (chunk === null) return;
      chunks.push(chunk);
      total += chunk.length;
      decide();
    }
    if (!finished) decide();
  }
  function onEnd(): void {
    finish({ ok: false, why: 'closed' });
  }

  socket.on('readable', onReadable);
  socket.once('end', onEnd);
  socket.once('close', onEnd);
  if (o.timeoutMs > 0) {
    timer = setTimeout(() => {
      if (o.continueOnTimeout) {
        // What was not detected stays undetected: raw_buffer, no server name, no application protocol.
        succeed(true);
      } else finish({ ok: false, why: 'timeout' });
    }, o.timeoutMs);
    timer.unref?.();
  }
}
