// pilot-agent's status port (15020):
//   GET  /healthz/ready                       the proxy's readiness, as on 15021
//   GET  /app-health/<container>/<readyz|livez|startupz>
//                                             runs the app probe from ISTIO_KUBE_APP_PROBERS:
//                                             200 on success; the app's status (4xx/5xx) or 500 on failure;
//                                             400 for a probe path that has no probe (Istio's answer)
//   GET  /stats/prometheus                    the proxy's stats merged with the app's metrics
//   POST /quitquitquit                        from loopback only: drain and exit 0
// Anything else is 404. Probes and scrapes in flight are bounded, so a flood
// of requests cannot open unbounded connections to the app.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@mesh/telemetry';
import { PROBE_PATH, PROBE_SOURCE_ADDRESS, runProbe, type AppProbe } from './app-probers.ts';
import type { MergedMetrics } from './merged-metrics.ts';

export const DEFAULT_AGENT_PORT = 15020;
const MAX_PROBES_IN_FLIGHT = 64;
const MAX_SCRAPES_IN_FLIGHT = 4;
const MAX_CONNECTIONS = 1024;

export interface StatusServerOptions {
  host: string;
  port: number;
  /** The proxy's readiness (Proxy.readiness()). */
  readiness: () => { ready: boolean; reason: string };
  probers: Map<string, AppProbe>;
  /** Where probes without a host go: the pod IP, or 127.0.0.1. */
  probeHost: string;
  metrics: MergedMetrics;
  /** Called after POST /quitquitquit was answered. */
  onQuit: () => void;
  log: Logger;
}

export interface StatusServer {
  port: number;
  close(): Promise<void>;
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

export async function startStatusServer(o: StatusServerOptions): Promise<StatusServer> {
  let probesInFlight = 0;
  let scrapesInFlight = 0;
  const server = http.createServer((req, res) => {
    const send = (status: number, body = '', type = 'text/plain; charset=utf-8') => {
      if (res.headersSent) return;
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const path = (req.url ?? '/').split('?', 1)[0];
    const method = req.method ?? 'GET';
    const readOnly = method === 'GET' || method === 'HEAD';

    if (path === '/quitquitquit') {
      if (method !== 'POST') return send(405, 'use POST\n');
      // As Istio's agent: only something inside the pod may stop it.
      if (!isLoopback(req.socket.remoteAddress)) return send(403, 'only requests from localhost are allowed\n');
      o.log.info('POST /quitquitquit on the agent port: draining and exiting');
      res.once('finish', () => o.onQuit());
      return send(200, 'OK\n');
    }
    if (path === '/healthz/ready') {
      if (!readOnly) return send(405, 'use GET\n');
      const r = o.readiness();
      return r.ready ? send(200) : send(503, `${r.reason}\n`);
    }
    if (path === '/stats/prometheus') {
      if (!readOnly) return send(405, 'use GET\n');
      if (scrapesInFlight >= MAX_SCRAPES_IN_FLIGHT) return send(503, 'too many scrapes in flight\n');
      scrapesInFlight++;
      const timeout = Number(req.headers['x-prometheus-scrape-timeout-seconds']);
      o.metrics
        .render(Number.isFinite(timeout) && timeout > 0 ? timeout : undefined)
        .then((text) => send(200, text, 'text/plain; version=0.0.4; charset=utf-8'))
        .catch((err) => {
          o.log.error('rendering merged metrics failed', { err });
          send(500, `error: ${(err as Error).message}\n`);
        })
        .finally(() => scrapesInFlight--);
      return;
    }
    if (path.startsWith('/app-health/')) {
      if (!readOnly) return send(405, 'use GET\n');
      const probe = o.probers.get(path);
      if (!probe) {
        // Istio's agent answers 400 for a probe path it was not given.
        return send(PROBE_PATH.test(path) ? 400 : 404, `app prober config does not exist for ${path}\n`);
      }
      if (probesInFlight >= MAX_PROBES_IN_FLIGHT) return send(503, 'too many probes in flight\n');
      probesInFlight++;
      runProbe(probe, { defaultHost: o.probeHost, incomingHeaders: req.headers, localAddress: PROBE_SOURCE_ADDRESS })
        .then((result) => {
          if (result.status !== 200) o.log.debug('app probe failed', { path, status: result.status, detail: result.detail });
          send(result.status, `${result.detail}\n`);
        })
        .finally(() => probesInFlight--);
      return;
    }
    send(404, 'no handler; try /healthz/ready, /app-health/<container>/<readyz|livez|startupz>, /stats/prometheus, POST /quitquitquit\n');
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`the agent's status port ${o.host}:${o.port} is in use (another proxy on this host? give each one its own --agent-port, or 0 for a free port)`) : err),
    );
    server.listen(o.port, o.host, () => {
      server.removeAllListeners('error');
      server.on('error', (err) => o.log.error('agent status server error', { err }));
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
