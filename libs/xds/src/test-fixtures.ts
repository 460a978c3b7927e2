// Small resource builders and an in-process control plane for this library's tests.
import { createLogger, type Logger } from '@mesh/telemetry';
import { TYPE_URLS } from './codec.ts';
import { CONFIG_TYPE_URLS } from './envoy-types.ts';
import { AdsServer, type AdsServerHooks } from './ads-server.ts';
import { Snapshot, SnapshotCache } from './snapshot.ts';

export const quietLog: Logger = createLogger('xds-test', { level: (process.env.LOG_LEVEL as 'debug') ?? 'error' });

export function listener(name: string, port: number, routeName: string): Record<string, any> {
  return {
    name,
    address: { socketAddress: { address: '127.0.0.1', portValue: port } },
    filterChains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typedConfig: {
              '@type': CONFIG_TYPE_URLS.httpConnectionManager,
              statPrefix: name,
              rds: { routeConfigName: routeName, configSource: { ads: {}, resourceApiVersion: 'V3' } },
              httpFilters: [{ name: 'envoy.filters.http.router', typedConfig: { '@type': CONFIG_TYPE_URLS.router } }],
            },
          },
        ],
      },
    ],
  };
}

export function route(name: string, cluster: string): Record<string, any> {
  return { name, virtualHosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster } }] }] };
}

export function edsCluster(name: string, extra: Record<string, any> = {}): Record<string, any> {
  return {
    name,
    type: 'EDS',
    edsClusterConfig: { edsConfig: { ads: {}, resourceApiVersion: 'V3' } },
    connectTimeout: { seconds: 1 },
    ...extra,
  };
}

export function cla(cluster: string, ports: number[]): Record<string, any> {
  return {
    clusterName: cluster,
    endpoints: [{ lbEndpoints: ports.map((p) => ({ endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: p } } } })) }],
  };
}

/** A consistent snapshot: one listener → route → EDS cluster → endpoints per entry. */
export function snapshotOf(version: string, services: Array<{ name: string; port: number; endpoints: number[] }>, extra: Partial<Record<string, object[]>> = {}): Snapshot {
  return Snapshot.build(version, {
    [TYPE_URLS.listener]: services.map((s) => listener(`l-${s.name}`, s.port, `r-${s.name}`)),
    [TYPE_URLS.route]: [...services.map((s) => route(`r-${s.name}`, `c-${s.name}`)), ...(extra[TYPE_URLS.route] ?? [])],
    [TYPE_URLS.cluster]: services.map((s) => edsCluster(`c-${s.name}`)),
    [TYPE_URLS.endpoint]: [...services.map((s) => cla(`c-${s.name}`, s.endpoints)), ...(extra[TYPE_URLS.endpoint] ?? [])],
  });
}

export interface Recorded {
  acks: Array<{ typeUrl: string; version: string; nonce: string; node: string }>;
  nacks: Array<{ typeUrl: string; version: string; nonce: string; error: string; node: string }>;
  responses: Array<{ typeUrl: string; version: string; nonce: string; resources: number; removed?: number }>;
  opened: string[];
  closed: string[];
}

/** An ADS server on a free 127.0.0.1 port, with every hook call recorded. */
export async function startControlPlane(port = 0): Promise<{ cache: SnapshotCache; server: AdsServer; port: number; target: string; recorded: Recorded; close(): Promise<void> }> {
  const cache = new SnapshotCache();
  const recorded: Recorded = { acks: [], nacks: [], responses: [], opened: [], closed: [] };
  const hooks: AdsServerHooks = {
    onStreamOpen: (s) => recorded.opened.push(s.node.id),
    onStreamClose: (s) => recorded.closed.push(s.node.id),
    onAck: (s, typeUrl, version, nonce) => recorded.acks.push({ typeUrl, version, nonce, node: s.node.id }),
    onNack: (s, typeUrl, version, nonce, error) => recorded.nacks.push({ typeUrl, version, nonce, error, node: s.node.id }),
    onResponse: (_s, typeUrl, sent) => recorded.responses.push({ typeUrl, ...sent }),
  };
  const server = new AdsServer({ cache, log: quietLog, hooks });
  const bound = await server.listen('127.0.0.1', port);
  return { cache, server, port: bound, target: `127.0.0.1:${bound}`, recorded, close: () => server.close(1_000) };
}
