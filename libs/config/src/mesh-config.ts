// The MeshConfig fields this library knows the meaning of, read the same way
// by galley (which validates the mesh config file before writing it to NATS)
// and pilot (which applies it). The contracts' MeshConfigSchema keeps fields
// it does not declare, so these are checked here.
import type { FieldError } from '@mesh/contracts';

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
  return errors;
}
