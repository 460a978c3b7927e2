// Everything citadel asks of the Kubernetes API, behind one small interface:
// the CA Secret, TokenReviews, the per-namespace root ConfigMap and the
// namespace watch. The implementation uses @kubernetes/client-node.
import { AuthenticationV1Api, CoreV1Api, KubeConfig, Watch, type V1Namespace } from '@kubernetes/client-node';
import type { Logger } from '@mesh/telemetry';

export interface TokenReviewResult {
  authenticated: boolean;
  username?: string;
  audiences?: string[];
  error?: string;
}

export interface NamespaceWatchHandler {
  added(namespace: string): void;
  deleted?(namespace: string): void;
}

export interface KubeApi {
  /** Decoded Secret data, or undefined when the Secret does not exist. */
  getSecret(namespace: string, name: string): Promise<{ data: Record<string, string>; resourceVersion: string } | undefined>;
  /** 'exists' when another writer created it first (409). */
  createSecret(namespace: string, name: string, data: Record<string, string>, type?: string): Promise<'created' | 'exists'>;
  /** Replaces with optimistic concurrency; returns the new resourceVersion. */
  replaceSecret(namespace: string, name: string, data: Record<string, string>, resourceVersion: string, type?: string): Promise<string>;
  reviewToken(token: string, audiences: string[]): Promise<TokenReviewResult>;
  /** Creates or replaces a ConfigMap so its data is exactly `data`. */
  upsertConfigMap(namespace: string, name: string, data: Record<string, string>, labels?: Record<string, string>): Promise<'created' | 'replaced' | 'unchanged'>;
  /** Lists then watches namespaces (with bookmarks), relisting after 410 Gone and reconnecting after errors. */
  watchNamespaces(handler: NamespaceWatchHandler): { stop(): void };
}

/** The API error's HTTP status, whichever client-node path produced it. */
export function httpStatus(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

/** In cluster (service account) when no kubeconfig is given, else the kubeconfig file. */
export function loadKubeConfig(kubeconfig?: string): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfig) kc.loadFromFile(kubeconfig);
  else kc.loadFromDefault();
  return kc;
}

export function createKubeApi(kc: KubeConfig, log: Logger, options: { relistDelayMs?: number } = {}): KubeApi {
  const core = kc.makeApiClient(CoreV1Api);
  const authn = kc.makeApiClient(AuthenticationV1Api);
  const relistDelayMs = options.relistDelayMs ?? 1_000;

  return {
    async getSecret(namespace, name) {
      try {
        const s = await core.readNamespacedSecret({ namespace, name });
        const data = Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, unb64(v)]));
        return { data, resourceVersion: s.metadata?.resourceVersion ?? '' };
      } catch (err) {
        if (httpStatus(err) === 404) return undefined;
        throw new Error(`reading Secret ${namespace}/${name}: ${describe(err)}`);
      }
    },
    async createSecret(namespace, name, data, type) {
      try {
        await core.createNamespacedSecret({
          namespace,
          body: { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])) },
        });
        return 'created';
      } catch (err) {
        if (httpStatus(err) === 409) return 'exists';
        throw new Error(`creating Secret ${namespace}/${name}: ${describe(err)}`);
      }
    },
    async replaceSecret(namespace, name, data, resourceVersion, type) {
      try {
        const s = await core.replaceNamespacedSecret({
          namespace,
          name,
          body: {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name, namespace, resourceVersion },
            type,
            data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
          },
        });
        return s.metadata?.resourceVersion ?? '';
      } catch (err) {
        throw new Error(`replacing Secret ${namespace}/${name}: ${describe(err)}`);
      }
    },
    async reviewToken(token, audiences) {
      const review = await authn.createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences } } });
      const st = review.status ?? {};
      return { authenticated: st.authenticated === true, username: st.user?.username, audiences: st.audiences, error: st.error };
    },
    async upsertConfigMap(namespace, name, data, labels) {
      for (let attempt = 0; ; attempt++) {
        try {
          let existing;
          try {
            existing = await core.readNamespacedConfigMap({ namespace, name });
          } catch (err) {
            if (httpStatus(err) !== 404) throw err;
          }
          const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels, resourceVersion: existing?.metadata?.resourceVersion }, data };
          if (!existing) {
            await core.createNamespacedConfigMap({ namespace, body });
            return 'created';
          }
          if (JSON.stringify(existing.data ?? {}) === JSON.stringify(data)) return 'unchanged';
          await core.replaceNamespacedConfigMap({ namespace, name, body });
          return 'replaced';
        } catch (err) {
          // 409: someone wrote it between our read and write; read again.
          if (httpStatus(err) === 409 && attempt < 3) continue;
          throw new Error(`writing ConfigMap ${namespace}/${name}: ${describe(err)}`);
        }
      }
    },
    watchNamespaces(handler) {
      let stopped = false;
      let abort: AbortController | undefined;
      let timer: NodeJS.Timeout | undefined;
      const known = new Set<string>();
      const watch = new Watch(kc);

      const relist = async (): Promise<void> => {
        if (stopped) return;
        try {
          const list = await core.listNamespace({});
          const names = new Set((list.items ?? []).map((n) => n.metadata!.name!));
          for (const n of names) {
            if (known.has(n)) continue;
            known.add(n);
            handler.added(n);
          }
          for (const n of [...known]) {
            if (names.has(n)) continue;
            known.delete(n);
            handler.deleted?.(n);
          }
          await watchFrom(list.metadata?.resourceVersion ?? '');
        } catch (err) {
          log.warn('listing namespaces failed; retrying', { err: describe(err) });
          retry(relist);
        }
      };
      const retry = (fn: () => Promise<void>) => {
        if (stopped) return;
        timer = setTimeout(() => void fn(), relistDelayMs);
      };
      const watchFrom = async (resourceVersion: string): Promise<void> => {
        if (stopped) return;
        let rv = resourceVersion;
        let gone = false;
        abort = await watch.watch(
          '/api/v1/namespaces',
          { allowWatchBookmarks: true, resourceVersion: rv },
          (type: string, obj: V1Namespace & { code?: number }) => {
            if (type === 'BOOKMARK') {
              rv = obj.metadata?.resourceVersion ?? rv;
              return;
            }
            if (type === 'ERROR') {
              if (obj.code === 410) gone = true;
              log.info('namespace watch ended by the API server', { code: obj.code });
              abort?.abort();
              return;
            }
            const name = obj.metadata?.name;
            if (!name) return;
            rv = obj.metadata?.resourceVersion ?? rv;
            if (type === 'ADDED' || type === 'MODIFIED') {
              if (!known.has(name)) {
                known.add(name);
                handler.added(name);
              }
            } else if (type === 'DELETED') {
              if (known.delete(name)) handler.deleted?.(name);
            }
          },
          (err: unknown) => {
            if (stopped) return;
            // 410 Gone: our resourceVersion is too old to resume from, so list again.
            if (gone || httpStatus(err) === 410) {
              log.info('namespace watch expired (410 Gone); relisting');
              retry(relist);
            } else {
              if (err) log.warn('namespace watch failed; resuming', { err: describe(err) });
              retry(() => watchFrom(rv));
            }
          },
        );
      };
      void relist();
      return {
        stop() {
          stopped = true;
          clearTimeout(timer);
          abort?.abort();
        },
      };
    },
  };
}

function describe(err: unknown): string {
  const code = httpStatus(err);
  const body = (err as { body?: unknown }).body;
  let message: string | undefined;
  if (typeof body === 'string') {
    try {
      message = JSON.parse(body).message;
    } catch {
      message = body.slice(0, 200);
    }
  } else if (body && typeof body === 'object') message = (body as { message?: string }).message;
  return code ? `HTTP ${code}${message ? `: ${message}` : ''}` : ((err as Error)?.message ?? String(err));
}
