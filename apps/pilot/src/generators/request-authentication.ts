// RequestAuthentication → Envoy's jwt_authn filter, as istiod builds it: every
// jwtRule of every policy that applies to the workload is one provider
// (`origins-<i>`: issuer, audiences, token locations, forward, payload and
// claim headers, payload_in_metadata keyed by the issuer, the JWKS inline),
// and one rule for every path requires any provider OR no token at all
// (Istio: a request without a token passes authentication - an
// AuthorizationPolicy decides whether it may go on; one with an invalid token
// is rejected 401). CORS preflights pass.
//
// A jwksUri is fetched by pilot (jwks-resolver.ts) and inlined. When pilot has
// no usable keys for a rule (a fetch that failed or is still running, an inline
// JWKS that cannot be read) its provider gets a public key whose private key no
// one has: every token of that issuer is rejected, never accepted unchecked.
// Each such case is a translation issue of the policy (push_status).
import { createPublicKey, createSecretKey, generateKeyPairSync } from 'node:crypto';
import { FILTER_NAMES, typedConfig, type HttpFilter, type JwtProvider } from '@mesh/xds';
import type { PushContext } from '../model/push-context.ts';
import type { WorkloadRef } from '../model/authorization-policies.ts';
import { requestAuthenticationsFor, type JwtRuleModel, type RequestAuthenticationModel } from '../model/request-authentications.ts';

/** The metadata namespace jwt_authn writes verified payloads under (keyed by issuer: payload_in_metadata). */
export const JWT_AUTHN_METADATA = FILTER_NAMES.jwtAuthn;

/** Claims Istio always treats as space-delimited lists (request.auth.claims[scope] matches one scope). */
const DEFAULT_SPACE_DELIMITED = ['scope', 'permission'];

export interface RequestAuthentication {
  /** The jwt_authn filter, first in the workload's HTTP filter chains; undefined when no policy applies. */
  filter: HttpFilter | undefined;
  /** The issuers whose verified payloads the filter writes (AuthorizationPolicy's request.auth.* read them). */
  issuers: string[];
}

let failClosed: string | undefined;

/** A JWKS with one P-256 public key whose private key was dropped when it was made: it verifies no token. */
export function failClosedJwks(): string {
  if (failClosed === undefined) {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    failClosed = JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'mesh-fail-closed', alg: 'ES256', use: 'sig' }] });
  }
  return failClosed;
}

/** A JWKS the proxy can use (at least one importable key), else why not. Mirrors the proxy's parser so a bad JWKS is reported here, not NACKed. */
export function checkJwks(text: string): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return 'is not JSON';
  }
  const keys = doc !== null && typeof doc === 'object' ? (doc as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(keys)) return 'has no "keys" list';
  if (keys.length > 256) return 'has more than 256 keys';
  if (text.length > 256 * 1024) return 'is larger than 256 KiB';
  for (const k of keys) {
    if (k === null || typeof k !== 'object') continue;
    const jwk = k as Record<string, unknown>;
    if (jwk.use !== undefined && jwk.use !== 'sig') continue;
    try {
      if (jwk.kty === 'oct' && typeof jwk.k === 'string' && jwk.k) createSecretKey(Buffer.from(jwk.k, 'base64url'));
      else if (jwk.kty === 'RSA') createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e } as never, format: 'jwk' });
      else if (jwk.kty === 'EC' || jwk.kty === 'OKP') createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } as never, format: 'jwk' });
      else continue;
      return undefined;
    } catch {
      // try the next key
    }
  }
  return 'has no usable signature verification key';
}

function jwksFor(push: PushContext, p: RequestAuthenticationModel, rule: JwtRuleModel): string {
  const report = (field: string, message: string, severity: 'error' | 'warning', category: 'invalid' | 'unresolved' = 'unresolved') => push.report({ ...p.ref, field, message, severity, category });
  if (rule.jwks !== undefined) {
    const problem = checkJwks(rule.jwks);
    if (problem === undefined) return rule.jwks;
    report(`${rule.field}.jwks`, `the JWKS ${problem}: every token of issuer ${rule.issuer} is rejected`, 'error', 'invalid');
    return failClosedJwks();
  }
  const uri = rule.jwksUri!;
  const found = push.jwks?.get(uri, rule.timeoutMs) ?? { error: 'pilot has no JWKS fetcher' };
  if ('jwks' in found) {
    const problem = checkJwks(found.jwks);
    if (problem === undefined) {
      if (found.warning) report(`${rule.field}.jwksUri`, `${uri}: ${found.warning}`, 'warning');
      return found.jwks;
    }
    report(`${rule.field}.jwksUri`, `the JWKS at ${uri} ${problem}: every token of issuer ${rule.issuer} is rejected`, 'error');
    return failClosedJwks();
  }
  if (found.pending) report(`${rule.field}.jwksUri`, `fetching ${uri}: until it arrives every token of issuer ${rule.issuer} is rejected`, 'warning');
  else report(`${rule.field}.jwksUri`, `could not fetch ${uri} (${found.error}): every token of issuer ${rule.issuer} is rejected`, 'error');
  return failClosedJwks();
}

function provider(push: PushContext, p: RequestAuthenticationModel, rule: JwtRuleModel): JwtProvider {
  return {
    issuer: rule.issuer,
    ...(rule.audiences.length ? { audiences: rule.audiences } : {}),
    localJwks: { inlineString: jwksFor(push, p, rule) },
    ...(rule.forwardOriginalToken ? { forward: true } : {}),
    // Unset locations: Envoy's default, the Authorization Bearer header and the access_token parameter (Istio's).
    ...(rule.fromHeaders.length ? { fromHeaders: rule.fromHeaders.map((h) => ({ name: h.name, valuePrefix: h.prefix })) } : {}),
    ...(rule.fromParams.length ? { fromParams: rule.fromParams } : {}),
    ...(rule.fromCookies.length ? { fromCookies: rule.fromCookies } : {}),
    ...(rule.outputPayloadToHeader ? { forwardPayloadHeader: rule.outputPayloadToHeader } : {}),
    ...(rule.outputClaimToHeaders.length ? { claimToHeaders: rule.outputClaimToHeaders.map((c) => ({ headerName: c.header, claimName: c.claim })) } : {}),
    payloadInMetadata: rule.issuer,
    normalizePayloadInMetadata: { spaceDelimitedClaims: [...new Set([...DEFAULT_SPACE_DELIMITED, ...rule.spaceDelimitedClaims])] },
  };
}

/** The jwt_authn filter and issuers for a workload (its namespace and labels), built once per push. */
export function requestAuthentication(push: PushContext, workload: WorkloadRef): RequestAuthentication {
  const key = `jwt|${workload.namespace}|${JSON.stringify(Object.entries(workload.labels).sort())}`;
  return push.memo(key, () => {
    const applying = requestAuthenticationsFor(push.requestAuthentications, workload, push.rootNamespace);
    const providers: Record<string, JwtProvider> = {};
    const issuers = new Set<string>();
    let i = 0;
    for (const p of applying) {
      if (p.targeted) {
        push.report({ ...p.ref, field: 'spec.targetRef', message: 'targetRef/targetRefs are not implemented: the policy validates tokens on every workload of its namespace', severity: 'warning', category: 'unsupported' });
      }
      if (p.broken) {
        push.report({ ...p.ref, field: p.broken.field, message: `${p.broken.message}; the policy cannot be read, so every request carrying a token to the workloads of namespace ${p.namespace} is rejected`, severity: 'error', category: 'invalid' });
        // No issuer: the provider takes a token of any issuer, and its key verifies none.
        providers[`origins-${i++}`] = { localJwks: { inlineString: failClosedJwks() } };
        continue;
      }
      for (const rule of p.rules) {
        providers[`origins-${i++}`] = provider(push, p, rule);
        issuers.add(rule.issuer);
      }
    }
    const names = Object.keys(providers);
    if (names.length === 0) return { filter: undefined, issuers: [] };
    const filter: HttpFilter = {
      name: FILTER_NAMES.jwtAuthn,
      typedConfig: typedConfig('jwtAuthn', {
        providers,
        rules: [{ match: { prefix: '/' }, requires: { requiresAny: { requirements: [...names.map((providerName) => ({ providerName })), { allowMissing: {} }] } } }],
        bypassCorsPreflight: true,
      }),
    };
    return { filter, issuers: [...issuers].sort() };
  });
}
