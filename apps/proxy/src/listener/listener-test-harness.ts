// Test helper: a ListenerManager and ClusterManager fed plain Envoy resources
// (as the AdsClient delivers them), with an injected original-destination
// resolver, plus small raw-socket servers and clients.
import assert from 'node:assert/strict';
import net from 'node:net';
import { normalize } from '@mesh/xds';
import { SnapshotCompiler, snapshotFromResources } from '../config/snapshot-compiler.ts';
import { StatsStore } from '../stats.ts';
import { ClusterManager } from '../upstream/cluster-manager.ts';
import { testLog } from '../test-fixtures.ts';
import { ListenerManager, type ListenerDeps } from './listener-manager.ts';

export const TCP_PROXY_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
export const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
export const ROUTER = { name: 'envoy.filters.http.router', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } };

export function tcpProxy(statPrefix: string, cluster: string): object {
  return { name: 'envoy.filters.network.tcp_proxy', typedConfig: { '@type': TCP_PROXY_TYPE, statPrefix, cluster } };
}

export function hcm(statPrefix: string, routeConfigName: string): object {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typedConfig: { '@type': HCM_TYPE, statPrefix, rds: { configSource: { ads: {}, resourceApiVersion: 'V3' }, routeConfigName }, httpFilters: [ROUTER] },
  };
}

export const FAULT = { name: 'envoy.filters.http.fault', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault' } };

/**
 * A listener on a free loopback port whose connection manager runs `filters`
 * (then the fault filter and the router) and sends everything to cluster `app`:
 * the shape the HTTP filter tests (RBAC, jwt_authn, ext_authz) exercise.
 */
export function filterTestListener(name: string, filters: object[], hcmExtra: Record<string, unknown> = {}): Record<string, unknown> {
  return normalize('envoy.config.listener.v3.Listener', {
    name,
    address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
    filterChains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typedConfig: {
              '@type': HCM_TYPE,
              statPrefix: name,
              routeConfig: { name: `${name}-routes`, virtualHosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'app' } }] }] },
              httpFilters: [...filters, FAULT, ROUTER],
              ...hcmExtra,
            },
          },
        ],
      },
    ],
  });
}

export function staticCluster(name: string, port: number): object {
  return {
    name,
    type: 'STATIC',
    connectTimeout: { seconds: 1 },
    loadAssignment: { clusterName: name, endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: port } } } }] }] },
  };
}

export interface Harness {
  readonly stats: StatsStore;
  readonly clusters: ClusterManager;
  readonly listeners: ListenerManager;
  apply(resources: Parameters<typeof snapshotFromResources>[0]): Promise<void>;
  port(listener: string): number;
  /** A counter from the listener manager's /stats lines. */
  stat(name: string): number;
  close(): Promise<void>;
}

export function startHarness(deps: Partial<ListenerDeps> = {}): Harness {
  const stats = new StatsStore({ workload: 'test', namespace: 'test', app: 'test', version: 'v1' });
  const clusters = new ClusterManager(stats, testLog, { secrets: deps.secrets });
  const listeners = new ListenerManager({ clusters, stats, log: testLog, random: Math.random, forceAccessLog: false, drainTimeoutMs: 500, ...deps });
  const compiler = new SnapshotCompiler();
  return {
    stats,
    clusters,
    listeners,
    async apply(resources) {
      const compiled = compiler.compile(snapshotFromResources(resources));
      assert.deepEqual(compiled.errors, []);
      clusters.apply(compiled.clusters, compiled.endpoints);
      await listeners.apply(compiled.listeners, compiled.routes);
    },
    port(name) {
      const l = listeners.listeners.get(name);
      if (!l || l.state !== 'bound') throw new Error(`listener ${name} is not bound (${l?.state}: ${l?.error ?? ''})`);
      return l.boundPort;
    },
    stat(name) {
      const line = listeners.statLines().find((l) => l.startsWith(`${name}: `));
      if (line === undefined) throw new Error(`no stat ${name}`);
      return Number(line.slice(name.length + 2));
    },
    async close() {
      await listeners.drainAll(0);
      await clusters.destroy();
    },
  };
}

/** A TCP server that records what each connection sent; `echo` sends it back, else it answers `reply` once and keeps reading. */
export interface Recorder {
  readonly port: number;
  readonly received: Buffer[];
  /** Each connection's peer address. */
  readonly peers: string[];
  close(): Promise<void>;
}

export async function startRecorder(mode: { echo: true } | { reply: string }): Promise<Recorder> {
  const received: Buffer[] = [];
  const peers: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    peers.push(s.remoteAddress ?? '');
    const index = received.push(Buffer.alloc(0)) - 1;
    let replied = false;
    s.on('data', (d: Buffer) => {
      received[index] = Buffer.concat([received[index], d]);
      if ('echo' in mode) s.write(d);
      else if (!replied) {
        replied = true;
        s.write(mode.reply);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    peers,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Connects (from `localAddress`, any 127/8 address), sends `data`, and resolves with everything read until the proxy closes or `until` holds. */
export function exchange(port: number, data: Buffer | string, opts: { localAddress?: string; until?: (got: Buffer) => boolean } = {}): Promise<{ got: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress: opts.localAddress });
    let got = Buffer.alloc(0);
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      s.destroy();
      resolve({ got, closed });
    };
    s.on('connect', () => s.write(data));
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (opts.until?.(got)) finish(false);
    });
    s.on('error', () => finish(true));
    s.on('close', () => finish(true));
  });
}
