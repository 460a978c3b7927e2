// Istio's RequestAuthentication (security.istio.io/v1): the JWT rules a
// workload's proxy checks tokens against, read strictly from the spec galley
// accepted, and which policies apply to a workload (Istio's rules, as for
// AuthorizationPolicy): a policy in the root namespace without selector applies
// mesh-wide, one in another namespace without selector to that namespace, one
// with `selector.matchLabels` to the matching workloads of its namespace (of
// every namespace in the root namespace); gateways are workloads like any
// other. Every rule of every applying policy is one jwt_authn provider.
// https://istio.io/latest/docs/reference/config/security/request_authentication/
import type { ConfigResource } from '@mesh/contracts';
import { FieldError, asArray, asLabels, asObject, asString, refOf, type ResourceRef } from './errors.ts';
import { parseDurationMs } from './duration.ts';
import { labelsMatch } from './services.ts';
import type { WorkloadRef } from './authorization-policies.ts';

export interface JwtRuleModel {
  issuer: string;
  audiences: string[];
  jwksUri?: string;
  /** Inline JWKS (JSON text). */
  jwks?: string;
  fromHeaders: Array<{ name: string; prefix: string }>;
  fromParams: string[];
  fromCookies: string[];
  forwardOriginalToken: boolean;
  outputPayloadToHeader?: string;
  outputClaimToHeaders: Array<{ header: string; claim: string }>;
  /** How long pilot waits for jwksUri (Istio's `timeout`, default 5 s). */
  timeoutMs?: number;
  spaceDelimitedClaims: string[];
  /** Field path of the rule (`spec.jwtRules[0]`). */
  field: string;
}

export interface RequestAuthenticationModel {
  namespace: string;
  name: string;
  ref: ResourceRef;
  /** selector.matchLabels; undefined: every workload of the namespace (mesh-wide in the root namespace). */
  selector?: Record<string, string>;
  /** targetRef / targetRefs are set (Gateway API attachment), which this mesh does not implement. */
  targeted: boolean;
  rules: JwtRuleModel[];
  /**
   * Why the policy could not be read: it then applies to its whole namespace
   * as a rule that rejects every token (requests without one still pass), since
   * pilot cannot tell which tokens it would have accepted.
   */
  broken?: { field: string; message: string };
  creation: string;
}

const RULE_FIELDS = new Set([
  'issuer',
  'audiences',
  'jwksUri',
  'jwks',
  'fromHeaders',
  'fromParams',
  'fromCookies',
  'forwardOriginalToken',
  'outputPayloadToHeader',
  'outputClaimToHeaders',
  'timeout',
  'spaceDelimitedClaims',
]);
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function strings(v: unknown, field: string): string[] {
  return asArray(v, field).map((s, i) => {
    const str = asString(s, `${field}[${i}]`);
    if (!str) throw new FieldError(`${field}[${i}]`, 'must be a non-empty string');
    return str;
  });
}

function headerName(v: unknown, field: string): string {
  const s = asString(v, field);
  if (!s || !HEADER_NAME.test(s)) throw new FieldError(field, `must be an HTTP header name, got ${JSON.stringify(s ?? '')}`);
  return s.toLowerCase();
}

function readRule(v: unknown, field: string): JwtRuleModel {
  const r = asObject(v, field) ?? {};
  for (const k of Object.keys(r)) if (!RULE_FIELDS.has(k)) throw new FieldError(`${field}.${k}`, 'is not a field of JWTRule');
  const issuer = asString(r.issuer, `${field}.issuer`);
  if (!issuer) throw new FieldError(`${field}.issuer`, 'is required');
  const jwksUri = asString(r.jwksUri, `${field}.jwksUri`) || undefined;
  const jwks = asString(r.jwks, `${field}.jwks`) || undefined;
  if (jwksUri !== undefined) {
    let url: URL;
    try {
      url = new URL(jwksUri);
    } catch {
      throw new FieldError(`${field}.jwksUri`, `"${jwksUri}" is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new FieldError(`${field}.jwksUri`, 'must be an http or https URL');
  }
  if (jwksUri === undefined && jwks === undefined) {
    // Istio would discover the keys through OpenID discovery of the issuer; not done here: the rule rejects every token.
    throw new FieldError(`${field}.jwksUri`, 'jwksUri or jwks is required (OpenID discovery from the issuer is not implemented)');
  }
  const timeoutMs = parseDurationMs(r.timeout, `${field}.timeout`);
  if (timeoutMs !== undefined && timeoutMs <= 0) throw new FieldError(`${field}.timeout`, 'must be a positive duration');
  return {
    issuer,
    audiences: strings(r.audiences, `${field}.audiences`),
    ...(jwksUri !== undefined ? { jwksUri } : {}),
    ...(jwks !== undefined ? { jwks } : {}),
    fromHeaders: asArray(r.fromHeaders, `${field}.fromHeaders`).map((h, i) => {
      const f = `${field}.fromHeaders[${i}]`;
      const o = asObject(h, f) ?? {};
      return { name: headerName(o.name, `${f}.name`), prefix: asString(o.prefix, `${f}.prefix`) ?? '' };
    }),
    fromParams: strings(r.fromParams, `${field}.fromParams`),
    fromCookies: strings(r.fromCookies, `${field}.fromCookies`),
    forwardOriginalToken: r.forwardOriginalToken === true,
    ...(r.outputPayloadToHeader ? { outputPayloadToHeader: headerName(r.outputPayloadToHeader, `${field}.outputPayloadToHeader`) } : {}),
    outputClaimToHeaders: asArray(r.outputClaimToHeaders, `${field}.outputClaimToHeaders`).map((c, i) => {
      const f = `${field}.outputClaimToHeaders[${i}]`;
      const o = asObject(c, f) ?? {};
      const claim = asString(o.claim, `${f}.claim`);
      if (!claim) throw new FieldError(`${f}.claim`, 'is required');
      return { header: headerName(o.header, `${f}.header`), claim };
    }),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    spaceDelimitedClaims: strings(r.spaceDelimitedClaims, `${field}.spaceDelimitedClaims`),
    field,
  };
}

/** Never throws: what cannot be read is recorded (`broken`) for the generator to turn into a rule that rejects every token. */
export function readRequestAuthentication(r: ConfigResource): RequestAuthenticationModel {
  try {
    return readPolicy(r);
  } catch (err) {
    const broken = err instanceof FieldError ? { field: err.field, message: err.message.slice(err.field.length + 2) } : { field: 'spec', message: (err as Error).message };
    return { namespace: r.metadata.namespace, name: r.metadata.name, ref: refOf(r), targeted: false, rules: [], broken, creation: r.metadata.creationTimestamp ?? '' };
  }
}

function readPolicy(r: ConfigResource): RequestAuthenticationModel {
  const spec = (asObject(r.spec, 'spec') ?? {}) as Record<string, unknown>;
  const selector = asObject(spec.selector, 'spec.selector');
  return {
    namespace: r.metadata.namespace,
    name: r.metadata.name,
    ref: refOf(r),
    selector: selector ? asLabels(selector.matchLabels, 'spec.selector.matchLabels') : undefined,
    targeted: spec.targetRef !== undefined || asArray(spec.targetRefs, 'spec.targetRefs').length > 0,
    rules: asArray(spec.jwtRules, 'spec.jwtRules').map((x, i) => readRule(x, `spec.jwtRules[${i}]`)),
    creation: r.metadata.creationTimestamp ?? '',
  };
}

/**
 * Whether `p` applies to the workload. A policy with targetRef(s) is applied
 * to its whole namespace: validating tokens on more workloads than targeted
 * only rejects more invalid tokens (reported by the generator).
 */
export function requestAuthenticationApplies(p: RequestAuthenticationModel, w: WorkloadRef, rootNamespace: string): boolean {
  if (p.namespace !== rootNamespace && p.namespace !== w.namespace) return false;
  if (p.targeted || p.selector === undefined) return true;
  return labelsMatch(p.selector, w.labels);
}

/** The policies that apply to a workload, oldest first (their rules become providers origins-0, origins-1, ... in this order). */
export function requestAuthenticationsFor(policies: readonly RequestAuthenticationModel[], w: WorkloadRef, rootNamespace: string): RequestAuthenticationModel[] {
  return policies.filter((p) => requestAuthenticationApplies(p, w, rootNamespace));
}

/** What pilot knows of a jwksUri at push time (jwks-resolver.ts fetches; generators only read). */
export type JwksLookup = { readonly jwks: string; readonly warning?: string } | { readonly error: string; readonly pending?: boolean };

/** The JWKS cache a push context reads: never blocks, starts a fetch for a URI it has not seen. */
export interface JwksSource {
  get(uri: string, timeoutMs?: number): JwksLookup;
}
