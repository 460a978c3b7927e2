// A resource pilot cannot translate is skipped, not fatal: the error names the
// resource and the field so the operator can fix it, and every other resource
// is still pushed.
import type { ConfigResource } from '@mesh/contracts';

export interface ResourceRef {
  kind: string;
  namespace: string;
  name: string;
}

export interface TranslationIssue extends ResourceRef {
  /** Path inside the resource, e.g. `spec.http[1].route[0].destination.host`. */
  field: string;
  message: string;
}

/**
 * The Istio resource (and field) a generated Envoy resource came from, so a
 * resource that cannot be served is reported against what produced it.
 */
export interface Origin extends ResourceRef {
  field: string;
  /** Envoy field → the Istio field that set it (a cluster's `outlierDetection` → `spec.trafficPolicy.outlierDetection`). */
  fields?: Partial<Record<string, string>>;
}

/** Settings that come from the mesh config (pathNormalization, outboundTrafficPolicy) rather than a resource. */
export const MESH_CONFIG_ORIGIN: Origin = { kind: 'MeshConfig', namespace: '', name: 'mesh', field: '' };

/** Thrown by readers of a spec; carries the field path relative to the resource. */
export class FieldError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

export function refOf(r: ConfigResource): ResourceRef {
  return { kind: r.kind, namespace: r.metadata.namespace, name: r.metadata.name };
}

export function issueFrom(ref: ResourceRef, err: unknown): TranslationIssue {
  if (err instanceof FieldError) return { ...ref, field: err.field, message: err.message.slice(err.field.length + 2) };
  return { ...ref, field: 'spec', message: (err as Error)?.message ?? String(err) };
}

export function describeIssue(i: TranslationIssue): string {
  return `${i.kind} ${i.namespace}/${i.name}: ${i.field}: ${i.message}`;
}

// --- small readers that throw FieldError --------------------------------------

export function asObject(v: unknown, field: string): Record<string, any> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new FieldError(field, 'expected an object');
  return v as Record<string, any>;
}

export function asArray<T = unknown>(v: unknown, field: string): T[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new FieldError(field, 'expected a list');
  return v as T[];
}

export function asString(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new FieldError(field, 'expected a string');
  return v;
}

export function requireString(v: unknown, field: string): string {
  const s = asString(v, field);
  if (!s) throw new FieldError(field, 'is required');
  return s;
}

export function asInt(v: unknown, field: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new FieldError(field, `expected an integer in [${min}, ${max}]`);
  return v;
}

export function asLabels(v: unknown, field: string): Record<string, string> {
  const o = asObject(v, field) ?? {};
  for (const [k, val] of Object.entries(o)) if (typeof val !== 'string') throw new FieldError(`${field}.${k}`, 'expected a string label value');
  return o as Record<string, string>;
}
