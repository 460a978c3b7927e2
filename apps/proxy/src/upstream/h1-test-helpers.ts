// Test helpers for the upstream HTTP/1.1 codec: a raw TCP upstream that
// answers whatever bytes a test scripts, and a recording dispatch handler.
import net from 'node:net';

export interface RawConnection {
  readonly socket: net.Socket;
  /** Request heads (and any bytes after them) received so far, latin1. */
  received: string;
  readonly closed: Promise<void>;
}

export interface RawUpstream {
  readonly port: number;
  readonly connections: RawConnection[];
  /** Called with each complete request head (method, path, the connection). */
  onRequest: (method: string, path: string, conn: RawConnection) => void;
  close(): Promise<void>;
}

/** A TCP server playing a (hostile) HTTP/1.1 upstream: each request head goes to `onRequest`, which writes raw bytes. */
export async function startRawUpstream(onRequest: RawUpstream['onRequest'] = () => {}): Promise<RawUpstream> {
  const connections: RawConnection[] = [];
  const sockets = new Set<net.Socket>();
  const upstream: RawUpstream = {
    port: 0,
    connections,
    onRequest,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let pending = '';
    const conn: RawConnection = {
      socket,
      received: '',
      closed: new Promise<void>((resolve) => socket.once('close', () => resolve())),
    };
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    connections.push(conn);
    socket.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      conn.received += text;
      pending += text;
      // Requests in tests carry no body unless they say content-length; skip bodies by length.
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = pending.slice(0, end);
        const m = /\r\ncontent-length: *(\d+)/i.exec(head);
        const bodyLength = m ? Number(m[1]) : 0;
        if (pending.length < end + 4 + bodyLength) return;
        pending = pending.slice(end + 4 + bodyLength);
        const [method, path] = head.slice(0, head.indexOf('\r\n')).split(' ');
        upstream.onRequest(method, path, conn);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (upstream as { port: number }).port = (server.address() as net.AddressInfo).port;
  return upstream;
}

/** What a pool reported for one request, in order. */
export interface PoolReply {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
  error: (Error & { code?: string; details?: string }) | undefined;
  /** start, data, end, error: every callback, including any (wrong) one after the first end or error. */
  events: string[];
}

export interface PoolLike {
  dispatch(
    opts: { path: string; method: string; headers: string[]; body: AsyncIterable<Buffer> | null },
    handler: {
      onRequestStart(controller: PoolController, context: unknown): void;
      onResponseStart(controller: PoolController, status: number, headers: Record<string, string | string[]>, statusText: string): void;
      onResponseData(controller: PoolController, chunk: Buffer): void;
      onResponseEnd(controller: PoolController, trailers: Record<string, string | string[]>): void;
      onResponseError(controller: PoolController, err: Error): void;
    },
  ): boolean;
}

export interface PoolController {
  abort(reason?: Error): void;
  pause(): void;
  resume(): void;
}

/** Dispatches one request; resolves at its end or error. `onStart` sees the controller (to abort, say). */
export function poolRequest(
  pool: PoolLike,
  options: { path?: string; method?: string; headers?: string[]; onStart?: (controller: PoolController) => void } = {},
): Promise<PoolReply> {
  return new Promise((resolve) => {
    const reply: PoolReply = { status: 0, headers: {}, body: Buffer.alloc(0), error: undefined, events: [] };
    const chunks: Buffer[] = [];
    pool.dispatch(
      { path: options.path ?? '/', method: options.method ?? 'GET', headers: options.headers ?? ['host', 'upstream.test'], body: null },
      {
        onRequestStart(controller) {
          options.onStart?.(controller);
        },
        onResponseStart(_c, status, headers) {
          reply.events.push('start');
          reply.status = status;
          reply.headers = headers;
        },
        onResponseData(_c, chunk) {
          reply.events.push('data');
          chunks.push(Buffer.from(chunk));
        },
        onResponseEnd() {
          reply.events.push('end');
          reply.body = Buffer.concat(chunks);
          resolve(reply);
        },
        onResponseError(_c, err) {
          reply.events.push('error');
          reply.body = Buffer.concat(chunks);
          reply.error = err as PoolReply['error'];
          resolve(reply);
        },
      },
    );
  });
}
