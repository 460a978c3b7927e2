// TLS material at run time: a compiled TLS context (config/tls-config.ts) plus
// the current SDS secrets gives the options a TLS server or client is built
// from. Secrets arrive late and rotate, so the material is looked up per new
// connection and the built result cached by the secrets' versions: a rotation
// changes what new connections get and never touches open ones. A secret that
// is not there yet is an answer of its own (the caller refuses the
// connection), never a context without it.
import { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import { isSecretRef, type SanMatcherSpec, type TlsContextSpec } from '../config/tls-config.ts';
import type { SecretLookup, SecretRef } from '../secrets/secret-lookup.ts';

export interface TlsMaterial {
  readonly ok: true;
  /** Changes whenever the material does. */
  readonly version: string;
  /** What tls.createServer / createSecureContext take (cert, key, ca, versions, ciphers). */
  readonly options: SecureContextOptions;
  /** The context built from `options` (clients). */
  readonly context: SecureContext;
  /** Our certificate's URI SANs (XFCC's By=). */
  readonly localUris: readonly string[];
}

export type TlsMaterialResult =
  | TlsMaterial
  | { readonly ok: false; readonly why: 'secret_missing'; readonly secret: SecretRef }
  | { readonly ok: false; readonly why: 'invalid'; readonly message: string };

/** The SANs of a certificate, by type. */
export interface CertificateSans {
  readonly uri: readonly string[];
  readonly dns: readonly string[];
  readonly email: readonly string[];
  readonly ip: readonly string[];
}

/**
 * Node's `subjectAltName` string ("URI:spiffe://a, DNS:b") split by type. A
 * value holding a comma is printed JSON-quoted by Node, so quotes are honoured.
 */
export function parseSubjectAltName(text: string | undefined): CertificateSans {
  const out = { uri: [] as string[], dns: [] as string[], email: [] as string[], ip: [] as string[] };
  if (!text) return out;
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon < 0) break;
    const type = text.slice(i, colon).trim();
    let value: string;
    let next: number;
    if (text[colon + 1] === '"') {
      // JSON string: find its closing quote (skipping escapes).
      let j = colon + 2;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      try {
        value = JSON.parse(text.slice(colon + 1, j + 1)) as string;
      } catch {
        value = text.slice(colon + 2, j);
      }
      next = text.indexOf(',', j + 1);
    } else {
      next = text.indexOf(', ', colon + 1);
      value = next < 0 ? text.slice(colon + 1) : text.slice(colon + 1, next);
    }
    if (type === 'URI') out.uri.push(value);
    else if (type === 'DNS') out.dns.push(value);
    else if (type === 'email') out.email.push(value);
    else if (type === 'IP Address') out.ip.push(value);
    if (next < 0) break;
    i = next + 1;
    while (text[i] === ' ') i++;
  }
  return out;
}

/** Whether any matcher matches a SAN of its type (Envoy: any one matcher suffices). No matchers: true. */
export function sanMatches(matchers: readonly SanMatcherSpec[], sans: CertificateSans): boolean {
  if (matchers.length === 0) return true;
  for (const m of matchers) {
    const values =
      m.type === 'URI_DNS' ? [...sans.uri, ...sans.dns] : m.type === 'URI' ? sans.uri : m.type === 'DNS' ? sans.dns : m.type === 'EMAIL' ? sans.email : sans.ip;
    for (const v of values) if (m.matcher.matches(v)) return true;
  }
  return false;
}

interface Cached {
  readonly key: string;
  readonly result: TlsMaterialResult;
}

/** Builds (and caches by secret versions) the TLS material of compiled TLS contexts. */
export class TlsContexts {
  readonly #secrets: SecretLookup | undefined;
  readonly #cache = new WeakMap<TlsContextSpec, Cached>();

  constructor(secrets: SecretLookup | undefined) {
    this.#secrets = secrets;
  }

  get secrets(): SecretLookup | undefined {
    return this.#secrets;
  }

  /** The material for a new connection now. */
  resolve(spec: TlsContextSpec): TlsMaterialResult {
    let cert: string | undefined;
    let key: string | undefined;
    let ca: string | undefined;
    const versions: string[] = [];
    const c = spec.certificate;
    if (isSecretRef(c)) {
      const m = this.#secrets?.secret(c);
      if (m === undefined || !m.cert || !m.key) return { ok: false, why: 'secret_missing', secret: c };
      cert = m.cert;
      key = m.key;
      versions.push(`${c.source}/${c.name}@${m.version}`);
    } else if (c !== undefined) {
      cert = c.cert;
      key = c.key;
    }
    if (isSecretRef(spec.ca)) {
      const m = this.#secrets?.secret(spec.ca);
      if (m === undefined || !m.ca) return { ok: false, why: 'secret_missing', secret: spec.ca };
      ca = m.ca;
      versions.push(`${spec.ca.source}/${spec.ca.name}@${m.version}`);
    } else ca = spec.ca;
    const version = versions.join('|') || 'inline';
    const cached = this.#cache.get(spec);
    if (cached !== undefined && cached.key === version) return cached.result;
    const result = build(spec, version, cert, key, ca);
    this.#cache.set(spec, { key: version, result });
    return result;
  }
}

function build(spec: TlsContextSpec, version: string, cert: string | undefined, key: string | undefined, ca: string | undefined): TlsMaterialResult {
  const options: SecureContextOptions = {
    cert,
    key,
    ca,
    minVersion: spec.minVersion ?? 'TLSv1.2',
    maxVersion: spec.maxVersion ?? 'TLSv1.3',
    ...(spec.cipherSuites.length ? { ciphers: spec.cipherSuites.join(':') } : {}),
    ...(spec.ecdhCurves.length ? { ecdhCurve: spec.ecdhCurves.join(':') } : {}),
  };
  try {
    const context = createSecureContext(options);
    let localUris: string[] = [];
    if (cert) localUris = [...parseSubjectAltName(new X509Certificate(cert).subjectAltName).uri];
    return { ok: true, version, options, context, localUris };
  } catch (err) {
    // Never the key material in the message: OpenSSL's reason only.
    return { ok: false, why: 'invalid', message: (err as Error).message };
  }
}
