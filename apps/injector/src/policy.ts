// Whether a pod gets a sidecar, decided as Istio decides it (the namespace
// and object selectors of Istio's webhook configuration plus its injector
// policy), in this order:
//
//  1. hostNetwork pods: never (capture would rewrite the node's traffic).
//  2. Pods already carrying sidecar.istio.io/status: never again (idempotent).
//  3. kube-system and kube-public: never.
//  4. The pod says false (label sidecar.istio.io/inject, else the annotation) or
//     the namespace says istio-injection=disabled: no.
//  5. Which revision should inject: istio-injection=enabled means the default
//     revision; otherwise the pod's istio.io/rev label, then the namespace's;
//     otherwise the default revision. Another revision's pod: not ours.
//  6. Is the pod selected at all: namespace enabled or revision-labelled, pod
//     revision-labelled or saying true, or enableNamespacesByDefault.
//     (kube-inject injects as the revision it is given, whatever the labels.) When the
//     namespace's labels are unknown (the webhook is only called for pods the
//     webhook configuration selected) the pod counts as selected.
//  7. Policy disabled: only pods saying true. Policy enabled: yes.
import { parseBool, NAMESPACE_INJECTION_LABEL, REVISION_LABEL } from './annotations.ts';

export const IGNORED_NAMESPACES = ['kube-system', 'kube-public'];
export const DEFAULT_REVISION = 'default';

export interface PolicyInput {
  namespace: string;
  /** Undefined when the injector does not know the namespace's labels. */
  namespaceLabels: Record<string, string> | undefined;
  podLabels: Record<string, string>;
  /** The pod's valid sidecar.istio.io/inject override, if any (label wins over annotation). */
  podInject: string | undefined;
  hostNetwork: boolean;
  alreadyInjected: boolean;
  /** This injector's revision ('default' for the default one). */
  revision: string;
  policy: 'enabled' | 'disabled';
  enableNamespacesByDefault: boolean;
  /** kube-inject: the user asked for this revision explicitly, so revision labels do not select. */
  anyRevision?: boolean;
}

export interface PolicyDecision {
  inject: boolean;
  /** Why, in words a user can act on. */
  reason: string;
  /** The revision that owns this pod (written to istio.io/rev). */
  revision: string;
}

const norm = (rev: string) => (rev === '' ? DEFAULT_REVISION : rev);

export function decideInjection(p: PolicyInput): PolicyDecision {
  const ours = norm(p.revision);
  const no = (reason: string, revision = ours): PolicyDecision => ({ inject: false, reason, revision });
  if (p.hostNetwork) return no('hostNetwork pods are never injected');
  if (p.alreadyInjected) return no('already injected (sidecar.istio.io/status is set)');
  if (IGNORED_NAMESPACES.includes(p.namespace)) return no(`namespace ${p.namespace} is never injected`);

  const podSays = p.podInject === undefined ? undefined : parseBool(p.podInject);
  const ns = p.namespaceLabels;
  const nsInjection = ns?.[NAMESPACE_INJECTION_LABEL];
  if (podSays === false) return no('the pod opts out (sidecar.istio.io/inject=false)');
  if (nsInjection === 'disabled') return no(`namespace ${p.namespace} has istio-injection=disabled`);

  const podRev = p.podLabels[REVISION_LABEL];
  const nsRev = ns?.[REVISION_LABEL];
  let wanted = DEFAULT_REVISION;
  if (nsInjection === 'enabled') wanted = DEFAULT_REVISION;
  else if (podRev !== undefined) wanted = norm(podRev);
  else if (nsRev !== undefined) wanted = norm(nsRev);
  if (wanted !== ours && !p.anyRevision) return no(`revision ${wanted} is handled by another injector (this one is ${ours})`, wanted);

  const selected =
    ns === undefined || nsInjection === 'enabled' || nsRev !== undefined || podRev !== undefined || podSays === true || p.enableNamespacesByDefault;
  if (!selected) return no(`namespace ${p.namespace} is not labelled istio-injection=enabled or istio.io/rev, and the pod does not opt in`);

  if (p.policy === 'disabled' && podSays !== true) return no('injection policy is disabled and the pod does not opt in (sidecar.istio.io/inject=true)');
  return { inject: true, reason: 'selected', revision: ours };
}
