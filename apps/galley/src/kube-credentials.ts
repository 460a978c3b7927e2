// The Kubernetes source of credentials (`--credential-source=kubernetes`):
// Secrets listed then watched through the API server, as Istio reads the
// Secret a `credentialName` names. Kept: type kubernetes.io/tls, and Opaque
// Secrets holding Istio's credential keys (tls.crt/tls.key/ca.crt or
// cert/key/cacert); `<name>-cacert` Secrets are the CA of a MUTUAL server.
// Each is checked as the directory source checks its files (credentials.ts);
// a bad one is reported and never published, and one that turns bad keeps its
// last good version. Contents are never logged.
//
// List + watch: a paged list gives the full state and a resourceVersion; the
// watch (with bookmarks) resumes from it. An ended watch resumes from the last
// version seen; 410 Gone (the version is too old) or a failed resume lists
// again; failures back off exponentially.
import { CoreV1Api, KubeConfig, Watch, type V1Secret, type V1SecretList } from '@kubernetes/client-node';
import { credentialKey, type Credential } from '@mesh/contracts';
import { counter, type Logger } from '@mesh/telemetry';
import { CREDENTIAL_DATA_KEYS, CredentialSet, GENERIC_KEYS, TLS_KEYS, credentialFromData, type CredentialOutcome, type CredentialProblem, type CredentialSource } from './credentials.ts';

const listsTotal = counter('galley_secret_lists_total', 'Secret lists (full relists) by result', ['result']);
const watchEvents = counter('galley_secret_watch_events_total', 'Secret watch events by type', ['type']);

export const TLS_SECRET_TYPE = 'kubernetes.io/tls';
export const OPAQUE_SECRET_TYPE = 'Opaque';

// Secret types that never hold a credential, left out by the API server (types are immutable, so a Secret never moves in or out).
const SKIPPED_TYPES = ['kubernetes.io/service-account-token', 'kubernetes.io/dockercfg', 'kubernetes.io/dockerconfigjson', 'bootstrap.kubernetes.io/token', 'helm.sh/release.v1'];
export const SECRET_FIELD_SELECTOR = SKIPPED_TYPES.map((t) => `type!=${t}`).join(',');

// An Opaque Secret is taken as a credential when it has one of these keys (a lone `key` is too common a name to mean a TLS key).
const OPAQUE_MARKERS = [TLS_KEYS.cert, TLS_KEYS.key, TLS_KEYS.ca, GENERIC_KEYS.cert, GENERIC_KEYS.ca];

/** The shape of a Secret in a list and in a watch event (data base64-encoded). */
type SecretObject = Pick<V1Secret, 'metadata' | 'type' | 'data'>;

/** undefined: not a credential at all (left alone, not reported). */
export function credentialFromSecret(secret: SecretObject): CredentialOutcome | undefined {
  const namespace = secret.metadata?.namespace ?? '';
  const name = secret.metadata?.name ?? '';
  const type = secret.type || OPAQUE_SECRET_TYPE;
  const raw = secret.data ?? {};
  if (type !== TLS_SECRET_TYPE && type !== OPAQUE_SECRET_TYPE) return undefined;
  if (type === OPAQUE_SECRET_TYPE && !OPAQUE_MARKERS.some((k) => raw[k] !== undefined)) return undefined;
  const data: Record<string, string> = {};
  for (const k of CREDENTIAL_DATA_KEYS) if (raw[k] !== undefined) data[k] = Buffer.from(raw[k], 'base64').toString('utf8');
  return credentialFromData(namespace, name, data, secretSource(namespace, name));
}

export const secretSource = (namespace: string, name: string) => `kubernetes:Secret/${namespace}/${name}`;

/** The kubeconfig file when given, else client-node's default (KUBECONFIG, ~/.kube/config, then the pod's service account). */
export function loadKubeConfig(kubeconfig?: string): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfig) kc.loadFromFile(kubeconfig);
  else kc.loadFromDefault();
  return kc;
}

export interface KubernetesCredentialsOptions {
  kubeConfig: KubeConfig;
  /** Namespaces to read Secrets from; empty or absent: every namespace. */
  namespaces?: readonly string[];
  log: Logger;
  /** Called after every change of what is published. */
  onChange: (credentials: ReadonlyMap<string, Credential>) => void;
  /** Delay before the first retry of a failed list or watch; doubled per failure up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Secrets per list page (`limit`). */
  pageSize?: number;
  /** How long the API server keeps one watch open (it then ends it and the watch resumes). */
  watchTimeoutSeconds?: number;
}

interface Entry {
  resourceVersion: string;
  outcome: CredentialOutcome;
}

/** One list/watch loop: all namespaces, or one. */
class Scope {
  readonly path: string;
  readonly namespace: string | undefined;
  /** Secrets that are credentials (good or bad), by namespace/name. */
  entries = new Map<string, Entry>();
  listed = false;
  resourceVersion = '';
  failures = 0;
  abort?: AbortController;
  timer?: NodeJS.Timeout;

  constructor(namespace: string | undefined) {
    this.namespace = namespace;
    this.path = namespace ? `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets` : '/api/v1/secrets';
  }

  get label(): string {
    return this.namespace ? `namespace ${this.namespace}` : 'all namespaces';
  }
}

function httpStatus(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

function describeError(err: unknown): string {
  const code = httpStatus(err);
  const body = (err as { body?: unknown })?.body;
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

export class KubernetesCredentials implements CredentialSource {
  readonly #o: KubernetesCredentialsOptions;
  readonly #core: CoreV1Api;
  readonly #watch: Watch;
  readonly #set: CredentialSet;
  readonly #scopes: Scope[];
  #stopped = false;
  #published = false;

  constructor(options: KubernetesCredentialsOptions) {
    this.#o = options;
    this.#core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.#watch = new Watch(options.kubeConfig);
    this.#set = new CredentialSet(options.log);
    const namespaces = [...new Set(options.namespaces ?? [])];
    this.#scopes = namespaces.length ? namespaces.map((n) => new Scope(n)) : [new Scope(undefined)];
  }

  get description(): string {
    return this.#o.namespaces?.length ? `Kubernetes Secrets in namespaces ${[...new Set(this.#o.namespaces)].join(', ')}` : 'Kubernetes Secrets in all namespaces';
  }

  get current(): ReadonlyMap<string, Credential> | undefined {
    return this.#published ? this.#set.current : undefined;
  }

  get problems(): readonly CredentialProblem[] {
    return this.#set.problems;
  }

  /** Starts listing; resolves at once (a first list that fails is retried, and nothing is published or removed until one succeeds). */
  async start(): Promise<void> {
    for (const scope of this.#scopes) void this.#list(scope);
  }

  stop(): void {
    this.#stopped = true;
    for (const scope of this.#scopes) {
      clearTimeout(scope.timer);
      scope.abort?.abort();
    }
  }

  #retry(scope: Scope, what: () => Promise<void>): void {
    if (this.#stopped) return;
    const base = this.#o.backoffMs ?? 1_000;
    const delay = Math.min(this.#o.maxBackoffMs ?? 30_000, base * 2 ** Math.min(scope.failures, 16));
    scope.failures++;
    clearTimeout(scope.timer);
    scope.timer = setTimeout(() => void what(), delay);
  }

  async #listPage(scope: Scope, cont: string | undefined): Promise<V1SecretList> {
    const page = { limit: this.#o.pageSize ?? 500, _continue: cont, fieldSelector: SECRET_FIELD_SELECTOR };
    return scope.namespace ? this.#core.listNamespacedSecret({ namespace: scope.namespace, ...page }) : this.#core.listSecretForAllNamespaces(page);
  }

  async #list(scope: Scope): Promise<void> {
    if (this.#stopped) return;
    const next = new Map<string, Entry>();
    let resourceVersion = '';
    try {
      let cont: string | undefined;
      do {
        const page = await this.#listPage(scope, cont);
        if (this.#stopped) return;
        for (const s of page.items ?? []) this.#keep(scope, next, s);
        cont = page.metadata?._continue || undefined;
        resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      } while (cont);
    } catch (err) {
      if (this.#stopped) return;
      listsTotal.inc({ result: 'error' });
      // A 410 here is an expired continue token: the next attempt starts over.
      this.#o.log.warn(`listing Secrets (${scope.label}) failed; retrying`, { err: describeError(err), attempt: scope.failures + 1 });
      this.#retry(scope, () => this.#list(scope));
      return;
    }
    listsTotal.inc({ result: 'ok' });
    const first = !scope.listed;
    // Replaced as a whole: Secrets deleted while no watch was open are gone from the list.
    scope.entries = next;
    scope.listed = true;
    scope.resourceVersion = resourceVersion;
    scope.failures = 0;
    this.#publish();
    if (first) this.#o.log.info(`Secrets listed (${scope.label}): ${next.size} TLS credentials`, { credentials: next.size, resourceVersion });
    await this.#watchFrom(scope);
  }

  /** Converts a Secret, reusing the last result when its version is unchanged (no certificate is parsed twice). */
  #keep(scope: Scope, into: Map<string, Entry>, s: SecretObject): void {
    const key = `${s.metadata?.namespace}/${s.metadata?.name}`;
    const resourceVersion = s.metadata?.resourceVersion ?? '';
    const old = scope.entries.get(key);
    if (old && resourceVersion && old.resourceVersion === resourceVersion) {
      into.set(key, old);
      return;
    }
    const outcome = credentialFromSecret(s);
    if (outcome) into.set(key, { resourceVersion, outcome });
    else into.delete(key);
  }

  async #watchFrom(scope: Scope): Promise<void> {
    if (this.#stopped) return;
    let gone = false;
    let failed: string | undefined;
    let events = 0;
    const started = Date.now();
    const timeoutSeconds = this.#o.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
    // The API server ends a watch after timeoutSeconds and sends bookmarks meanwhile; a watch silent for much longer is on a dead connection.
    let watchdog: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        failed = `no event for ${timeoutSeconds + 60} s`;
        scope.abort?.abort();
      }, (timeoutSeconds + 60) * 1000);
      watchdog.unref();
    };
    const onEvent = (type: string, obj: SecretObject & { code?: number; message?: string }) => {
      if (this.#stopped) return;
      events++;
      arm();
      watchEvents.inc({ type });
      if (type === 'BOOKMARK') {
        scope.resourceVersion = obj.metadata?.resourceVersion ?? scope.resourceVersion;
        return;
      }
      if (type === 'ERROR') {
        if (obj.code === 410) gone = true;
        else failed = `the API server ended it: ${obj.code ?? ''} ${obj.message ?? ''}`.trim();
        scope.abort?.abort();
        return;
      }
      const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
      scope.resourceVersion = obj.metadata?.resourceVersion ?? scope.resourceVersion;
      if (type === 'ADDED' || type === 'MODIFIED') this.#keep(scope, scope.entries, obj);
      else if (type === 'DELETED') scope.entries.delete(key);
      else return;
      scope.failures = 0;
      this.#publish();
    };
    const onDone = (err: unknown) => {
      clearTimeout(watchdog);
      if (this.#stopped) return;
      if (gone || httpStatus(err) === 410) {
        // Our resourceVersion is older than the API server keeps: only a new list gives a consistent state.
        this.#o.log.info(`Secret watch (${scope.label}) expired (410 Gone); listing again`);
        this.#retry(scope, () => this.#list(scope));
        return;
      }
      if (!failed && err && (err as Error).name !== 'AbortError') failed = describeError(err);
      if (failed) {
        this.#o.log.warn(`Secret watch (${scope.label}) failed; resuming`, { err: failed, attempt: scope.failures + 1 });
        // A watch that keeps failing may be past resuming: list again after a few tries.
        if (scope.failures >= 3) this.#retry(scope, () => this.#list(scope));
        else this.#retry(scope, () => this.#watchFrom(scope));
      } else if (events > 0 || Date.now() - started > 1_000) {
        // The API server's timeoutSeconds: resume at once from where we are.
        void this.#watchFrom(scope);
      } else {
        // Ended at once without a word: do not spin.
        this.#retry(scope, () => this.#watchFrom(scope));
      }
    };
    arm();
    scope.abort = await this.#watch.watch(scope.path, { allowWatchBookmarks: true, resourceVersion: scope.resourceVersion, timeoutSeconds, fieldSelector: SECRET_FIELD_SELECTOR }, onEvent, onDone);
    if (this.#stopped) scope.abort.abort();
  }

  #publish(): void {
    // Until every scope has been listed once the state is partial: publishing it would remove what the others hold.
    if (!this.#scopes.every((s) => s.listed)) return;
    const credentials = new Map<string, Credential>();
    const problems: CredentialProblem[] = [];
    for (const scope of this.#scopes) {
      for (const [id, { outcome }] of scope.entries) {
        const [namespace, name] = id.split('/');
        if ('credential' in outcome) credentials.set(credentialKey(namespace, name), outcome.credential);
        else problems.push({ credential: id, source: secretSource(namespace, name), message: outcome.problem });
      }
    }
    const changed = this.#set.apply({ credentials, problems });
    const first = !this.#published;
    this.#published = true;
    if (changed || first) this.#o.onChange(this.#set.current);
  }
}
