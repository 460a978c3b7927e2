// SPIFFE identities as Istio uses them: spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>.

export interface WorkloadIdentity {
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
}

// Trust domains are lowercase DNS-ish names (SPIFFE allows a-z0-9 . - _);
// namespaces and service accounts are Kubernetes DNS labels/subdomains.
const TRUST_DOMAIN = /^[a-z0-9._-]{1,255}$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SERVICE_ACCOUNT = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export function validateTrustDomain(trustDomain: string): string | undefined {
  return TRUST_DOMAIN.test(trustDomain) ? undefined : `trust domain "${trustDomain}" must be 1-255 characters of a-z 0-9 . - _`;
}

/** Why the parts cannot form an identity, or undefined when they can. */
export function validateIdentity(id: WorkloadIdentity): string | undefined {
  return (
    validateTrustDomain(id.trustDomain) ??
    (NAMESPACE.test(id.namespace) ? undefined : `namespace "${id.namespace}" is not a valid Kubernetes namespace name`) ??
    (SERVICE_ACCOUNT.test(id.serviceAccount) ? undefined : `service account "${id.serviceAccount}" is not a valid Kubernetes name`)
  );
}

export function formatSpiffeId(id: WorkloadIdentity): string {
  const problem = validateIdentity(id);
  if (problem) throw new Error(`cannot form a SPIFFE id: ${problem}`);
  return `spiffe://${id.trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`;
}

/** Parses an Istio workload SPIFFE id; returns an error message instead for anything else. */
export function parseSpiffeId(uri: string): { ok: true; id: WorkloadIdentity } | { ok: false; error: string } {
  const m = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(uri);
  if (!m) return { ok: false, error: `"${uri}" is not of the form spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>` };
  const id = { trustDomain: m[1], namespace: m[2], serviceAccount: m[3] };
  const problem = validateIdentity(id);
  return problem ? { ok: false, error: `"${uri}": ${problem}` } : { ok: true, id };
}
