// envoy.filters.http.cors: the filter (an empty Cors config in the connection
// manager) and the per-route / per-virtual-host CorsPolicy it acts on, which
// Istio writes from a VirtualService's corsPolicy. Without a policy the filter
// does nothing.
import type { HttpCorsPolicy__Output, Cors__Output } from '@mesh/xds';
import { StringMatcher } from './matchers.ts';
import { fractionalPercent, invalid, wrapped } from './proto-values.ts';
import { checkFields, fieldTable, RUNTIME_FRACTIONAL_PERCENT } from './supported-fields.ts';

export const CORS_FILTER = 'envoy.filters.http.cors';
export const CORS_TYPE = 'envoy.extensions.filters.http.cors.v3.Cors';
export const CORS_POLICY_TYPE = 'envoy.extensions.filters.http.cors.v3.CorsPolicy';

// What this proxy accepts of the filter's config and of a CorsPolicy (see supported-fields.ts).
export const CORS = fieldTable<Cors__Output>(CORS_TYPE, { implemented: [] });
const CORS_POLICY = fieldTable<HttpCorsPolicy__Output>(CORS_POLICY_TYPE, {
  implemented: ['allowOriginStringMatch', 'allowMethods', 'allowHeaders', 'exposeHeaders', 'maxAge', 'allowCredentials', 'forwardNotMatchingPreflights', 'filterEnabled'],
});

export class CorsPolicyConfig {
  readonly origins: StringMatcher[];
  readonly allowMethods: string;
  readonly allowHeaders: string;
  readonly exposeHeaders: string;
  readonly maxAge: string;
  readonly allowCredentials: boolean;
  readonly forwardNotMatchingPreflights: boolean;
  /** filter_enabled: the share of requests the policy applies to (1 when unset). */
  readonly enabledFraction: number;

  constructor(config: HttpCorsPolicy__Output, path: string) {
    checkFields(config, CORS_POLICY, path);
    checkFields(config.filterEnabled, RUNTIME_FRACTIONAL_PERCENT, `${path}.filterEnabled`);
    this.origins = (config.allowOriginStringMatch ?? []).map((m, i) => new StringMatcher(m, `${path}.allowOriginStringMatch[${i}]`));
    this.allowMethods = config.allowMethods ?? '';
    this.allowHeaders = config.allowHeaders ?? '';
    this.exposeHeaders = config.exposeHeaders ?? '';
    this.maxAge = config.maxAge ?? '';
    if (this.maxAge !== '' && !/^\d+$/.test(this.maxAge)) invalid(`${path}.maxAge`, `must be a number of seconds, got "${this.maxAge}"`);
    this.allowCredentials = wrapped(config.allowCredentials, false);
    // Envoy forwards a preflight whose origin the policy does not allow unless told otherwise.
    this.forwardNotMatchingPreflights = wrapped(config.forwardNotMatchingPreflights, true);
    this.enabledFraction = config.filterEnabled ? fractionalPercent(config.filterEnabled.defaultValue, `${path}.filterEnabled.defaultValue`, 1) : 1;
  }

  /** Envoy also allows every origin when a matcher accepts the literal "*". */
  allows(origin: string): boolean {
    for (const m of this.origins) if (m.matches('*') || m.matches(origin)) return true;
    return false;
  }
}
