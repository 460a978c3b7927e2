// envoy.filters.http.cors at request time, with Envoy's semantics: it acts only
// on a request carrying a non-empty Origin whose route (or virtual host) has a
// CorsPolicy. A preflight (OPTIONS with Access-Control-Request-Method) from an
// allowed origin is answered by the proxy; one from another origin goes
// upstream unless the policy says not to forward it (then it gets a bare 200).
// Any other request from an allowed origin is routed as usual and its response
// carries Access-Control-Allow-Origin (the request's origin), -Allow-Credentials
// and -Expose-Headers. A disallowed origin gets no CORS headers.
import type { CorsPolicyConfig } from '../config/cors-config.ts';

/** What the exchange does with a request: answer it now with `headers`, or route it and add `headers` to the response. */
export interface CorsOutcome {
  readonly preflightReply: boolean;
  /** Header name/value pairs, flat. */
  readonly headers: string[];
}

function single(v: string | string[] | undefined): string {
  return typeof v === 'string' ? v : v === undefined ? '' : (v[0] ?? '');
}

/** Undefined when the filter leaves the request (and its response) alone. */
export function corsOutcome(
  policy: CorsPolicyConfig,
  method: string,
  headers: Record<string, string | string[] | undefined>,
  random: () => number,
): CorsOutcome | undefined {
  if (policy.enabledFraction < 1 && random() >= policy.enabledFraction) return undefined;
  const origin = single(headers.origin);
  if (origin === '') return undefined;
  const preflight = method === 'OPTIONS' && single(headers['access-control-request-method']) !== '';
  if (!policy.allows(origin)) {
    return preflight && !policy.forwardNotMatchingPreflights ? { preflightReply: true, headers: [] } : undefined;
  }
  const out = ['access-control-allow-origin', origin];
  if (policy.allowCredentials) out.push('access-control-allow-credentials', 'true');
  if (!preflight) {
    if (policy.exposeHeaders !== '') out.push('access-control-expose-headers', policy.exposeHeaders);
    return { preflightReply: false, headers: out };
  }
  if (policy.allowMethods !== '') out.push('access-control-allow-methods', policy.allowMethods);
  if (policy.allowHeaders !== '') out.push('access-control-allow-headers', policy.allowHeaders);
  if (policy.maxAge !== '') out.push('access-control-max-age', policy.maxAge);
  return { preflightReply: true, headers: out };
}
