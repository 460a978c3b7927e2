// Validation of one resource: envelope (apiVersion served for the kind,
// metadata names and labels), spec structure (types, unknown fields, oneofs)
// and the kind's semantic rules. Produces the normalized resource that is
// safe to store when there are no errors.
import type { FieldError } from '@mesh/contracts';
import { Reporter, type ValidationResult } from './issues.ts';
import { KINDS, splitApiVersion } from './kinds.ts';
import { checkDnsLabel, checkDnsSubdomain } from './names.ts';
import type { IstioResource, ObjectMeta } from './resource.ts';
import { conformMessage, type ConformStats } from './shape.ts';
import { supportFindings } from './support.ts';
import { checkLabels } from './validate/common.ts';

export interface ValidateOptions {
  /**
   * What an unknown spec field is. `warn` (the default) reports it and drops
   * it, as the Kubernetes API server prunes fields its schema does not know;
   * `error` rejects the resource, as `istioctl validate` and Istio's
   * validating webhook (strict decoding) do.
   */
  unknownFields?: 'warn' | 'error';
  /**
   * Security configuration this mesh cannot enforce (an `error` of
   * supportFindings). `refuse` (the default, what galley and its webhook do)
   * rejects the resource naming the field; `accept` only checks that it is
   * valid Istio, for callers that report support separately.
   */
  unenforcedSecurity?: 'refuse' | 'accept';
}

export interface CheckResult extends ValidationResult {
  /** The normalized resource (camelCase fields, unknown fields dropped); set only when there are no errors. */
  resource?: IstioResource;
}

export function checkResource(r: IstioResource<unknown>, options: ValidateOptions = {}): CheckResult {
  const rep = new Reporter();
  const info = KINDS[r.kind];
  if (!info) {
    rep.at('kind').error(`kind "${r.kind}" is not an Istio config kind handled here`);
    return rep.result;
  }

  const served = info.versions.map((v) => `${info.group}/${v}`);
  const { group, version } = splitApiVersion(r.apiVersion ?? '');
  if (!r.apiVersion) rep.at('apiVersion').error(`apiVersion is required; use ${served.join(', ')}`);
  else if (group !== info.group || !info.versions.includes(version)) {
    rep.at('apiVersion').error(`${r.apiVersion} does not serve ${r.kind}; use ${served.join(', ')}`);
  }

  const metadata = checkMetadata(r.metadata as unknown as Record<string, unknown>, rep.at('metadata'));

  let spec: unknown = r.spec;
  if (spec === undefined || spec === null) spec = {};
  const stats: ConformStats = { typeErrors: 0 };
  const normalized = conformMessage(spec, info.shape, rep.at('spec'), { unknownFields: options.unknownFields ?? 'warn' }, stats);
  // Semantic rules assume well-typed fields; with type errors they would only add noise.
  if (normalized && stats.typeErrors === 0) {
    info.validate(normalized, rep.at('spec'), { namespace: metadata.namespace, name: metadata.name });
  }

  // Security configuration the mesh cannot enforce is refused, never stored as if it applied (the last accepted
  // version stays in effect); everything else it does not implement is a warning from supportFindings.
  if (rep.errorCount === 0 && normalized && options.unenforcedSecurity !== 'accept') {
    for (const f of supportFindings({ kind: r.kind, metadata, spec: normalized })) {
      if (f.severity === 'error') rep.result.errors.push({ path: f.path, message: `not enforced by this mesh, so the resource is refused: ${f.message}` });
    }
  }

  const result: CheckResult = rep.result;
  if (result.errors.length === 0 && normalized) {
    const out: IstioResource = { apiVersion: r.apiVersion, kind: r.kind, metadata, spec: normalized as Record<string, unknown> };
    if (r.source !== undefined) out.source = r.source;
    result.resource = out;
  }
  return result;
}

/** The errors checkResource finds (warnings aside): empty means the resource is valid. */
export function validateResource(r: IstioResource<unknown>, options: ValidateOptions = {}): FieldError[] {
  return checkResource(r, options).errors;
}

function checkMetadata(raw: Record<string, unknown>, rep: Reporter): ObjectMeta {
  const name = typeof raw?.name === 'string' ? raw.name : '';
  const namespace = typeof raw?.namespace === 'string' ? raw.namespace : '';
  const nameProblem = checkDnsSubdomain(name);
  if (nameProblem) rep.at('name').error(`name ${nameProblem}`);
  const nsProblem = checkDnsLabel(namespace);
  if (nsProblem) rep.at('namespace').error(`namespace ${nsProblem}`);
  const meta: ObjectMeta = { name, namespace };
  for (const field of ['labels', 'annotations'] as const) {
    const value = raw?.[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      rep.at(field).error(`expected a map of strings, got ${Array.isArray(value) ? 'a list' : typeof value}`);
      continue;
    }
    const clean: Record<string, string> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v !== 'string') rep.at(field, k).error(`${field} values must be strings; quote ${JSON.stringify(v)} in YAML`);
      else clean[k] = v;
    }
    if (field === 'labels') checkLabels(clean, rep.at('labels'));
    meta[field] = clean;
  }
  if (typeof raw?.generation === 'number') meta.generation = raw.generation;
  if (typeof raw?.resourceVersion === 'string') meta.resourceVersion = raw.resourceVersion;
  if (typeof raw?.creationTimestamp === 'string') meta.creationTimestamp = raw.creationTimestamp;
  return meta;
}
