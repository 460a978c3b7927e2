// kube-inject: the webhook's injection, offline, on a YAML stream. Workloads
// (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController,
// Job, CronJob, and the items of a List) come back injected, with keys sorted
// as istioctl prints them; every other document is passed through as written.
import { parseAllDocuments, stringify } from 'yaml';
import { injectPod } from './inject.ts';
import { isObject, type PodLike } from './k8s.ts';
import type { InjectionSettings } from './mesh-settings.ts';
import type { WorkloadMeta } from './workload.ts';

export interface KubeInjectOptions {
  settings: InjectionSettings;
  revision: string;
  /** Where the stream came from, for messages (a file name or "stdin"). */
  source: string;
}

export interface KubeInjectResult {
  yaml: string;
  /** Documents injected, and messages about the others (skipped, invalid annotations). */
  injected: number;
  messages: string[];
}

export class KubeInjectError extends Error {}

const TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job']);

/** Sorts every map's keys, recursively (istioctl's output order). */
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isObject(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
    return out;
  }
  return v;
}

export function toYaml(doc: unknown): string {
  // Sequences not indented under their key, double quotes unless the text holds one: go-yaml's style.
  return stringify(sortKeys(doc), { lineWidth: 0, indentSeq: false, aliasDuplicateObjects: false });
}

/** The pod template inside a workload document, and where to put it back. */
function podTemplate(doc: Record<string, unknown>): { pod: PodLike; put(pod: PodLike): void } | undefined {
  const kind = doc.kind as string;
  if (kind === 'Pod') return { pod: doc as PodLike, put: (pod) => Object.assign(doc, { metadata: pod.metadata, spec: pod.spec }) };
  let holder: Record<string, unknown> | undefined;
  if (TEMPLATE_KINDS.has(kind) && isObject(doc.spec)) holder = doc.spec;
  if (kind === 'CronJob' && isObject(doc.spec) && isObject(doc.spec.jobTemplate) && isObject(doc.spec.jobTemplate.spec)) holder = doc.spec.jobTemplate.spec;
  if (!holder || !isObject(holder.template)) return undefined;
  const template = holder.template as PodLike;
  return { pod: template, put: (pod) => void (holder.template = { ...template, metadata: pod.metadata, spec: pod.spec }) };
}

function describe(doc: Record<string, unknown>): string {
  const meta = isObject(doc.metadata) ? doc.metadata : {};
  return `${String(doc.kind)} ${meta.namespace ? `${String(meta.namespace)}/` : ''}${String(meta.name ?? '(unnamed)')}`;
}

/** Injects one parsed document in place; returns whether it changed. */
function injectDocument(doc: Record<string, unknown>, opts: KubeInjectOptions, where: string, messages: string[]): boolean {
  if (doc.kind === 'List' && Array.isArray(doc.items)) {
    let changed = false;
    doc.items.forEach((item, i) => {
      if (isObject(item) && injectDocument(item, opts, `${where} item ${i}`, messages)) changed = true;
    });
    return changed;
  }
  const target = podTemplate(doc);
  if (!target) return false;
  const meta = isObject(doc.metadata) ? doc.metadata : {};
  const namespace = typeof meta.namespace === 'string' && meta.namespace ? meta.namespace : 'default';
  const workload: WorkloadMeta = {
    name: String(meta.name ?? ''),
    namespace,
    kind: String(doc.kind),
    apiVersion: String(doc.apiVersion ?? ''),
  };
  const label = `${where} (${describe(doc)})`;
  let result;
  try {
    result = injectPod(target.pod, { settings: opts.settings, revision: opts.revision, namespace, workload, anyRevision: true });
  } catch (err) {
    throw new KubeInjectError(`${label}: ${(err as Error).message}`, { cause: err });
  }
  for (const w of result.warnings) messages.push(`${label}: ${w}`);
  if (!result.injected) {
    messages.push(`${label}: not injected: ${result.reason}`);
    return false;
  }
  target.put(result.pod);
  return true;
}

export function kubeInject(text: string, opts: KubeInjectOptions): KubeInjectResult {
  const docs = parseAllDocuments(text);
  const out: string[] = [];
  const messages: string[] = [];
  let injected = 0;
  const list = Array.isArray(docs) ? docs : [docs];
  let start = 0;
  list.forEach((d, i) => {
    // This document's source text: from the end of the previous one, so its leading comments come along.
    const source = text.slice(start, d.range[2]);
    start = d.range[2];
    const where = `${opts.source} document ${i + 1}`;
    if (d.errors.length) throw new KubeInjectError(`${where}: invalid YAML: ${d.errors[0].message}`);
    const value = d.toJS({ maxAliasCount: 100 }) as unknown;
    if (value === null || value === undefined) return;
    if (isObject(value) && injectDocument(value, opts, where, messages)) {
      injected++;
      out.push(toYaml(value));
      return;
    }
    // Untouched: the document exactly as written, without its own separator lines.
    out.push(source.replace(/^(\s*\n)*---[ \t]*\n/, '').replace(/\n\.\.\.\s*$/, '\n'));
  });
  return { yaml: out.map((s) => (s.endsWith('\n') ? s : s + '\n')).join('---\n'), injected, messages };
}
