// TLS credentials for Istio's `credentialName` (Gateway servers, DestinationRule
// TLS origination at gateways), read from a directory laid out as
// `kubectl create secret` would mount them: one subdirectory per credential
// holding tls.crt, tls.key and/or ca.crt. Kubernetes Secrets are a later
// source (galley has no Kubernetes source yet). What is read is checked
// (PEM parses, the key belongs to the certificate) before it is published;
// contents are never logged, only namespace/name and which parts exist.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { CredentialSchema, credentialKey, type Credential } from '@mesh/contracts';
import type { Logger } from '@mesh/telemetry';

/** Istio's file names in a kubernetes.io/tls (or generic) Secret. */
export const CREDENTIAL_FILES = { cert: 'tls.crt', key: 'tls.key', ca: 'ca.crt' } as const;

export interface CredentialProblem {
  /** `namespace/name` */
  credential: string;
  dir: string;
  message: string;
}

export interface CredentialScan {
  /** By credentialKey(namespace, name). */
  credentials: Map<string, Credential>;
  problems: CredentialProblem[];
}

// Kubernetes names: a DNS subdomain for the Secret, a DNS label for the namespace.
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function holdsCredential(dir: string): Promise<boolean> {
  for (const f of Object.values(CREDENTIAL_FILES)) if (await stat(path.join(dir, f)).catch(() => undefined)) return true;
  return false;
}

/** Checks that what a credential's files hold is what their names say; the message never quotes the contents. */
export function checkCredential(c: Credential): string | undefined {
  const parsed = CredentialSchema.safeParse(c);
  if (!parsed.success) return parsed.error.issues.map((i) => `${i.path.length ? `${fileOf(String(i.path[0]))}: ` : ''}${i.message}`).join('; ');
  try {
    if (c.cert) {
      const leaf = new X509Certificate(c.cert);
      let key;
      try {
        key = createPrivateKey(c.key!);
      } catch {
        return `${CREDENTIAL_FILES.key} is not a readable (unencrypted) private key`;
      }
      if (!leaf.checkPrivateKey(key)) return `${CREDENTIAL_FILES.key} is not the private key of the first certificate in ${CREDENTIAL_FILES.cert}`;
    }
  } catch {
    return `${CREDENTIAL_FILES.cert} does not start with a readable X.509 certificate`;
  }
  if (c.ca) {
    try {
      new X509Certificate(c.ca);
    } catch {
      return `${CREDENTIAL_FILES.ca} does not start with a readable X.509 certificate`;
    }
  }
  return undefined;
}

function fileOf(field: string): string {
  return (CREDENTIAL_FILES as Record<string, string>)[field] ?? field;
}

/**
 * Reads `dir`: `<dir>/<name>/` is credential `name` in `defaultNamespace`
 * (a gateway's namespace: istio-system unless told otherwise);
 * `<dir>/<namespace>/<name>/` is credential `name` in `namespace` (a
 * directory without credential files is taken as a namespace). Hidden
 * entries (a mounted Secret volume's `..data`) are skipped.
 */
export async function scanCredentials(dir: string, defaultNamespace: string): Promise<CredentialScan> {
  const credentials = new Map<string, Credential>();
  const problems: CredentialProblem[] = [];
  const readOne = async (d: string, namespace: string, name: string) => {
    const id = `${namespace}/${name}`;
    if (!NAME.test(name) || !NAMESPACE.test(namespace)) {
      problems.push({ credential: id, dir: d, message: 'the directory name is not a Kubernetes Secret name (or its parent not a namespace)' });
      return;
    }
    let cert: string | undefined, key: string | undefined, ca: string | undefined;
    try {
      [cert, key, ca] = await Promise.all([CREDENTIAL_FILES.cert, CREDENTIAL_FILES.key, CREDENTIAL_FILES.ca].map((f) => readOptional(path.join(d, f))));
    } catch (err) {
      problems.push({ credential: id, dir: d, message: `cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      return;
    }
    const c: Credential = { namespace, name, ...(cert ? { cert } : {}), ...(key ? { key } : {}), ...(ca ? { ca } : {}), source: d };
    const problem = checkCredential(c);
    if (problem) problems.push({ credential: id, dir: d, message: problem });
    else credentials.set(credentialKey(namespace, name), c);
  };
  for (const e of await readdir(dir)) {
    if (e.startsWith('.')) continue;
    const d = path.join(dir, e);
    if (!(await isDir(d))) continue;
    if (await holdsCredential(d)) {
      await readOne(d, defaultNamespace, e);
      continue;
    }
    for (const inner of await readdir(d).catch(() => [] as string[])) {
      if (inner.startsWith('.')) continue;
      const id = path.join(d, inner);
      if ((await isDir(id)) && (await holdsCredential(id))) await readOne(id, e, inner);
    }
  }
  return { credentials, problems };
}

export interface CredentialDirectoryOptions {
  dir: string;
  /** Namespace of `<dir>/<name>/` credentials. */
  namespace: string;
  log: Logger;
  debounceMs?: number;
  /** Full rescan interval, a safety net for missed events (0 disables). */
  resyncMs?: number;
  /** Called with the credentials to publish after every scan that changed something. */
  onChange: (credentials: Map<string, Credential>) => void;
}

/**
 * Watches a credential directory. A credential that becomes unreadable or
 * invalid keeps its last good version (reported once); one whose directory
 * is removed is removed. A directory that cannot be read at all publishes
 * nothing new until it can.
 */
export class CredentialDirectory {
  readonly #o: CredentialDirectoryOptions;
  #good = new Map<string, Credential>();
  #reported = new Map<string, string>();
  #watcher?: FSWatcher;
  #timer?: NodeJS.Timeout;
  #resync?: NodeJS.Timeout;
  #stopped = false;
  #scanning: Promise<void> = Promise.resolve();

  constructor(options: CredentialDirectoryOptions) {
    this.#o = options;
  }

  get current(): ReadonlyMap<string, Credential> {
    return this.#good;
  }

  async start(): Promise<void> {
    await this.rescan();
    try {
      // Recursive: a credential's files live one or two levels below the root.
      this.#watcher = watch(this.#o.dir, { recursive: true }, () => this.#changed());
      this.#watcher.on('error', () => {});
    } catch (err) {
      this.#o.log.warn('cannot watch the credential directory; relying on periodic rescans', { dir: this.#o.dir, err: (err as Error).message });
    }
    const every = this.#o.resyncMs ?? 60_000;
    if (every > 0) {
      this.#resync = setInterval(() => void this.rescan(), every);
      this.#resync.unref();
    }
  }

  #changed(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.rescan(), this.#o.debounceMs ?? 100);
    this.#timer.unref();
  }

  rescan(): Promise<void> {
    this.#scanning = this.#scanning.then(() => this.#scan());
    return this.#scanning;
  }

  async #scan(): Promise<void> {
    if (this.#stopped) return;
    const { log, dir } = this.#o;
    let scan: CredentialScan;
    try {
      scan = await scanCredentials(dir, this.#o.namespace);
    } catch (err) {
      const msg = `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
      if (this.#reported.get(dir) !== msg) log.warn('credential directory unreadable; the credentials published before stay', { dir, err: msg });
      this.#reported.set(dir, msg);
      return;
    }
    this.#reported.delete(dir);
    const next = new Map(scan.credentials);
    const problemIds = new Set<string>();
    for (const p of scan.problems) {
      const [namespace, name] = p.credential.split('/');
      const key = credentialKey(namespace, name);
      problemIds.add(key);
      const old = this.#good.get(key);
      if (old) next.set(key, old);
      if (this.#reported.get(key) === p.message) continue;
      this.#reported.set(key, p.message);
      log.warn(`credential ${p.credential} rejected: ${p.message}; ${old ? 'keeping the last good one' : 'not published'}`, { credential: p.credential, dir: p.dir, error: p.message });
    }
    for (const key of [...this.#reported.keys()]) {
      if (key !== dir && !problemIds.has(key)) {
        this.#reported.delete(key);
        if (next.has(key)) log.info(`credential ${next.get(key)!.namespace}/${next.get(key)!.name} is valid again`);
      }
    }
    const same = next.size === this.#good.size && [...next].every(([k, v]) => JSON.stringify(this.#good.get(k)) === JSON.stringify(v));
    this.#good = next;
    if (!same) this.#o.onChange(next);
  }

  stop(): void {
    this.#stopped = true;
    this.#watcher?.close();
    clearTimeout(this.#timer);
    clearInterval(this.#resync);
  }
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
