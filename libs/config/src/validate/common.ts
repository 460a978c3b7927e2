// Rules shared by several kinds: labels, exportTo, string matches,
// destinations, weights, durations, percentages, protocols.
import type { Reporter } from '../issues.ts';
import { parseDurationNanos } from '../duration.ts';
import { checkDnsLabel, checkLabelKey, checkLabelValue, checkPort, checkWildcardHost } from '../names.ts';
import { checkRegex } from '@mesh/re2';
import type { Destination, Percent, StringMatch } from '../types/networking.ts';

/** What every kind's validator gets besides the spec. */
export interface ValidationContext {
  namespace: string;
  name: string;
}

/** Protocol names Istio accepts for ports (case-insensitive). */
export const PROTOCOLS = ['HTTP', 'HTTPS', 'GRPC', 'GRPC-WEB', 'HTTP2', 'MONGO', 'MYSQL', 'REDIS', 'TCP', 'TLS', 'UDP', 'THRIFT'];

export function isHttpProtocol(protocol: string | undefined): boolean {
  return ['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB'].includes((protocol ?? '').toUpperCase());
}

export function isTlsProtocol(protocol: string | undefined): boolean {
  return ['HTTPS', 'TLS'].includes((protocol ?? '').toUpperCase());
}

export function checkProtocol(protocol: string, rep: Reporter): void {
  if (!PROTOCOLS.includes(protocol.toUpperCase())) {
    rep.error(`unknown protocol "${protocol}"; use one of ${PROTOCOLS.filter((p) => p !== 'THRIFT').join(', ')}`);
  }
}

export function checkLabels(labels: Record<string, string> | undefined, rep: Reporter): void {
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (rep.at(k).check(checkLabelKey(k))) rep.at(k).check(checkLabelValue(v));
  }
}

/** exportTo: `.` (own namespace), `*` (all), `~` (none) or namespace names; `*` and `~` stand alone. */
export function checkExportTo(exportTo: string[] | undefined, rep: Reporter): void {
  if (!exportTo) return;
  const seen = new Set<string>();
  exportTo.forEach((ns, i) => {
    const r = rep.at(i);
    if (seen.has(ns)) r.error(`duplicate exportTo entry "${ns}"`);
    seen.add(ns);
    if (ns !== '.' && ns !== '*' && ns !== '~') {
      const problem = checkDnsLabel(ns);
      if (problem) r.error(`exportTo entry ${problem}; use ".", "*", "~" or a namespace name`);
    }
  });
  for (const alone of ['*', '~']) {
    if (seen.has(alone) && seen.size > 1) rep.error(`exportTo "${alone}" cannot be combined with other entries`);
  }
}

export function checkStringMatch(
  m: StringMatch | undefined,
  rep: Reporter,
  options: { allowEmpty?: boolean; allowPrefix?: boolean; what?: string } = {},
): void {
  if (!m) return;
  const set = (['exact', 'prefix', 'regex'] as const).filter((k) => m[k] !== undefined);
  if (set.length === 0) {
    if (!options.allowEmpty) rep.error(`${options.what ?? 'match'} must set exactly one of exact, prefix or regex`);
    return;
  }
  if (m.prefix !== undefined && options.allowPrefix === false) {
    rep.at('prefix').error(`prefix matching is not supported for ${options.what ?? 'this match'}; use exact or regex`);
  }
  if (m.regex !== undefined) rep.at('regex').check(checkRegex(m.regex));
}

export function checkPercent(p: Percent | undefined, rep: Reporter): void {
  if (p?.value === undefined) return;
  if (p.value < 0 || p.value > 100) rep.at('value').error(`percentage ${p.value} must be in the range 0..100`);
}

export function checkIntPercent(value: number | undefined, rep: Reporter): void {
  if (value !== undefined && (value < 0 || value > 100)) rep.error(`percentage ${value} must be in the range 0..100`);
}

/**
 * Istio requires most durations to be at least 1ms and expressed to
 * millisecond precision. `allowZero` is for fields where 0 means "disabled".
 */
export function checkDuration(text: string | undefined, rep: Reporter, options: { allowZero?: boolean } = {}): void {
  if (text === undefined) return;
  const r = parseDurationNanos(text);
  if ('error' in r) return; // the structural pass has reported it
  if (r.nanos === 0n && options.allowZero) return;
  if (r.nanos < 1_000_000n) {
    rep.error(`duration "${text}" must be at least 1ms${options.allowZero ? ' (or 0s to disable)' : ''}`);
  } else if (r.nanos % 1_000_000n !== 0n) {
    rep.error(`duration "${text}" must be a whole number of milliseconds`);
  }
}

export function checkDestination(d: Destination | undefined, rep: Reporter): void {
  if (!d) {
    rep.error('destination is required');
    return;
  }
  if (!d.host) rep.at('host').error('destination host is required');
  else if (d.host === '*') rep.at('host').error('destination host "*" is not allowed; name a service');
  else if (d.host.includes('*')) rep.at('host').error(`destination host "${d.host}" must not contain a wildcard; name a service`);
  else rep.at('host').check(checkWildcardHost(d.host));
  if (d.subset !== undefined) {
    const problem = checkDnsLabel(d.subset);
    if (problem) rep.at('subset').error(`subset name ${problem}`);
  }
  if (d.port?.number !== undefined) rep.at('port', 'number').check(checkPort(d.port.number));
}

/**
 * Route weights: relative proportions (Istio since 1.15): each a non-negative
 * int32, a destination receiving weight/(sum of the weights); with more than one
 * destination the sum must be above 0 (a single destination gets all traffic
 * whatever its weight).
 */
export function checkWeights(routes: Array<{ weight?: number }> | undefined, rep: Reporter): void {
  if (!routes?.length) return;
  let total = 0;
  routes.forEach((r, i) => {
    const w = r.weight ?? 0;
    if (w < 0 || w > MAX_WEIGHT) rep.at(i, 'weight').error(`weight ${w} must be in the range 0..${MAX_WEIGHT}`);
    total += w;
  });
  if (routes.length > 1 && total === 0) {
    const listed = routes.map((r) => r.weight ?? 0).join(' + ');
    rep.error(`weights of the ${routes.length} destinations add up to 0 (${listed}); give at least one a weight above 0`);
  }
}

/** Istio's weight is an int32. */
const MAX_WEIGHT = 2 ** 31 - 1;

/** Envoy's retry conditions (x-envoy-retry-on and x-envoy-retry-grpc-on) that Istio accepts in retryOn. */
export const RETRY_ON_POLICIES = [
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'envoy-ratelimited',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
];

export function checkRetryOn(retryOn: string, rep: Reporter): void {
  for (const raw of retryOn.split(',')) {
    const p = raw.trim();
    if (RETRY_ON_POLICIES.includes(p)) continue;
    if (/^\d+$/.test(p) && Number(p) >= 100 && Number(p) <= 599) continue;
    rep.error(`"${p}" is not a valid retry condition; use HTTP status codes or ${RETRY_ON_POLICIES.join(', ')}`);
  }
}

/** `name` unique within a list; reports each repeat at its index. */
export function checkUnique<T>(items: T[] | undefined, key: (item: T) => string | number | undefined, rep: Reporter, field: string, what: string): void {
  const seen = new Map<string | number, number>();
  (items ?? []).forEach((item, i) => {
    const k = key(item);
    if (k === undefined || k === '') return;
    if (seen.has(k)) rep.at(i, field).error(`duplicate ${what} ${JSON.stringify(k)} (also at index ${seen.get(k)})`);
    else seen.set(k, i);
  });
}
