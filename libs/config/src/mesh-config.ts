// The MeshConfig fields this library knows the meaning of, read the same way
// by galley (which validates the mesh config file before writing it to NATS)
// and pilot (which applies it). The contracts' MeshConfigSchema keeps fields
// it does not declare, so these are checked here.
import type { FieldError } from '@mesh/contracts';
import { meshExtensionProviders } from './extension-providers.ts';

/**
 * Istio's ProxyPathNormalization.NormalizationType. DEFAULT means BASE.
 * https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig-ProxyPathNormalization-NormalizationType
 */
export const PATH_NORMALIZATIONS = ['DEFAULT', 'NONE', 'BASE', 'MERGE_SLASHES', 'DECODE_AND_MERGE_SLASHES'] as const;
export type PathNormalization = Exclude<(typeof PATH_NORMALIZATIONS)[number], 'DEFAULT'>;

/**
 * `pathNormalization.normalization` of a mesh config (BASE when absent or
 * DEFAULT), or the error that names the field and the valid values.
 */
export function meshPathNormalization(mesh: unknown): { value: PathNormalization; error?: FieldError } {
  const pn = (mesh as Record<string, unknown> | undefined)?.pathNormalization;
  if (pn === undefined || pn === null) return { value: 'BASE' };
  if (typeof pn !== 'object' || Array.isArray(pn)) {
    return { value: 'BASE', error: { path: 'pathNormalization', message: 'expected a map such as {normalization: MERGE_SLASHES}' } };
  }
  for (const k of Object.keys(pn)) {
    if (k !== 'normalization') return { value: 'BASE', error: { path: `pathNormalization.${k}`, message: `unknown field "${k}" in ProxyPathNormalization; the only field is normalization` } };
  }
  const n = (pn as Record<string, unknown>).normalization;
  if (n === undefined || n === null || n === 'DEFAULT') return { value: 'BASE' };
  if (typeof n !== 'string' || !(PATH_NORMALIZATIONS as readonly string[]).includes(n)) {
    const hint = typeof n === 'string' && (PATH_NORMALIZATIONS as readonly string[]).includes(n.toUpperCase()) ? ` (did you mean ${n.toUpperCase()}?)` : '';
    return { value: 'BASE', error: { path: 'pathNormalization.normalization', message: `${JSON.stringify(n)} is not one of ${PATH_NORMALIZATIONS.join(', ')}${hint}` } };
  }
  return { value: n as PathNormalization };
}

/** Problems in the mesh config fields this library knows (empty when none). */
export function checkMeshConfig(mesh: unknown): FieldError[] {
  const errors: FieldError[] = [];
  const pn = meshPathNormalization(mesh);
  if (pn.error) errors.push(pn.error);
  for (const kind of Object.keys(EXPORT_DEFAULT_FIELDS) as ExportableKind[]) {
    const e = meshDefaultExportTo(mesh, kind).error;
    if (e) errors.push(e);
  }
  const root = meshRootNamespace(mesh).error;
  if (root) errors.push(root);
  const hops = meshNumTrustedProxies(mesh).error;
  if (hops) errors.push(hops);
  errors.push(...meshExtensionProviders(mesh).errors);
  const otp = (mesh as Record<string, unknown> | undefined)?.outboundTrafficPolicy as Record<string, unknown> | undefined;
  if (otp && otp.mode !== undefined && otp.mode !== 'ALLOW_ANY' && otp.mode !== 'REGISTRY_ONLY') {
    errors.push({ path: 'outboundTrafficPolicy.mode', message: `${JSON.stringify(otp.mode)} is not one of ALLOW_ANY, REGISTRY_ONLY` });
  }
  return errors;
}

/**
 * Istio's `numTrustedProxies` (ProxyConfig.gatewayTopology) read from a
 * ProxyConfig - the mesh config's `defaultConfig`, or a gateway's own
 * (PROXY_CONFIG node metadata, from the `proxy.istio.io/config` annotation):
 * how many proxies in front of the gateway X-Forwarded-For may be trusted
 * for. Undefined when the ProxyConfig does not say; on a bad value, the error
 * naming the field (under `prefix`).
 */
export function proxyConfigNumTrustedProxies(proxyConfig: unknown, prefix: string): { value?: number; error?: FieldError } {
  const pc = typeof proxyConfig === 'string' ? parseJsonObject(proxyConfig) : proxyConfig;
  const topology = (pc as Record<string, unknown> | undefined)?.gatewayTopology as Record<string, unknown> | undefined;
  const n = topology?.numTrustedProxies;
  if (n === undefined || n === null) return {};
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 64) {
    return { error: { path: `${prefix}gatewayTopology.numTrustedProxies`, message: `${JSON.stringify(n)} is not a whole number of proxies from 0 to 64` } };
  }
  return { value: n };
}

function parseJsonObject(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The mesh-wide default of numTrustedProxies (`defaultConfig.gatewayTopology.numTrustedProxies`), 0 when unset. */
export function meshNumTrustedProxies(mesh: unknown): { value: number; error?: FieldError } {
  const r = proxyConfigNumTrustedProxies((mesh as Record<string, unknown> | undefined)?.defaultConfig, 'defaultConfig.');
  return { value: r.value ?? 0, error: r.error };
}

/** The kinds whose `exportTo` has a mesh-wide default (MeshConfig `default<Kind>ExportTo`). */
export const EXPORT_DEFAULT_FIELDS = {
  ServiceEntry: 'defaultServiceExportTo',
  VirtualService: 'defaultVirtualServiceExportTo',
  DestinationRule: 'defaultDestinationRuleExportTo',
} as const;
export type ExportableKind = keyof typeof EXPORT_DEFAULT_FIELDS;

/** Istio's default root namespace (MeshConfig `rootNamespace`). */
export const DEFAULT_ROOT_NAMESPACE = 'istio-system';

const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** An exportTo entry: `.`, `*`, `~` or a namespace name; undefined when valid. */
export function checkExportToEntry(entry: unknown): string | undefined {
  if (typeof entry !== 'string') return `${JSON.stringify(entry)} is not a string; use ".", "*", "~" or a namespace name`;
  if (entry === '.' || entry === '*' || entry === '~') return undefined;
  if (entry.length > 63 || !NAMESPACE_NAME.test(entry)) return `"${entry}" is not ".", "*", "~" or a namespace name`;
  return undefined;
}

/**
 * The mesh-wide default exportTo of a kind (MeshConfig defaultServiceExportTo,
 * defaultVirtualServiceExportTo, defaultDestinationRuleExportTo): `["*"]` when
 * unset; on a bad value, `["*"]` and the error naming the field.
 */
export function meshDefaultExportTo(mesh: unknown, kind: ExportableKind): { value: string[]; error?: FieldError } {
  const field = EXPORT_DEFAULT_FIELDS[kind];
  const v = (mesh as Record<string, unknown> | undefined)?.[field];
  if (v === undefined || v === null) return { value: ['*'] };
  if (!Array.isArray(v)) return { value: ['*'], error: { path: field, message: 'expected a list such as ["*"] or ["."]' } };
  for (let i = 0; i < v.length; i++) {
    const problem = checkExportToEntry(v[i]);
    if (problem) return { value: ['*'], error: { path: `${field}[${i}]`, message: problem } };
  }
  return { value: v.length ? (v as string[]) : ['*'] };
}

/** MeshConfig `rootNamespace` (istio-system when unset); on a bad value, istio-system and the error. */
export function meshRootNamespace(mesh: unknown): { value: string; error?: FieldError } {
  const v = (mesh as Record<string, unknown> | undefined)?.rootNamespace;
  if (v === undefined || v === null || v === '') return { value: DEFAULT_ROOT_NAMESPACE };
  if (typeof v !== 'string' || v.length > 63 || !NAMESPACE_NAME.test(v)) {
    return { value: DEFAULT_ROOT_NAMESPACE, error: { path: 'rootNamespace', message: `${JSON.stringify(v)} is not a namespace name` } };
  }
  return { value: v };
}

/**
 * Where a resource is visible (Istio's exportTo): `.` its own namespace, `*`
 * every namespace, `~` none, else the named namespaces. An absent or empty
 * exportTo takes the mesh default (itself `*` unless set).
 */
export class ExportScope {
  readonly all: boolean;
  readonly namespaces: ReadonlySet<string>;
  constructor(exportTo: readonly string[] | undefined, ownNamespace: string, meshDefault: readonly string[] = ['*']) {
    const list = exportTo?.length ? exportTo : meshDefault;
    this.all = list.includes('*');
    this.namespaces = new Set(list.filter((e) => e !== '*' && e !== '~').map((e) => (e === '.' ? ownNamespace : e)));
  }

  /** Whether proxies (and gateways) in `namespace` see the resource. */
  visibleIn(namespace: string): boolean {
    return this.all || this.namespaces.has(namespace);
  }

  /** A stable description, for cache keys and debug output. */
  toString(): string {
    return this.all ? '*' : [...this.namespaces].sort().join(',') || '~';
  }
}
