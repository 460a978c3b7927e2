// The workload's trust bundle ('ROOTCA'): the roots in the mounted root
// certificate file (citadel writes every trusted root there, both of them
// during a root rotation) together with the root at the end of the chain
// citadel last returned. The file is re-read when it changes: Kubernetes swaps
// a ConfigMap volume by renaming a `..data` symlink and citadel's local root
// dir replaces files by rename, so the directory is watched and, because a
// watch can miss events (network filesystems, overlayfs), also polled.
import { EventEmitter } from 'node:events';
import { X509Certificate } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { splitCertificates } from '@mesh/pki';
import type { Logger } from '@mesh/telemetry';

export interface TrustBundleOptions {
  /** PEM file holding the roots (may be absent when the bundle comes only from citadel's chains). */
  file?: string;
  /** Backstop poll of the file; the directory watch usually reacts first. */
  pollMs?: number;
  log: Logger;
  /** Tests read through this; production reads the file. */
  read?: (file: string) => string;
}

export interface TrustBundleEvents {
  /** The set of trusted roots changed (first file read excluded; see roots()). */
  change: [string[]];
}

/** A certificate in canonical PEM form, so the same root from two sources is one entry. */
function canonical(pem: string): string {
  return new X509Certificate(pem).toString().trim() + '\n';
}

/** The certificates in a PEM text; throws naming the source when one does not parse. */
export function parseRoots(text: string, source: string): string[] {
  const out: string[] = [];
  for (const [i, pem] of splitCertificates(text).entries()) {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(pem);
    } catch (err) {
      throw new Error(`${source}: certificate ${i + 1} does not parse: ${(err as Error).message}`, { cause: err });
    }
    if (!cert.ca) throw new Error(`${source}: certificate ${i + 1} (${cert.subject.replace(/\n/g, ', ')}) is not a CA certificate`);
    out.push(canonical(pem));
  }
  return out;
}

export class TrustBundle extends EventEmitter<TrustBundleEvents> {
  readonly file: string | undefined;
  readonly #log: Logger;
  readonly #read: (file: string) => string;
  readonly #pollMs: number;
  #fileText: string | undefined;
  #fileRoots: string[] = [];
  #caRoot: string | undefined;
  #roots: string[] = [];
  #watcher: FSWatcher | undefined;
  #poll: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;

  constructor(options: TrustBundleOptions) {
    super();
    this.file = options.file;
    this.#log = options.log;
    this.#read = options.read ?? ((f) => readFileSync(f, 'utf8'));
    this.#pollMs = options.pollMs ?? 5_000;
  }

  /**
   * Reads the file once. `required`: a missing or empty file throws with what to do
   * (the agent cannot verify citadel without it); otherwise a missing file is an empty set.
   */
  load(required: boolean): void {
    if (!this.file) {
      if (required) throw new Error('no root certificate file given');
      return;
    }
    let text: string;
    try {
      text = this.#read(this.file);
    } catch (err) {
      if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new Error(
        `cannot read the CA root certificate ${this.file}: ${(err as Error).message}. It holds the roots that signed citadel's serving certificate: mount the istio-ca-root-cert ConfigMap there, or in local mode pass --ca-root-cert <citadel --root-dir>/root-cert.pem`,
        { cause: err },
      );
    }
    const roots = parseRoots(text, this.file);
    if (roots.length === 0 && required) throw new Error(`${this.file} holds no PEM certificate; it should hold the mesh's root certificate(s)`);
    this.#fileText = text;
    this.#fileRoots = roots;
    this.#recompute(false);
  }

  /** Watches the file's directory and polls the file; changes emit 'change'. */
  watch(): void {
    if (!this.file || this.#poll) return;
    this.#poll = setInterval(() => this.reread(), this.#pollMs);
    this.#poll.unref();
    try {
      this.#watcher = watch(path.dirname(this.file), { persistent: false }, () => {
        // A swap is a burst of events (rename of ..data, the old dir removed): read once it settles.
        clearTimeout(this.#debounce);
        this.#debounce = setTimeout(() => this.reread(), 50);
        this.#debounce.unref();
      });
      this.#watcher.on('error', () => this.#watcher?.close());
    } catch {
      // No directory to watch (yet): the poll covers it.
    }
  }

  /** Re-reads the file now. A file that is gone or does not parse keeps the last good roots. */
  reread(): void {
    if (!this.file) return;
    let text: string;
    try {
      text = this.#read(this.file);
    } catch (err) {
      if (this.#fileText !== undefined) this.#log.warn('CA root certificate file unreadable; keeping the roots read before', { file: this.file, err: (err as Error).message });
      this.#fileText = undefined;
      return;
    }
    if (text === this.#fileText) return;
    let roots: string[];
    try {
      roots = parseRoots(text, this.file);
      if (roots.length === 0) throw new Error(`${this.file} holds no PEM certificate`);
    } catch (err) {
      // Possibly caught mid-write by a writer that does not rename; the next read settles it.
      this.#log.warn('CA root certificate file does not parse; keeping the roots read before', { file: this.file, err: (err as Error).message });
      return;
    }
    this.#fileText = text;
    this.#fileRoots = roots;
    this.#recompute(true);
  }

  /** The root at the end of the chain citadel returned (the chain's last certificate when it is self-signed). */
  setCaChain(chain: string[]): void {
    const last = chain[chain.length - 1];
    if (!last) return;
    const cert = new X509Certificate(last);
    if (!cert.ca || cert.issuer !== cert.subject) return;
    const root = canonical(last);
    if (root === this.#caRoot) return;
    this.#caRoot = root;
    this.#recompute(true);
  }

  /** Every trusted root, each once: the file's first (in its order), then citadel's if not among them. */
  roots(): string[] {
    return this.#roots;
  }

  stop(): void {
    clearInterval(this.#poll);
    clearTimeout(this.#debounce);
    this.#watcher?.close();
    this.#poll = undefined;
  }

  #recompute(emit: boolean): void {
    const next = [...new Set([...this.#fileRoots, ...(this.#caRoot ? [this.#caRoot] : [])])];
    const same = next.length === this.#roots.length && next.every((r, i) => r === this.#roots[i]);
    if (same) return;
    const before = this.#roots.length;
    this.#roots = next;
    if (!emit) return;
    this.#log.info('trust bundle changed', {
      roots: next.length,
      before,
      subjects: next.map((r) => new X509Certificate(r).subject.replace(/\n/g, ', ')),
      file: this.file,
    });
    this.emit('change', next);
  }
}
