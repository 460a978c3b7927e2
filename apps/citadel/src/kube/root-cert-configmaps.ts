// Kubernetes mode: the istio-ca-root-cert ConfigMap in every namespace holds
// the trust bundle (key root-cert.pem), as Istio's pods expect to mount it.
// New namespaces get it as they appear; every namespace is rewritten when the
// bundle changes.
import type { Logger } from '@mesh/telemetry';
import type { KubeApi } from './api.ts';

export const ROOT_CERT_CONFIGMAP = 'istio-ca-root-cert';
const LABELS = { 'istio.io/config': 'true' };

export class RootCertConfigMaps {
  readonly #kube: KubeApi;
  readonly #log: Logger;
  readonly #namespaces = new Set<string>();
  readonly #retryMs: number;
  #roots: string[] | undefined;
  #watch: { stop(): void } | undefined;
  #retries = new Map<string, NodeJS.Timeout>();

  constructor(kube: KubeApi, log: Logger, options: { retryMs?: number } = {}) {
    this.#kube = kube;
    this.#log = log;
    this.#retryMs = options.retryMs ?? 5_000;
  }

  start(): void {
    this.#watch = this.#kube.watchNamespaces({
      added: (ns) => {
        this.#namespaces.add(ns);
        void this.#writeOne(ns, true);
      },
      deleted: (ns) => {
        this.#namespaces.delete(ns);
        clearTimeout(this.#retries.get(ns));
      },
    });
  }

  /** Writes the bundle to every known namespace; rejects if any write failed (those are retried on their own too). */
  async publish(roots: string[]): Promise<void> {
    this.#roots = roots;
    const results = await Promise.all([...this.#namespaces].map((ns) => this.#writeOne(ns, true)));
    const failed = results.filter((r) => !r).length;
    if (failed) throw new Error(`${ROOT_CERT_CONFIGMAP} could not be written in ${failed} namespace(s)`);
  }

  namespaces(): string[] {
    return [...this.#namespaces].sort();
  }

  stop(): void {
    this.#watch?.stop();
    for (const t of this.#retries.values()) clearTimeout(t);
  }

  async #writeOne(ns: string, retryOnFailure: boolean): Promise<boolean> {
    const roots = this.#roots;
    if (!roots) return true;
    try {
      const result = await this.#kube.upsertConfigMap(ns, ROOT_CERT_CONFIGMAP, { 'root-cert.pem': roots.join('') }, LABELS);
      if (result !== 'unchanged') this.#log.info('trust bundle written', { configMap: `${ns}/${ROOT_CERT_CONFIGMAP}`, result, roots: roots.length });
      return true;
    } catch (err) {
      this.#log.warn('trust bundle ConfigMap write failed; will retry', { namespace: ns, err: (err as Error).message });
      if (retryOnFailure && !this.#retries.has(ns)) {
        this.#retries.set(
          ns,
          setTimeout(() => {
            this.#retries.delete(ns);
            if (this.#namespaces.has(ns)) void this.#writeOne(ns, true);
          }, this.#retryMs),
        );
      }
      return false;
    }
  }
}
