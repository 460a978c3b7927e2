// Builders for the Envoy resources the proxy's tests feed it (plain objects,
// as AdsClient delivers them), real upstream HTTP servers that say who they
// are, and a proxy started in-process on free ports.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '@mesh/telemetry';
import { snapshotFromResources, type XdsSnapshot } from './config/snapshot-compiler.ts';
import { Proxy, type ProxyOptions } from './proxy.ts';

export const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
export const ROUTER = { name: 'envoy.filters.http.router', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } };
export const FAULT = { name: 'envoy.filters.http.fault', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault' } };

export const testLog: Logger = createLogger('proxy-test', { level: (process.env.LOG_LEVEL as 'debug') ?? 'error' });

export function httpListener(name: string, port: number, routeConfigName: string, hcmExtra: Record<string, unknown> = {}): any {
  return {
    name,
    address: { socketAddress: { address: '127.0.0.1', portValue: port } },
    filterChains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typedConfig: {
              '@type': HCM_TYPE,
              statPrefix: name,
              rds: { configSource: { ads: {}, resourceApiVersion: 'V3' }, routeConfigName },
              httpFilters: [FAULT, ROUTER],
              ...hcmExtra,
            },
          },
        ],
      },
    ],
  };
}

export function routeConfig(name: string, virtualHosts: any[], extra: Record<string, unknown> = {}): any {
  return { name, virtualHosts, ...extra };
}

export function vhost(name: string, domains: string[], routes: any[], extra: Record<string, unknown> = {}): any {
  return { name, domains, routes, ...extra };
}

export function edsCluster(name: string, extra: Record<string, unknown> = {}): any {
  return { name, type: 'EDS', edsClusterConfig: { edsConfig: { ads: {} }, serviceName: name }, connectTimeout: { seconds: 1 }, ...extra };
}

export function endpoints(clusterName: string, ports: Array<number | { port: number; weight?: number; health?: string }>): any {
  return {
    clusterName,
    endpoints: [
      {
        lbEndpoints: ports.map((p) => {
          const e = typeof p === 'number' ? { port: p } : p;
          return {
            endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: e.port } } },
            ...(e.weight ? { loadBalancingWeight: { value: e.weight } } : {}),
            ...(e.health ? { healthStatus: e.health } : {}),
          };
        }),
      },
    ],
  };
}

export interface Upstream {
  readonly name: string;
  readonly port: number;
  readonly server: http.Server;
  /** Requests seen: method, url, headers. */
  readonly seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }>;
  close(): Promise<void>;
}

/**
 * A real HTTP server answering JSON { upstream, method, url, headers, body }.
 * `handler` may take over (return true when it answered).
 */
export async function startUpstream(
  name: string,
  handler?: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => boolean | void,
): Promise<Upstream> {
  const seen: Upstream['seen'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (handler?.(req, res, body)) return;
      const payload = JSON.stringify({ upstream: name, method: req.method, url: req.url, headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), server: `upstream-${name}` });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    name,
    port: (server.address() as AddressInfo).port,
    server,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface TestProxy {
  proxy: Proxy;
  apply(resources: Parameters<typeof snapshotFromResources>[0]): Promise<XdsSnapshot>;
  /** The port a listener actually bound (listeners in tests use port 0). */
  port(listener: string): number;
  close(): Promise<void>;
}

export async function startTestProxy(options: Partial<ProxyOptions> = {}): Promise<TestProxy> {
  const proxy = new Proxy({ log: testLog, drainTimeoutMs: 2_000, ...options });
  return {
    proxy,
    async apply(resources) {
      const snapshot = snapshotFromResources(resources);
      await proxy.apply(snapshot);
      return snapshot;
    },
    port(listener) {
      const l = proxy.listeners.listeners.get(listener);
      if (!l || l.state !== 'bound') throw new Error(`listener ${listener} is not bound (${l?.state ?? 'missing'}: ${l?.error ?? ''})`);
      return l.boundPort;
    },
    close: () => proxy.destroy(),
  };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json(): any;
}

/** One request over a fresh connection (keep-alive off), so tests do not share sockets by accident. */
export function request(
  port: number,
  options: { path?: string; method?: string; headers?: Record<string, string>; body?: string | Buffer; agent?: http.Agent } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: options.path ?? '/', method: options.method ?? 'GET', headers: options.headers, agent: options.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode!, headers: res.headers, body, json: () => JSON.parse(body) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
