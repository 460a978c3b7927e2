// istioctl proxy-config: one proxy's configuration as its admin endpoint holds
// it (/config_dump, /clusters?format=json), in istioctl's tables or as JSON.
// The columns are istioctl's; the DESTINATION RULE and VIRTUAL SERVICE
// columns read Istio's `istio.config` filter metadata where pilot sets it.
import { X509Certificate } from 'node:crypto';
import type { Cluster, FilterChain, FilterChainMatch, HttpConnectionManager, Listener, Metadata, RouteConfiguration, RouteMatch, Secret, TcpProxy } from '@mesh/xds';
import { CliError, getJson } from './fetch-json.ts';
import { table } from './table.ts';

export const CONFIG_TYPES = ['cluster', 'listener', 'route', 'endpoint', 'secret', 'bootstrap', 'all'] as const;
export type ConfigType = (typeof CONFIG_TYPES)[number];

/** istioctl's names and short forms for each section. */
const ALIASES: Record<string, ConfigType> = {
  cluster: 'cluster',
  clusters: 'cluster',
  c: 'cluster',
  listener: 'listener',
  listeners: 'listener',
  l: 'listener',
  route: 'route',
  routes: 'route',
  r: 'route',
  endpoint: 'endpoint',
  endpoints: 'endpoint',
  ep: 'endpoint',
  secret: 'secret',
  secrets: 'secret',
  s: 'secret',
  bootstrap: 'bootstrap',
  b: 'bootstrap',
  all: 'all',
};

/** The section a name or short form stands for; undefined for anything else. */
export function configType(name: string): ConfigType | undefined {
  return Object.hasOwn(ALIASES, name) ? ALIASES[name] : undefined;
}

/** Filters istioctl offers on the tables (and on -o json). */
export interface ConfigFilters {
  fqdn?: string;
  port?: number;
  subset?: string;
  direction?: string;
  address?: string;
  name?: string;
  cluster?: string;
  status?: string;
}

/**
 * The sections of Envoy's admin ConfigDump istioctl reads (envoy.admin.v3.*ConfigDump), holding Envoy's messages
 * in the typed form the mesh uses everywhere, so a misspelt field fails tsc.
 */
interface DumpSections {
  versionInfo?: string;
  staticClusters?: Array<{ cluster: Cluster }>;
  dynamicActiveClusters?: Array<{ cluster: Cluster }>;
  staticListeners?: Array<{ listener: Listener }>;
  dynamicListeners?: Array<{ activeState?: { listener?: Listener } }>;
  staticRouteConfigs?: Array<{ routeConfig: RouteConfiguration }>;
  dynamicRouteConfigs?: Array<{ versionInfo?: string; routeConfig: RouteConfiguration }>;
  staticSecrets?: Array<{ name: string; secret: Secret }>;
  dynamicActiveSecrets?: Array<{ name: string; secret: Secret }>;
  dynamicWarmingSecrets?: Array<{ name: string; secret: Secret }>;
}
type DumpSection = DumpSections & { '@type'?: string; [field: string]: unknown };

/** What one proxy's admin endpoint holds. */
export interface ProxyConfigDump {
  configs: DumpSection[];
  clusterStatuses: Array<{ name: string; hosts: Array<{ address: string; health: string }> }>;
}

export async function fetchConfig(admin: string): Promise<ProxyConfigDump> {
  const base = admin.replace(/\/$/, '');
  const [dump, clusters] = await Promise.all([getJson(`${base}/config_dump`, 'the proxy admin endpoint'), getJson(`${base}/clusters?format=json`, 'the proxy admin endpoint')]);
  const configs = (dump as { configs?: unknown }).configs;
  if (!Array.isArray(configs)) throw new CliError(`${base}/config_dump has no configs`);
  return { configs, clusterStatuses: (clusters as { cluster_statuses?: ProxyConfigDump['clusterStatuses'] }).cluster_statuses ?? [] };
}

const section = (dump: ProxyConfigDump, type: string): DumpSection => dump.configs.find((c) => String(c['@type']).endsWith(`.${type}`)) ?? {};

/** The version of each type the proxy last applied (Envoy's versionInfo), keyed CDS/LDS/RDS. */
export function appliedVersions(dump: ProxyConfigDump): Record<string, string | undefined> {
  const firstRoute = section(dump, 'RoutesConfigDump').dynamicRouteConfigs?.[0];
  return { CDS: section(dump, 'ClustersConfigDump').versionInfo || undefined, LDS: section(dump, 'ListenersConfigDump').versionInfo || undefined, RDS: firstRoute?.versionInfo || undefined };
}

export function clusters(dump: ProxyConfigDump): Cluster[] {
  const s = section(dump, 'ClustersConfigDump');
  return [...(s.staticClusters ?? []), ...(s.dynamicActiveClusters ?? [])].map((c) => c.cluster);
}

export function listeners(dump: ProxyConfigDump): Listener[] {
  const s = section(dump, 'ListenersConfigDump');
  return [...(s.staticListeners ?? []).map((l) => l.listener), ...(s.dynamicListeners ?? []).flatMap((l) => (l.activeState?.listener ? [l.activeState.listener] : []))];
}

export function routeConfigs(dump: ProxyConfigDump): RouteConfiguration[] {
  const s = section(dump, 'RoutesConfigDump');
  return [...(s.staticRouteConfigs ?? []), ...(s.dynamicRouteConfigs ?? [])].map((r) => r.routeConfig);
}

/** `name.namespace` of the Istio resource in `istio.config` metadata (`/apis/<group>/<v>/namespaces/<ns>/<kind>/<name>`), or '-'. */
export function istioConfigName(metadata: Metadata | null | undefined): string {
  // A Struct in its proto form (`{fields: {config: {stringValue: ...}}}`), or as JSON (`{config: ...}`, Envoy's dump).
  const istio = metadata?.filterMetadata?.istio;
  const ref = istio?.fields?.config?.stringValue ?? (istio as { config?: unknown } | undefined)?.config;
  const m = typeof ref === 'string' ? /\/namespaces\/([^/]+)\/[^/]+\/([^/]+)$/.exec(ref) : null;
  return m ? `${m[2]}.${m[1]}` : '-';
}

/** Istio's cluster name `direction|port|subset|fqdn`, split; other names (BlackHoleCluster, ...) as they are. */
function clusterParts(name: string): { fqdn: string; port: string; subset: string; direction: string } {
  const p = name.split('|');
  if (p.length === 4) return { direction: p[0], port: p[1], subset: p[2] || '-', fqdn: p[3] };
  return { direction: '-', port: '-', subset: '-', fqdn: name };
}

export function clusterTable(dump: ProxyConfigDump, f: ConfigFilters = {}): string {
  const rows = selectClusters(dump, f).map((c) => {
    const p = clusterParts(c.name ?? '');
    return [p.fqdn, p.port, p.subset, p.direction, String(c.type ?? (c.clusterType ? c.clusterType.name : 'STATIC')), istioConfigName(c.metadata)];
  });
  return table(['SERVICE FQDN', 'PORT', 'SUBSET', 'DIRECTION', 'TYPE', 'DESTINATION RULE'], rows);
}

export function selectClusters(dump: ProxyConfigDump, f: ConfigFilters): Cluster[] {
  return clusters(dump)
    .filter((c) => {
      const p = clusterParts(c.name ?? '');
      return (f.fqdn === undefined || p.fqdn === f.fqdn || p.fqdn.startsWith(`${f.fqdn}.`)) && (f.port === undefined || p.port === String(f.port)) && (f.subset === undefined || p.subset === f.subset) && (f.direction === undefined || p.direction === f.direction);
    })
    .sort((a, b) => clusterSortKey(a.name ?? '').localeCompare(clusterSortKey(b.name ?? '')));
}

const clusterSortKey = (name: string) => {
  const p = clusterParts(name);
  return `${p.fqdn}|${p.port.padStart(5, '0')}|${p.subset}|${p.direction}`;
};

/** istioctl's MATCH column: what a filter chain matches on, or ALL. */
function chainMatch(m: FilterChainMatch | null | undefined): string {
  if (!m) return 'ALL';
  const parts: string[] = [];
  if (m.serverNames?.length) parts.push(`SNI: ${m.serverNames.join(',')}`);
  if (m.transportProtocol) parts.push(`Trans: ${m.transportProtocol}`);
  if (m.applicationProtocols?.length) parts.push(`App: ${m.applicationProtocols.join(',')}`);
  if (m.prefixRanges?.length) parts.push(`Addr: ${m.prefixRanges.map((r) => `${r.addressPrefix}/${r.prefixLen?.value ?? 32}`).join(',')}`);
  if (m.destinationPort?.value !== undefined) parts.push(`DstPort: ${m.destinationPort.value}`);
  return parts.length ? parts.join('; ') : 'ALL';
}

/** istioctl's DESTINATION column: where a filter chain sends traffic. */
function chainDestination(chain: FilterChain): string {
  for (const filter of chain.filters ?? []) {
    if (filter.name === 'envoy.filters.network.http_connection_manager') {
      const c = (filter.typedConfig ?? {}) as HttpConnectionManager;
      if (c.rds?.routeConfigName) return `Route: ${c.rds.routeConfigName}`;
      const action = c.routeConfig?.virtualHosts?.[0]?.routes?.[0]?.route;
      return action?.cluster ? `Inline Route: ${action.cluster}` : 'Inline Route';
    }
    if (filter.name === 'envoy.filters.network.tcp_proxy') {
      const c = (filter.typedConfig ?? {}) as TcpProxy;
      if (c.cluster) return `Cluster: ${c.cluster}`;
      const weighted = c.weightedClusters?.clusters ?? [];
      return `Clusters: ${weighted.map((w) => `${w.name}(${w.weight})`).join(',')}`;
    }
  }
  return 'Non-HTTP/Non-TCP';
}

export function selectListeners(dump: ProxyConfigDump, f: ConfigFilters): Listener[] {
  return listeners(dump)
    .filter((l) => {
      const a = l.address?.socketAddress ?? {};
      return (f.address === undefined || a.address === f.address) && (f.port === undefined || a.portValue === f.port);
    })
    .sort((a, b) => (a.address?.socketAddress?.portValue ?? 0) - (b.address?.socketAddress?.portValue ?? 0) || String(a.name).localeCompare(String(b.name)));
}

export function listenerTable(dump: ProxyConfigDump, f: ConfigFilters = {}): string {
  const rows: string[][] = [];
  for (const l of selectListeners(dump, f)) {
    const a = l.address?.socketAddress ?? {};
    const chains = l.filterChains ?? [];
    if (chains.length === 0) rows.push([a.address ?? '-', String(a.portValue ?? '-'), 'ALL', l.useOriginalDst?.value ? 'PassthroughCluster' : 'Non-HTTP/Non-TCP']);
    for (const chain of chains) rows.push([a.address ?? '-', String(a.portValue ?? '-'), chainMatch(chain.filterChainMatch), chainDestination(chain)]);
  }
  return table(['ADDRESSES', 'PORT', 'MATCH', 'DESTINATION'], rows);
}

/** istioctl's MATCH column for a route. */
function routeMatch(m: RouteMatch | null | undefined): string {
  if (!m) return '/*';
  if (m.prefix !== undefined) return `${m.prefix}*`;
  if (m.path !== undefined) return m.path;
  if (m.safeRegex?.regex !== undefined) return m.safeRegex.regex;
  if (m.pathSeparatedPrefix !== undefined) return `${m.pathSeparatedPrefix}/*`;
  return '/*';
}

export function selectRoutes(dump: ProxyConfigDump, f: ConfigFilters): RouteConfiguration[] {
  return routeConfigs(dump)
    .filter((r) => f.name === undefined || r.name === f.name)
    .sort((a, b) => String(a.name).localeCompare(String(b.name)));
}

export function routeTable(dump: ProxyConfigDump, f: ConfigFilters = {}): string {
  const rows: string[][] = [];
  for (const rc of selectRoutes(dump, f)) {
    for (const vh of rc.virtualHosts ?? []) {
      const domains: string[] = vh.domains ?? [];
      const shown = domains.length > 2 ? `${domains[0]} + ${domains.length - 1} more...` : domains.join(', ');
      for (const r of vh.routes ?? []) rows.push([rc.name ?? '-', vh.name ?? '-', shown, routeMatch(r.match), istioConfigName(r.metadata)]);
    }
  }
  return table(['NAME', 'VHOST NAME', 'DOMAINS', 'MATCH', 'VIRTUAL SERVICE'], rows);
}

interface EndpointRow {
  address: string;
  status: string;
  outlier: string;
  cluster: string;
}

export function selectEndpoints(dump: ProxyConfigDump, f: ConfigFilters): EndpointRow[] {
  const rows: EndpointRow[] = [];
  for (const c of dump.clusterStatuses) {
    if (f.cluster !== undefined && c.name !== f.cluster) continue;
    for (const h of c.hosts ?? []) {
      // Envoy's health flags: healthy, or the reason a host is not (an outlier ejection is its own column in istioctl).
      const outlier = h.health.includes('failed_outlier_check') ? 'FAILED' : 'OK';
      const status = h.health === 'healthy' ? 'HEALTHY' : outlier === 'FAILED' ? 'HEALTHY' : 'UNHEALTHY';
      if (f.status !== undefined && status !== f.status.toUpperCase()) continue;
      if (f.address !== undefined && !h.address.startsWith(`${f.address}:`) && h.address !== f.address) continue;
      if (f.port !== undefined && !h.address.endsWith(`:${f.port}`)) continue;
      rows.push({ address: h.address, status, outlier, cluster: c.name });
    }
  }
  return rows.sort((a, b) => a.cluster.localeCompare(b.cluster) || a.address.localeCompare(b.address));
}

export function endpointTable(dump: ProxyConfigDump, f: ConfigFilters = {}): string {
  return table(
    ['ENDPOINT', 'STATUS', 'OUTLIER CHECK', 'CLUSTER'],
    selectEndpoints(dump, f).map((e) => [e.address, e.status, e.outlier, e.cluster]),
  );
}

export function secrets(dump: ProxyConfigDump): Array<{ name: string; state: 'ACTIVE' | 'WARMING'; secret: Secret }> {
  const s = section(dump, 'SecretsConfigDump');
  return [
    ...(s.staticSecrets ?? []).map((x) => ({ name: x.name, state: 'ACTIVE' as const, secret: x.secret })),
    ...(s.dynamicActiveSecrets ?? []).map((x) => ({ name: x.name, state: 'ACTIVE' as const, secret: x.secret })),
    ...(s.dynamicWarmingSecrets ?? []).map((x) => ({ name: x.name, state: 'WARMING' as const, secret: x.secret })),
  ];
}

/** The first certificate of base64 PEM bytes, or undefined. */
function firstCertificate(inlineBytes: unknown): X509Certificate | undefined {
  if (typeof inlineBytes !== 'string') return undefined;
  const pem = Buffer.from(inlineBytes, 'base64').toString();
  const end = pem.indexOf('-----END CERTIFICATE-----');
  if (end < 0) return undefined;
  try {
    return new X509Certificate(pem.slice(0, end + '-----END CERTIFICATE-----'.length));
  } catch {
    return undefined;
  }
}

export function secretTable(dump: ProxyConfigDump, now = new Date()): string {
  const rows = secrets(dump).map(({ name, state, secret }) => {
    const ca = secret?.validationContext !== undefined;
    const cert = firstCertificate(ca ? secret.validationContext?.trustedCa?.inlineBytes : secret?.tlsCertificate?.certificateChain?.inlineBytes);
    const valid = cert !== undefined && new Date(cert.validFrom) <= now && now <= new Date(cert.validTo);
    return [
      name,
      ca ? 'CA' : 'Cert Chain',
      state,
      cert ? String(valid) : 'false',
      cert ? cert.serialNumber.toLowerCase() : '-',
      cert ? new Date(cert.validTo).toISOString() : '-',
      cert ? new Date(cert.validFrom).toISOString() : '-',
    ];
  });
  return table(['RESOURCE NAME', 'TYPE', 'STATUS', 'VALID CERT', 'SERIAL NUMBER', 'NOT AFTER', 'NOT BEFORE'], rows);
}

/** One section as istioctl prints it: a table, or (-o json) the selected resources. */
export function render(dump: ProxyConfigDump, type: ConfigType, output: 'table' | 'json', f: ConfigFilters = {}): string {
  if (output === 'json') {
    const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';
    switch (type) {
      case 'cluster':
        return json(selectClusters(dump, f));
      case 'listener':
        return json(selectListeners(dump, f));
      case 'route':
        return json(selectRoutes(dump, f));
      case 'endpoint':
        return json(selectEndpoints(dump, f));
      case 'secret':
        return json(secrets(dump).map((s) => ({ name: s.name, state: s.state, secret: s.secret })));
      case 'bootstrap':
        return json(section(dump, 'BootstrapConfigDump'));
      case 'all':
        return json({ configs: dump.configs });
    }
  }
  switch (type) {
    case 'cluster':
      return clusterTable(dump, f);
    case 'listener':
      return listenerTable(dump, f);
    case 'route':
      return routeTable(dump, f);
    case 'endpoint':
      return endpointTable(dump, f);
    case 'secret':
      return secretTable(dump);
    case 'bootstrap':
      // As istioctl: the bootstrap has no table.
      return render(dump, 'bootstrap', 'json', f);
    case 'all':
      return [clusterTable(dump, f), listenerTable(dump, f), routeTable(dump, f), endpointTable(dump, f), secretTable(dump)].join('\n');
  }
}
