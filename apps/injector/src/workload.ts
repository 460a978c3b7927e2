// Which workload a pod belongs to: its name, kind and API version feed
// ISTIO_META_WORKLOAD_NAME, ISTIO_META_OWNER and the canonical-name label.
import type { ObjectMeta } from './k8s.ts';

export interface WorkloadMeta {
  name: string;
  namespace: string;
  kind: string;
  apiVersion: string;
}

// CronJob-created Jobs are named <cronjob>-<scheduled time in minutes>.
const CRONJOB_JOB = /^(.+)-\d{8,11}$/;

/**
 * From a live pod, as the webhook sees it: follow the controller owner
 * reference; a ReplicaSet named <deployment>-<pod-template-hash> stands for
 * its Deployment, a Job named <cronjob>-<timestamp> for its CronJob.
 */
export function workloadFromPod(meta: ObjectMeta, namespace: string): WorkloadMeta {
  const owners = meta.ownerReferences ?? [];
  const owner = owners.find((o) => o.controller) ?? owners[0];
  if (!owner) {
    const name = meta.name || (meta.generateName ?? '').replace(/-$/, '');
    return { name, namespace, kind: 'Pod', apiVersion: 'v1' };
  }
  if (owner.kind === 'ReplicaSet') {
    const hash = meta.labels?.['pod-template-hash'];
    if (hash && owner.name.endsWith(`-${hash}`)) {
      return { name: owner.name.slice(0, -hash.length - 1), namespace, kind: 'Deployment', apiVersion: 'apps/v1' };
    }
  }
  if (owner.kind === 'Job') {
    const m = CRONJOB_JOB.exec(owner.name);
    if (m) return { name: m[1], namespace, kind: 'CronJob', apiVersion: 'batch/v1' };
  }
  return { name: owner.name, namespace, kind: owner.kind, apiVersion: owner.apiVersion };
}

/** kubernetes://apis/<apiVersion>/namespaces/<ns>/<kind>s/<name>, as Istio writes ISTIO_META_OWNER. */
export function ownerUri(w: WorkloadMeta): string {
  return `kubernetes://apis/${w.apiVersion}/namespaces/${w.namespace || 'default'}/${w.kind.toLowerCase()}s/${w.name}`;
}
