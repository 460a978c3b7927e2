// Reads what the tests check: every YAML document under deploy/kubernetes (with
// the file it came from), the kustomizations, and small accessors for the
// shapes the tests walk (pod specs, containers, label selectors).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

export const DEPLOY_DIR = path.resolve(import.meta.dirname, '..');
export const REPO_ROOT = path.resolve(DEPLOY_DIR, '..');
export const K8S_DIR = path.join(DEPLOY_DIR, 'kubernetes');
export const CONTROL_PLANE_NAMESPACE = 'istio-system';

/** The apps that ship as images, and the app behind each Deployment that runs one. */
export const APPS = ['galley', 'pilot', 'citadel', 'injector', 'proxy'] as const;
export type App = (typeof APPS)[number];

export type K8sObject = Record<string, any>;
export interface Manifest {
  /** Path relative to deploy/kubernetes. */
  file: string;
  /** Position of the document in its file. */
  index: number;
  obj: K8sObject;
}

export function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...yamlFilesUnder(full));
    else if (/\.ya?ml$/.test(entry)) out.push(full);
  }
  return out;
}

/** Every non-empty document of a YAML file, or the parse errors (with the file's name). */
export function parseYaml(file: string): { docs: unknown[]; errors: string[] } {
  const docs: unknown[] = [];
  const errors: string[] = [];
  for (const doc of YAML.parseAllDocuments(readFileSync(file, 'utf8'))) {
    for (const e of doc.errors) errors.push(`${path.relative(REPO_ROOT, file)}: ${e.message}`);
    const value = doc.toJSON();
    if (value !== null && value !== undefined) docs.push(value);
  }
  return { docs, errors };
}

const isKustomization = (file: string) => path.basename(file) === 'kustomization.yaml';

let cached: Manifest[] | undefined;
/** Every Kubernetes object under deploy/kubernetes (kustomization files aside). */
export function manifests(): Manifest[] {
  if (cached) return cached;
  cached = [];
  for (const file of yamlFilesUnder(K8S_DIR).filter((f) => !isKustomization(f))) {
    const { docs, errors } = parseYaml(file);
    if (errors.length) throw new Error(errors.join('\n'));
    docs.forEach((obj, index) => cached!.push({ file: path.relative(K8S_DIR, file), index, obj: obj as K8sObject }));
  }
  return cached;
}

/** Directory (relative to deploy/kubernetes, '' for the top) -> its kustomization.yaml. */
export function kustomizations(): Map<string, K8sObject> {
  const out = new Map<string, K8sObject>();
  for (const file of yamlFilesUnder(K8S_DIR).filter(isKustomization)) {
    out.set(path.relative(K8S_DIR, path.dirname(file)), parseYaml(file).docs[0] as K8sObject);
  }
  return out;
}

export function ofKind(kind: string): Manifest[] {
  return manifests().filter((m) => m.obj.kind === kind);
}

export function find(kind: string, name: string, namespace?: string): K8sObject | undefined {
  return manifests().find((m) => m.obj.kind === kind && m.obj.metadata?.name === name && (namespace === undefined || m.obj.metadata?.namespace === namespace))?.obj;
}

export function get(kind: string, name: string, namespace?: string): K8sObject {
  const obj = find(kind, name, namespace);
  if (!obj) throw new Error(`no ${kind} ${namespace ? namespace + '/' : ''}${name} under deploy/kubernetes`);
  return obj;
}

export function nameOf(obj: K8sObject): string {
  const ns = obj.metadata?.namespace;
  return `${obj.kind} ${ns ? ns + '/' : ''}${obj.metadata?.name}`;
}

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'];
export function workloads(): Manifest[] {
  return manifests().filter((m) => WORKLOAD_KINDS.includes(m.obj.kind));
}

export function podSpec(workload: K8sObject): K8sObject {
  return workload.spec.template.spec;
}

export function containers(workload: K8sObject): K8sObject[] {
  const spec = podSpec(workload);
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
}

/** A container's declared port for a Service targetPort or probe port: by number or by name. */
export function containerPort(workload: K8sObject, port: number | string): K8sObject | undefined {
  for (const c of podSpec(workload).containers) {
    for (const p of c.ports ?? []) {
      if (typeof port === 'number' ? p.containerPort === port : p.name === port) return p;
    }
  }
  return undefined;
}

/** Kubernetes label-selector semantics: matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist). */
export function selects(selector: K8sObject | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    switch (e.operator) {
      case 'In':
        if (!has || !e.values.includes(labels[e.key])) return false;
        break;
      case 'NotIn':
        if (has && e.values.includes(labels[e.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        throw new Error(`unknown selector operator ${e.operator}`);
    }
  }
  return true;
}

/** The value of `--name=value` (or `--name value`) in a container's args. */
export function argValue(container: K8sObject, name: string): string | undefined {
  const args: string[] = container.args ?? [];
  for (let i = 0; i < args.length; i++) {
    if (args[i].startsWith(`--${name}=`)) return args[i].slice(name.length + 3);
    if (args[i] === `--${name}`) return args[i + 1]?.startsWith('--') ? '' : (args[i + 1] ?? '');
  }
  return undefined;
}

export function envValue(container: K8sObject, name: string): string | undefined {
  return (container.env ?? []).find((e: K8sObject) => e.name === name)?.value;
}

/** The app an image `mesh/<app>:<tag>` runs, or undefined for other images. */
export function meshImage(image: string): { app: string; tag: string } | undefined {
  const m = /^mesh\/([a-z-]+):(\S+)$/.exec(image);
  return m ? { app: m[1], tag: m[2] } : undefined;
}

export function appVersion(app: string): string {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, 'apps', app, 'package.json'), 'utf8')).version;
}

export function repoPathExists(rel: string): boolean {
  return existsSync(path.join(REPO_ROOT, rel));
}

/** The control-plane Deployments, by app. */
export const CONTROL_PLANE: Record<Exclude<App, 'proxy'>, string> = {
  galley: 'istio-galley',
  pilot: 'istio-pilot',
  citadel: 'istio-citadel',
  injector: 'istio-sidecar-injector',
};
export const GATEWAYS = ['istio-ingressgateway', 'istio-egressgateway'];
