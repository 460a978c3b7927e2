// Where the CA's root of trust lives between restarts: a directory in local
// mode, the istio-ca-secret Secret in Kubernetes mode. Both hold the same
// named files (Istio's names for the first two).
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, openSync, closeSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { KubeApi } from './kube/api.ts';

export const FILES = {
  /** The signing CA certificate and key (the current root in self-signed mode). */
  caCert: 'ca-cert.pem',
  caKey: 'ca-key.pem',
  /** Every root currently trusted (the published trust bundle), for workloads that read a file. */
  rootCert: 'root-cert.pem',
  /** A rotation in progress: the new root, already trusted, not yet signing. */
  nextCaCert: 'next-ca-cert.pem',
  nextCaKey: 'next-ca-key.pem',
  /** Rotation timing and the previous roots still trusted. */
  rotation: 'rotation.json',
} as const;

export type StoredFiles = Record<string, string>;

export interface CaStore {
  /** For logs and errors: "directory /var/lib/citadel" or "Secret istio-system/istio-ca-secret". */
  readonly description: string;
  load(): Promise<StoredFiles | undefined>;
  /** Stores `files` unless a CA is already stored; returns what is stored afterwards (ours, or the one that won). */
  create(files: StoredFiles): Promise<StoredFiles>;
  /** Replaces the stored files. */
  save(files: StoredFiles): Promise<void>;
}

/** Files in a directory (mode 0700, files 0600), each replaced atomically by rename. */
export class DirectoryStore implements CaStore {
  readonly dir: string;
  readonly description: string;
  constructor(dir: string) {
    this.dir = path.resolve(dir);
    this.description = `directory ${this.dir}`;
  }

  async load(): Promise<StoredFiles | undefined> {
    if (!existsSync(path.join(this.dir, FILES.caCert))) return undefined;
    const out: StoredFiles = {};
    for (const name of Object.values(FILES)) {
      const p = path.join(this.dir, name);
      if (existsSync(p)) out[name] = readFileSync(p, 'utf8');
    }
    if (!out[FILES.caKey]) throw new Error(`${this.description}: ${FILES.caCert} exists but ${FILES.caKey} does not`);
    return out;
  }

  async create(files: StoredFiles): Promise<StoredFiles> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    // The key file is created exclusively: two processes starting at once agree on one root.
    let fd: number;
    try {
      fd = openSync(path.join(this.dir, FILES.caKey), 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      for (let i = 0; i < 100 && !existsSync(path.join(this.dir, FILES.caCert)); i++) await new Promise((r) => setTimeout(r, 20));
      const existing = await this.load();
      if (!existing) throw new Error(`${this.description}: ${FILES.caKey} exists without ${FILES.caCert}; remove it or restore the certificate`);
      return existing;
    }
    writeFileSync(fd, files[FILES.caKey]);
    closeSync(fd);
    await this.save(files);
    return files;
  }

  async save(files: StoredFiles): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    // The certificate goes last: load() treats its presence as "a CA is stored".
    const names = Object.keys(files).sort((a, b) => (a === FILES.caCert ? 1 : b === FILES.caCert ? -1 : 0));
    for (const name of names) {
      const tmp = path.join(this.dir, `.${name}.tmp`);
      writeFileSync(tmp, files[name], { mode: 0o600 });
      renameSync(tmp, path.join(this.dir, name));
    }
    for (const name of readdirSync(this.dir)) {
      if ((Object.values(FILES) as string[]).includes(name) && !(name in files)) rmSync(path.join(this.dir, name));
    }
  }
}

/** The istio-ca-secret Secret (type istio.io/ca-root), as Istio's self-signed CA keeps it. */
export class SecretStore implements CaStore {
  readonly description: string;
  readonly #kube: KubeApi;
  readonly #namespace: string;
  readonly #name: string;
  #resourceVersion: string | undefined;

  constructor(kube: KubeApi, namespace: string, name = 'istio-ca-secret') {
    this.#kube = kube;
    this.#namespace = namespace;
    this.#name = name;
    this.description = `Secret ${namespace}/${name}`;
  }

  async load(): Promise<StoredFiles | undefined> {
    const s = await this.#kube.getSecret(this.#namespace, this.#name);
    if (!s) return undefined;
    this.#resourceVersion = s.resourceVersion;
    if (!s.data[FILES.caCert] || !s.data[FILES.caKey]) throw new Error(`${this.description}: missing ${FILES.caCert} or ${FILES.caKey}`);
    return s.data;
  }

  async create(files: StoredFiles): Promise<StoredFiles> {
    const result = await this.#kube.createSecret(this.#namespace, this.#name, files, 'istio.io/ca-root');
    if (result === 'created') {
      await this.load();
      return files;
    }
    // Another replica created it first: use theirs.
    const existing = await this.load();
    if (!existing) throw new Error(`${this.description}: create reported a conflict but the Secret cannot be read`);
    return existing;
  }

  async save(files: StoredFiles): Promise<void> {
    if (this.#resourceVersion === undefined) await this.load();
    this.#resourceVersion = await this.#kube.replaceSecret(this.#namespace, this.#name, files, this.#resourceVersion ?? '', 'istio.io/ca-root');
  }
}
