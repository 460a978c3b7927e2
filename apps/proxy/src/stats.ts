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

/** What a cluster keeps once it has served a request: response codes, the duration histogram, Istio's series. */
export class ClusterDetail {
  readonly rqClass = [0, 0, 0, 0, 0, 0];
  readonly rqCodes = new Map<number, number>();
  readonly rqTime = new Histogram();
  /** Istio series by response code then response flags. */
  readonly istio = new Map<number, Map<string, IstioSeries>>();
  readonly istioBase: string;

  constructor(name: string, identity: IstioIdentity) {
    this.istioBase = istioLabels(name, identity);
  }
}

function istioLabels(name: string, identity: IstioIdentity): string {
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
  return Object.entries(labels)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',');
}

/**
 * One cluster's counters. A sidecar of a big mesh holds thousands of clusters
 * and sends to a few, so a cluster is a handful of numbers until its first
 * request: the response-code map, the histogram and the Istio label string
 * (about 1.5 KiB a cluster) are allocated then.
 */
export class ClusterStats {
  rqTotal = 0;
  rqActive = 0;
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
  readonly name: string;
  readonly #identity: IstioIdentity;
  #detail: ClusterDetail | undefined;

  constructor(name: string, identity: IstioIdentity) {
    this.name = name;
    this.#identity = identity;
  }

  #d(): ClusterDetail {
    return (this.#detail ??= new ClusterDetail(this.name, this.#identity));
  }

  /** The detail if a request was ever recorded (renderers read it without allocating it). */
  get detail(): Readonly<ClusterDetail> | undefined {
    return this.#detail;
  }

  /** Completed requests by class (index 2 = 2xx). */
  get rqClass(): readonly number[] {
    return this.#d().rqClass;
  }

  get rqCodes(): ReadonlyMap<number, number> {
    return this.#d().rqCodes;
  }

  get rqTime(): Histogram {
    return this.#d().rqTime;
  }

  /** Istio series by response code then response flags. */
  get istio(): ReadonlyMap<number, ReadonlyMap<string, IstioSeries>> {
    return this.#d().istio;
  }

  get istioBase(): string {
    return this.#d().istioBase;
  }

  /** Whether anything was ever counted: only used clusters get per-cluster Prometheus series. */
  get used(): boolean {
    return (
      this.#detail !== undefined ||
      this.rqActive !== 0 ||
      this.cxTotal !== 0 ||
      this.cxConnectFail !== 0 ||
      this.rqTimeout !== 0 ||
      this.rqPerTryTimeout !== 0 ||
      this.rqRetry !== 0 ||
      this.rqRetryOverflow !== 0 ||
      this.rqPendingOverflow !== 0 ||
      this.rqReset !== 0 ||
      this.ejections !== 0
    );
  }

  /** Records one completed upstream request as Envoy and Istio count it. */
  record(status: number, durationMs: number, flags: string): void {
    const d = this.#d();
    this.rqTotal++;
    d.rqClass[(status / 100) | 0]++;
    d.rqCodes.set(status, (d.rqCodes.get(status) ?? 0) + 1);
    d.rqTime.observe(durationMs);
    let byFlags = d.istio.get(status);
    if (byFlags === undefined) d.istio.set(status, (byFlags = new Map()));
    let series = byFlags.get(flags);
    if (series === undefined) {
      series = new IstioSeries(`${d.istioBase},response_code="${status}",response_flags="${escapeLabel(flags)}"`);
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
  // The HTTP/1.1 codec's connection counters (CodecStats in http/h1-server.ts) and path normalization.
  cxOverflow = 0;
  cxProtocolError = 0;
  cxIdleTimeout = 0;
  rqHeaderTimeout = 0;
  rqIdleTimeout = 0;
  rqRxReset = 0;
  flowControlPausedReading = 0;
  handlerErrors = 0;
  rqFailedPathNormalization = 0;
  rqRedirectedWithNormalizedPath = 0;
  /** The RBAC filters' counters by name under this prefix (`rbac.allowed`, `<rules_stat_prefix>rbac.denied`, ...). */
  readonly rbac = new Map<string, number>();
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }
}

export interface MembershipSource {
  /** name → [healthy, total] */
  membership(): Map<string, [number, number]>;
  listenerCount(): number;
  /** Envoy /stats lines kept by the listeners themselves (listener.<prefix>.*, tcp.<prefix>.*). */
  statLines(): string[];
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

  /**
   * Forgets the counters of clusters no longer configured (Envoy frees a removed
   * cluster's stats too), so config churn does not grow the store. Requests still
   * in flight on a removed cluster keep their object until they finish.
   */
  retainClusters(names: Iterable<string>): void {
    const keep = new Set(names);
    for (const name of this.clusters.keys()) if (!keep.has(name)) this.clusters.delete(name);
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
      const d = c.detail;
      if (d !== undefined) {
        for (let i = 1; i < 6; i++) if (d.rqClass[i]) lines.push(`${p}upstream_rq_${i}xx: ${d.rqClass[i]}`);
        for (const [code, n] of d.rqCodes) lines.push(`${p}upstream_rq_${code}: ${n}`);
      }
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
        `${p}downstream_cx_overflow: ${h.cxOverflow}`,
        `${p}downstream_cx_protocol_error: ${h.cxProtocolError}`,
        `${p}downstream_cx_idle_timeout: ${h.cxIdleTimeout}`,
        `${p}downstream_rq_header_timeout: ${h.rqHeaderTimeout}`,
        `${p}downstream_rq_idle_timeout: ${h.rqIdleTimeout}`,
        `${p}downstream_rq_rx_reset: ${h.rqRxReset}`,
        `${p}downstream_flow_control_paused_reading_total: ${h.flowControlPausedReading}`,
        `${p}downstream_rq_handler_error: ${h.handlerErrors}`,
        `${p}downstream_rq_failed_path_normalization: ${h.rqFailedPathNormalization}`,
        `${p}downstream_rq_redirected_with_normalized_path: ${h.rqRedirectedWithNormalizedPath}`,
      );
      for (const [name, n] of h.rbac) lines.push(`${p}${name}: ${n}`);
    }
    lines.push(...source.statLines());
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

    // Per-cluster series (membership gauges included) only for clusters that saw traffic, as
    // Envoy's `usedonly` filter does: a sidecar of a 1,000-service mesh holds 3,000 clusters, and
    // every series of each made a 13 MB scrape every 15 s. /stats and /clusters list them all.
    const used: ClusterStats[] = [];
    const detailed: Array<{ c: ClusterStats; d: NonNullable<ClusterStats['detail']> }> = [];
    for (const c of this.clusters.values()) {
      if (!c.used) continue;
      used.push(c);
      const d = c.detail;
      if (d !== undefined) detailed.push({ c, d });
    }
    family('istio_requests_total', 'counter', 'Requests handled by the proxy, by destination and response code.');
    for (const { d } of detailed) for (const m of d.istio.values()) for (const s of m.values()) out.push(`istio_requests_total{${s.labels}} ${s.requests}`);
    family('istio_request_duration_milliseconds', 'histogram', 'Request duration, by destination and response code.');
    for (const { d } of detailed) for (const m of d.istio.values()) for (const s of m.values()) hist('istio_request_duration_milliseconds', s.labels, s.duration);

    const clusterCounter = (name: string, help: string, get: (c: ClusterStats) => number) => {
      family(name, 'counter', help);
      for (const c of used) out.push(`${name}{cluster_name="${escapeLabel(c.name)}"} ${get(c)}`);
    };
    clusterCounter('envoy_cluster_upstream_rq_total', 'Upstream requests.', (c) => c.rqTotal);
    family('envoy_cluster_upstream_rq_active', 'gauge', 'Upstream requests in flight.');
    for (const c of used) out.push(`envoy_cluster_upstream_rq_active{cluster_name="${escapeLabel(c.name)}"} ${c.rqActive}`);
    family('envoy_cluster_upstream_rq', 'counter', 'Upstream requests by response code.');
    for (const { c, d } of detailed) {
      for (const [code, n] of d.rqCodes) out.push(`envoy_cluster_upstream_rq{envoy_response_code="${code}",cluster_name="${escapeLabel(c.name)}"} ${n}`);
    }
    family('envoy_cluster_upstream_rq_xx', 'counter', 'Upstream requests by response code class.');
    for (const c of used) {
      const classes = c.detail?.rqClass;
      for (let i = 1; i < 6; i++) out.push(`envoy_cluster_upstream_rq_xx{envoy_response_code_class="${i}",cluster_name="${escapeLabel(c.name)}"} ${classes?.[i] ?? 0}`);
    }
    family('envoy_cluster_upstream_rq_time', 'histogram', 'Upstream request time in milliseconds.');
    for (const { c, d } of detailed) hist('envoy_cluster_upstream_rq_time', `cluster_name="${escapeLabel(c.name)}"`, d.rqTime);
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
    for (const c of used) {
      const m = membership.get(c.name);
      if (m) out.push(`envoy_cluster_membership_healthy{cluster_name="${escapeLabel(c.name)}"} ${m[0]}`);
    }
    family('envoy_cluster_membership_total', 'gauge', 'Hosts in the cluster.');
    for (const c of used) {
      const m = membership.get(c.name);
      if (m) out.push(`envoy_cluster_membership_total{cluster_name="${escapeLabel(c.name)}"} ${m[1]}`);
    }

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
    for (const [name, help, get] of [
      ['downstream_cx_overflow', 'Connections refused over the listener connection limit.', (h: HttpStats) => h.cxOverflow],
      ['downstream_cx_protocol_error', 'Connections closed for a malformed request.', (h: HttpStats) => h.cxProtocolError],
      ['downstream_cx_idle_timeout', 'Connections closed by the idle timeout.', (h: HttpStats) => h.cxIdleTimeout],
      ['downstream_rq_header_timeout', 'Requests whose head did not arrive in time.', (h: HttpStats) => h.rqHeaderTimeout],
      ['downstream_rq_idle_timeout', 'Streams ended by the stream idle timeout.', (h: HttpStats) => h.rqIdleTimeout],
      ['downstream_rq_rx_reset', 'Requests whose client went away or broke the body.', (h: HttpStats) => h.rqRxReset],
      ['downstream_flow_control_paused_reading_total', 'Times a connection stopped reading at its buffer limit.', (h: HttpStats) => h.flowControlPausedReading],
      ['downstream_rq_failed_path_normalization', 'Requests refused by path normalization.', (h: HttpStats) => h.rqFailedPathNormalization],
      ['downstream_rq_redirected_with_normalized_path', 'Requests redirected to their normalized path.', (h: HttpStats) => h.rqRedirectedWithNormalizedPath],
    ] as const) {
      family(`envoy_http_${name}`, 'counter', help);
      for (const h of this.http.values()) out.push(`envoy_http_${name}{${httpLabel(h)}} ${get(h)}`);
    }
    // The HTTP filters' counters (RBAC, jwt_authn, ext_authz: `http.<prefix>.ext_authz.ok`) with the connection
    // manager's prefix as a label, as Envoy's tag extraction names them (envoy_http_ext_authz_ok{http_conn_manager_prefix=...}).
    const filterCounters = new Map<string, string[]>();
    for (const h of this.http.values()) {
      for (const [name, n] of h.rbac) {
        const metric = `envoy_http_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
        let lines = filterCounters.get(metric);
        if (lines === undefined) filterCounters.set(metric, (lines = []));
        lines.push(`${metric}{${httpLabel(h)}} ${n}`);
      }
    }
    for (const [metric, lines] of filterCounters) {
      family(metric, 'counter', 'An HTTP filter counter (RBAC, jwt_authn, ext_authz).');
      out.push(...lines);
    }
    family('envoy_listener_manager_total_listeners_active', 'gauge', 'Listeners bound and serving.');
    out.push(`envoy_listener_manager_total_listeners_active ${source.listenerCount()}`);
    family('envoy_server_uptime', 'gauge', 'Seconds since the proxy started.');
    out.push(`envoy_server_uptime ${Math.floor((Date.now() - this.started) / 1000)}`);
    return out.join('\n') + '\n';
  }
}
