// The proxy's own counters and histograms. Requests touch plain numbers on
// objects resolved once per cluster/listener (no label hashing on the hot
// path); rendering to Envoy's /stats text and to Prometheus (Envoy's and
// Istio's metric names) happens only when scraped.

/** Istio's default duration buckets, in milliseconds. */
export const DURATION_BUCKETS_MS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

export class Histogram {
  readonly counts = new Float64Array(DURATION_BUCKETS_MS.length + 1);
  sum = 0;
  count = 0;

  observe(ms: number): void {
    let i = 0;
    while (i < DURATION_BUCKETS_MS.length && ms > DURATION_BUCKETS_MS[i]) i++;
    this.counts[i]++;
    this.sum += ms;
    this.count++;
  }

  /** An approximate quantile from the buckets (upper bound of the bucket that holds it). */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= q * this.count) return DURATION_BUCKETS_MS[i] ?? Infinity;
    }
    return Infinity;
  }
}

export class IstioSeries {
  requests = 0;
  readonly duration = new Histogram();
  readonly labels: string;

  constructor(labels: string) {
    this.labels = labels;
  }
}

export interface IstioIdentity {
  /** 'source' for outbound traffic, 'destination' for inbound. */
  workload: string;
  namespace: string;
  app: string;
  version: string;
}

/** Splits an Istio cluster name: outbound|80|v1|reviews.default.svc.cluster.local. */
export function parseClusterName(name: string): { direction: string; port: string; subset: string; host: string } | undefined {
  const parts = name.split('|');
  if (parts.length !== 4 || (parts[0] !== 'outbound' && parts[0] !== 'inbound')) return undefined;
  return { direction: parts[0], port: parts[1], subset: parts[2], host: parts[3] };
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export class ClusterStats {
  rqTotal = 0;
  rqActive = 0;
  readonly rqClass = new Float64Array(6);
  readonly rqCodes = new Map<number, number>();
  readonly rqTime = new Histogram();
  cxConnectFail = 0;
  cxTotal = 0;
  rqTimeout = 0;
  rqPerTryTimeout = 0;
  rqRetry = 0;
  rqRetrySuccess = 0;
  rqRetryOverflow = 0;
  rqPendingOverflow = 0;
  rqReset = 0;
  ejections = 0;
  /** Istio series by response code then response flags. */
  readonly istio = new Map<number, Map<string, IstioSeries>>();
  readonly istioBase: string;

  readonly name: string;

  constructor(name: string, identity: IstioIdentity) {
    this.name = name;
    const parsed = parseClusterName(name);
    const host = parsed?.host || name;
    const [svcName, svcNs] = host.split('.');
    const inbound = parsed?.direction === 'inbound';
    const labels: Record<string, string> = {
      reporter: inbound ? 'destination' : 'source',
      source_workload: inbound ? 'unknown' : identity.workload,
      source_workload_namespace: inbound ? 'unknown' : identity.namespace,
      source_app: inbound ? 'unknown' : identity.app,
      destination_workload: inbound ? identity.workload : 'unknown',
      destination_workload_namespace: inbound ? identity.namespace : 'unknown',
      destination_app: inbound ? identity.app : 'unknown',
      destination_version: inbound ? identity.version : 'unknown',
      destination_service: inbound ? 'unknown' : host,
      destination_service_name: inbound ? 'unknown' : (svcName ?? host),
      destination_service_namespace: inbound ? identity.namespace : (svcNs ?? 'unknown'),
      destination_cluster: name,
      request_protocol: 'http',
      connection_security_policy: 'none',
    };
    this.istioBase = Object.entries(labels)
      .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
      .join(',');
  }

  /** Records one completed upstream request as Envoy and Istio count it. */
  record(status: number, durationMs: number, flags: string): void {
    this.rqTotal++;
    this.rqClass[(status / 100) | 0]++;
    this.rqCodes.set(status, (this.rqCodes.get(status) ?? 0) + 1);
    this.rqTime.observe(durationMs);
    let byFlags = this.istio.get(status);
    if (byFlags === undefined) this.istio.set(status, (byFlags = new Map()));
    let series = byFlags.get(flags);
    if (series === undefined) {
      series = new IstioSeries(`${this.istioBase},response_code="${status}",response_flags="${escapeLabel(flags)}"`);
      byFlags.set(flags, series);
    }
    series.requests++;
    series.duration.observe(durationMs);
  }
}

export class HttpStats {
  rqTotal = 0;
  rqActive = 0;
  readonly rqClass = new Float64Array(6);
  readonly rqTime = new Histogram();
  cxTotal = 0;
  cxActive = 0;
  noRoute = 0;
  noCluster = 0;
  noHealthyUpstream = 0;
  rqTimeout = 0;
  faultDelays = 0;
  faultAborts = 0;
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }
}

export interface MembershipSource {
  /** name → [healthy, total] */
  membership(): Map<string, [number, number]>;
  listenerCount(): number;
}

export class StatsStore {
  readonly clusters = new Map<string, ClusterStats>();
  readonly http = new Map<string, HttpStats>();
  readonly started = Date.now();
  identity: IstioIdentity;

  constructor(identity: IstioIdentity) {
    this.identity = identity;
  }

  cluster(name: string): ClusterStats {
    let s = this.clusters.get(name);
    if (s === undefined) this.clusters.set(name, (s = new ClusterStats(name, this.identity)));
    return s;
  }

  httpPrefix(prefix: string): HttpStats {
    let s = this.http.get(prefix);
    if (s === undefined) this.http.set(prefix, (s = new HttpStats(prefix)));
    return s;
  }

  /** Envoy's /stats text format: `name: value` lines, sorted. */
  renderText(source: MembershipSource): string {
    const lines: string[] = [];
    const membership = source.membership();
    for (const [name, c] of this.clusters) {
      const p = `cluster.${name}.`;
      lines.push(`${p}upstream_rq_total: ${c.rqTotal}`, `${p}upstream_rq_active: ${c.rqActive}`);
      for (let i = 1; i < 6; i++) if (c.rqClass[i]) lines.push(`${p}upstream_rq_${i}xx: ${c.rqClass[i]}`);
      for (const [code, n] of c.rqCodes) lines.push(`${p}upstream_rq_${code}: ${n}`);
      lines.push(
        `${p}upstream_cx_total: ${c.cxTotal}`,
        `${p}upstream_cx_connect_fail: ${c.cxConnectFail}`,
        `${p}upstream_rq_timeout: ${c.rqTimeout}`,
        `${p}upstream_rq_per_try_timeout: ${c.rqPerTryTimeout}`,
        `${p}upstream_rq_retry: ${c.rqRetry}`,
        `${p}upstream_rq_retry_success: ${c.rqRetrySuccess}`,
        `${p}upstream_rq_retry_overflow: ${c.rqRetryOverflow}`,
        `${p}upstream_rq_pending_overflow: ${c.rqPendingOverflow}`,
        `${p}upstream_rq_tx_reset: ${c.rqReset}`,
        `${p}outlier_detection.ejections_enforced_total: ${c.ejections}`,
      );
      const m = membership.get(name);
      if (m) lines.push(`${p}membership_healthy: ${m[0]}`, `${p}membership_total: ${m[1]}`);
    }
    for (const [prefix, h] of this.http) {
      const p = `http.${prefix}.`;
      lines.push(`${p}downstream_rq_total: ${h.rqTotal}`, `${p}downstream_rq_active: ${h.rqActive}`);
      for (let i = 1; i < 6; i++) lines.push(`${p}downstream_rq_${i}xx: ${h.rqClass[i]}`);
      lines.push(
        `${p}downstream_cx_total: ${h.cxTotal}`,
        `${p}downstream_cx_active: ${h.cxActive}`,
        `${p}no_route: ${h.noRoute}`,
        `${p}no_cluster: ${h.noCluster}`,
        `${p}rq_timeout: ${h.rqTimeout}`,
        `${p}fault.delays_injected: ${h.faultDelays}`,
        `${p}fault.aborts_injected: ${h.faultAborts}`,
      );
    }
    lines.push(`listener_manager.total_listeners_active: ${source.listenerCount()}`, `server.uptime: ${Math.floor((Date.now() - this.started) / 1000)}`);
    return lines.sort().join('\n') + '\n';
  }

  /** Prometheus text exposition with Envoy's (envoy_*) and Istio's (istio_*) names. */
  renderPrometheus(source: MembershipSource): string {
    const out: string[] = [];
    const family = (name: string, type: string, help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    const hist = (name: string, labels: string, h: Histogram) => {
      let cum = 0;
      for (let i = 0; i < DURATION_BUCKETS_MS.length; i++) {
        cum += h.counts[i];
        out.push(`${name}_bucket{${labels},le="${DURATION_BUCKETS_MS[i]}"} ${cum}`);
      }
      out.push(`${name}_bucket{${labels},le="+Inf"} ${h.count}`, `${name}_sum{${labels}} ${h.sum}`, `${name}_count{${labels}} ${h.count}`);
    };

    family('istio_requests_total', 'counter', 'Requests handled by the proxy, by destination and response code.');
    for (const c of this.clusters.values()) for (const m of c.istio.values()) for (const s of m.values()) out.push(`istio_requests_total{${s.labels}} ${s.requests}`);
    family('istio_request_duration_milliseconds', 'histogram', 'Request duration, by destination and response code.');
    for (const c of this.clusters.values()) for (const m of c.istio.values()) for (const s of m.values()) hist('istio_request_duration_milliseconds', s.labels, s.duration);

    const clusterCounter = (name: string, help: string, get: (c: ClusterStats) => number) => {
      family(name, 'counter', help);
      for (const c of this.clusters.values()) out.push(`${name}{cluster_name="${escapeLabel(c.name)}"} ${get(c)}`);
    };
    clusterCounter('envoy_cluster_upstream_rq_total', 'Upstream requests.', (c) => c.rqTotal);
    family('envoy_cluster_upstream_rq_active', 'gauge', 'Upstream requests in flight.');
    for (const c of this.clusters.values()) out.push(`envoy_cluster_upstream_rq_active{cluster_name="${escapeLabel(c.name)}"} ${c.rqActive}`);
    family('envoy_cluster_upstream_rq', 'counter', 'Upstream requests by response code.');
    for (const c of this.clusters.values()) {
      for (const [code, n] of c.rqCodes) out.push(`envoy_cluster_upstream_rq{envoy_response_code="${code}",cluster_name="${escapeLabel(c.name)}"} ${n}`);
    }
    family('envoy_cluster_upstream_rq_xx', 'counter', 'Upstream requests by response code class.');
    for (const c of this.clusters.values()) {
      for (let i = 1; i < 6; i++) out.push(`envoy_cluster_upstream_rq_xx{envoy_response_code_class="${i}",cluster_name="${escapeLabel(c.name)}"} ${c.rqClass[i]}`);
    }
    family('envoy_cluster_upstream_rq_time', 'histogram', 'Upstream request time in milliseconds.');
    for (const c of this.clusters.values()) hist('envoy_cluster_upstream_rq_time', `cluster_name="${escapeLabel(c.name)}"`, c.rqTime);
    clusterCounter('envoy_cluster_upstream_cx_total', 'Upstream connections opened.', (c) => c.cxTotal);
    clusterCounter('envoy_cluster_upstream_cx_connect_fail', 'Upstream connection failures.', (c) => c.cxConnectFail);
    clusterCounter('envoy_cluster_upstream_rq_timeout', 'Upstream requests that timed out.', (c) => c.rqTimeout);
    clusterCounter('envoy_cluster_upstream_rq_per_try_timeout', 'Upstream attempts that hit the per-try timeout.', (c) => c.rqPerTryTimeout);
    clusterCounter('envoy_cluster_upstream_rq_retry', 'Upstream request retries.', (c) => c.rqRetry);
    clusterCounter('envoy_cluster_upstream_rq_retry_success', 'Retries that succeeded.', (c) => c.rqRetrySuccess);
    clusterCounter('envoy_cluster_upstream_rq_pending_overflow', 'Requests rejected by the circuit breaker.', (c) => c.rqPendingOverflow);
    clusterCounter('envoy_cluster_outlier_detection_ejections_enforced_total', 'Hosts ejected by outlier detection.', (c) => c.ejections);
    const membership = source.membership();
    family('envoy_cluster_membership_healthy', 'gauge', 'Healthy hosts in the cluster.');
    for (const [name, [healthy]] of membership) out.push(`envoy_cluster_membership_healthy{cluster_name="${escapeLabel(name)}"} ${healthy}`);
    family('envoy_cluster_membership_total', 'gauge', 'Hosts in the cluster.');
    for (const [name, [, total]] of membership) out.push(`envoy_cluster_membership_total{cluster_name="${escapeLabel(name)}"} ${total}`);

    const httpLabel = (h: HttpStats) => `http_conn_manager_prefix="${escapeLabel(h.prefix)}"`;
    family('envoy_http_downstream_rq_total', 'counter', 'Downstream requests.');
    for (const h of this.http.values()) out.push(`envoy_http_downstream_rq_total{${httpLabel(h)}} ${h.rqTotal}`);
    family('envoy_http_downstream_rq_active', 'gauge', 'Downstream requests in flight.');
    for (const h of this.http.values()) out.push(`envoy_http_downstream_rq_active{${httpLabel(h)}} ${h.rqActive}`);
    family('envoy_http_downstream_rq_xx', 'counter', 'Downstream responses by code class.');
    for (const h of this.http.values()) for (let i = 1; i < 6; i++) out.push(`envoy_http_downstream_rq_xx{envoy_response_code_class="${i}",${httpLabel(h)}} ${h.rqClass[i]}`);
    family('envoy_http_downstream_rq_time', 'histogram', 'Downstream request time in milliseconds.');
    for (const h of this.http.values()) hist('envoy_http_downstream_rq_time', httpLabel(h), h.rqTime);
    family('envoy_http_downstream_cx_total', 'counter', 'Downstream connections accepted.');
    for (const h of this.http.values()) out.push(`envoy_http_downstream_cx_total{${httpLabel(h)}} ${h.cxTotal}`);
    family('envoy_http_downstream_cx_active', 'gauge', 'Downstream connections open.');
    for (const h of this.http.values()) out.push(`envoy_http_downstream_cx_active{${httpLabel(h)}} ${h.cxActive}`);
    family('envoy_http_no_route', 'counter', 'Requests that matched no route.');
    for (const h of this.http.values()) out.push(`envoy_http_no_route{${httpLabel(h)}} ${h.noRoute}`);
    family('envoy_listener_manager_total_listeners_active', 'gauge', 'Listeners bound and serving.');
    out.push(`envoy_listener_manager_total_listeners_active ${source.listenerCount()}`);
    family('envoy_server_uptime', 'gauge', 'Seconds since the proxy started.');
    out.push(`envoy_server_uptime ${Math.floor((Date.now() - this.started) / 1000)}`);
    return out.join('\n') + '\n';
  }
}
