// The injection annotations (and the one label) a pod may carry, each with its
// check. A value that fails its check is reported (name and value) and then
// ignored, so the pod is injected with the default instead; an annotation in
// one of Istio's injection prefixes that nobody knows is reported too.
import {
  CaptureConfigError,
  parseCidrList,
  parseCidrSelection,
  parsePort,
  parsePortList,
  parsePortSelection,
} from '@mesh/iptables';
import type { ObjectMeta } from './k8s.ts';

export const A = {
  inject: 'sidecar.istio.io/inject',
  status: 'sidecar.istio.io/status',
  proxyImage: 'sidecar.istio.io/proxyImage',
  proxyCPU: 'sidecar.istio.io/proxyCPU',
  proxyMemory: 'sidecar.istio.io/proxyMemory',
  proxyCPULimit: 'sidecar.istio.io/proxyCPULimit',
  proxyMemoryLimit: 'sidecar.istio.io/proxyMemoryLimit',
  logLevel: 'sidecar.istio.io/logLevel',
  componentLogLevel: 'sidecar.istio.io/componentLogLevel',
  agentLogLevel: 'sidecar.istio.io/agentLogLevel',
  interceptionMode: 'sidecar.istio.io/interceptionMode',
  rewriteAppHTTPProbers: 'sidecar.istio.io/rewriteAppHTTPProbers',
  includeOutboundIPRanges: 'traffic.sidecar.istio.io/includeOutboundIPRanges',
  excludeOutboundIPRanges: 'traffic.sidecar.istio.io/excludeOutboundIPRanges',
  includeInboundPorts: 'traffic.sidecar.istio.io/includeInboundPorts',
  excludeInboundPorts: 'traffic.sidecar.istio.io/excludeInboundPorts',
  excludeOutboundPorts: 'traffic.sidecar.istio.io/excludeOutboundPorts',
  includeOutboundPorts: 'traffic.sidecar.istio.io/includeOutboundPorts',
  statusPort: 'status.sidecar.istio.io/port',
  readinessInitialDelaySeconds: 'readiness.status.sidecar.istio.io/initialDelaySeconds',
  readinessPeriodSeconds: 'readiness.status.sidecar.istio.io/periodSeconds',
  readinessFailureThreshold: 'readiness.status.sidecar.istio.io/failureThreshold',
  readinessApplicationPorts: 'readiness.status.sidecar.istio.io/applicationPorts',
  proxyConfig: 'proxy.istio.io/config',
  mergeMetrics: 'prometheus.istio.io/merge-metrics',
} as const;
export type AnnotationKey = keyof typeof A;

export const REVISION_LABEL = 'istio.io/rev';
export const NAMESPACE_INJECTION_LABEL = 'istio-injection';

/** Prefixes Istio uses for injection settings: an unknown name under them is probably a typo. */
const INJECTION_PREFIXES = [
  'sidecar.istio.io/',
  'traffic.sidecar.istio.io/',
  'status.sidecar.istio.io/',
  'readiness.status.sidecar.istio.io/',
  'proxy.istio.io/',
  'prometheus.istio.io/',
];

/** Valid Istio annotations that the proxy or pilot reads, not the injector: accepted silently. */
const NOT_FOR_INJECTION = new Set([
  'sidecar.istio.io/statsInclusionPrefixes',
  'sidecar.istio.io/statsInclusionSuffixes',
  'sidecar.istio.io/statsInclusionRegexps',
  'sidecar.istio.io/statsHistogramBuckets',
  'sidecar.istio.io/extraStatTags',
  'sidecar.istio.io/dashboards',
]);

/** Istio injection annotations this injector recognises but does not implement. */
const UNSUPPORTED = new Set([
  'sidecar.istio.io/userVolume',
  'sidecar.istio.io/userVolumeMount',
  'sidecar.istio.io/bootstrapOverride',
  'sidecar.istio.io/enableCoreDump',
  'sidecar.istio.io/capNetBindService',
  'sidecar.istio.io/nativeSidecar',
  'traffic.sidecar.istio.io/kubevirtInterfaces',
  'traffic.sidecar.istio.io/excludeInterfaces',
  'proxy.istio.io/overrides',
]);

const BOOL_TRUE = ['true', 'y', 'yes', 'on'];
const BOOL_FALSE = ['false', 'n', 'no', 'off'];

export function parseBool(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (BOOL_TRUE.includes(v)) return true;
  if (BOOL_FALSE.includes(v)) return false;
  return undefined;
}

const QUANTITY = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[numkMGTPE]|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const LOG_LEVELS = ['trace', 'debug', 'info', 'warning', 'error', 'critical', 'off'];

type Check = (value: string) => string | undefined;

function capture(fn: (field: string, raw: string) => unknown): Check {
  return (v) => {
    try {
      fn('', v);
      return undefined;
    } catch (err) {
      if (err instanceof CaptureConfigError) return err.message.replace(/^: /, '').replace(/ \(got .*\)$/, '');
      throw err;
    }
  };
}
const bool: Check = (v) => (parseBool(v) === undefined ? 'expected true or false' : undefined);
const quantity: Check = (v) => (QUANTITY.test(v.trim()) ? undefined : 'expected a Kubernetes quantity such as 100m, 0.5, 128Mi or 1Gi');
const nonNegativeInt: Check = (v) => (/^\d+$/.test(v.trim()) ? undefined : 'expected a whole number of seconds or attempts');
const positiveInt: Check = (v) => (/^[1-9]\d*$/.test(v.trim()) ? undefined : 'expected a positive whole number');
const logLevel: Check = (v) => (LOG_LEVELS.includes(v.trim()) ? undefined : `expected one of ${LOG_LEVELS.join(', ')}`);
const componentLevels: Check = (v) =>
  v.split(',').every((p) => {
    const [name, level, extra] = p.trim().split(':');
    return name && level && extra === undefined && LOG_LEVELS.includes(level);
  })
    ? undefined
    : 'expected component:level pairs such as misc:error,upstream:debug';
const notEmpty: Check = (v) => (v.trim() === '' ? 'expected a value' : undefined);
const jsonObject: Check = (v) => {
  try {
    const parsed = JSON.parse(v);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? undefined : 'expected a JSON object';
  } catch {
    return 'expected a JSON object';
  }
};
const statusPort: Check = (v) => (v.trim() === '0' ? undefined : capture(parsePort)(v));

const CHECKS: Record<AnnotationKey, Check> = {
  inject: bool,
  status: jsonObject,
  proxyImage: notEmpty,
  proxyCPU: quantity,
  proxyMemory: quantity,
  proxyCPULimit: quantity,
  proxyMemoryLimit: quantity,
  logLevel,
  componentLogLevel: componentLevels,
  agentLogLevel: notEmpty,
  interceptionMode: (v) => (['REDIRECT', 'NONE'].includes(v.trim()) ? undefined : v.trim() === 'TPROXY' ? 'TPROXY is not supported; use REDIRECT or NONE' : 'expected REDIRECT or NONE'),
  rewriteAppHTTPProbers: bool,
  includeOutboundIPRanges: capture(parseCidrSelection),
  excludeOutboundIPRanges: capture(parseCidrList),
  includeInboundPorts: capture(parsePortSelection),
  excludeInboundPorts: capture(parsePortList),
  excludeOutboundPorts: capture(parsePortList),
  includeOutboundPorts: capture(parsePortList),
  statusPort,
  readinessInitialDelaySeconds: nonNegativeInt,
  readinessPeriodSeconds: positiveInt,
  readinessFailureThreshold: positiveInt,
  readinessApplicationPorts: capture(parsePortList),
  proxyConfig: jsonObject,
  mergeMetrics: bool,
};

const BY_NAME = new Map<string, AnnotationKey>(Object.entries(A).map(([k, name]) => [name, k as AnnotationKey]));

export interface InjectionAnnotations {
  /** Valid values only, keyed by short name. */
  values: Partial<Record<AnnotationKey, string>>;
  /** One line per rejected or unknown annotation, naming it and its value. */
  warnings: string[];
}

/**
 * Reads the injection annotations of a pod (or pod template). The inject
 * override may also be a label, which wins over the annotation as in Istio.
 */
export function readInjectionAnnotations(meta: ObjectMeta | undefined): InjectionAnnotations {
  const values: Partial<Record<AnnotationKey, string>> = {};
  const warnings: string[] = [];
  for (const [name, raw] of Object.entries(meta?.annotations ?? {})) {
    const value = String(raw);
    const key = BY_NAME.get(name);
    if (key) {
      // proxy.istio.io/config is YAML or JSON in Istio; JSON is what we accept.
      const problem = CHECKS[key](value);
      if (problem) warnings.push(`annotation ${name}=${JSON.stringify(value)} ignored: ${problem}`);
      else values[key] = value.trim();
      continue;
    }
    if (!INJECTION_PREFIXES.some((p) => name.startsWith(p)) || NOT_FOR_INJECTION.has(name)) continue;
    if (UNSUPPORTED.has(name)) warnings.push(`annotation ${name}=${JSON.stringify(value)} ignored: not supported by this injector`);
    else warnings.push(`annotation ${name}=${JSON.stringify(value)} ignored: unknown injection annotation`);
  }
  const label = meta?.labels?.[A.inject];
  if (label !== undefined) {
    if (parseBool(String(label)) === undefined) warnings.push(`label ${A.inject}=${JSON.stringify(label)} ignored: expected true or false`);
    else values.inject = String(label).trim();
  }
  return { values, warnings };
}
