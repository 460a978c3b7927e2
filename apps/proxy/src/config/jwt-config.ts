// envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication compiled: the
// providers (issuer, audiences, where the token is looked for, what is written
// on success, and the verification keys of a local JWKS parsed once here), the
// requirement rules by path, and the requirement tree each rule names.
// http/jwt-authn.ts runs it per request.
//
// Only local JWKS: pilot fetches a RequestAuthentication's jwksUri itself and
// inlines the keys (as istiod does), so a remote_jwks is NACKed rather than
// fetched from the data plane. Every other field the filter does not act on is
// NACKed too: skipping e.g. a requirement would let unauthenticated requests in.
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import type {
  JwtAuthentication__Output,
  JwtClaimToHeader__Output,
  JwtHeader__Output,
  JwtProvider__Output,
  JwtRequirement__Output,
  JwtRequirementAndList__Output,
  JwtRequirementOrList__Output,
  ProviderWithAudiences__Output,
  RequirementRule__Output,
  RouteMatch__Output,
} from '@mesh/xds';
import { dataSourceBytes, invalid } from './proto-values.ts';
import { DATA_SOURCE, checkFields, fieldTable } from './supported-fields.ts';

export const JWT_AUTHN_FILTER = 'envoy.filters.http.jwt_authn';
export const JWT_AUTHN_TYPE = 'envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication';
/** The dynamic metadata namespace the filter writes verified payloads under (Envoy's: the filter's name). */
export const JWT_AUTHN_METADATA = JWT_AUTHN_FILTER;

const JWT_AUTHENTICATION = fieldTable<JwtAuthentication__Output>(JWT_AUTHN_TYPE, {
  implemented: ['providers', 'rules', 'bypassCorsPreflight', 'requirementMap', 'stripFailureResponse'],
});
type NormalizePayload = NonNullable<JwtProvider__Output['normalizePayloadInMetadata']>;
const PROVIDER = fieldTable<JwtProvider__Output>('envoy.extensions.filters.http.jwt_authn.v3.JwtProvider', {
  implemented: [
    'issuer',
    'audiences',
    'localJwks',
    'forward',
    'fromHeaders',
    'fromParams',
    'fromCookies',
    'forwardPayloadHeader',
    'padForwardPayloadHeader',
    'payloadInMetadata',
    'clockSkewSeconds',
    'claimToHeaders',
    'normalizePayloadInMetadata',
    'requireExpiration',
  ],
  // Verified tokens are not cached here: every request is verified (a cache only saves work).
  noEffect: ['jwtCacheConfig'],
});
const NORMALIZE_PAYLOAD = fieldTable<NormalizePayload>('envoy.extensions.filters.http.jwt_authn.v3.JwtProvider.NormalizePayload', { implemented: ['spaceDelimitedClaims'] });
const JWT_HEADER = fieldTable<JwtHeader__Output>('envoy.extensions.filters.http.jwt_authn.v3.JwtHeader', { implemented: ['name', 'valuePrefix'] });
const CLAIM_TO_HEADER = fieldTable<JwtClaimToHeader__Output>('envoy.extensions.filters.http.jwt_authn.v3.JwtClaimToHeader', { implemented: ['headerName', 'claimName'] });
const REQUIREMENT_RULE = fieldTable<RequirementRule__Output>('envoy.extensions.filters.http.jwt_authn.v3.RequirementRule', { implemented: ['match', 'requires', 'requirementName'] });
const RULE_MATCH = fieldTable<RouteMatch__Output>('envoy.config.route.v3.RouteMatch', { implemented: ['prefix', 'path', 'caseSensitive'] });
const REQUIREMENT = fieldTable<JwtRequirement__Output>('envoy.extensions.filters.http.jwt_authn.v3.JwtRequirement', {
  implemented: ['providerName', 'providerAndAudiences', 'requiresAny', 'requiresAll', 'allowMissing', 'allowMissingOrFailed'],
});
const OR_LIST = fieldTable<JwtRequirementOrList__Output>('envoy.extensions.filters.http.jwt_authn.v3.JwtRequirementOrList', { implemented: ['requirements'] });
const AND_LIST = fieldTable<JwtRequirementAndList__Output>('envoy.extensions.filters.http.jwt_authn.v3.JwtRequirementAndList', { implemented: ['requirements'] });
const PROVIDER_AUDIENCES = fieldTable<ProviderWithAudiences__Output>('envoy.extensions.filters.http.jwt_authn.v3.ProviderWithAudiences', { implemented: ['providerName', 'audiences'] });

/** Algorithms the filter verifies (Envoy's list); `none` and anything else fail. */
export const JWT_ALGORITHMS: ReadonlySet<string> = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'HS256', 'HS384', 'HS512']);

/** Bounds of a JWKS: more than this is refused at config time (the proxy must stay bounded). */
const MAX_JWKS_BYTES = 256 * 1024;
const MAX_KEYS = 256;
const MAX_DEPTH = 16;

/** One verification key of a provider's JWKS. */
export interface VerificationKey {
  readonly kid: string | undefined;
  /** The JWK's `alg`, when it names one: the key then verifies only that algorithm. */
  readonly alg: string | undefined;
  readonly kty: 'RSA' | 'EC' | 'OKP' | 'oct';
  /** EC and OKP keys: the curve (an algorithm is checked against it). */
  readonly crv: string | undefined;
  readonly key: KeyObject;
}

/** Where a provider looks for its token. */
export interface TokenLocation {
  readonly kind: 'header' | 'param' | 'cookie';
  /** Header names lower case. */
  readonly name: string;
  /** Header value prefix (e.g. `Bearer `); '' for the whole value. */
  readonly prefix: string;
}

export interface JwtProviderConfig {
  readonly name: string;
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly keys: readonly VerificationKey[];
  readonly locations: readonly TokenLocation[];
  readonly forward: boolean;
  readonly forwardPayloadHeader: string;
  readonly padForwardPayloadHeader: boolean;
  readonly payloadInMetadata: string;
  readonly clockSkewSeconds: number;
  readonly claimToHeaders: ReadonlyArray<{ header: string; claim: string }>;
  readonly spaceDelimitedClaims: readonly string[];
  readonly requireExpiration: boolean;
}

export type JwtRequirementConfig =
  | { readonly kind: 'provider'; readonly provider: JwtProviderConfig; readonly audiences: readonly string[] | undefined }
  | { readonly kind: 'any'; readonly requirements: readonly JwtRequirementConfig[] }
  | { readonly kind: 'all'; readonly requirements: readonly JwtRequirementConfig[] }
  | { readonly kind: 'allowMissing' }
  | { readonly kind: 'allowMissingOrFailed' };

export interface JwtRuleConfig {
  readonly kind: 'prefix' | 'path';
  readonly value: string;
  readonly caseSensitive: boolean;
  /** Undefined: the matched request needs no token (Envoy: a rule without requires). */
  readonly requires: JwtRequirementConfig | undefined;
}

export interface JwtAuthnConfig {
  readonly providers: ReadonlyMap<string, JwtProviderConfig>;
  readonly rules: readonly JwtRuleConfig[];
  readonly bypassCorsPreflight: boolean;
  readonly stripFailureResponse: boolean;
}

const DEFAULT_LOCATIONS: readonly TokenLocation[] = [
  { kind: 'header', name: 'authorization', prefix: 'Bearer ' },
  { kind: 'param', name: 'access_token', prefix: '' },
];

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function headerName(v: string | undefined, path: string): string {
  if (!v || !HEADER_NAME.test(v)) invalid(path, `must be an HTTP header name, got ${JSON.stringify(v ?? '')}`);
  return v.toLowerCase();
}

/** A local JWKS: JSON `{ keys: [...] }`, each key importable; keys of unknown type or use are skipped (as Envoy). */
export function parseJwks(text: string, path: string): VerificationKey[] {
  if (text.length > MAX_JWKS_BYTES) invalid(path, `the JWKS is larger than ${MAX_JWKS_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    invalid(path, 'the JWKS is not JSON');
  }
  const keys = doc !== null && typeof doc === 'object' && Array.isArray((doc as { keys?: unknown }).keys) ? ((doc as { keys: unknown[] }).keys) : undefined;
  if (keys === undefined) invalid(path, 'the JWKS has no "keys" array');
  if (keys.length > MAX_KEYS) invalid(path, `the JWKS has more than ${MAX_KEYS} keys`);
  const out: VerificationKey[] = [];
  for (const k of keys) {
    if (k === null || typeof k !== 'object' || Array.isArray(k)) continue;
    const jwk = k as Record<string, unknown>;
    if (jwk.use !== undefined && jwk.use !== 'sig') continue;
    const kty = jwk.kty;
    const kid = typeof jwk.kid === 'string' ? jwk.kid : undefined;
    const alg = typeof jwk.alg === 'string' ? jwk.alg : undefined;
    const crv = typeof jwk.crv === 'string' ? jwk.crv : undefined;
    try {
      if (kty === 'RSA' || kty === 'EC' || kty === 'OKP') {
        // Only the public members: a JWKS that carries a private key must not make this process hold it.
        const pub: Record<string, unknown> = { kty };
        for (const m of kty === 'RSA' ? ['n', 'e'] : ['crv', 'x', 'y']) if (jwk[m] !== undefined) pub[m] = jwk[m];
        const key = createPublicKey({ key: pub as never, format: 'jwk' });
        out.push({ kid, alg, kty, crv, key });
      } else if (kty === 'oct' && typeof jwk.k === 'string' && jwk.k.length > 0) {
        out.push({ kid, alg, kty, crv: undefined, key: createSecretKey(Buffer.from(jwk.k, 'base64url')) });
      }
    } catch {
      // A key that does not import verifies nothing; the others still apply.
    }
  }
  if (out.length === 0) invalid(path, 'the JWKS has no usable verification key');
  return out;
}

function compileProvider(name: string, p: JwtProvider__Output, path: string): JwtProviderConfig {
  checkFields(p, PROVIDER, path);
  if (p.remoteJwks) invalid(`${path}.remoteJwks`, 'remote JWKS are not fetched by this proxy: the control plane inlines the keys (local_jwks)');
  if (!p.localJwks) invalid(`${path}.localJwks`, 'a provider needs its keys (local_jwks)');
  checkFields(p.localJwks, DATA_SOURCE, `${path}.localJwks`);
  const text = dataSourceBytes(p.localJwks, `${path}.localJwks`);
  if (text === undefined) invalid(`${path}.localJwks`, 'the local JWKS is empty');
  const keys = parseJwks(text.toString('utf8'), `${path}.localJwks`);
  const locations: TokenLocation[] = [];
  (p.fromHeaders ?? []).forEach((h, i) => {
    checkFields(h, JWT_HEADER, `${path}.fromHeaders[${i}]`);
    locations.push({ kind: 'header', name: headerName(h.name, `${path}.fromHeaders[${i}].name`), prefix: h.valuePrefix ?? '' });
  });
  (p.fromParams ?? []).forEach((q, i) => {
    if (!q) invalid(`${path}.fromParams[${i}]`, 'must not be empty');
    locations.push({ kind: 'param', name: q, prefix: '' });
  });
  (p.fromCookies ?? []).forEach((c, i) => {
    if (!c) invalid(`${path}.fromCookies[${i}]`, 'must not be empty');
    locations.push({ kind: 'cookie', name: c, prefix: '' });
  });
  const claimToHeaders = (p.claimToHeaders ?? []).map((c, i) => {
    checkFields(c, CLAIM_TO_HEADER, `${path}.claimToHeaders[${i}]`);
    if (!c.claimName) invalid(`${path}.claimToHeaders[${i}].claimName`, 'must not be empty');
    return { header: headerName(c.headerName, `${path}.claimToHeaders[${i}].headerName`), claim: c.claimName };
  });
  checkFields(p.normalizePayloadInMetadata, NORMALIZE_PAYLOAD, `${path}.normalizePayloadInMetadata`);
  const skew = p.clockSkewSeconds ?? 60;
  if (!(Number.isInteger(skew) && skew >= 0)) invalid(`${path}.clockSkewSeconds`, `must be a whole number of seconds, got ${skew}`);
  return {
    name,
    issuer: p.issuer ?? '',
    audiences: p.audiences ?? [],
    keys,
    // Envoy: with no location configured, the Authorization Bearer header and the access_token parameter.
    locations: locations.length > 0 ? locations : DEFAULT_LOCATIONS,
    forward: p.forward === true,
    forwardPayloadHeader: p.forwardPayloadHeader ? headerName(p.forwardPayloadHeader, `${path}.forwardPayloadHeader`) : '',
    padForwardPayloadHeader: p.padForwardPayloadHeader === true,
    payloadInMetadata: p.payloadInMetadata ?? '',
    // 0 is proto3's "unset" here: Envoy's default skew applies.
    clockSkewSeconds: skew === 0 ? 60 : skew,
    claimToHeaders,
    spaceDelimitedClaims: p.normalizePayloadInMetadata?.spaceDelimitedClaims ?? [],
    requireExpiration: p.requireExpiration === true,
  };
}

function compileRequirement(r: JwtRequirement__Output | undefined, path: string, providers: ReadonlyMap<string, JwtProviderConfig>, depth: number): JwtRequirementConfig {
  if (depth > MAX_DEPTH) invalid(path, `nests more than ${MAX_DEPTH} levels`);
  if (!r || typeof r !== 'object') invalid(path, 'expected a JwtRequirement');
  checkFields(r, REQUIREMENT, path);
  const provider = (name: string | undefined, p: string) => {
    const found = name ? providers.get(name) : undefined;
    // A requirement naming no known provider could never pass: Envoy refuses the config.
    if (!found) invalid(p, `names no provider of this filter (${JSON.stringify(name ?? '')})`);
    return found;
  };
  if (r.providerName !== undefined && r.providerName !== '') return { kind: 'provider', provider: provider(r.providerName, `${path}.providerName`), audiences: undefined };
  if (r.providerAndAudiences) {
    const pa = r.providerAndAudiences;
    checkFields(pa, PROVIDER_AUDIENCES, `${path}.providerAndAudiences`);
    return { kind: 'provider', provider: provider(pa.providerName, `${path}.providerAndAudiences.providerName`), audiences: pa.audiences ?? [] };
  }
  const list = (l: JwtRequirementOrList__Output | JwtRequirementAndList__Output, lp: string, table: typeof OR_LIST | typeof AND_LIST) => {
    checkFields(l, table, lp);
    const reqs = l.requirements ?? [];
    if (reqs.length < 2) invalid(`${lp}.requirements`, 'needs at least two requirements');
    return reqs.map((x, i) => compileRequirement(x, `${lp}.requirements[${i}]`, providers, depth + 1));
  };
  if (r.requiresAny) return { kind: 'any', requirements: list(r.requiresAny, `${path}.requiresAny`, OR_LIST) };
  if (r.requiresAll) return { kind: 'all', requirements: list(r.requiresAll, `${path}.requiresAll`, AND_LIST) };
  if (r.allowMissing) return { kind: 'allowMissing' };
  if (r.allowMissingOrFailed) return { kind: 'allowMissingOrFailed' };
  invalid(path, 'a requirement needs one of providerName, providerAndAudiences, requiresAny, requiresAll, allowMissing, allowMissingOrFailed');
}

/** envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication. */
export function compileJwtAuthn(config: JwtAuthentication__Output, path: string): JwtAuthnConfig {
  checkFields(config, JWT_AUTHENTICATION, path);
  if (config.filterStateRules) invalid(`${path}.filterStateRules`, 'filter_state_rules are not supported by this proxy');
  const providers = new Map<string, JwtProviderConfig>();
  for (const name of Object.keys(config.providers ?? {}).sort()) {
    providers.set(name, compileProvider(name, config.providers![name], `${path}.providers[${JSON.stringify(name)}]`));
  }
  const named = new Map<string, JwtRequirementConfig>();
  for (const name of Object.keys(config.requirementMap ?? {}).sort()) {
    named.set(name, compileRequirement(config.requirementMap![name], `${path}.requirementMap[${JSON.stringify(name)}]`, providers, 0));
  }
  const rules = (config.rules ?? []).map((r, i): JwtRuleConfig => {
    const p = `${path}.rules[${i}]`;
    checkFields(r, REQUIREMENT_RULE, p);
    const m = r.match;
    if (!m) invalid(`${p}.match`, 'a rule needs a match');
    checkFields(m, RULE_MATCH, `${p}.match`);
    const caseSensitive = m.caseSensitive?.value ?? true;
    let kind: 'prefix' | 'path';
    let value: string;
    if (m.prefix !== undefined) [kind, value] = ['prefix', m.prefix];
    else if (m.path !== undefined) [kind, value] = ['path', m.path];
    else invalid(`${p}.match`, 'only prefix and path matches are supported in jwt_authn rules');
    let requires: JwtRequirementConfig | undefined;
    if (r.requires) requires = compileRequirement(r.requires, `${p}.requires`, providers, 0);
    else if (r.requirementName) {
      requires = named.get(r.requirementName);
      if (!requires) invalid(`${p}.requirementName`, `names no entry of requirementMap (${JSON.stringify(r.requirementName)})`);
    }
    return { kind, value: caseSensitive ? value : value.toLowerCase(), caseSensitive, requires };
  });
  return { providers, rules, bypassCorsPreflight: config.bypassCorsPreflight === true, stripFailureResponse: config.stripFailureResponse === true };
}
