// AdmissionReview in, AdmissionReview out (admission.k8s.io/v1 and v1beta1).
// A review that is not one gets HTTP 400 with the reason. A pod that is
// injected comes back allowed with a JSONPatch; one that is not, allowed
// without a patch. When injection itself fails, the failure policy decides:
// open admits the pod unchanged with a warning, closed denies it.
import { injectPod, InjectionError } from './inject.ts';
import { createPatch } from './json-patch.ts';
import { isObject, type PodLike } from './k8s.ts';
import type { InjectionSettings } from './mesh-settings.ts';
import { workloadFromPod } from './workload.ts';

export const ADMISSION_VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const;

export type FailurePolicy = 'open' | 'closed';
export type AdmissionResult = 'injected' | 'skipped' | 'failed-open' | 'denied' | 'bad-request';

export interface AdmissionDeps {
  settings(): InjectionSettings;
  revision: string;
  /** The namespace's labels, when this injector knows them. */
  namespaceLabels(namespace: string): Record<string, string> | undefined;
  failurePolicy: FailurePolicy;
}

export interface AdmissionOutcome {
  httpStatus: number;
  contentType: string;
  body: string;
  result: AdmissionResult;
  /** For the log line: what happened and to which pod. */
  detail: { reason: string; namespace?: string; pod?: string; uid?: string; warnings?: string[] };
}

class BadReview extends Error {}

interface Review {
  apiVersion: (typeof ADMISSION_VERSIONS)[number];
  uid: string;
  namespace: string;
  operation: string;
  kind: string;
  pod: PodLike;
}

function parseReview(text: string): Review {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new BadReview(`request body is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw new BadReview('request body: expected an AdmissionReview object');
  if (!ADMISSION_VERSIONS.includes(doc.apiVersion as Review['apiVersion'])) {
    throw new BadReview(`apiVersion: expected ${ADMISSION_VERSIONS.join(' or ')}, got ${JSON.stringify(doc.apiVersion)}`);
  }
  if (doc.kind !== 'AdmissionReview') throw new BadReview(`kind: expected AdmissionReview, got ${JSON.stringify(doc.kind)}`);
  const req = doc.request;
  if (!isObject(req)) throw new BadReview('request: missing; an AdmissionReview sent to a webhook carries a request');
  if (typeof req.uid !== 'string' || req.uid === '') throw new BadReview('request.uid: expected a non-empty string');
  if (req.kind !== undefined && !isObject(req.kind)) throw new BadReview('request.kind: expected {group, version, kind}');
  const kind = isObject(req.kind) && typeof req.kind.kind === 'string' ? req.kind.kind : 'Pod';
  const operation = typeof req.operation === 'string' ? req.operation : 'CREATE';
  if (kind === 'Pod' && operation === 'CREATE' && !isObject(req.object)) throw new BadReview('request.object: expected the pod being created');
  const pod = (isObject(req.object) ? req.object : {}) as PodLike;
  const namespace = typeof req.namespace === 'string' && req.namespace ? req.namespace : (pod.metadata?.namespace ?? '');
  return { apiVersion: doc.apiVersion as Review['apiVersion'], uid: req.uid, namespace, operation, kind, pod };
}

function respond(review: Review, response: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.uid, ...response } });
}

export function handleAdmissionReview(text: string, deps: AdmissionDeps): AdmissionOutcome {
  let review: Review;
  try {
    review = parseReview(text);
  } catch (err) {
    if (!(err instanceof BadReview)) throw err;
    return { httpStatus: 400, contentType: 'text/plain; charset=utf-8', body: `bad AdmissionReview: ${err.message}\n`, result: 'bad-request', detail: { reason: err.message } };
  }
  const json = 'application/json';
  const podName = review.pod.metadata?.name || review.pod.metadata?.generateName || '';
  const detail = { namespace: review.namespace, pod: podName, uid: review.uid };
  if (review.kind !== 'Pod' || review.operation !== 'CREATE') {
    const reason = `not a pod creation (${review.operation} ${review.kind})`;
    return { httpStatus: 200, contentType: json, body: respond(review, { allowed: true }), result: 'skipped', detail: { ...detail, reason } };
  }
  try {
    const result = injectPod(review.pod, {
      settings: deps.settings(),
      revision: deps.revision,
      namespace: review.namespace,
      namespaceLabels: deps.namespaceLabels(review.namespace),
      workload: workloadFromPod(review.pod.metadata ?? {}, review.namespace),
    });
    const warnings = result.warnings.length ? { warnings: result.warnings } : {};
    if (!result.injected) {
      return {
        httpStatus: 200,
        contentType: json,
        body: respond(review, { allowed: true, ...warnings }),
        result: 'skipped',
        detail: { ...detail, reason: result.reason, warnings: result.warnings },
      };
    }
    const patch = Buffer.from(JSON.stringify(createPatch(review.pod, result.pod))).toString('base64');
    // Written by hand so the (large, escape-free) base64 patch is not scanned again by JSON.stringify.
    const warningsJson = result.warnings.length ? `,"warnings":${JSON.stringify(result.warnings)}` : '';
    return {
      httpStatus: 200,
      contentType: json,
      body: `{"apiVersion":"${review.apiVersion}","kind":"AdmissionReview","response":{"uid":${JSON.stringify(review.uid)},"allowed":true,"patchType":"JSONPatch","patch":"${patch}"${warningsJson}}}`,
      result: 'injected',
      detail: { ...detail, reason: result.reason, warnings: result.warnings },
    };
  } catch (err) {
    const badPod = err instanceof InjectionError;
    const reason = `sidecar injection failed: ${badPod ? `pod ${err.message}` : (err as Error).message}`;
    if (deps.failurePolicy === 'open') {
      return {
        httpStatus: 200,
        contentType: json,
        body: respond(review, { allowed: true, warnings: [`${reason}; admitted without a sidecar (failure policy open)`] }),
        result: 'failed-open',
        detail: { ...detail, reason },
      };
    }
    return {
      httpStatus: 200,
      contentType: json,
      body: respond(review, { allowed: false, status: { status: 'Failure', code: badPod ? 400 : 500, reason: badPod ? 'BadRequest' : 'InternalError', message: reason } }),
      result: 'denied',
      detail: { ...detail, reason },
    };
  }
}
