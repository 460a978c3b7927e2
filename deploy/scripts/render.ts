// `nx build @mesh/deploy`: renders the kustomizations under kubernetes/ into
// plain YAML files, for clusters where `kubectl apply -k` is not an option:
//   dist/mesh.yaml          the whole mesh, in install order (CRDs first)
//   dist/<component>.yaml   one component, to install or upgrade it alone
// The kustomizations use only `resources` (files and directories); anything
// else is refused, so the rendered YAML never silently differs from -k.
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const KUBERNETES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../kubernetes');

export function renderKustomization(dir: string): string[] {
  const file = path.join(dir, 'kustomization.yaml');
  const k = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const unsupported = Object.keys(k).filter((key) => !['apiVersion', 'kind', 'resources'].includes(key));
  if (unsupported.length > 0) throw new Error(`${file}: ${unsupported.join(', ')} is not supported by the renderer; use kubectl apply -k`);
  const docs: string[] = [];
  for (const entry of (k.resources as string[] | undefined) ?? []) {
    const target = path.join(dir, entry);
    if (statSync(target).isDirectory()) docs.push(...renderKustomization(target));
    else docs.push(`# Source: ${path.relative(KUBERNETES_DIR, target)}\n${readFileSync(target, 'utf8').trim()}`);
  }
  return docs;
}

if (import.meta.main) {
  const out = path.resolve(KUBERNETES_DIR, '../dist');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'mesh.yaml'), renderKustomization(KUBERNETES_DIR).join('\n---\n') + '\n');
  for (const name of readdirSync(KUBERNETES_DIR)) {
    const dir = path.join(KUBERNETES_DIR, name);
    if (statSync(dir).isDirectory()) writeFileSync(path.join(out, `${name}.yaml`), renderKustomization(dir).join('\n---\n') + '\n');
  }
  console.log(`rendered ${path.relative(process.cwd(), out)}/mesh.yaml and one file per component`);
}
