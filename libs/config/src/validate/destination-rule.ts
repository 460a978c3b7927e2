// DestinationRule rules: host, traffic policies (load balancing, connection
// pools, outlier detection, client TLS, per-port settings, tunnels) and subsets.
import type { Reporter } from '../issues.ts';
import { checkDnsLabel, checkHostname, checkPort, checkWildcardHost, isIp } from '../names.ts';
import type * as N from '../types/networking.ts';
import { checkDuration, checkExportTo, checkLabels, checkUnique, type ValidationContext } from './common.ts';

export function validateDestinationRule(spec: N.DestinationRuleSpec, rep: Reporter, _ctx: ValidationContext): void {
  if (!spec.host) rep.at('host').error('host is required (the service the rule applies to, e.g. reviews.default.svc.cluster.local)');
  else if (spec.host.includes('/')) rep.at('host').error(`host "${spec.host}" must be a DNS name, not namespace/name`);
  else rep.at('host').check(checkWildcardHost(spec.host));

  if (spec.trafficPolicy) validateTrafficPolicy(spec.trafficPolicy, rep.at('trafficPolicy'));

  checkUnique(spec.subsets, (s) => s.name, rep.at('subsets'), 'name', 'subset name');
  spec.subsets?.forEach((subset, i) => {
    const r = rep.at('subsets', i);
    if (!subset.name) r.at('name').error('subset name is required');
    else {
      const problem = checkDnsLabel(subset.name);
      if (problem) r.at('name').error(`subset name ${problem}`);
    }
    if (!subset.labels || Object.keys(subset.labels).length === 0) {
      r.at('labels').warn('no labels: the subset selects every endpoint of the host; add labels such as version: v1');
    }
    checkLabels(subset.labels, r.at('labels'));
    if (subset.trafficPolicy) validateTrafficPolicy(subset.trafficPolicy, r.at('trafficPolicy'));
  });
  checkLabels(spec.workloadSelector?.labels, rep.at('workloadSelector', 'labels'));
  checkExportTo(spec.exportTo, rep.at('exportTo'));
}

export function validateTrafficPolicy(tp: N.TrafficPolicy, rep: Reporter): void {
  if (Object.values(tp).every((v) => v === undefined)) {
    rep.error('trafficPolicy must set at least one of loadBalancer, connectionPool, outlierDetection, tls, portLevelSettings, tunnel, proxyProtocol');
    return;
  }
  validatePolicyParts(tp, rep);
  checkUnique(tp.portLevelSettings, (p) => p.port?.number, rep.at('portLevelSettings'), 'port', 'port');
  tp.portLevelSettings?.forEach((p, i) => {
    const r = rep.at('portLevelSettings', i);
    if (p.port?.number === undefined) r.at('port', 'number').error('port number is required');
    else r.at('port', 'number').check(checkPort(p.port.number));
    if (!p.loadBalancer && !p.connectionPool && !p.outlierDetection && !p.tls) {
      r.error('a port-level policy must set at least one of loadBalancer, connectionPool, outlierDetection or tls');
    }
    validatePolicyParts(p, r);
  });
  if (tp.tunnel) {
    const r = rep.at('tunnel');
    const protocol = tp.tunnel.protocol ?? 'CONNECT';
    if (!['CONNECT', 'POST'].includes(protocol.toUpperCase())) r.at('protocol').error(`tunnel protocol "${protocol}" is not supported; use CONNECT or POST`);
    if (!tp.tunnel.targetHost) r.at('targetHost').error('targetHost is required');
    else if (!isIp(tp.tunnel.targetHost)) r.at('targetHost').check(checkHostname(tp.tunnel.targetHost));
    if (tp.tunnel.targetPort === undefined) r.at('targetPort').error('targetPort is required');
    else r.at('targetPort').check(checkPort(tp.tunnel.targetPort));
  }
}

function validatePolicyParts(p: N.PortTrafficPolicy, rep: Reporter): void {
  if (p.loadBalancer) validateLoadBalancer(p.loadBalancer, rep.at('loadBalancer'));
  if (p.connectionPool) validateConnectionPoolSettings(p.connectionPool, rep.at('connectionPool'));
  if (p.outlierDetection) validateOutlierDetection(p.outlierDetection, rep.at('outlierDetection'));
  if (p.tls) validateClientTls(p.tls, rep.at('tls'));
}

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

function validateLoadBalancer(lb: N.LoadBalancerSettings, rep: Reporter): void {
  const ch = lb.consistentHash;
  if (ch) {
    const r = rep.at('consistentHash');
    const keys = (['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'] as const).filter((k) => ch[k] !== undefined);
    if (keys.length === 0) r.error('consistentHash must set one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName');
    if (ch.httpHeaderName === '') r.at('httpHeaderName').error('httpHeaderName must not be empty');
    if (ch.httpQueryParameterName === '') r.at('httpQueryParameterName').error('httpQueryParameterName must not be empty');
    if (ch.useSourceIp === false && keys.length === 1) r.at('useSourceIp').error('useSourceIp: false selects no hash key; set it to true or use another key');
    if (ch.httpCookie) {
      if (!ch.httpCookie.name) r.at('httpCookie', 'name').error('cookie name is required');
      checkDuration(ch.httpCookie.ttl, r.at('httpCookie', 'ttl'), { allowZero: true });
    }
    const table = ch.maglev?.tableSize;
    if (table !== undefined && table !== 0 && (!isPrime(table) || table > 5000011)) {
      r.at('maglev', 'tableSize').error(`tableSize ${table} must be a prime number no larger than 5000011 (Envoy's rule), e.g. 65537`);
    }
  }
  const loc = lb.localityLbSetting;
  if (loc) {
    const r = rep.at('localityLbSetting');
    if (loc.distribute?.length && loc.failover?.length) r.error('distribute and failover cannot both be set');
    loc.distribute?.forEach((d, i) => {
      const rd = r.at('distribute', i);
      if (!d.from) rd.at('from').error('from (a locality such as us-west/zone1/*) is required');
      else checkLocality(d.from, rd.at('from'));
      const weights = Object.entries(d.to ?? {});
      if (weights.length === 0) rd.at('to').error('to must map at least one locality to a weight');
      for (const [locality] of weights) checkLocality(locality, rd.at('to', locality));
      const sum = weights.reduce((s, [, w]) => s + w, 0);
      if (weights.length && sum !== 100) rd.at('to').error(`weights must sum to 100, got ${sum}`);
    });
    loc.failover?.forEach((f, i) => {
      const rf = r.at('failover', i);
      if (!f.from) rf.at('from').error('from (a region) is required');
      if (!f.to) rf.at('to').error('to (a region) is required');
      if (f.from && f.from === f.to) rf.error(`failover from and to are the same region "${f.from}"`);
      for (const side of ['from', 'to'] as const) {
        if (f[side]?.includes('/')) rf.at(side).error(`failover ${side} is a region, without "/" (got "${f[side]}")`);
      }
    });
  }
  checkDuration(lb.warmupDurationSecs, rep.at('warmupDurationSecs'));
}

/** region/zone/subzone with `*` allowed only as the last part. */
function checkLocality(locality: string, rep: Reporter): void {
  const parts = locality.split('/');
  if (parts.length > 3 || parts.some((p) => p === '')) {
    rep.error(`locality "${locality}" must be region, region/zone or region/zone/subzone`);
    return;
  }
  const star = parts.indexOf('*');
  if ((star >= 0 && star !== parts.length - 1) || parts.some((p) => p !== '*' && p.includes('*'))) {
    rep.error(`locality "${locality}" may use "*" only as its whole last part`);
  }
}

export function validateConnectionPoolSettings(cp: N.ConnectionPoolSettings, rep: Reporter): void {
  if (!cp.tcp && !cp.http) {
    rep.error('connectionPool must set tcp, http or both');
    return;
  }
  if (cp.tcp) {
    const r = rep.at('tcp');
    if (cp.tcp.maxConnections !== undefined && cp.tcp.maxConnections < 0) r.at('maxConnections').error(`maxConnections ${cp.tcp.maxConnections} must not be negative`);
    checkDuration(cp.tcp.connectTimeout, r.at('connectTimeout'));
    checkDuration(cp.tcp.maxConnectionDuration, r.at('maxConnectionDuration'));
    checkDuration(cp.tcp.idleTimeout, r.at('idleTimeout'), { allowZero: true });
    if (cp.tcp.tcpKeepalive) {
      checkDuration(cp.tcp.tcpKeepalive.time, r.at('tcpKeepalive', 'time'));
      checkDuration(cp.tcp.tcpKeepalive.interval, r.at('tcpKeepalive', 'interval'));
    }
  }
  if (cp.http) {
    const r = rep.at('http');
    for (const f of ['http1MaxPendingRequests', 'http2MaxRequests', 'maxRequestsPerConnection', 'maxRetries', 'maxConcurrentStreams'] as const) {
      const v = cp.http[f];
      if (v !== undefined && v < 0) r.at(f).error(`${f} ${v} must not be negative`);
    }
    checkDuration(cp.http.idleTimeout, r.at('idleTimeout'), { allowZero: true });
    if (cp.http.h2UpgradePolicy === 'UPGRADE' && cp.http.useClientProtocol) {
      r.at('useClientProtocol').error('useClientProtocol cannot be true when h2UpgradePolicy is UPGRADE');
    }
  }
}

function validateOutlierDetection(od: N.OutlierDetection, rep: Reporter): void {
  if (od.consecutiveErrors !== undefined && od.consecutiveErrors < 0) rep.at('consecutiveErrors').error(`consecutiveErrors ${od.consecutiveErrors} must not be negative`);
  checkDuration(od.interval, rep.at('interval'));
  checkDuration(od.baseEjectionTime, rep.at('baseEjectionTime'));
  for (const f of ['maxEjectionPercent', 'minHealthPercent'] as const) {
    const v = od[f];
    if (v !== undefined && (v < 0 || v > 100)) rep.at(f).error(`${f} ${v} must be in the range 0..100`);
  }
  if (od.consecutiveLocalOriginFailures !== undefined && !od.splitExternalLocalOriginErrors) {
    rep.at('consecutiveLocalOriginFailures').warn('has no effect unless splitExternalLocalOriginErrors is true');
  }
}

function validateClientTls(tls: N.ClientTLSSettings, rep: Reporter): void {
  const mode = tls.mode ?? 'DISABLE';
  if (mode === 'ISTIO_MUTUAL') {
    for (const f of ['clientCertificate', 'privateKey', 'caCertificates', 'credentialName'] as const) {
      if (tls[f]) rep.at(f).error(`${f} cannot be set with mode ISTIO_MUTUAL: Istio provides the workload certificates`);
    }
  }
  if (mode === 'MUTUAL' && !tls.credentialName && (!tls.clientCertificate || !tls.privateKey)) {
    rep.error('mode MUTUAL needs clientCertificate and privateKey (file paths), or credentialName');
  }
  if (tls.clientCertificate && !tls.privateKey) rep.at('privateKey').error('privateKey is required when clientCertificate is set');
  if (tls.privateKey && !tls.clientCertificate) rep.at('clientCertificate').error('clientCertificate is required when privateKey is set');
  if (mode === 'DISABLE' && (tls.clientCertificate || tls.caCertificates || tls.credentialName || tls.sni || tls.subjectAltNames?.length)) {
    rep.at('mode').warn('TLS settings have no effect with mode DISABLE (the default); set mode SIMPLE, MUTUAL or ISTIO_MUTUAL');
  }
}
