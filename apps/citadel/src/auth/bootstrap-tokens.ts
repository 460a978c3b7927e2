// Local mode's stand-in for Kubernetes service-account tokens: citadel signs
// a short-lived JWT naming a namespace and service account, and accepts it
// back as proof of that identity. The signing key sits next to the root
// (token-key.pem, mode 0600); whoever can read that directory can mint tokens,
// exactly as whoever can read the root key can mint certificates.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { generateKeyPair, privateKeyFromPem, privateKeyToPem, validateIdentity } from '@mesh/pki';

export const TOKEN_KEY_FILE = 'token-key.pem';
export const TOKEN_AUDIENCE = 'istio-ca';
export const TOKEN_ISSUER = 'citadel-bootstrap';

/** Reads the token key from `dir`, creating it (exclusively, so concurrent starters agree) when absent. */
export async function loadOrCreateTokenKey(dir: string): Promise<KeyObject> {
  const file = path.join(dir, TOKEN_KEY_FILE);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeFileSync(fd, privateKeyToPem(generateKeyPair('ec-p256').privateKey));
      closeSync(fd);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  for (let i = 0; i < 50; i++) {
    const text = readFileSync(file, 'utf8');
    if (text.includes('-----END')) return privateKeyFromPem(text, file);
    await new Promise((r) => setTimeout(r, 20)); // another process is still writing it
  }
  throw new Error(`${file}: incomplete key file`);
}

export interface BootstrapClaims {
  namespace: string;
  serviceAccount: string;
  expiresAt: Date;
}

export class BootstrapTokens {
  readonly #key: KeyObject;
  readonly #publicKey: KeyObject;
  readonly #trustDomain: string;

  constructor(key: KeyObject, trustDomain: string) {
    this.#key = key;
    this.#publicKey = createPublicKey(key);
    this.#trustDomain = trustDomain;
  }

  async issue(namespace: string, serviceAccount: string, ttlSeconds: number): Promise<{ token: string; expiresAt: Date }> {
    const problem = validateIdentity({ trustDomain: this.#trustDomain, namespace, serviceAccount });
    if (problem) throw new Error(`cannot issue a bootstrap token: ${problem}`);
    if (!(ttlSeconds > 0)) throw new Error(`cannot issue a bootstrap token: ttl must be positive, got ${ttlSeconds}`);
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ ns: namespace, sa: serviceAccount, td: this.#trustDomain })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject(`system:serviceaccount:${namespace}:${serviceAccount}`)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .setJti(randomUUID())
      .sign(this.#key);
    return { token, expiresAt: new Date((now + ttlSeconds) * 1000) };
  }

  /** The identity a token proves; throws with a reason a caller can act on. */
  async verify(token: string): Promise<BootstrapClaims> {
    try {
      const { payload } = await jwtVerify(token, this.#publicKey, { issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE, algorithms: ['ES256'] });
      const ns = payload.ns;
      const sa = payload.sa;
      if (typeof ns !== 'string' || typeof sa !== 'string') throw new Error('token lacks the ns/sa claims');
      if (payload.td !== this.#trustDomain) throw new Error(`token was issued for trust domain ${String(payload.td)}, not ${this.#trustDomain}`);
      return { namespace: ns, serviceAccount: sa, expiresAt: new Date((payload.exp ?? 0) * 1000) };
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new Error(`bootstrap token expired at ${new Date(((err.payload.exp as number) ?? 0) * 1000).toISOString()}; get a new one with \`citadel token\``);
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw new Error('bootstrap token signature does not verify: it was not issued by this citadel');
      if (err instanceof joseErrors.JWTClaimValidationFailed) throw new Error(`bootstrap token claim "${err.claim}" is wrong: ${err.reason}`);
      if (err instanceof joseErrors.JOSEError) throw new Error(`bootstrap token rejected: ${err.message}`);
      throw err;
    }
  }
}
