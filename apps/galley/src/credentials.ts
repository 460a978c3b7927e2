// TLS credentials for Istio's `credentialName` (Gateway servers, DestinationRule
// TLS origination at gateways): what both sources (a directory,
// credential-directory.ts; Kubernetes Secrets, kube-credentials.ts) share.
// A credential is read as the key/value pairs of a Secret, checked (PEM
// parses, the key belongs to the certificate) and only then published; one
// that turns bad keeps its last good version. Contents are never logged or
// shown, only namespace/name and which parts exist.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { CredentialSchema, credentialKey, type Credential } from '@mesh/contracts';
import type { Logger } from '@mesh/telemetry';

export interface CredentialKeys {
  cert: string;
  key: string;
  ca: string;
}

/** A kubernetes.io/tls Secret's keys (`kubectl create secret tls`, plus ca.crt for MUTUAL). */
export const TLS_KEYS = { cert: 'tls.crt', key: 'tls.key', ca: 'ca.crt' } as const satisfies CredentialKeys;
/** A generic (Opaque) Secret's keys as Istio documents them for credentialName. */
export const GENERIC_KEYS = { cert: 'cert', key: 'key', ca: 'cacert' } as const satisfies CredentialKeys;
/**
 * Certificate revocation lists (Istio: `ca.crl` beside ca.crt, `crl` in a
 * generic Secret). The mesh does not check revocation, so a credential that
 * asks for it is refused: serving it would accept revoked client certificates.
 */
export const CRL_KEYS = ['ca.crl', 'crl'] as const;
/** Every key a credential's data is read from. */
export const CREDENTIAL_DATA_KEYS: readonly string[] = [...new Set([...Object.values(TLS_KEYS), ...Object.values(GENERIC_KEYS), ...CRL_KEYS])];

export interface CredentialProblem {
  /** `namespace/name` */
  credential: string;
  /** Where it was read: a directory, or `kubernetes:Secret/<namespace>/<name>`. */
  source: string;
  message: string;
}

export interface CredentialScan {
  /** By credentialKey(namespace, name). */
  credentials: Map<string, Credential>;
  problems: CredentialProblem[];
}

// Kubernetes names: a DNS subdomain for the Secret, a DNS label for the namespace.
export const SECRET_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
export const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Checks that what a credential holds is what its keys say; the message never quotes the contents. */
export function checkCredential(c: Credential, keys: CredentialKeys = TLS_KEYS): string | undefined {
  const parsed = CredentialSchema.safeParse(c);
  if (!parsed.success) {
    return parsed.error.issues
      .map((i) => {
        const field = i.path.length ? String(i.path[0]) : '';
        const named = (keys as unknown as Record<string, string>)[field] ?? field;
        // The schema's own messages name the kubernetes.io/tls keys.
        const message = i.message.replace(/tls\.crt/g, keys.cert).replace(/tls\.key/g, keys.key).replace(/ca\.crt/g, keys.ca);
        return `${named ? `${named}: ` : ''}${message}`;
      })
      .join('; ');
  }
  try {
    if (c.cert) {
      const leaf = new X509Certificate(c.cert);
      let key;
      try {
        key = createPrivateKey(c.key!);
      } catch {
        return `${keys.key} is not a readable (unencrypted) private key`;
      }
      if (!leaf.checkPrivateKey(key)) return `${keys.key} is not the private key of the first certificate in ${keys.cert}`;
    }
  } catch {
    return `${keys.cert} does not start with a readable X.509 certificate`;
  }
  if (c.ca) {
    try {
      new X509Certificate(c.ca);
    } catch {
      return `${keys.ca} does not start with a readable X.509 certificate`;
    }
  }
  return undefined;
}

export type CredentialOutcome = { credential: Credential } | { problem: string };

/**
 * A credential from a Secret's decoded data (or a directory's files by the
 * same names): the kubernetes.io/tls keys or the generic ones, not both for
 * the same part. Keys it does not know are left alone (Secrets carry others).
 */
export function credentialFromData(namespace: string, name: string, data: Readonly<Record<string, string | undefined>>, source: string): CredentialOutcome {
  if (!SECRET_NAME.test(name) || !NAMESPACE_NAME.test(namespace)) return { problem: 'the name is not a Kubernetes Secret name (or the namespace not a namespace name)' };
  const crl = CRL_KEYS.filter((k) => data[k] !== undefined);
  if (crl.length) return { problem: `${crl.join(', ')}: certificate revocation lists are not implemented; the credential is refused rather than served without the revocation check` };
  const present = (k: string) => data[k] !== undefined && data[k] !== '';
  const both = (['cert', 'key', 'ca'] as const).filter((part) => present(TLS_KEYS[part]) && present(GENERIC_KEYS[part]));
  if (both.length) return { problem: `holds both ${both.map((p) => `${TLS_KEYS[p]} and ${GENERIC_KEYS[p]}`).join(', ')}: use one layout (kubernetes.io/tls keys or Istio's generic cert/key/cacert)` };
  // Istio names the CA cacert or ca.crt with either layout of chain and key.
  const pick = (part: 'cert' | 'key' | 'ca') => (present(TLS_KEYS[part]) ? data[TLS_KEYS[part]] : present(GENERIC_KEYS[part]) ? data[GENERIC_KEYS[part]] : undefined);
  const cert = pick('cert');
  const key = pick('key');
  const ca = pick('ca');
  // Messages name the keys the Secret uses.
  const pair = present(GENERIC_KEYS.cert) || present(GENERIC_KEYS.key) ? GENERIC_KEYS : TLS_KEYS;
  const keys: CredentialKeys = { cert: pair.cert, key: pair.key, ca: present(GENERIC_KEYS.ca) ? GENERIC_KEYS.ca : TLS_KEYS.ca };
  const c: Credential = { namespace, name, ...(cert ? { cert } : {}), ...(key ? { key } : {}), ...(ca ? { ca } : {}), source };
  const problem = checkCredential(c, keys);
  return problem ? { problem } : { credential: c };
}

/**
 * What a credential source publishes: the valid credentials of the last
 * complete read, where a credential that turned invalid keeps its last good
 * version. Each problem is logged once (until it changes or goes away).
 */
export class CredentialSet {
  readonly #log: Logger;
  #good = new Map<string, Credential>();
  #reported = new Map<string, string>();
  #problems: CredentialProblem[] = [];

  constructor(log: Logger) {
    this.#log = log;
  }

  get current(): ReadonlyMap<string, Credential> {
    return this.#good;
  }

  get problems(): readonly CredentialProblem[] {
    return this.#problems;
  }

  /** Applies a complete read of the source; true when what is published changed. */
  apply(scan: CredentialScan): boolean {
    const next = new Map(scan.credentials);
    const problemKeys = new Set<string>();
    for (const p of scan.problems) {
      const [namespace, name] = p.credential.split('/');
      const key = credentialKey(namespace, name);
      problemKeys.add(key);
      const old = this.#good.get(key);
      if (old) next.set(key, old);
      if (this.#reported.get(key) === p.message) continue;
      this.#reported.set(key, p.message);
      this.#log.warn(`credential ${p.credential} rejected: ${p.message}; ${old ? 'keeping the last good one' : 'not published'}`, {
        credential: p.credential,
        source: p.source,
        error: p.message,
      });
    }
    for (const key of [...this.#reported.keys()]) {
      if (problemKeys.has(key)) continue;
      this.#reported.delete(key);
      const c = next.get(key);
      if (c) this.#log.info(`credential ${c.namespace}/${c.name} is valid again`, { credential: `${c.namespace}/${c.name}` });
    }
    this.#problems = [...scan.problems].sort((a, b) => a.credential.localeCompare(b.credential));
    const same = next.size === this.#good.size && [...next].every(([k, v]) => JSON.stringify(this.#good.get(k)) === JSON.stringify(v));
    this.#good = next;
    return !same;
  }
}

/** What galley publishes from: a directory or the Kubernetes API. */
export interface CredentialSource {
  /** For logs and /debug/credentials: "directory DIR", "Kubernetes Secrets in all namespaces". */
  readonly description: string;
  /** The credentials to publish; undefined until the source has been read once (nothing is written or removed before). */
  readonly current: ReadonlyMap<string, Credential> | undefined;
  /** The credentials refused at the last read, with why (never their contents). */
  readonly problems: readonly CredentialProblem[];
  start(): Promise<void>;
  stop(): void;
}

/** What /debug/credentials shows: names and which parts exist, never the contents. */
export function describeCredentials(credentials: ReadonlyMap<string, Credential>): Array<Record<string, unknown>> {
  return [...credentials.values()]
    .map((c) => {
      let expires: string | undefined;
      let subject: string | undefined;
      try {
        if (c.cert) {
          const x = new X509Certificate(c.cert);
          expires = new Date(x.validTo).toISOString();
          subject = x.subjectAltName ?? x.subject;
        }
      } catch {
        // checked on the way in
      }
      return { namespace: c.namespace, name: c.name, source: c.source, cert: !!c.cert, key: !!c.key, ca: !!c.ca, ...(subject ? { subjectAltNames: subject } : {}), ...(expires ? { expires } : {}) };
    })
    .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}

/** /debug/credentials' `problems`: what was refused and what is in effect instead. */
export function describeProblems(problems: readonly CredentialProblem[], current: ReadonlyMap<string, Credential> | undefined): Array<Record<string, unknown>> {
  return problems.map((p) => {
    const [namespace, name] = p.credential.split('/');
    return { credential: p.credential, source: p.source, error: p.message, inEffect: current?.has(credentialKey(namespace, name)) ? 'last good version' : 'none' };
  });
}
