// Envoy's jwt_authn HTTP filter at run time (config/jwt-config.ts compiles
// it): the first rule whose path match fits the request names a requirement;
// the tokens the requirement's providers look for (headers with a value
// prefix, query parameters, cookies) are parsed strictly and bounded, checked
// against the provider (issuer, exp/nbf with clock skew, audiences) and their
// signature verified with the provider's keys (jose). A request that fails is
// answered 401 (403 for a disallowed audience) with Envoy's message and
// `www-authenticate: Bearer realm="<url>", error="invalid_token"`; one that
// passes gets, per verified provider, the payload in dynamic metadata
// (namespace envoy.filters.http.jwt_authn, key payload_in_metadata, which the
// RBAC filters read), the payload/claim headers, and its token header removed
// unless `forward`.
//
// Nothing here throws into the exchange: a token that cannot be parsed or
// verified is a failed verification, whatever its bytes.
import { compactVerify } from 'jose';
import type { RequestHead } from '../config/matchers.ts';
import { JWT_ALGORITHMS, JWT_AUTHN_METADATA, type JwtAuthnConfig, type JwtProviderConfig, type JwtRequirementConfig, type TokenLocation, type VerificationKey } from '../config/jwt-config.ts';

export { JWT_AUTHN_METADATA };

/** Longest token accepted (base64url text): more is a failed verification, never parsed. */
export const MAX_TOKEN_BYTES = 8 * 1024;

/** Envoy's (jwt_verify_lib) status messages, which are the local reply bodies. */
export const JWT_MESSAGES = {
  missing: 'Jwt is missing',
  badFormat: 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections',
  headerBadJson: 'Jwt header is an invalid JSON',
  payloadBadJson: 'Jwt payload is an invalid JSON',
  headerBadAlg: 'Jwt header [alg] field is required and must be a string',
  algNotImplemented: 'Jwt header [alg] is not supported',
  badClaim: 'Jwt payload has a claim of the wrong type (exp, nbf, iat, iss, sub or aud)',
  expired: 'Jwt is expired',
  notYetValid: 'Jwt not yet valid',
  expirationRequired: 'Jwt is missing "exp"',
  unknownIssuer: 'Jwt issuer is not configured',
  audienceNotAllowed: 'Audiences in Jwt are not allowed',
  noKey: "Jwks doesn't have key to match kid or alg from Jwt",
  verificationFails: 'Jwt verification fails',
} as const;

type Failure = { readonly ok: false; readonly missing: boolean; readonly message: string; readonly status: number };
type Success = { readonly ok: true; readonly verified: ReadonlyArray<Verified> };
type Result = Failure | Success;

/** A token one provider verified, and where it came from. */
interface Verified {
  readonly provider: JwtProviderConfig;
  readonly location: TokenLocation;
  readonly segments: readonly [string, string, string];
  readonly payload: Record<string, unknown>;
}

export interface JwtOutcome {
  readonly allowed: boolean;
  /** Rejected: the local reply. */
  readonly status?: number;
  readonly body?: string;
  readonly wwwAuthenticate?: string;
}

const PASS: JwtOutcome = { allowed: true };
const MISSING: Failure = { ok: false, missing: true, message: JWT_MESSAGES.missing, status: 401 };
const OK_EMPTY: Success = { ok: true, verified: [] };

function fail(message: string, status = 401): Failure {
  return { ok: false, missing: false, message, status };
}

// ---------------------------------------------------------------------------
// Token extraction

const TOKEN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

function firstValue(v: string | string[] | undefined): string | undefined {
  return typeof v === 'string' ? v : Array.isArray(v) ? v[0] : undefined;
}

function queryParam(path: string, name: string): string | undefined {
  const q = path.indexOf('?');
  if (q < 0) return undefined;
  for (const part of path.slice(q + 1).split('&')) {
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    if (k !== name) continue;
    try {
      return decodeURIComponent((eq < 0 ? '' : part.slice(eq + 1)).replace(/\+/g, ' '));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function cookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let v = part.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    return v;
  }
  return undefined;
}

/** The raw token text at a location (undefined: none there). Not yet checked for its form. */
export function extractToken(req: RequestHead, loc: TokenLocation): string | undefined {
  let raw: string | undefined;
  if (loc.kind === 'header') {
    const v = firstValue(req.headers[loc.name]);
    if (v === undefined) return undefined;
    if (loc.prefix) {
      // The auth scheme is case-insensitive (RFC 9110 §11.1); a value without the prefix holds no token of this location.
      if (v.length < loc.prefix.length || v.slice(0, loc.prefix.length).toLowerCase() !== loc.prefix.toLowerCase()) return undefined;
      raw = v.slice(loc.prefix.length);
    } else raw = v;
  } else if (loc.kind === 'param') raw = queryParam(req.path, loc.name);
  else raw = cookie(firstValue(req.headers.cookie), loc.name);
  if (raw === undefined) return undefined;
  raw = raw.trim();
  return raw === '' ? undefined : raw;
}

// ---------------------------------------------------------------------------
// Verification

const CURVES: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

function keyFits(k: VerificationKey, alg: string): boolean {
  if (k.alg !== undefined && k.alg !== alg) return false;
  if (alg.startsWith('RS') || alg.startsWith('PS')) return k.kty === 'RSA';
  if (alg.startsWith('ES')) return k.kty === 'EC' && (k.crv === undefined || k.crv === CURVES[alg]);
  if (alg === 'EdDSA') return k.kty === 'OKP';
  if (alg.startsWith('HS')) return k.kty === 'oct';
  return false;
}

function decodeJson(segment: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Envoy compares audiences without scheme and trailing slash (`https://a.example/` is `a.example`). */
function normalizeAudience(a: string): string {
  let s = a;
  if (s.startsWith('http://')) s = s.slice(7);
  else if (s.startsWith('https://')) s = s.slice(8);
  while (s.endsWith('/')) s = s.slice(0, -1);
  return s;
}

function isNumericDate(v: unknown): boolean {
  return v === undefined || (typeof v === 'number' && Number.isFinite(v));
}

/**
 * One token against one provider: form, issuer, times, audiences, signature.
 * Never throws; `now` in seconds.
 */
export async function verifyToken(token: string, provider: JwtProviderConfig, audiences: readonly string[], nowSeconds: number): Promise<Failure | { ok: true; segments: [string, string, string]; payload: Record<string, unknown> }> {
  if (token.length > MAX_TOKEN_BYTES || !TOKEN.test(token)) return fail(JWT_MESSAGES.badFormat);
  const parts = token.split('.') as [string, string, string];
  const header = decodeJson(parts[0]);
  if (header === undefined) return fail(JWT_MESSAGES.headerBadJson);
  const payload = decodeJson(parts[1]);
  if (payload === undefined) return fail(JWT_MESSAGES.payloadBadJson);
  const alg = header.alg;
  if (typeof alg !== 'string') return fail(JWT_MESSAGES.headerBadAlg);
  if (!JWT_ALGORITHMS.has(alg)) return fail(JWT_MESSAGES.algNotImplemented);
  const { iss, sub, aud, exp, nbf, iat } = payload;
  if ((iss !== undefined && typeof iss !== 'string') || (sub !== undefined && typeof sub !== 'string') || !isNumericDate(exp) || !isNumericDate(nbf) || !isNumericDate(iat)) {
    return fail(JWT_MESSAGES.badClaim);
  }
  const tokenAudiences = aud === undefined ? [] : typeof aud === 'string' ? [aud] : Array.isArray(aud) && aud.every((a) => typeof a === 'string') ? (aud as string[]) : undefined;
  if (tokenAudiences === undefined) return fail(JWT_MESSAGES.badClaim);
  if (provider.issuer !== '' && iss !== provider.issuer) return fail(JWT_MESSAGES.unknownIssuer);
  const skew = provider.clockSkewSeconds;
  if (typeof nbf === 'number' && nowSeconds + skew < nbf) return fail(JWT_MESSAGES.notYetValid);
  if (typeof exp === 'number') {
    if (nowSeconds - skew > exp) return fail(JWT_MESSAGES.expired);
  } else if (provider.requireExpiration) return fail(JWT_MESSAGES.expirationRequired);
  if (audiences.length > 0) {
    const allowed = new Set(audiences.map(normalizeAudience));
    if (!tokenAudiences.some((a) => allowed.has(normalizeAudience(a)))) return fail(JWT_MESSAGES.audienceNotAllowed, 403);
  }
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  const candidates = provider.keys.filter((k) => (kid === undefined || k.kid === undefined || k.kid === kid) && keyFits(k, alg));
  if (candidates.length === 0) return fail(JWT_MESSAGES.noKey);
  for (const k of candidates) {
    try {
      await compactVerify(token, k.key, { algorithms: [alg] });
      return { ok: true, segments: parts, payload };
    } catch {
      // The next key may be the one (Envoy tries every key when the token names no kid).
    }
  }
  return fail(JWT_MESSAGES.verificationFails);
}

// ---------------------------------------------------------------------------
// Requirements

class Evaluation {
  readonly req: RequestHead;
  readonly now: number;
  readonly config: JwtAuthnConfig;
  readonly #memo = new Map<string, Promise<Result>>();

  constructor(config: JwtAuthnConfig, req: RequestHead, now: number) {
    this.config = config;
    this.req = req;
    this.now = now;
  }

  provider(p: JwtProviderConfig, audiences: readonly string[] | undefined): Promise<Result> {
    const key = audiences === undefined ? p.name : `${p.name}\u0000${audiences.join('\u0000')}`;
    let r = this.#memo.get(key);
    if (r === undefined) {
      r = this.#verifyProvider(p, audiences ?? p.audiences);
      this.#memo.set(key, r);
    }
    return r;
  }

  async #verifyProvider(p: JwtProviderConfig, audiences: readonly string[]): Promise<Result> {
    // The first location holding a token is the one verified (a request carries one token per provider).
    for (const loc of p.locations) {
      const token = extractToken(this.req, loc);
      if (token === undefined) continue;
      const r = await verifyToken(token, p, audiences, this.now);
      if (!r.ok) return r;
      return { ok: true, verified: [{ provider: p, location: loc, segments: r.segments, payload: r.payload }] };
    }
    return MISSING;
  }

  /** Whether no provider of the filter finds a token anywhere (allow_missing's condition). */
  noTokenAnywhere(): boolean {
    for (const p of this.config.providers.values()) for (const loc of p.locations) if (extractToken(this.req, loc) !== undefined) return false;
    return true;
  }

  async run(r: JwtRequirementConfig): Promise<Result> {
    switch (r.kind) {
      case 'provider':
        return this.provider(r.provider, r.audiences);
      case 'all': {
        const results = await Promise.all(r.requirements.map((x) => this.run(x)));
        const failed = results.find((x): x is Failure => !x.ok);
        if (failed) return failed;
        return { ok: true, verified: results.flatMap((x) => (x as Success).verified) };
      }
      case 'any':
        return this.any(r.requirements);
      case 'allowMissing':
        // Alone: every provider's tokens are verified, and no token at all passes.
        return this.any([...[...this.config.providers.values()].map((p) => ({ kind: 'provider' as const, provider: p, audiences: undefined })), r]);
      case 'allowMissingOrFailed':
        return this.any([...[...this.config.providers.values()].map((p) => ({ kind: 'provider' as const, provider: p, audiences: undefined })), r]);
    }
  }

  async any(reqs: readonly JwtRequirementConfig[]): Promise<Result> {
    const others = reqs.filter((x) => x.kind !== 'allowMissing' && x.kind !== 'allowMissingOrFailed');
    const results = await Promise.all(others.map((x) => this.run(x)));
    const verified = results.flatMap((x) => (x.ok ? x.verified : []));
    if (results.some((x) => x.ok)) return { ok: true, verified };
    if (reqs.some((x) => x.kind === 'allowMissingOrFailed')) return OK_EMPTY;
    const failures = results as Failure[];
    const allMissing = failures.every((f) => f.missing);
    if (reqs.some((x) => x.kind === 'allowMissing') && allMissing && this.noTokenAnywhere()) return OK_EMPTY;
    // The failure that says most: a token that failed verification, else "missing".
    return failures.find((f) => !f.missing) ?? MISSING;
  }
}

function ruleFor(config: JwtAuthnConfig, req: RequestHead) {
  let path = req.path;
  const q = path.indexOf('?');
  if (q >= 0) path = path.slice(0, q);
  const lower = path.toLowerCase();
  for (const r of config.rules) {
    const p = r.caseSensitive ? path : lower;
    if (r.kind === 'prefix' ? p.startsWith(r.value) : p === r.value) return r;
  }
  return undefined;
}

/** A CORS preflight (OPTIONS with Origin and Access-Control-Request-Method): Envoy's bypass_cors_preflight lets it through unchecked. */
function isPreflight(req: RequestHead): boolean {
  return req.method === 'OPTIONS' && req.headers.origin !== undefined && req.headers['access-control-request-method'] !== undefined;
}

/** Envoy's realm: the request URL without its query. */
function realm(req: RequestHead): string {
  const q = req.path.indexOf('?');
  const url = `${req.scheme}://${req.authority}${q < 0 ? req.path : req.path.slice(0, q)}`;
  return url.replace(/["\\\r\n]/g, '');
}

function claimValue(payload: Record<string, unknown>, name: string): unknown {
  let v: unknown = payload[name];
  if (v === undefined && name.includes('.')) {
    v = payload;
    for (const k of name.split('.')) v = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined;
  }
  return v;
}

function headerText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean')) return v.join(',');
  return undefined;
}

const UNSAFE_HEADER_VALUE = /[\0\r\n]/;

/** What a verified token does to the request: metadata, header outputs, the token header removed. */
function applySuccess(verified: readonly Verified[], headers: Record<string, string | string[] | undefined>, metadata: Record<string, unknown>): void {
  for (const v of verified) {
    const p = v.provider;
    if (p.payloadInMetadata) {
      let payload = v.payload;
      if (p.spaceDelimitedClaims.length > 0) {
        payload = { ...payload };
        for (const c of p.spaceDelimitedClaims) {
          const s = payload[c];
          if (typeof s === 'string') payload[c] = s.split(' ').filter((x) => x !== '');
        }
      }
      metadata[p.payloadInMetadata] = payload;
    }
    if (!p.forward && v.location.kind === 'header') delete headers[v.location.name];
    if (p.forwardPayloadHeader) {
      const seg = v.segments[1];
      headers[p.forwardPayloadHeader] = p.padForwardPayloadHeader ? seg + '='.repeat((4 - (seg.length % 4)) % 4) : seg;
    }
    for (const c of p.claimToHeaders) {
      const text = headerText(claimValue(v.payload, c.claim));
      if (text !== undefined && !UNSAFE_HEADER_VALUE.test(text)) headers[c.header] = text;
    }
  }
}

/**
 * The headers this filter writes from verified tokens (forward_payload_header, claim_to_headers) are removed from
 * every request first: an application must never take a copy the client sent itself for one the proxy verified.
 * Stricter than Envoy, which leaves a client's copy in place when no token verifies.
 */
function stripOutputHeaders(config: JwtAuthnConfig, headers: Record<string, string | string[] | undefined>): void {
  for (const p of config.providers.values()) {
    if (p.forwardPayloadHeader) delete headers[p.forwardPayloadHeader];
    for (const c of p.claimToHeaders) delete headers[c.header];
  }
}

/**
 * Runs the filter for one request. Synchronous (and free) when no rule asks
 * for a token; otherwise a promise. On success the request's headers are
 * changed and `metadata` (the envoy.filters.http.jwt_authn namespace) filled.
 */
export function runJwtAuthn(config: JwtAuthnConfig, req: RequestHead, metadata: Record<string, unknown>, nowMs: number = Date.now()): JwtOutcome | Promise<JwtOutcome> {
  stripOutputHeaders(config, req.headers);
  if (config.bypassCorsPreflight && isPreflight(req)) return PASS;
  const rule = ruleFor(config, req);
  if (rule === undefined || rule.requires === undefined) return PASS;
  const evaluation = new Evaluation(config, req, Math.floor(nowMs / 1000));
  return evaluation.run(rule.requires).then(
    (r): JwtOutcome => {
      if (r.ok) {
        applySuccess(r.verified, req.headers, metadata);
        return PASS;
      }
      if (config.stripFailureResponse) return { allowed: false, status: r.status };
      const www = r.missing ? `Bearer realm="${realm(req)}"` : `Bearer realm="${realm(req)}", error="invalid_token"`;
      return { allowed: false, status: r.status, body: r.message, wwwAuthenticate: www };
    },
    // Nothing above should throw; if it ever does, the request is refused, never let through.
    (): JwtOutcome => ({ allowed: false, status: 401, body: JWT_MESSAGES.verificationFails, wwwAuthenticate: `Bearer realm="${realm(req)}", error="invalid_token"` }),
  );
}
