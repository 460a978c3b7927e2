// envoy.filters.network.http_connection_manager compiled: where routes come
// from (RDS name or inline), the HTTP filter chain, and the connection
// manager's header and timeout behaviour.
import { FaultConfig, FAULT_FILTER } from './fault-config.ts';
import { RouteTable, type CompileOptions } from './route-table.ts';
import { anyTypeName, durationMs, invalid, wrapped } from './proto-values.ts';

export const HCM_FILTER = 'envoy.filters.network.http_connection_manager';
export const HCM_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER_TYPE = 'envoy.extensions.filters.http.router.v3.Router';
const FAULT_TYPE = 'envoy.extensions.filters.http.fault.v3.HTTPFault';

/**
 * HTTP filters with no effect on what is routed where or who may pass
 * (telemetry, protocol hints): accepted and skipped. Anything else unknown
 * is rejected, as Envoy does, unless marked is_optional - silently skipping
 * e.g. an RBAC filter would let through traffic that must be denied.
 */
const PASSIVE_FILTERS = new Set([
  'istio.stats',
  'istio.metadata_exchange',
  'istio.alpn',
  'envoy.filters.http.grpc_stats',
  'envoy.filters.http.cors',
  'envoy.filters.http.wasm.stats',
]);

export type ServerHeader = 'OVERWRITE' | 'APPEND_IF_ABSENT' | 'PASS_THROUGH';

export interface AccessLogTarget {
  /** '/dev/stdout' (the default) or a file path. */
  path: string;
}

export class HcmConfig {
  readonly statPrefix: string;
  readonly rdsName: string | undefined;
  readonly inlineRoutes: RouteTable | undefined;
  readonly useRemoteAddress: boolean;
  readonly xffNumTrustedHops: number;
  readonly skipXffAppend: boolean;
  readonly generateRequestId: boolean;
  readonly preserveExternalRequestId: boolean;
  readonly alwaysSetRequestIdInResponse: boolean;
  readonly serverName: string;
  readonly serverHeader: ServerHeader;
  readonly stripAnyHostPort: boolean;
  readonly stripMatchingHostPort: boolean;
  readonly idleTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly maxRequestsPerConnection: number;
  readonly faultFilter: boolean;
  /** Filter-level fault config (a route's typed_per_filter_config overrides it). */
  readonly fault: FaultConfig | undefined;
  readonly accessLogs: AccessLogTarget[];
  readonly websocket: boolean;
  readonly ignoredFilters: string[];

  constructor(config: any, path: string, options: CompileOptions = {}) {
    this.statPrefix = config.statPrefix || 'http';
    if (config.rds && config.routeConfig) invalid(path, 'only one of rds and routeConfig may be set');
    if (config.scopedRoutes) invalid(`${path}.scopedRoutes`, 'scoped routes are not supported');
    if (config.rds) {
      this.rdsName = config.rds.routeConfigName;
      if (!this.rdsName) invalid(`${path}.rds.routeConfigName`, 'must not be empty');
      this.inlineRoutes = undefined;
    } else if (config.routeConfig) {
      this.rdsName = undefined;
      this.inlineRoutes = new RouteTable(config.routeConfig, options);
    } else {
      invalid(path, 'an HTTP connection manager needs rds or routeConfig');
    }
    this.useRemoteAddress = wrapped(config.useRemoteAddress, false);
    this.xffNumTrustedHops = Number(config.xffNumTrustedHops ?? 0);
    this.skipXffAppend = config.skipXffAppend === true;
    this.generateRequestId = wrapped(config.generateRequestId, true);
    this.preserveExternalRequestId = config.preserveExternalRequestId === true;
    this.alwaysSetRequestIdInResponse = config.alwaysSetRequestIdInResponse === true;
    this.serverName = config.serverName || 'envoy';
    this.serverHeader = (config.serverHeaderTransformation ?? 'OVERWRITE') as ServerHeader;
    this.stripAnyHostPort = config.stripAnyHostPort === true;
    this.stripMatchingHostPort = config.stripMatchingHostPort === true;
    this.idleTimeoutMs = durationMs(config.commonHttpProtocolOptions?.idleTimeout, `${path}.commonHttpProtocolOptions.idleTimeout`, 3_600_000);
    this.requestTimeoutMs = durationMs(config.requestTimeout, `${path}.requestTimeout`, 0);
    this.maxRequestsPerConnection = wrapped(config.commonHttpProtocolOptions?.maxRequestsPerConnection, 0);
    this.websocket = (config.upgradeConfigs ?? []).some((u: any) => String(u.upgradeType).toLowerCase() === 'websocket' && wrapped(u.enabled, true));

    const filters: any[] = config.httpFilters ?? [];
    let router = false;
    let faultFilter = false;
    let fault: FaultConfig | undefined;
    const ignored: string[] = [];
    filters.forEach((f, i) => {
      const p = `${path}.httpFilters[${i}]`;
      const type = anyTypeName(f.typedConfig);
      if (f.disabled === true) return;
      if (router) invalid(p, `the router filter must be the last HTTP filter (found ${f.name} after it)`);
      if (f.name === 'envoy.filters.http.router' || type === ROUTER_TYPE) router = true;
      else if (f.name === FAULT_FILTER || type === FAULT_TYPE) {
        faultFilter = true;
        const c = f.typedConfig ? new FaultConfig(f.typedConfig, `${p}.typedConfig`) : undefined;
        fault = c?.active ? c : undefined;
      } else if (PASSIVE_FILTERS.has(f.name) || f.isOptional === true) ignored.push(f.name);
      else invalid(p, `unsupported HTTP filter ${f.name}${type ? ` (${type})` : ''}; mark it is_optional to let the proxy skip it`);
    });
    if (!router) invalid(`${path}.httpFilters`, 'the HTTP filter chain must end with envoy.filters.http.router');
    this.faultFilter = faultFilter;
    this.fault = fault;
    this.ignoredFilters = ignored;
    this.accessLogs = (config.accessLog ?? []).map((a: any, i: number) => {
      const type = anyTypeName(a.typedConfig);
      if (a.name === 'envoy.access_loggers.file' || type.endsWith('FileAccessLog')) return { path: a.typedConfig?.path || '/dev/stdout' };
      if (a.name === 'envoy.access_loggers.stdout' || type.endsWith('StdoutAccessLog')) return { path: '/dev/stdout' };
      if (a.name === 'envoy.access_loggers.stderr' || type.endsWith('StderrAccessLog')) return { path: '/dev/stderr' };
      invalid(`${path}.accessLog[${i}]`, `unsupported access logger ${a.name || type}`);
    });
  }
}
