// The monitoring server every control-plane process serves (port 15014 by
// default): /healthz (alive), /ready (able to serve), /metrics (Prometheus)
// and /debug/* handlers registered by the component.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { registry } from '@mesh/telemetry';

export type DebugHandler = (url: URL) => unknown | Promise<unknown>;

export interface MonitoringServer {
  readonly port: number;
  readonly server: http.Server;
  setReady(ready: boolean, reason?: string): void;
  isReady(): boolean;
  addDebug(path: string, handler: DebugHandler): void;
  close(): Promise<void>;
}

export async function startMonitoring(host: string, port: number): Promise<MonitoringServer> {
  let ready = false;
  let notReadyReason = 'starting';
  const debug = new Map<string, DebugHandler>();

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    try {
      if (url.pathname === '/healthz') return send(200, 'ok\n');
      if (url.pathname === '/ready') return ready ? send(200, 'ready\n') : send(503, `not ready: ${notReadyReason}\n`);
      if (url.pathname === '/metrics') return send(200, await registry.metrics(), registry.contentType);
      if (url.pathname === '/debug' || url.pathname === '/debug/') {
        return send(200, JSON.stringify({ endpoints: [...debug.keys()].sort() }, null, 2) + '\n', 'application/json');
      }
      const handler = debug.get(url.pathname);
      if (handler) return send(200, JSON.stringify(await handler(url), null, 2) + '\n', 'application/json');
      send(404, `no handler for ${url.pathname}; try /healthz, /ready, /metrics or /debug\n`);
    } catch (err) {
      send(500, `error: ${(err as Error).message}\n`);
    }
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    server,
    setReady(value, reason) {
      ready = value;
      notReadyReason = reason ?? (value ? '' : 'not ready');
    },
    isReady: () => ready,
    addDebug: (path, handler) => void debug.set(path, handler),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
