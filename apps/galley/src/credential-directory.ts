// The directory source of credentials (`--credential-dir`): one subdirectory
// per credential holding the files a mounted Secret volume would hold
// (tls.crt, tls.key and/or ca.crt, or a generic Secret's cert, key, cacert),
// read and checked as a Secret's data is (credentials.ts).
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { credentialKey, type Credential } from '@mesh/contracts';
import type { Logger } from '@mesh/telemetry';
import { CREDENTIAL_DATA_KEYS, CredentialSet, credentialFromData, type CredentialProblem, type CredentialScan, type CredentialSource } from './credentials.ts';

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR') return undefined;
    throw err;
  }
}

async function holdsCredential(dir: string): Promise<boolean> {
  for (const f of CREDENTIAL_DATA_KEYS) if ((await stat(path.join(dir, f)).catch(() => undefined))?.isFile()) return true;
  return false;
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
    let values: Array<string | undefined>;
    try {
      values = await Promise.all(CREDENTIAL_DATA_KEYS.map((f) => readOptional(path.join(d, f))));
    } catch (err) {
      problems.push({ credential: id, source: d, message: `cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      return;
    }
    const data = Object.fromEntries(CREDENTIAL_DATA_KEYS.map((k, i) => [k, values[i]]).filter(([, v]) => v !== undefined));
    const outcome = credentialFromData(namespace, name, data, d);
    if ('problem' in outcome) {
      const message = outcome.problem.startsWith('the name is not') ? 'the directory name is not a Kubernetes Secret name (or its parent not a namespace)' : outcome.problem;
      problems.push({ credential: id, source: d, message });
    } else credentials.set(credentialKey(namespace, name), outcome.credential);
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
  /** Called after every scan that changed what is published. */
  onChange: (credentials: ReadonlyMap<string, Credential>) => void;
}

/**
 * Watches a credential directory. A credential that becomes unreadable or
 * invalid keeps its last good version (reported once); one whose directory
 * is removed is removed. A directory that cannot be read at all publishes
 * nothing new until it can.
 */
export class CredentialDirectory implements CredentialSource {
  readonly #o: CredentialDirectoryOptions;
  readonly #set: CredentialSet;
  #dirError?: string;
  #watcher?: FSWatcher;
  #timer?: NodeJS.Timeout;
  #resync?: NodeJS.Timeout;
  #stopped = false;
  #scanning: Promise<void> = Promise.resolve();

  constructor(options: CredentialDirectoryOptions) {
    this.#o = options;
    this.#set = new CredentialSet(options.log);
  }

  get description(): string {
    return `directory ${this.#o.dir}`;
  }

  get current(): ReadonlyMap<string, Credential> {
    return this.#set.current;
  }

  get problems(): readonly CredentialProblem[] {
    return this.#set.problems;
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
      if (this.#dirError !== msg) log.warn('credential directory unreadable; the credentials published before stay', { dir, err: msg });
      this.#dirError = msg;
      return;
    }
    this.#dirError = undefined;
    if (this.#set.apply(scan)) this.#o.onChange(this.#set.current);
  }

  stop(): void {
    this.#stopped = true;
    this.#watcher?.close();
    clearTimeout(this.#timer);
    clearInterval(this.#resync);
  }
}
