// The mesh config file: Istio's MeshConfig YAML as it sits in the `mesh` key
// of the `istio` ConfigMap (mounted as a file), or that ConfigMap itself, or
// a map with a `mesh` string. Validated with the contracts' MeshConfigSchema;
// unknown fields are kept for forward compatibility.
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { MeshConfigSchema, type MeshConfig } from '@mesh/contracts';
import { checkHostname, checkMeshConfig } from '@mesh/config';

export const DEFAULT_MESH_CONFIG: MeshConfig = MeshConfigSchema.parse({ outboundTrafficPolicy: { mode: 'ALLOW_ANY' } });

export function parseMeshConfig(text: string): { config: MeshConfig } | { errors: string[] } {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    return { errors: [`YAML syntax error: ${(err as Error).message.split('\n')[0]}`] };
  }
  if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
    const obj = doc as Record<string, unknown>;
    const data = obj.kind === 'ConfigMap' ? (obj.data as Record<string, unknown> | undefined) : obj;
    if (obj.kind === 'ConfigMap' && typeof data?.mesh !== 'string') return { errors: ['ConfigMap has no data.mesh key holding the mesh config'] };
    if (typeof data?.mesh === 'string') {
      try {
        doc = parse(data.mesh);
      } catch (err) {
        return { errors: [`mesh: YAML syntax error: ${(err as Error).message.split('\n')[0]}`] };
      }
    }
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) return { errors: ['the mesh config must be a map of MeshConfig fields (trustDomain, outboundTrafficPolicy, defaultConfig...)'] };
  const parsed = MeshConfigSchema.safeParse({ ...DEFAULT_MESH_CONFIG, ...(doc as object) });
  if (!parsed.success) return { errors: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`) };
  const problem = checkHostname(parsed.data.trustDomain);
  if (problem) return { errors: [`trustDomain: ${problem}`] };
  // Fields the contracts' schema passes through but the mesh applies (pathNormalization).
  const known = checkMeshConfig(parsed.data);
  if (known.length) return { errors: known.map((e) => `${e.path}: ${e.message}`) };
  return { config: parsed.data };
}

export async function readMeshConfig(file: string): Promise<{ config: MeshConfig } | { errors: string[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { errors: [`cannot read ${file}: ${(err as Error).message}`] };
  }
  return parseMeshConfig(text);
}

/**
 * Calls onChange (debounced) when the file may have changed. Watches the
 * parent directory, because editors and Kubernetes ConfigMap mounts replace
 * the file rather than write it in place.
 */
export function watchFile(file: string, onChange: () => void, debounceMs = 100): () => void {
  const dir = path.dirname(path.resolve(file));
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  const fire = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  };
  try {
    // Kubernetes swaps a `..data` symlink, so any change in the directory counts.
    watcher = watch(dir, fire);
    watcher.on('error', () => watcher?.close());
  } catch {
    // The directory is missing: the periodic reload in galley still notices the file later.
  }
  return () => {
    clearTimeout(timer);
    watcher?.close();
  };
}
