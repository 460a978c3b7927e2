// Everything injection needs from mesh config, with Istio's defaults. Mesh
// config is Istio's MeshConfig (trustDomain, meshId, clusterId,
// defaultConfig.discoveryAddress, defaultConfig.proxyMetadata) plus a
// `sidecarInjector` section holding what Istio keeps in its injector values
// (images, CA address, policy, resources, log levels, capture defaults).
import { z } from 'zod';
import { MeshConfigSchema } from '@mesh/contracts';
import { CaptureConfigError, parseCidrList, parseCidrSelection, parsePortList, parsePortSelection } from '@mesh/iptables';

const quantity = z.union([z.string(), z.number()]).transform(String);
const resourceList = z.object({ cpu: quantity.optional(), memory: quantity.optional() }).strict();

function captureValue(parse: (field: string, raw: string) => unknown) {
  return z.string().superRefine((v, ctx) => {
    try {
      parse('', v);
    } catch (err) {
      if (!(err instanceof CaptureConfigError)) throw err;
      ctx.addIssue({ code: 'custom', message: err.message.replace(/^: /, '') });
    }
  });
}

export const SidecarInjectorSchema = z
  .object({
    /** enabled: inject selected pods unless they opt out; disabled: only pods that opt in. */
    policy: z.enum(['enabled', 'disabled']).default('enabled'),
    /** Inject pods of namespaces without an istio-injection / istio.io/rev label too. */
    enableNamespacesByDefault: z.boolean().default(false),
    /** Our proxy image, run both as istio-init (`init`) and istio-proxy (`sidecar`). */
    image: z.string().min(1).default('mesh/proxy:0.1.0'),
    /** Omitted from the containers unless set, as in Istio. */
    imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
    /** Citadel's CSR signing address, given to the proxy as CA_ADDR. */
    caAddress: z.string().min(1).default('istio-citadel.istio-system.svc:15012'),
    clusterDomain: z.string().min(1).default('cluster.local'),
    proxyLogLevel: z.enum(['trace', 'debug', 'info', 'warning', 'error', 'critical', 'off']).default('warning'),
    componentLogLevel: z.string().default('misc:error'),
    agentLogLevel: z.string().default('default:info'),
    resources: z
      .object({ requests: resourceList.optional(), limits: resourceList.optional() })
      .strict()
      .default({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '2', memory: '1Gi' } }),
    includeOutboundIPRanges: captureValue(parseCidrSelection).default('*'),
    excludeOutboundIPRanges: captureValue(parseCidrList).default(''),
    includeInboundPorts: captureValue(parsePortSelection).default('*'),
    excludeInboundPorts: captureValue(parsePortList).default(''),
    excludeOutboundPorts: captureValue(parsePortList).default(''),
    statusPort: z.number().int().min(0).max(65535).default(15020),
    readinessInitialDelaySeconds: z.number().int().min(0).default(0),
    readinessPeriodSeconds: z.number().int().min(1).default(15),
    readinessFailureThreshold: z.number().int().min(1).default(4),
    startupProbe: z.object({ enabled: z.boolean().default(true), failureThreshold: z.number().int().min(1).default(600) }).strict().default({ enabled: true, failureThreshold: 600 }),
    rewriteAppHTTPProbe: z.boolean().default(true),
    enablePrometheusMerge: z.boolean().default(true),
  })
  .strict();

const ProxyDefaultsSchema = z
  .object({
    // pilot's mutual-TLS xDS port: the injected sidecar has what it needs for it (CA_ADDR, the istio-token volume, istio-ca-root-cert).
    discoveryAddress: z.string().min(1).default('istio-pilot.istio-system.svc:15011'),
    proxyMetadata: z.record(z.string(), z.string()).default({}),
  })
  .passthrough();

export interface InjectionSettings {
  trustDomain: string;
  meshId: string;
  clusterId: string;
  discoveryAddress: string;
  proxyMetadata: Record<string, string>;
  injector: z.infer<typeof SidecarInjectorSchema>;
}

export class MeshSettingsError extends Error {}

function issues(prefix: string, error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join('.')}: ${i.message}`)
    .join('; ');
}

/** Reads injection settings from a mesh config object; throws MeshSettingsError naming every bad field. */
export function settingsFromMeshConfig(raw: unknown): InjectionSettings {
  const mesh = MeshConfigSchema.safeParse(raw ?? {});
  if (!mesh.success) throw new MeshSettingsError(`mesh config: ${issues('', mesh.error)}`);
  const record = mesh.data as Record<string, unknown>;
  const proxy = ProxyDefaultsSchema.safeParse(record.defaultConfig ?? {});
  if (!proxy.success) throw new MeshSettingsError(`mesh config: ${issues('defaultConfig', proxy.error)}`);
  const injector = SidecarInjectorSchema.safeParse(record.sidecarInjector ?? {});
  if (!injector.success) throw new MeshSettingsError(`mesh config: ${issues('sidecarInjector', injector.error)}`);
  return {
    trustDomain: mesh.data.trustDomain,
    meshId: mesh.data.meshId || mesh.data.trustDomain,
    clusterId: mesh.data.clusterId || 'Kubernetes',
    discoveryAddress: proxy.data.discoveryAddress,
    proxyMetadata: proxy.data.proxyMetadata,
    injector: injector.data,
  };
}

export const DEFAULT_SETTINGS: InjectionSettings = settingsFromMeshConfig({});
