// Wires pilot together: NATS → ConfigStore → DiscoveryService → ADS, plus
// proxy status and debug endpoints. main.ts calls this; component tests run it
// in-process.
import { hostname } from 'node:os';
import { BUCKETS, ProxyStatusSchema, connectBus, type Bus, type ProxyStatus, type TypedKv } from '@mesh/contracts';
import type { Logger } from '@mesh/telemetry';
import { protoRoot, shortTypeName } from '@mesh/xds';
import { ConfigStore } from './config-store.ts';
import { DiscoveryService } from './discovery.ts';
import { startNatsSource, type NatsConfigSource } from './nats-source.ts';
import { nodeSummary, ProxyStatusReporter } from './proxy-status.ts';
import { startSecureXds, type SecureXds, type SecureXdsOptions } from './secure-xds.ts';

export interface PilotOptions {
  natsUrl: string;
  xdsHost: string;
  xdsPort: number;
  /** The mTLS ADS port (15011) and pilot's certificate from citadel; absent: plaintext only. */
  secureXds?: Omit<SecureXdsOptions, 'server' | 'store' | 'log'>;
  bindHost: string;
  defaultOutboundPort: number;
  privilegedPortOffset: number;
  debounceMs: number;
  debounceMaxMs: number;
  domainSuffix: string;
  pilotId?: string;
  /** TTL of proxy status entries (heartbeats refresh live ones at a third of it). */
  proxyStatusTtlMs: number;
  log: Logger;
  /** Registers a /debug/* handler on the monitoring server, when there is one. */
  addDebug?: (path: string, handler: (url: URL) => unknown) => void;
}

export interface Pilot {
  readonly discovery: DiscoveryService;
  readonly store: ConfigStore;
  readonly xdsPort: number;
  readonly secureXds: SecureXds | undefined;
  readonly bus: Bus;
  stop(): Promise<void>;
}

export async function startPilot(options: PilotOptions): Promise<Pilot> {
  const { log } = options;
  const pilotId = options.pilotId ?? `pilot-${hostname()}-${process.pid}`;
  protoRoot(log);
  const bus = await connectBus({ servers: options.natsUrl, name: pilotId, log });
  const store = new ConfigStore();

  let statusKv: TypedKv<ProxyStatus> | undefined;
  try {
    statusKv = await bus.kv(BUCKETS.proxyStatus, ProxyStatusSchema, { ttlMs: options.proxyStatusTtlMs });
  } catch (err) {
    log.warn('proxy status bucket unavailable; sync status is served on /debug/syncz only', { err: (err as Error).message });
  }
  const status = new ProxyStatusReporter(statusKv, log, { pilotId, heartbeatMs: Math.max(1_000, Math.floor(options.proxyStatusTtlMs / 3)) });
  const discovery = new DiscoveryService({
    store,
    log,
    domainSuffix: options.domainSuffix,
    bindHost: options.bindHost,
    defaultOutboundPort: options.defaultOutboundPort,
    privilegedPortOffset: options.privilegedPortOffset,
    debounceMs: options.debounceMs,
    debounceMaxMs: options.debounceMaxMs,
    pilotId,
    status,
  });

  let source: NatsConfigSource | undefined;
  let xdsPort = 0;
  let secureXds: SecureXds | undefined;
  try {
    source = startNatsSource(bus, store, log);
    const resources = await source.initialized;
    log.info(`initial config loaded: ${resources} resources`, { resources, configRevision: store.revisions.config ?? 0, meshConfig: !!store.meshConfig, trustBundle: !!store.trustBundle });
    discovery.pushNow('initial sync');
    xdsPort = await discovery.server.listen(options.xdsHost, options.xdsPort);
    log.info(`ADS listening on ${options.xdsHost}:${xdsPort}`, { address: `${options.xdsHost}:${xdsPort}` });
    if (options.secureXds) {
      secureXds = await startSecureXds({ ...options.secureXds, server: discovery.server, store, log });
      const s = secureXds;
      // Discovery owns the store's change callback; the secure port only needs to hear of trust bundle changes.
      const onChange = store.onChange;
      store.onChange = (change) => {
        onChange(change);
        if (change.source === 'trustBundle') s.refreshRoots();
      };
    }
  } catch (err) {
    await secureXds?.stop();
    source?.stop();
    await discovery.close();
    await bus.close().catch(() => {});
    throw err;
  }

  options.addDebug?.('/debug/syncz', () =>
    discovery.server.streams().map((s) => ({
      proxy: s.node.id,
      // What istioctl proxy-status shows: the replica serving the stream, the proxy's cluster and version, and
      // where its admin endpoint is (ProxyConfig.proxyAdminPort) for proxy-config.
      pilot: pilotId,
      ...nodeSummary(s.node),
      protocol: s.protocol,
      peer: s.peer,
      peerIdentity: s.peerIdentity,
      connectedAt: s.connectedAt,
      types: Object.fromEntries([...s.types].map(([t, st]) => [shortTypeName(t), { ...st, typeUrl: undefined }])),
    })),
  );
  options.addDebug?.('/debug/configz', (url) => {
    const proxy = url.searchParams.get('proxy');
    if (proxy) return discovery.configFor(proxy) ?? { error: `no proxy ${proxy} is connected to this pilot`, connected: discovery.proxies().map((p) => p.id) };
    return {
      revisions: store.revisions,
      meshConfig: store.meshConfig,
      trustBundleRoots: store.trustBundle?.roots.length ?? 0,
      resources: [...store.entries('config'), ...store.entries('registry')].map(([key, r]) => ({ key, kind: r.kind, namespace: r.metadata.namespace, name: r.metadata.name, source: r.source })),
      issues: discovery.pushContext?.issues ?? [],
    };
  });
  options.addDebug?.('/debug/push_status', () => discovery.lastPush ?? {});

  return {
    discovery,
    store,
    xdsPort,
    secureXds,
    bus,
    async stop() {
      // Stop accepting and close streams first (proxies reconnect to another replica), then NATS.
      await discovery.close();
      await secureXds?.stop();
      source?.stop();
      await status.close();
      await bus.close().catch(() => {});
    },
  };
}
