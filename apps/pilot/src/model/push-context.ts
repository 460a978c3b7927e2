// An immutable view of everything pilot knows, built once per push (Istio's
// PushContext): the service registry, destination rules, virtual services and
// gateways, indexed for the generators, plus every resource that could not be
// translated. Generators read it and may memoize shared results in it.
import { credentialKey, type ConfigResource, type Credential, type MeshConfig } from '@mesh/contracts';
import { meshDefaultExportTo, meshNumTrustedProxies, meshPathNormalization, meshRootNamespace, supportFindings, type ExportScope, type PathNormalization } from '@mesh/config';
import { meshExtensionProviders, type ExtensionProvider } from '@mesh/config';
import { encodeMessage } from '@mesh/xds';
import { MESH_CONFIG_ORIGIN, describeIssue, issueFrom, refOf, type Origin, type ResourceRef, type TranslationIssue } from './errors.ts';
import { readServiceEntry, readWorkloadEntry, type Service, type WorkloadEntryModel } from './services.ts';
import { effectivePolicy, policyToCluster, readDestinationRule, type ClusterPolicy, type DestinationRuleModel } from './destination-rules.ts';
import { readGateway, type GatewayModel } from './gateways.ts';
import { hostMatches, mostSpecificOwner, specificity } from './hosts.ts';
import { MESH_GATEWAY, matchesOnSource, readVirtualService, translateHttpRoutes, translateTcpRoute, translateTlsRoutes, type RouteLookup, type VirtualServiceModel } from './virtual-services.ts';
import { readSidecar, sidecarSelects, type OutboundMode, type SidecarModel } from './sidecars.ts';
import { effectiveMtls, readPeerAuthentication, type EffectiveMtls, type MtlsMode, type PeerAuthenticationModel } from './peer-authentication.ts';
import { ProxyScope } from './scope.ts';
import { readAuthorizationPolicy, type AuthorizationPolicyModel } from './authorization-policies.ts';
import { readRequestAuthentication, type JwksSource, type RequestAuthenticationModel } from './request-authentications.ts';
import type { Proxy } from './proxy.ts';

/**
 * Why an issue was reported:
 * - `invalid`: the resource (or mesh config field) cannot be translated and is skipped;
 * - `unsupported`: a field this mesh does not implement (@mesh/config's supportFindings, the same
 *   findings `galley validate` prints); the rest of the resource applies;
 * - `unresolved`: a reference to a service, subset or port that does not exist (yet);
 * - `conflict`: another resource already claims the same host; this one is ignored for it;
 * - `internal`: pilot built an Envoy resource it could not encode; that resource is not served.
 */
export type IssueCategory = 'invalid' | 'unsupported' | 'unresolved' | 'conflict' | 'internal';

export interface Issue extends TranslationIssue {
  /**
   * error: the resource (or an Envoy resource built from it) is not served, or security
   * configuration in it is not enforced; warning: it applies, minus the named field.
   */
  severity: 'error' | 'warning';
  category: IssueCategory;
}

export interface ModelInput {
  configs: readonly ConfigResource[];
  meshConfig?: MeshConfig;
  /** TLS credentials for credentialName, by credentialKey(namespace, name). */
  credentials?: ReadonlyMap<string, Credential>;
  /** KV revision the input reflects (for debug output). */
  revision?: number;
}

export interface PushContextOptions {
  domainSuffix: string;
  version: string;
  /** The JWKS of RequestAuthentication jwksUris (pilot's fetcher); without it such rules reject every token. */
  jwks?: JwksSource;
}

function byAge(a: ConfigResource, b: ConfigResource): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata.namespace}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export class PushContext implements RouteLookup {
  readonly version: string;
  readonly createdAt = new Date().toISOString();
  readonly domainSuffix: string;
  readonly meshConfig: MeshConfig | undefined;
  readonly revision: number | undefined;
  readonly services: readonly Service[];
  readonly gateways: readonly GatewayModel[];
  readonly virtualServices: readonly VirtualServiceModel[];
  readonly destinationRules: readonly DestinationRuleModel[];
  readonly workloadEntries: readonly WorkloadEntryModel[];
  readonly sidecars: readonly SidecarModel[];
  /** AuthorizationPolicies, oldest first (generators/authorization.ts turns them into RBAC filters). */
  readonly authorizationPolicies: readonly AuthorizationPolicyModel[];
  /** Mesh config extensionProviders by name (AuthorizationPolicy CUSTOM's provider.name); a provider that cannot be read is left out and reported. */
  readonly extensionProviders: ReadonlyMap<string, ExtensionProvider>;
  /** Mesh config rootNamespace (istio-system unless set): its namespace-wide Sidecar is every namespace's default. */
  /** The mesh-wide numTrustedProxies (defaultConfig.gatewayTopology): gateways trust this many X-Forwarded-For hops unless their own ProxyConfig says. */
  readonly numTrustedProxies: number;
  readonly rootNamespace: string;
  /** Mesh config outboundTrafficPolicy.mode (ALLOW_ANY unless set). */
  readonly outboundMode: OutboundMode;
  readonly issues: Issue[] = [];
  readonly configCount: number;
  /** Mesh config `pathNormalization.normalization` (BASE unless set). */
  readonly pathNormalization: PathNormalization;
  /** Mesh config `trustDomain` (cluster.local unless set): workload identities are spiffe://<it>/ns/<ns>/sa/<sa>. */
  readonly trustDomain: string;
  /** Mesh config `enableAutoMtls` (on unless set to false): clusters without DestinationRule TLS send Istio mTLS to endpoints labelled tlsMode istio. */
  readonly enableAutoMtls: boolean;
  /** PeerAuthentications, oldest first. */
  readonly peerAuthentications: readonly PeerAuthenticationModel[];
  /** RequestAuthentications, oldest first (generators/request-authentication.ts turns them into jwt_authn filters). */
  readonly requestAuthentications: readonly RequestAuthenticationModel[];
  readonly jwks: JwksSource | undefined;
  readonly #issueKeys = new Set<string>();
  readonly #origins = new WeakMap<object, Origin[]>();
  readonly #servicesByHost = new Map<string, Service[]>();
  readonly #drByHost = new Map<string, DestinationRuleModel>();
  readonly #wildcardDrs: DestinationRuleModel[] = [];
  readonly #memo = new Map<string, unknown>();
  readonly #credentials: ReadonlyMap<string, Credential>;

  constructor(input: ModelInput, options: PushContextOptions) {
    this.version = options.version;
    this.jwks = options.jwks;
    this.#credentials = input.credentials ?? new Map();
    this.domainSuffix = options.domainSuffix;
    this.meshConfig = input.meshConfig;
    this.revision = input.revision;
    this.configCount = input.configs.length;
    const of = (kind: string) => input.configs.filter((c) => c.kind === kind).sort(byAge);

    const pn = meshPathNormalization(input.meshConfig);
    this.pathNormalization = pn.value;
    if (pn.error) this.report({ ...MESH_CONFIG_ORIGIN, field: pn.error.path, message: `${pn.error.message}; using BASE`, severity: 'error', category: 'invalid' });
    const exportDefault = (kind: 'ServiceEntry' | 'VirtualService' | 'DestinationRule') => {
      const d = meshDefaultExportTo(input.meshConfig, kind);
      if (d.error) this.report({ ...MESH_CONFIG_ORIGIN, field: d.error.path, message: `${d.error.message}; using ["*"]`, severity: 'error', category: 'invalid' });
      return d.value;
    };
    const root = meshRootNamespace(input.meshConfig);
    if (root.error) this.report({ ...MESH_CONFIG_ORIGIN, field: root.error.path, message: `${root.error.message}; using ${root.value}`, severity: 'error', category: 'invalid' });
    this.rootNamespace = root.value;
    const hops = meshNumTrustedProxies(input.meshConfig);
    if (hops.error) this.report({ ...MESH_CONFIG_ORIGIN, field: hops.error.path, message: `${hops.error.message}; using 0`, severity: 'error', category: 'invalid' });
    this.numTrustedProxies = hops.value;
    this.outboundMode = input.meshConfig?.outboundTrafficPolicy?.mode === 'REGISTRY_ONLY' ? 'REGISTRY_ONLY' : 'ALLOW_ANY';
    const mesh = input.meshConfig as Record<string, unknown> | undefined;
    const td = mesh?.trustDomain;
    this.trustDomain = typeof td === 'string' && td ? td : 'cluster.local';
    if (td !== undefined && td !== null && (typeof td !== 'string' || !td)) {
      this.report({ ...MESH_CONFIG_ORIGIN, field: 'trustDomain', message: `${JSON.stringify(td)} is not a trust domain; using cluster.local`, severity: 'error', category: 'invalid' });
    }
    const auto = mesh?.enableAutoMtls;
    this.enableAutoMtls = auto !== false;
    if (auto !== undefined && auto !== null && typeof auto !== 'boolean') {
      this.report({ ...MESH_CONFIG_ORIGIN, field: 'enableAutoMtls', message: `${JSON.stringify(auto)} is not true or false; auto mutual TLS stays on`, severity: 'error', category: 'invalid' });
    }

    // What this mesh accepts but does not implement: the same findings galley reports.
    for (const r of [...input.configs].sort(byAge)) {
      for (const f of supportFindings(r)) this.report({ kind: f.kind, namespace: f.namespace, name: f.name, field: f.path, message: f.message, severity: f.severity, category: 'unsupported' });
    }

    const workloads: WorkloadEntryModel[] = [];
    for (const r of of('WorkloadEntry')) this.#try(r, () => workloads.push(readWorkloadEntry(r)));
    this.workloadEntries = workloads;
    const workloadsByNs = new Map<string, WorkloadEntryModel[]>();
    for (const w of workloads) {
      const list = workloadsByNs.get(w.namespace);
      if (list) list.push(w);
      else workloadsByNs.set(w.namespace, [w]);
    }

    const services: Service[] = [];
    const seDefault = exportDefault('ServiceEntry');
    for (const r of of('ServiceEntry')) {
      this.#try(r, () => {
        for (const svc of readServiceEntry(r, workloadsByNs, this.domainSuffix, seDefault)) {
          // The same host from two ServiceEntries conflicts only where both are visible (exportTo).
          const existing = (this.#servicesByHost.get(svc.hostname) ?? []).find((o) => exportsOverlap(o.exportTo, svc.exportTo));
          if (existing) {
            this.#warn(refOf(r), 'spec.hosts', `host ${svc.hostname} is already defined by ServiceEntry ${existing.source.namespace}/${existing.source.name} where this one is visible; this one is ignored for it`, 'conflict');
            continue;
          }
          this.#servicesByHost.set(svc.hostname, [...(this.#servicesByHost.get(svc.hostname) ?? []), svc]);
          services.push(svc);
        }
      });
    }
    this.services = services.sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0));

    const drs: DestinationRuleModel[] = [];
    const drDefault = exportDefault('DestinationRule');
    for (const r of of('DestinationRule')) {
      this.#try(r, () => {
        const dr = readDestinationRule(r, this.domainSuffix, drDefault);
        // Istio looks a rule up in the proxy's namespace, then the service's, then the root namespace: two rules for one host conflict within a namespace.
        const existing = drs.find((d) => d.host === dr.host && d.namespace === dr.namespace);
        if (existing) {
          this.#warn(dr.ref, 'spec.host', `DestinationRule ${existing.namespace}/${existing.name} already applies to ${dr.host} in namespace ${dr.namespace}; this one is ignored`, 'conflict');
          return;
        }
        if (!this.#drByHost.has(dr.host) && !dr.host.includes('*')) this.#drByHost.set(dr.host, dr);
        if (dr.host.includes('*')) this.#wildcardDrs.push(dr);
        drs.push(dr);
      });
    }
    this.#wildcardDrs.sort((a, b) => specificity(b.host) - specificity(a.host));
    this.destinationRules = drs;

    const gateways: GatewayModel[] = [];
    for (const r of of('Gateway')) this.#try(r, () => gateways.push(readGateway(r)));
    this.gateways = gateways;

    const vss: VirtualServiceModel[] = [];
    const vsDefault = exportDefault('VirtualService');
    for (const r of of('VirtualService')) {
      this.#try(r, () => {
        const vs = readVirtualService(r, this.domainSuffix, vsDefault);
        this.#dryRun(vs);
        vss.push(vs);
      });
    }
    this.virtualServices = vss;

    const sidecars: SidecarModel[] = [];
    for (const r of of('Sidecar')) {
      this.#try(r, () => {
        const sc = readSidecar(r);
        const first = sc.selector ? undefined : sidecars.find((o) => !o.selector && o.namespace === sc.namespace);
        if (first) {
          this.#warn(sc.ref, 'spec.workloadSelector', `namespace ${sc.namespace} already has the Sidecar ${first.name} without a workloadSelector; this one is ignored`, 'conflict');
          return;
        }
        sidecars.push(sc);
      });
    }
    this.sidecars = sidecars;

    const authz: AuthorizationPolicyModel[] = [];
    for (const r of of('AuthorizationPolicy')) this.#try(r, () => authz.push(readAuthorizationPolicy(r)));
    this.authorizationPolicies = authz;
    const providers = meshExtensionProviders(input.meshConfig);
    for (const e of providers.errors) this.report({ ...MESH_CONFIG_ORIGIN, field: e.path, message: `${e.message}; this provider is left out`, severity: 'error', category: 'invalid' });
    for (const w of providers.warnings) this.report({ ...MESH_CONFIG_ORIGIN, field: w.path, message: w.message, severity: 'warning', category: 'unsupported' });
    this.extensionProviders = new Map(providers.value.map((p) => [p.name, p]));

    const pas: PeerAuthenticationModel[] = [];
    for (const r of of('PeerAuthentication')) {
      this.#try(r, () => pas.push(readPeerAuthentication(r, (field, message, severity) => this.#warn(refOf(r), field, message, 'invalid', severity))));
    }
    this.peerAuthentications = pas;

    const ras: RequestAuthenticationModel[] = [];
    for (const r of of('RequestAuthentication')) this.#try(r, () => ras.push(readRequestAuthentication(r)));
    this.requestAuthentications = ras;
  }

  /**
   * A workload's effective PeerAuthentication modes (by its namespace and
   * labels). Policies that lose to an older one of the same level are reported.
   */
  mtlsFor(namespace: string, labels: Record<string, string>): EffectiveMtls {
    return this.memo(`mtls|${namespace}|${JSON.stringify(Object.entries(labels).sort())}`, () =>
      effectiveMtls(this.peerAuthentications, this.rootNamespace, namespace, labels, (loser, winner) => {
        const level = loser.selector ? `also selects a workload (${JSON.stringify(labels)}) that` : loser.namespace === this.rootNamespace ? 'is a second mesh-wide policy; the mesh' : 'is a second namespace-wide policy; the namespace';
        this.#warn(loser.ref, loser.selector ? 'spec.selector' : 'spec', `${level} PeerAuthentication ${winner.namespace}/${winner.name} (older) applies${loser.selector ? ' to' : ''}; this one does not apply`, 'conflict');
      }),
    );
  }

  /**
   * The mode a service's namespace (namespace policy, else the mesh policy)
   * gives its workloads: auto mutual TLS is not used towards DISABLE (Istio's
   * inference leaves workload-level policies out: they need a DestinationRule).
   */
  namespaceMtlsMode(namespace: string): MtlsMode {
    return this.memo(`mtls-ns|${namespace}`, () => effectiveMtls(this.peerAuthentications, this.rootNamespace, namespace, undefined).mode);
  }

  /**
   * The identities a client accepts from a service's servers (Istio's secure
   * naming): the SPIFFE ids of its workloads' service accounts and the
   * ServiceEntry's subjectAltNames, sorted; empty when none is known (the
   * peer is then checked against the trust bundle only, as in Istio).
   */
  serviceIdentities(svc: Service): string[] {
    return this.memo(`sans|${svc.namespace}|${svc.hostname}`, () => {
      const ids = new Set(svc.subjectAltNames);
      for (const i of svc.instances) if (i.serviceAccount) ids.add(`spiffe://${this.trustDomain}/ns/${i.source.namespace}/sa/${i.serviceAccount}`);
      return [...ids].sort();
    });
  }

  /**
   * The Sidecar that applies to a sidecar proxy (Istio's order): the oldest one
   * in its namespace whose workloadSelector matches its labels, else its
   * namespace's Sidecar without selector, else the root namespace's one.
   * Gateways get none.
   */
  sidecarFor(proxy: Proxy): SidecarModel | undefined {
    if (proxy.type !== 'sidecar') return undefined;
    const selecting = this.sidecars.filter((s) => s.namespace === proxy.namespace && sidecarSelects(s, proxy.labels));
    for (const other of selecting.slice(1)) {
      this.#warn(other.ref, 'spec.workloadSelector', `Sidecar ${selecting[0].name} (older) also selects workload ${proxy.workloadName || proxy.id}; this one does not apply to it`, 'conflict');
    }
    if (selecting.length) return selecting[0];
    return this.sidecars.find((s) => !s.selector && s.namespace === proxy.namespace) ?? this.sidecars.find((s) => !s.selector && s.namespace === this.rootNamespace);
  }

  /**
   * What a proxy sees (Istio's SidecarScope): services, VirtualServices and
   * DestinationRules visible in its namespace (exportTo), narrowed by the
   * egress hosts of its Sidecar, if any. One per namespace and Sidecar per push.
   */
  scopeFor(proxy: Proxy): ProxyScope {
    const sidecar = this.sidecarFor(proxy);
    // Routes with sourceLabels differ per workload: then the labels are part of what proxies share.
    const bySource = this.memo('scope-by-source', () => this.virtualServices.some(matchesOnSource));
    const key = `${proxy.namespace}|${sidecar ? `${sidecar.namespace}/${sidecar.name}` : ''}${bySource ? `|${JSON.stringify(Object.entries(proxy.labels).sort())}` : ''}`;
    return this.memo(`scope|${key}`, () => new ProxyScope(this, proxy.namespace, sidecar, key, bySource ? proxy.labels : undefined));
  }

  /** The DestinationRule for `host` as a proxy in `namespace` sees it: its namespace's, then the service's, then the root namespace's (exportTo). */
  destinationRuleIn(host: string, namespace: string, serviceNamespace: string | undefined): DestinationRuleModel | undefined {
    const order = [namespace, serviceNamespace, this.rootNamespace].filter((n): n is string => !!n);
    for (const ns of order) {
      const candidates = this.destinationRules.filter((d) => d.namespace === ns && d.exportTo.visibleIn(namespace) && hostMatches(d.host, host));
      if (!candidates.length) continue;
      return candidates.find((d) => d.host === host) ?? candidates.sort((a, b) => specificity(b.host) - specificity(a.host))[0];
    }
    return undefined;
  }

  /** Cluster settings of a rule for (subset, port), translated once per push. */
  policyOf(dr: DestinationRuleModel, subset: string | undefined, port: number, proxyless: boolean): ClusterPolicy {
    return this.memo(`policy|${dr.namespace}/${dr.name}|${subset ?? ''}|${port}|${proxyless}`, () => {
      const s = subset ? dr.subsets.find((x) => x.name === subset) : undefined;
      return policyToCluster(effectivePolicy(dr, s, port), (f, m, severity) => this.#warn(dr.ref, f, m, 'unsupported', severity), proxyless);
    });
  }

  #try(r: ConfigResource, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.report({ severity: 'error', category: 'invalid', ...issueFrom(refOf(r), err) });
    }
  }

  #warn(ref: ResourceRef, field: string, message: string, category: IssueCategory, severity: Issue['severity'] = 'warning'): void {
    this.report({ severity, category, ...ref, field, message });
  }

  /**
   * Records an issue once per push context (also one found while generating
   * some proxy's configuration); returns whether it is new.
   */
  report(issue: Issue): boolean {
    const key = JSON.stringify([issue.kind, issue.namespace, issue.name, issue.field, issue.message]);
    if (this.#issueKeys.has(key)) return false;
    this.#issueKeys.add(key);
    this.issues.push(issue);
    return true;
  }

  /** Notes which Istio resources a generated Envoy resource (or route) came from. */
  attribute(resource: object, origins: Origin[]): void {
    this.#origins.set(resource, origins);
  }

  originsOf(resource: object): Origin[] | undefined {
    return this.#origins.get(resource);
  }

  /**
   * Translates a VirtualService once for every context it binds to and checks
   * the routes against the protos, so that one bad VirtualService is rejected
   * here, by name and field, instead of breaking some proxy's route table.
   */
  #dryRun(vs: VirtualServiceModel): void {
    for (const gateway of vs.gateways) {
      // At a gateway a claim match becomes metadata matchers (one issuer stands for those the gateway accepts, to check they encode).
      const claims = gateway === MESH_GATEWAY ? {} : { claimIssuers: ['dry-run-issuer'], claimWarn: () => {} };
      const ctx = { lookup: this, gateway, port: 0, proxyless: false, warn: (f: string, m: string) => this.#warn(vs.ref, f, m, 'unresolved'), ...claims };
      const routes = translateHttpRoutes(vs, ctx);
      routes.forEach((route, i) => {
        try {
          encodeMessage('envoy.config.route.v3.Route', route);
        } catch (err) {
          throw new Error(`route ${i} (${route.name ?? 'unnamed'}) is not a valid Envoy route: ${(err as Error).message}`, { cause: err });
        }
      });
      translateTcpRoute(vs, ctx);
      if (gateway !== MESH_GATEWAY) translateTlsRoutes(vs, ctx, ['*']);
    }
  }

  // --- RouteLookup --------------------------------------------------------

  service(host: string): Service | undefined {
    return this.#servicesByHost.get(host)?.[0];
  }

  destinationRule(host: string): DestinationRuleModel | undefined {
    return this.#drByHost.get(host) ?? this.#wildcardDrs.find((d) => hostMatches(d.host, host));
  }

  hasSubset(host: string, subset: string): boolean {
    return this.destinationRule(host)?.subsets.some((s) => s.name === subset) ?? false;
  }

  clusterPolicy(host: string, subset: string | undefined, port: number, proxyless = false): ClusterPolicy | undefined {
    const dr = this.destinationRule(host);
    return dr ? this.policyOf(dr, subset, port, proxyless) : undefined;
  }

  // --- indexes for generators ----------------------------------------------

  /** The VirtualService bound to `gateway` that owns `host`: exact host first, then the most specific wildcard, oldest first. */
  virtualServiceFor(host: string, gateway: string): VirtualServiceModel | undefined {
    return mostSpecificOwner(
      this.virtualServices.filter((vs) => vs.gateways.includes(gateway)),
      host,
    );
  }

  /** VirtualServices bound to a gateway (`namespace/name`) and exported to `namespace` (the gateway proxy's), oldest first. */
  virtualServicesForGateway(gatewayKey: string, namespace?: string): VirtualServiceModel[] {
    return this.virtualServices.filter((vs) => vs.gateways.includes(gatewayKey) && (namespace === undefined || vs.exportTo.visibleIn(namespace)));
  }

  /** Gateways whose selector matches the proxy's labels (Istio: from any namespace). */
  gatewaysFor(labels: Record<string, string>): GatewayModel[] {
    return this.gateways.filter((g) => Object.keys(g.selector).length > 0 && Object.entries(g.selector).every(([k, v]) => labels[k] === v));
  }

  /** The TLS credential `name` of `namespace` (Istio: a Secret in the gateway's namespace). */
  credential(namespace: string, name: string): Credential | undefined {
    return this.#credentials.get(credentialKey(namespace, name));
  }

  memo<T>(key: string, build: () => T): T {
    if (this.#memo.has(key)) return this.#memo.get(key) as T;
    const v = build();
    this.#memo.set(key, v);
    return v;
  }

  /** Issues as log-friendly strings. */
  describeIssues(): string[] {
    return this.issues.map((i) => `${i.severity}: ${describeIssue(i)}`);
  }
}

/** Whether two exportTo scopes share a namespace. */
function exportsOverlap(a: ExportScope, b: ExportScope): boolean {
  if (a.all) return b.all || b.namespaces.size > 0;
  if (b.all) return a.namespaces.size > 0;
  for (const n of a.namespaces) if (b.namespaces.has(n)) return true;
  return false;
}

export { MESH_GATEWAY };
