// The proxy's side ports: admin (15000, loopback: config_dump, clusters,
// stats, ready, listeners, quitquitquit), status (15021: /healthz/ready for
// kubelet and launchers; not ready while an awaited workload certificate
// has not arrived) and Prometheus stats (15090: /stats/prometheus).
// Process metrics from @mesh/telemetry are merged into /stats/prometheus.
// /memory answers in Envoy's shape, plus Node's and V8's own figures.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import v8 from 'node:v8';
import { collectProcessMetrics, registry } from '@mesh/telemetry';
import type { Proxy } from './proxy.ts';

export interface SidePorts {
  adminPort: number;
  statusPort: number;
  statsPort: number;
  close(): Promise<void>;
}

export interface SidePortOptions {
  adminHost: string;
  adminPort: number;
  statusHost: string;
  statusPort: number;
  statsPort: number;
  /** Called by POST /quitquitquit. */
  onQuit?: () => void;
}

type Send = (status: number, body: string, type?: string) => void;

function serve(host: string, port: number, handle: (url: URL, req: http.IncomingMessage, send: Send) => Promise<void> | void): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send: Send = (status, body, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    Promise.resolve(handle(url, req, send)).catch((err) => send(500, `error: ${(err as Error).message}\n`));
  });
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/**
 * Envoy's /memory (its tcmalloc figures mapped onto V8's: `allocated` is the
 * live JS heap, `heap_size` what V8 has committed for it,
 * `total_physical_bytes` the process RSS), plus `node` (process.memoryUsage())
 * and `v8_heap_spaces` (committed and used bytes per V8 space).
 */
export function memoryReport(): unknown {
  const m = process.memoryUsage();
  return {
    allocated: String(m.heapUsed),
    heap_size: String(m.heapTotal),
    pageheap_unmapped: '0',
    pageheap_free: String(Math.max(0, m.heapTotal - m.heapUsed)),
    total_thread_cache: '0',
    total_physical_bytes: String(m.rss),
    node: m,
    v8_heap_spaces: Object.fromEntries(
      v8.getHeapSpaceStatistics().map((s) => [s.space_name, { size: s.space_size, used: s.space_used_size, physical: s.physical_space_size }]),
    ),
  };
}

/** What 15090 serves: the proxy's Envoy/Istio stats and the process metrics (the agent's 15020 merges the app's into it). */
export async function proxyPrometheus(proxy: Proxy): Promise<string> {
  return proxy.stats.renderPrometheus(proxy) + (await registry.metrics());
}

function readiness(proxy: Proxy, send: Send): void {
  const r = proxy.readiness();
  if (r.ready) send(200, '');
  else send(503, `${r.reason}\n`);
}

export async function startSidePorts(proxy: Proxy, options: SidePortOptions): Promise<SidePorts> {
  collectProcessMetrics();
  const json = (send: Send, value: unknown) => send(200, JSON.stringify(value, null, 2) + '\n', 'application/json');
  const admin = await serve(options.adminHost, options.adminPort, async (url, req, send) => {
    switch (url.pathname) {
      case '/':
        return send(200, ['/config_dump', '/certs', '/clusters', '/listeners', '/memory', '/stats', '/stats/prometheus', '/ready', '/server_info', '/config_gaps', '/quitquitquit (POST)'].join('\n') + '\n');
      case '/config_dump':
        return json(send, proxy.configDump());
      case '/certs':
        // Envoy's /certs: the certificates TLS contexts use, without any key material.
        return json(send, proxy.secrets.certs());
      case '/config_gaps':
        // What was accepted but is not implemented, and what listeners do not serve: nothing is ignored silently.
        return json(send, {
          unimplemented: proxy.compiled?.unimplemented ?? [],
          skippedFilterChains: [...proxy.listeners.listeners.values()].flatMap((l) => l.spec.skipped.map((why) => `${l.listenerName}: ${why}`)),
        });
      case '/clusters': {
        const report = proxy.clustersReport();
        return url.searchParams.get('format') === 'json' ? json(send, report.json) : send(200, report.text);
      }
      case '/listeners':
        return json(
          send,
          [...proxy.listeners.listeners.values()].map((l) => ({ name: l.listenerName, address: `${l.spec.address}:${l.boundPort || l.spec.port}`, kind: l.spec.kind, state: l.state, error: l.error, skipped: l.spec.skipped })),
        );
      case '/memory':
        return json(send, memoryReport());
      case '/stats': {
        const text = proxy.stats.renderText(proxy);
        if (url.searchParams.get('format') === 'json') {
          return json(send, { stats: text.trim().split('\n').map((l) => ({ name: l.slice(0, l.lastIndexOf(': ')), value: Number(l.slice(l.lastIndexOf(': ') + 2)) })) });
        }
        return send(200, text);
      }
      case '/stats/prometheus':
        return send(200, await proxyPrometheus(proxy), 'text/plain; version=0.0.4; charset=utf-8');
      case '/ready': {
        const r = proxy.readiness();
        return r.ready ? send(200, 'LIVE\n') : send(503, proxy.draining ? 'DRAINING\n' : 'PRE_INITIALIZING\n');
      }
      case '/server_info':
        return json(send, {
          state: proxy.draining ? 'DRAINING' : proxy.readiness().ready ? 'LIVE' : 'PRE_INITIALIZING',
          uptime_current_epoch: `${Math.floor((Date.now() - proxy.stats.started) / 1000)}s`,
          node: proxy.node,
          versions: proxy.snapshot?.versions ?? {},
        });
      case '/quitquitquit':
        if (req.method !== 'POST') return send(405, 'use POST\n');
        send(200, 'OK\n');
        options.onQuit?.();
        return;
      default:
        return send(404, `no handler for ${url.pathname}; see /\n`);
    }
  });
  const status = await serve(options.statusHost, options.statusPort, (url, _req, send) => {
    if (url.pathname === '/healthz/ready') return readiness(proxy, send);
    send(404, 'try /healthz/ready\n');
  });
  const stats = await serve(options.statusHost, options.statsPort, async (url, _req, send) => {
    if (url.pathname === '/stats/prometheus' || url.pathname === '/metrics') return send(200, await proxyPrometheus(proxy), 'text/plain; version=0.0.4; charset=utf-8');
    send(404, 'try /stats/prometheus\n');
  });
  const port = (s: http.Server) => (s.address() as AddressInfo).port;
  return {
    adminPort: port(admin),
    statusPort: port(status),
    statsPort: port(stats),
    close: async () => {
      await Promise.all(
        [admin, status, stats].map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}
