// Pilot's discovery service: turns the ConfigStore into a PushContext per
// (debounced) push, generates each connected proxy's snapshot from it and
// hands it to the ADS server's snapshot cache, which pushes only the types
// whose contents changed (an endpoints-only change goes out as EDS alone).
import type { Logger } from '@mesh/telemetry';
import { counter, histogram, gauge } from '@mesh/telemetry';
import { AdsServer, Snapshot, SnapshotCache, TYPE_URLS, prepareResource, shortTypeName, type AdsServerHooks, type PreparedResource, type Secret, type StreamInfo } from '@mesh/xds';
import type { ConfigStore, StoreChange } from './config-store.ts';
import { Debouncer } from './debounce.ts';
import { PushContext, type Issue } from './model/push-context.ts';
import { proxyFromNode, type Proxy } from './model/proxy.ts';
import { describeIssue } from './model/errors.ts';
import { generateResources, generateSnapshot, isCompatibilityMode } from './generators/index.ts';
import type { ProxyStatusReporter } from './proxy-status.ts';
import { JwksResolver } from './jwks-resolver.ts';

const pushCounter = counter('pilot_xds_pushes_total', 'Push contexts built and pushed', ['trigger']);
const pushDuration = histogram('pilot_push_duration_seconds', 'Time to build a push context and every proxy snapshot', [], [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5]);
const proxiesGauge = gauge('pilot_xds_connected_proxies', 'Proxies with at least one open ADS stream');
const issuesGauge = gauge(
  'pilot_translation_issues',
  'Current translation issues by Istio kind, severity (error: not served or security not enforced) and category (invalid, unsupported, unresolved, conflict, internal)',
  ['kind', 'severity', 'category'],
);

export interface DiscoveryOptions {
  store: ConfigStore;
  log: Logger;
  domainSuffix: string;
  /** Where listeners bind unless node metadata says otherwise. */
  bindHost: string;
  defaultOutboundPort: number;
  privilegedPortOffset: number;
  debounceMs: number;
  debounceMaxMs: number;
  /** Identifies this replica (control_plane.identifier, proxy status). */
  pilotId: string;
  status?: ProxyStatusReporter;
  /** RequestAuthentication jwksUri fetching (refresh period, timeout); tests shorten them. */
  jwks?: { refreshMs?: number; timeoutMs?: number };
}

export interface PushStatus {
  version: string;
  startedAt: string;
  durationMs: number;
  trigger: string;
  reasons: string[];
  proxies: number;
  configResources: number;
  counts: { services: number; virtualServices: number; destinationRules: number; gateways: number; workloadEntries: number };
  /** Every current issue: kind/namespace/name, field, message, severity, category. */
  issues: Issue[];
  /** Issue counts by severity and category. */
  issueCounts: Record<string, number>;
}

const ISSUE_LOG_MESSAGES: Record<Issue['category'], string> = {
  invalid: 'skipping a resource pilot cannot translate',
  unsupported: 'a field this mesh does not implement is not translated',
  unresolved: 'a resource refers to something that does not exist',
  conflict: 'a resource conflicts with another one and is ignored for it',
  internal: 'an Envoy resource built from this resource cannot be encoded and is not served',
};

/** `{ error: n, warning: n, 'error/unsupported': n, ... }` */
export function countIssues(issues: readonly Issue[]): Record<string, number> {
  const out: Record<string, number> = { error: 0, warning: 0 };
  for (const i of issues) {
    out[i.severity]++;
    out[`${i.severity}/${i.category}`] = (out[`${i.severity}/${i.category}`] ?? 0) + 1;
  }
  return out;
}

export class DiscoveryService {
  readonly cache = new SnapshotCache();
  readonly server: AdsServer;
  readonly #opts: DiscoveryOptions;
  readonly #log: Logger;
  readonly #debouncer: Debouncer;
  readonly #proxies = new Map<string, Proxy>();
  #push: PushContext | undefined;
  #pushSeq = 0;
  #lastStatus: PushStatus | undefined;
  readonly #loggedIssues = new Set<string>();
  readonly #pushListeners = new Set<(s: PushStatus) => void>();
  /** jwksUri keys, fetched by pilot and inlined into jwt_authn (a change pushes). */
  readonly jwks: JwksResolver;

  constructor(options: DiscoveryOptions) {
    this.#opts = options;
    this.#log = options.log;
    this.#debouncer = new Debouncer({ debounceMs: options.debounceMs, maxDelayMs: options.debounceMaxMs }, (reasons) => this.pushNow('config change', reasons));
    this.jwks = new JwksResolver({ ...options.jwks, log: options.log, onChange: (uri) => this.#push && this.#debouncer.trigger(`jwks ${uri}`) });
    const status = options.status;
    const hooks: AdsServerHooks = {
      onStreamOpen: (s) => this.#onStreamOpen(s),
      onStreamClose: (s) => this.#onStreamClose(s),
      onResponse: (s) => status?.update(s),
      onAck: (s) => status?.update(s),
      onNack: (s, typeUrl, version, _nonce, error) => {
        status?.update(s);
        this.#log.warn('proxy rejected configuration', { proxy: s.node.id, type: shortTypeName(typeUrl), keptVersion: version, error });
      },
    };
    this.server = new AdsServer({ cache: this.cache, log: options.log.child({ ads: true }), hooks, identifier: options.pilotId });
    options.store.onChange = (c) => this.#onStoreChange(c);
  }

  get pushContext(): PushContext | undefined {
    return this.#push;
  }

  get lastPush(): PushStatus | undefined {
    return this.#lastStatus;
  }

  proxies(): Proxy[] {
    return [...this.#proxies.values()];
  }

  /** Called after every push (tests, debug). */
  onPush(listener: (s: PushStatus) => void): () => void {
    this.#pushListeners.add(listener);
    return () => this.#pushListeners.delete(listener);
  }

  #onStoreChange(c: StoreChange): void {
    // Before the first push (initial sync) changes are picked up by it.
    if (!this.#push) return;
    this.#debouncer.trigger(`${c.op} ${c.source}:${c.key}`);
  }

  /** Builds a new push context from the store and pushes every connected proxy. */
  pushNow(trigger: string, reasons: string[] = []): PushStatus {
    const started = performance.now();
    const startedAt = new Date().toISOString();
    const version = `${startedAt}/${++this.#pushSeq}`;
    const push = new PushContext(this.#opts.store.input(), { domainSuffix: this.#opts.domainSuffix, version, jwks: this.jwks });
    this.#push = push;
    for (const proxy of this.#proxies.values()) this.#updateProxy(proxy, push);
    // After generation: building a proxy's resources can add issues (a resource that could not be encoded).
    this.#reportIssues(push);
    const status: PushStatus = {
      version,
      startedAt,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      trigger,
      reasons: reasons.slice(0, 50),
      proxies: this.#proxies.size,
      configResources: push.configCount,
      counts: {
        services: push.services.length,
        virtualServices: push.virtualServices.length,
        destinationRules: push.destinationRules.length,
        gateways: push.gateways.length,
        workloadEntries: push.workloadEntries.length,
      },
      issues: push.issues,
      get issueCounts() {
        return countIssues(push.issues);
      },
    };
    this.#lastStatus = status;
    pushCounter.inc({ trigger });
    pushDuration.observe(status.durationMs / 1000);
    this.#log.info('pushed configuration', { version, trigger, changes: reasons.length, proxies: this.#proxies.size, ms: status.durationMs, issues: push.issues.length });
    for (const l of this.#pushListeners) l(status);
    return status;
  }

  /**
   * Logs each distinct issue once (not on every push), with kind/namespace/name
   * and the field, and sets pilot_translation_issues. Called after every push
   * and after generating a newly connected proxy's configuration.
   */
  #reportIssues(push: PushContext): void {
    const current = new Set<string>();
    const counts = new Map<string, { kind: string; severity: string; category: string; n: number }>();
    for (const i of push.issues) {
      const c = `${i.kind}|${i.severity}|${i.category}`;
      const entry = counts.get(c) ?? { kind: i.kind, severity: i.severity, category: i.category, n: 0 };
      entry.n++;
      counts.set(c, entry);
      const key = `${i.severity}|${i.category}|${describeIssue(i)}`;
      current.add(key);
      if (this.#loggedIssues.has(key)) continue;
      const fields = { kind: i.kind, namespace: i.namespace, name: i.name, field: i.field, category: i.category, error: i.message };
      this.#log[i.severity === 'error' ? 'error' : 'warn'](ISSUE_LOG_MESSAGES[i.category], fields);
    }
    if (push !== this.#push) return;
    this.#loggedIssues.clear();
    for (const k of current) this.#loggedIssues.add(k);
    issuesGauge.reset();
    for (const { n, ...labels } of counts.values()) issuesGauge.set(labels, n);
  }

  #updateProxy(proxy: Proxy, push: PushContext): void {
    try {
      const snapshot = generateSnapshot(push, proxy, {
        privilegedPortOffset: this.#opts.privilegedPortOffset,
        log: { error: (msg, fields) => this.#log.error(msg, { proxy: proxy.id, ...fields }) },
      });
      this.cache.set(proxy.id, this.#withSecrets(snapshot, push, proxy));
    } catch (err) {
      // The proxy keeps what it had; the error says why it did not get more.
      this.#log.error('could not generate configuration for a proxy; it keeps its previous configuration', { proxy: proxy.id, err });
    }
  }

  /** The mesh's trust roots as SDS secret ROOTCA (Istio's name), for proxies that fetch it over ADS. */
  #withSecrets(snapshot: Snapshot, push: PushContext, _proxy: Proxy): Snapshot {
    const roots = this.#opts.store.trustBundle?.roots;
    if (!roots?.length) return snapshot;
    const rootca: Secret = { name: 'ROOTCA', validationContext: { trustedCa: { inlineString: roots.join('\n') } } };
    const secret = push.memo('sds|ROOTCA', () => prepareResource(TYPE_URLS.secret, rootca));
    const resources: Record<string, PreparedResource[]> = {};
    for (const t of snapshot.typeUrls()) resources[t] = [...snapshot.type(t).resources.values()];
    // Keeps the gateway credentials the generators added (generators/secrets.ts).
    resources[TYPE_URLS.secret] = [...(resources[TYPE_URLS.secret] ?? []), secret];
    return Snapshot.build((_t, hash) => hash, resources);
  }

  #onStreamOpen(s: StreamInfo): void {
    const proxy = proxyFromNode(s.node, { bindHost: this.#opts.bindHost, outboundPort: this.#opts.defaultOutboundPort });
    const known = this.#proxies.get(proxy.id);
    this.#proxies.set(proxy.id, proxy);
    proxiesGauge.set(this.#proxies.size);
    this.#log.info('proxy connected', { proxy: proxy.id, type: proxy.type, proxyless: proxy.proxyless, namespace: proxy.namespace, interceptionMode: proxy.interceptionMode, protocol: s.protocol });
    this.#opts.status?.update(s);
    // A reconnecting proxy with unchanged metadata keeps its snapshot; otherwise (re)generate now.
    if (this.#push && (!known || JSON.stringify(known) !== JSON.stringify(proxy) || !this.cache.get(proxy.id))) {
      this.#updateProxy(proxy, this.#push);
      this.#reportIssues(this.#push);
    }
  }

  #onStreamClose(s: StreamInfo): void {
    const id = s.node.id;
    if (this.server.streams().some((o) => o.node.id === id && o !== s)) return;
    this.#proxies.delete(id);
    this.cache.delete(id);
    proxiesGauge.set(this.#proxies.size);
    this.#opts.status?.remove(id);
    this.#log.info('proxy disconnected', { proxy: id });
  }

  /** Plain Envoy resources for one connected proxy (for /debug/configz?proxy=). */
  configFor(proxyId: string): Record<string, unknown> | undefined {
    const proxy = this.#proxies.get(proxyId);
    if (!proxy || !this.#push) return undefined;
    const r = generateResources(this.#push, proxy, { privilegedPortOffset: this.#opts.privilegedPortOffset, log: { error: () => {} } });
    const snap = this.cache.get(proxyId);
    const versions: Record<string, string> = {};
    for (const t of snap?.typeUrls() ?? []) versions[shortTypeName(t)] = snap!.type(t).version;
    const sidecar = this.#push.sidecarFor(proxy);
    // Which Istio model the proxy gets: capture (virtualOutbound/virtualInbound), a Sidecar's listeners, or the compatibility explicit proxy.
    const mode = proxy.type !== 'sidecar' || proxy.proxyless ? proxy.type : isCompatibilityMode(this.#push, proxy) ? 'compatibility (explicit HTTP proxy)' : proxy.interceptionMode === 'NONE' ? 'sidecar resource (no capture)' : 'capture';
    return { proxy, sidecar: sidecar ? `${sidecar.namespace}/${sidecar.name}` : undefined, mode, versions, ...r };
  }

  async close(): Promise<void> {
    this.#debouncer.stop();
    this.jwks.close();
    await this.server.close(2_000);
  }
}
