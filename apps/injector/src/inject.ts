// Injection of one pod (or pod template): decide, then build the injected copy.
// Pure: the same pod and settings give the same result, which is what lets the
// webhook and kube-inject share it and the tests compare whole pods.
import { captureArgs } from '@mesh/iptables';
import { A, readInjectionAnnotations, type AnnotationKey } from './annotations.ts';
import { isObject, type Container, type ContainerPort, type PodLike } from './k8s.ts';
import type { InjectionSettings } from './mesh-settings.ts';
import { decideInjection } from './policy.ts';
import { probersEnv, rewriteProbes } from './probes.ts';
import {
  downwardEnv,
  HEALTH_PORT,
  INIT_CONTAINER,
  initContainer,
  INJECTED_VOLUMES,
  nodeNameEnv,
  PROMETHEUS_PORT,
  PROXY_CONTAINER,
  proxyContainer,
  injectedVolumes,
  type EnvVar,
  type ResourceRequirements,
} from './sidecar.ts';
import { ownerUri, type WorkloadMeta } from './workload.ts';

export interface InjectContext {
  settings: InjectionSettings;
  /** This injector's revision. */
  revision: string;
  namespace: string;
  /** The namespace's labels when known; undefined means the webhook configuration already selected the pod. */
  namespaceLabels?: Record<string, string>;
  workload: WorkloadMeta;
  /** Offline injection (kube-inject): inject as `revision` whatever revision labels say. */
  anyRevision?: boolean;
}

export interface InjectResult {
  injected: boolean;
  /** Why it was or was not injected. */
  reason: string;
  /** The injected copy; the input itself when not injected. */
  pod: PodLike;
  warnings: string[];
}

/** The pod cannot be injected as it is; `message` names the field. */
export class InjectionError extends Error {}

export const STATUS_ANNOTATION = A.status;

function checkShape(pod: PodLike): void {
  const fail = (path: string, what: string) => {
    throw new InjectionError(`${path}: ${what}`);
  };
  if (pod.metadata !== undefined && !isObject(pod.metadata)) fail('metadata', 'expected an object');
  for (const field of ['labels', 'annotations'] as const) {
    const m = pod.metadata?.[field];
    if (m === undefined) continue;
    if (!isObject(m)) fail(`metadata.${field}`, 'expected a map of strings');
    for (const [k, v] of Object.entries(m)) if (typeof v !== 'string') fail(`metadata.${field}.${k}`, `expected a string, got ${JSON.stringify(v)}`);
  }
  if (!isObject(pod.spec)) return fail('spec', 'expected an object');
  const spec = pod.spec;
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) fail('spec.containers', 'expected at least one container');
  for (const list of ['containers', 'initContainers'] as const) {
    const items = spec[list];
    if (items === undefined) continue;
    if (!Array.isArray(items)) fail(`spec.${list}`, 'expected a list');
    items.forEach((c, i) => {
      if (!isObject(c)) fail(`spec.${list}[${i}]`, 'expected an object');
      if (typeof c.name !== 'string' || c.name === '') fail(`spec.${list}[${i}].name`, 'expected a non-empty string');
      if (c.ports !== undefined && !Array.isArray(c.ports)) fail(`spec.${list}[${i}].ports`, 'expected a list');
    });
  }
  if (spec.volumes !== undefined && !Array.isArray(spec.volumes)) fail('spec.volumes', 'expected a list');
}

/** Names the injected pod needs for itself (checked only when injecting: an injected pod has them all). */
function checkNoConflicts(pod: PodLike): void {
  const spec = pod.spec!;
  for (const list of ['containers', 'initContainers'] as const) {
    (spec[list] ?? []).forEach((c, i) => {
      if ([PROXY_CONTAINER, INIT_CONTAINER].includes(c.name)) {
        throw new InjectionError(`spec.${list}[${i}].name: a container named ${c.name} already exists; overriding the injected containers by name is not supported`);
      }
    });
  }
  (spec.volumes ?? []).forEach((v, i) => {
    if (isObject(v) && (INJECTED_VOLUMES as readonly string[]).includes(v.name as string)) {
      throw new InjectionError(`spec.volumes[${i}].name: volume ${String(v.name)} is reserved for the injected sidecar`);
    }
  });
}

/** Istio's POD_PORTS text: a JSON array with one port per line. */
function podPortsEnv(containers: Container[]): string {
  const ports: string[] = [];
  for (const c of containers) {
    for (const p of (c.ports ?? []) as ContainerPort[]) {
      // Go's field order for ContainerPort, empty fields left out.
      const o: Record<string, unknown> = {};
      if (p.name) o.name = p.name;
      if (p.hostPort) o.hostPort = p.hostPort;
      o.containerPort = p.containerPort;
      if (p.protocol) o.protocol = p.protocol;
      if (p.hostIP) o.hostIP = p.hostIP;
      ports.push(JSON.stringify(o));
    }
  }
  return ['[', ...ports.map((p, i) => `    ${i ? ',' : ''}${p}`), ']'].join('\n');
}

function copyResources(r: ResourceRequirements): ResourceRequirements {
  const out: ResourceRequirements = {};
  if (r.requests) out.requests = { ...r.requests };
  if (r.limits) out.limits = { ...r.limits };
  return out;
}

function resourcesFor(ann: Partial<Record<AnnotationKey, string>>, settings: InjectionSettings): ResourceRequirements {
  const { proxyCPU, proxyMemory, proxyCPULimit, proxyMemoryLimit } = ann;
  // Any resource annotation replaces the defaults entirely, as in Istio.
  if (proxyCPU === undefined && proxyMemory === undefined && proxyCPULimit === undefined && proxyMemoryLimit === undefined) {
    return copyResources(settings.injector.resources);
  }
  const out: ResourceRequirements = {};
  if (proxyCPU !== undefined || proxyMemory !== undefined) {
    out.requests = { ...(proxyCPU !== undefined ? { cpu: proxyCPU } : {}), ...(proxyMemory !== undefined ? { memory: proxyMemory } : {}) };
  }
  if (proxyCPULimit !== undefined || proxyMemoryLimit !== undefined) {
    out.limits = { ...(proxyCPULimit !== undefined ? { cpu: proxyCPULimit } : {}), ...(proxyMemoryLimit !== undefined ? { memory: proxyMemoryLimit } : {}) };
  }
  return out;
}

function canonicalName(labels: Record<string, string>, workload: WorkloadMeta): string {
  const name = labels['service.istio.io/canonical-name'] || labels['app.kubernetes.io/name'] || labels.app || workload.name;
  return name.slice(0, 63).replace(/-+$/, '');
}

export function injectPod(input: PodLike, ctx: InjectContext): InjectResult {
  checkShape(input);
  const { settings } = ctx;
  const inj = settings.injector;
  const meta = input.metadata ?? {};
  const ann = readInjectionAnnotations(meta);
  const warnings = [...ann.warnings];
  const decision = decideInjection({
    namespace: ctx.namespace,
    namespaceLabels: ctx.namespaceLabels,
    podLabels: meta.labels ?? {},
    podInject: ann.values.inject,
    hostNetwork: input.spec!.hostNetwork === true,
    alreadyInjected: meta.annotations?.[A.status] !== undefined,
    revision: ctx.revision,
    policy: inj.policy,
    enableNamespacesByDefault: inj.enableNamespacesByDefault,
    anyRevision: ctx.anyRevision,
  });
  if (!decision.inject) return { injected: false, reason: decision.reason, pod: input, warnings };
  checkNoConflicts(input);

  // Copy on write: only the objects we change are copied, so the input stays
  // untouched and the patch diff can skip everything still shared.
  const labels: Record<string, string> = { ...meta.labels };
  const annotations: Record<string, string> = { ...meta.annotations };
  const pod = { ...input, metadata: { ...meta, labels, annotations }, spec: { ...input.spec! } };
  const v = ann.values;
  const statusPort = v.statusPort !== undefined ? Number(v.statusPort) : inj.statusPort;
  const interception = v.interceptionMode ?? 'REDIRECT';
  const image = v.proxyImage ?? inj.image;
  const resources = resourcesFor(v, settings);

  // Effective proxy config: mesh defaults, then the pod's proxy.istio.io/config.
  const proxyConfig: Record<string, unknown> = { discoveryAddress: settings.discoveryAddress };
  if (Object.keys(settings.proxyMetadata).length) proxyConfig.proxyMetadata = { ...settings.proxyMetadata };
  if (v.proxyConfig) {
    const override = JSON.parse(v.proxyConfig) as Record<string, unknown>;
    const metadata = isObject(override.proxyMetadata) ? { ...(proxyConfig.proxyMetadata as object), ...override.proxyMetadata } : proxyConfig.proxyMetadata;
    Object.assign(proxyConfig, override, metadata ? { proxyMetadata: metadata } : {});
  }
  const metadataEnv: EnvVar[] = Object.entries((proxyConfig.proxyMetadata ?? {}) as Record<string, unknown>).map(([name, value]) => ({ name, value: String(value) }));

  // Probes first: ISTIO_KUBE_APP_PROBERS goes into the proxy's env.
  const rewrite = inj.rewriteAppHTTPProbe && v.rewriteAppHTTPProbers !== 'false' && statusPort !== 0;
  const probes = rewrite ? rewriteProbes(pod.spec.containers, statusPort) : { containers: pod.spec.containers, probers: {}, warnings: [] };
  const appContainers = probes.containers;
  warnings.push(...probes.warnings);

  const workloadName = labels['service.istio.io/workload-name'] || ctx.workload.name;
  const env: EnvVar[] = [
    { name: 'CA_ADDR', value: inj.caAddress },
    ...downwardEnv(),
    { name: 'PROXY_CONFIG', value: JSON.stringify(proxyConfig) + '\n' },
    { name: 'ISTIO_META_POD_PORTS', value: podPortsEnv(appContainers) },
    { name: 'ISTIO_META_APP_CONTAINERS', value: appContainers.map((c) => c.name).join(',') },
    { name: 'ISTIO_META_CLUSTER_ID', value: settings.clusterId },
    nodeNameEnv(),
    { name: 'ISTIO_META_INTERCEPTION_MODE', value: interception },
    ...(workloadName ? [{ name: 'ISTIO_META_WORKLOAD_NAME', value: workloadName }] : []),
    ...(ctx.workload.name ? [{ name: 'ISTIO_META_OWNER', value: ownerUri(ctx.workload) }] : []),
    { name: 'ISTIO_META_MESH_ID', value: settings.meshId },
    { name: 'TRUST_DOMAIN', value: settings.trustDomain },
    ...metadataEnv,
  ];

  // Prometheus scrapes the agent's merged metrics; the app's own settings are kept for the agent.
  const mergeMetrics = inj.enablePrometheusMerge && v.mergeMetrics !== 'false' && statusPort !== 0 && annotations['prometheus.io/scrape'] !== 'false';
  if (mergeMetrics) {
    const appScrape: Record<string, string> = {};
    for (const k of ['scrape', 'path', 'port']) if (annotations[`prometheus.io/${k}`] !== undefined) appScrape[k] = annotations[`prometheus.io/${k}`];
    if (Object.keys(appScrape).length) env.push({ name: 'ISTIO_PROMETHEUS_ANNOTATIONS', value: JSON.stringify(appScrape) });
    annotations['prometheus.io/path'] = '/stats/prometheus';
    annotations['prometheus.io/port'] = String(statusPort);
    annotations['prometheus.io/scrape'] = 'true';
  }
  if (Object.keys(probes.probers).length) env.push({ name: 'ISTIO_KUBE_APP_PROBERS', value: probersEnv(probes.probers) });

  const readiness =
    statusPort === 0
      ? undefined
      : {
          initialDelaySeconds: v.readinessInitialDelaySeconds !== undefined ? Number(v.readinessInitialDelaySeconds) : inj.readinessInitialDelaySeconds,
          periodSeconds: v.readinessPeriodSeconds !== undefined ? Number(v.readinessPeriodSeconds) : inj.readinessPeriodSeconds,
          failureThreshold: v.readinessFailureThreshold !== undefined ? Number(v.readinessFailureThreshold) : inj.readinessFailureThreshold,
        };
  const proxy = proxyContainer({
    image,
    args: [
      '--domain',
      `$(POD_NAMESPACE).svc.${inj.clusterDomain}`,
      `--proxyLogLevel=${v.logLevel ?? inj.proxyLogLevel}`,
      `--proxyComponentLogLevel=${v.componentLogLevel ?? inj.componentLogLevel}`,
      `--log_output_level=${v.agentLogLevel ?? inj.agentLogLevel}`,
    ],
    env,
    resources,
    imagePullPolicy: inj.imagePullPolicy,
    readiness,
    startupFailureThreshold: inj.startupProbe.enabled ? inj.startupProbe.failureThreshold : undefined,
  });

  const inits: unknown[] = [];
  if (interception !== 'NONE') {
    const excludeInbound = [String(PROMETHEUS_PORT), String(HEALTH_PORT)];
    if (statusPort !== 0) excludeInbound.push(String(statusPort));
    for (const p of (v.excludeInboundPorts ?? inj.excludeInboundPorts).split(',')) {
      if (p.trim() && !excludeInbound.includes(p.trim())) excludeInbound.push(p.trim());
    }
    const args = captureArgs({
      interceptionMode: interception,
      includeOutboundIpRanges: v.includeOutboundIPRanges ?? inj.includeOutboundIPRanges,
      excludeOutboundIpRanges: v.excludeOutboundIPRanges ?? inj.excludeOutboundIPRanges,
      includeInboundPorts: v.includeInboundPorts ?? inj.includeInboundPorts,
      excludeInboundPorts: excludeInbound.join(','),
      includeOutboundPorts: v.includeOutboundPorts,
      excludeOutboundPorts: v.excludeOutboundPorts ?? inj.excludeOutboundPorts,
    });
    inits.push(initContainer({ image, args, resources: copyResources(resources), imagePullPolicy: inj.imagePullPolicy, env: metadataEnv.map((e) => ({ ...e })) }));
  }

  // istio-init runs first so that traffic is captured before anything else starts; istio-proxy goes last.
  pod.spec.initContainers = [...(inits as Container[]), ...(pod.spec.initContainers ?? [])];
  if (pod.spec.initContainers.length === 0) delete pod.spec.initContainers;
  pod.spec.containers = [...appContainers, proxy as unknown as Container];
  pod.spec.volumes = [...(pod.spec.volumes ?? []), ...injectedVolumes()];

  labels['security.istio.io/tlsMode'] ||= 'istio';
  labels['service.istio.io/canonical-name'] = canonicalName(labels, ctx.workload);
  labels['service.istio.io/canonical-revision'] ||= labels['app.kubernetes.io/version'] || labels.version || 'latest';

  annotations['istio.io/rev'] = decision.revision;
  if (appContainers.length) {
    annotations['kubectl.kubernetes.io/default-logs-container'] ??= appContainers[0].name;
    annotations['kubectl.kubernetes.io/default-container'] ??= appContainers[0].name;
  }
  annotations[A.status] = JSON.stringify({
    initContainers: inits.length ? [INIT_CONTAINER] : null,
    containers: [PROXY_CONTAINER],
    volumes: [...INJECTED_VOLUMES],
    imagePullSecrets: null,
    revision: decision.revision,
  });
  return { injected: true, reason: decision.reason, pod, warnings };
}
