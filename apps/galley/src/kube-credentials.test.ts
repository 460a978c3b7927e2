// Kubernetes Secrets as credentialName credentials, against real API-server
// responses served over HTTP by the test: paged lists with a field selector,
// a failing first list, watches with ADDED/MODIFIED/DELETED and bookmarks, and
// a 410 Gone that forces a relist. What galley accepts lands in a real NATS.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { BUCKETS, CredentialSchema, connectBus, type Bus, type Credential, type TypedKv } from '@mesh/contracts';
import { createLogger } from '@mesh/telemetry';
import { freePort, startNats, startProcess, waitFor, type NatsServer } from '@mesh/testing';
import { DirectorySource } from './directory-source.ts';
import { startGalley, type Galley } from './galley.ts';

const TOKEN = 'galley-sa-token';
const root = mkdtempSync(path.join(tmpdir(), 'galley-kube-creds-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Pem {
  cert: string;
  key: string;
  ca: string;
}

/** A CA and a leaf for `host` signed by it (openssl, as Istio's Secure Gateways task makes them). */
function issue(host: string): Pem {
  const dir = mkdtempSync(path.join(root, 'pki-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/O=example Inc./CN=example.com');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'tls.key', '-out', 'leaf.csr', '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host}`);
  openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'tls.crt', '-days', '1', '-copy_extensions', 'copy');
  const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
  return { cert: read('tls.crt'), key: read('tls.key'), ca: read('ca.crt') };
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const encode = (data: Record<string, string>) => Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)]));

interface StoredSecret {
  namespace: string;
  name: string;
  type: string;
  data: Record<string, string>;
  resourceVersion: string;
}

const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

/** The parts of kube-apiserver's Secret API galley uses, with its JSON shapes and its list/watch semantics. */
class ServedApi {
  readonly requests: string[] = [];
  readonly store = new Map<string, StoredSecret>();
  failLists = 0;
  #rv = 1000;
  #watches = new Set<{ res: http.ServerResponse; namespace?: string }>();
  #server = http.createServer((req, res) => void this.#handle(req, res));
  url = '';

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  get resourceVersion(): string {
    return String(this.#rv);
  }

  #object(s: StoredSecret) {
    return { apiVersion: 'v1', kind: 'Secret', metadata: { name: s.name, namespace: s.namespace, resourceVersion: s.resourceVersion, uid: `uid-${s.namespace}-${s.name}` }, type: s.type, data: encode(s.data) };
  }

  /** Creates or replaces a Secret; open watches see ADDED or MODIFIED unless `silently` (a change made while no watch was open). */
  put(namespace: string, name: string, type: string, data: Record<string, string>, silently = false): void {
    const key = `${namespace}/${name}`;
    const existed = this.store.has(key);
    const s = { namespace, name, type, data, resourceVersion: String(++this.#rv) };
    this.store.set(key, s);
    if (!silently) this.#send(existed ? 'MODIFIED' : 'ADDED', this.#object(s));
  }

  delete(namespace: string, name: string, silently = false): void {
    const s = this.store.get(`${namespace}/${name}`);
    if (!s) return;
    this.store.delete(`${namespace}/${name}`);
    if (!silently) this.#send('DELETED', { ...this.#object(s), metadata: { ...this.#object(s).metadata, resourceVersion: String(++this.#rv) } });
  }

  bookmark(): void {
    for (const w of this.#watches) w.res.write(JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Secret', apiVersion: 'v1', metadata: { resourceVersion: String(this.#rv) } } }) + '\n');
  }

  /** The watch cache moved past the watchers: each gets ERROR 410 and its watch ends, as kube-apiserver does. */
  expireWatches(): void {
    for (const w of this.#watches) {
      w.res.end(JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: 1 (${this.#rv})`) }) + '\n');
    }
    this.#watches.clear();
  }

  get openWatches(): number {
    return this.#watches.size;
  }

  #send(type: string, object: { metadata: { namespace: string; [k: string]: unknown } }): void {
    const ns = object.metadata.namespace;
    for (const w of this.#watches) if (!w.namespace || w.namespace === ns) w.res.write(JSON.stringify({ type, object }) + '\n');
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url!, 'http://x');
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    for await (const _ of req);
    const json = (code: number, obj: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(obj));
    };
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return json(401, status(401, 'Unauthorized', 'Unauthorized'));
    const m = /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?secrets$/.exec(url.pathname);
    if (!m || req.method !== 'GET') return json(404, status(404, 'NotFound', `no route ${req.method} ${url.pathname}`));
    const namespace = m[1];
    // Field selectors on Secrets: `type!=X` conditions joined by commas (all galley sends).
    const excluded = (url.searchParams.get('fieldSelector') ?? '')
      .split(',')
      .filter(Boolean)
      .map((c) => {
        const f = /^type!=(.+)$/.exec(c);
        if (!f) throw new Error(`unexpected field selector ${c}`);
        return f[1];
      });
    const visible = [...this.store.values()].filter((s) => (!namespace || s.namespace === namespace) && !excluded.includes(s.type)).sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.flushHeaders();
      const w = { res, namespace };
      this.#watches.add(w);
      res.on('close', () => this.#watches.delete(w));
      return;
    }
    if (this.failLists > 0) {
      this.failLists--;
      return json(500, status(500, 'InternalError', 'etcdserver: leader changed'));
    }
    const limit = Number(url.searchParams.get('limit') || visible.length || 1);
    const offset = Number(url.searchParams.get('continue') || 0);
    const page = visible.slice(offset, offset + limit);
    const more = offset + limit < visible.length;
    json(200, {
      kind: 'SecretList',
      apiVersion: 'v1',
      metadata: { resourceVersion: String(this.#rv), ...(more ? { continue: String(offset + limit) } : {}) },
      items: page.map((s) => this.#object(s)),
    });
  }

  close(): Promise<void> {
    for (const w of this.#watches) w.res.destroy();
    this.#server.closeAllConnections();
    return new Promise((r) => this.#server.close(() => r()));
  }
}

function kubeConfigFor(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'served', server: url, skipTLSVerify: true }],
    users: [{ name: 'galley', token: TOKEN }],
    contexts: [{ name: 'served', cluster: 'served', user: 'galley' }],
    currentContext: 'served',
  });
  return kc;
}

describe('Kubernetes Secrets as credentials (against real API-server responses served over HTTP by the test)', () => {
  let api: ServedApi;
  let nats: NatsServer;
  let bus: Bus;
  let kv: TypedKv<Credential>;
  let galley: Galley;
  const lines: string[] = [];
  const log = createLogger('galley-test', { write: (l) => lines.push(l) });
  const httpbin = issue('httpbin.example.com');
  const generic = issue('generic.example.com');
  const other = issue('other.example.com');
  const value = async (key: string) => (await kv.get(key))?.value;

  before(async () => {
    api = new ServedApi();
    await api.listen();
    api.put('istio-system', 'httpbin-credential', 'kubernetes.io/tls', { 'tls.crt': httpbin.cert, 'tls.key': httpbin.key });
    api.put('istio-system', 'httpbin-credential-cacert', 'Opaque', { cacert: httpbin.ca });
    api.put('istio-system', 'generic-credential', 'Opaque', { cert: generic.cert, key: generic.key, cacert: generic.ca });
    api.put('istio-system', 'bad-key', 'kubernetes.io/tls', { 'tls.crt': httpbin.cert, 'tls.key': other.key });
    api.put('istio-system', 'db-password', 'Opaque', { password: 'hunter2' });
    api.put('istio-system', 'legacy-token', 'kubernetes.io/service-account-token', { token: 'x', 'ca.crt': httpbin.ca });
    api.put('default', 'other-tls', 'kubernetes.io/tls', { 'tls.crt': other.cert, 'tls.key': other.key, 'ca.crt': other.ca });
    api.failLists = 1;
    nats = await startNats();
    bus = await connectBus({ servers: nats.url, name: 'creds-reader', log });
    kv = await bus.kv(BUCKETS.credentials, CredentialSchema);
    const configDir = mkdtempSync(path.join(root, 'config-'));
    galley = await startGalley({
      source: new DirectorySource({ dir: configDir, log, debounceMs: 20, resyncMs: 0 }),
      natsUrl: nats.url,
      log,
      meshConfigResyncMs: 0,
      kubeCredentials: { kubeConfig: kubeConfigFor(api.url), pageSize: 2, backoffMs: 20, maxBackoffMs: 200, watchTimeoutSeconds: 60 },
    });
  });

  after(async () => {
    await galley?.stop();
    await bus?.close();
    await nats?.stop();
    await api?.close();
  });

  it('lists (paged, after a failed first list) and publishes kubernetes.io/tls and generic Secrets into NATS; a bad one is reported, not published, and its contents never logged (against real API-server responses served over HTTP by the test)', async () => {
    await waitFor('the listed credentials in NATS', async () => (await kv.keys()).length === 4);
    assert.deepEqual((await kv.keys()).sort(), ['default.other-tls', 'istio-system.generic-credential', 'istio-system.httpbin-credential', 'istio-system.httpbin-credential-cacert']);
    assert.deepEqual(await value('istio-system.httpbin-credential'), { namespace: 'istio-system', name: 'httpbin-credential', cert: httpbin.cert, key: httpbin.key, source: 'kubernetes:Secret/istio-system/httpbin-credential' });
    assert.deepEqual(await value('istio-system.httpbin-credential-cacert'), { namespace: 'istio-system', name: 'httpbin-credential-cacert', ca: httpbin.ca, source: 'kubernetes:Secret/istio-system/httpbin-credential-cacert' });
    const g = (await value('istio-system.generic-credential'))!;
    assert.deepEqual([g.cert, g.key, g.ca], [generic.cert, generic.key, generic.ca]);
    assert.equal((await value('default.other-tls'))?.ca, other.ca);

    const lists = api.requests.filter((r) => r.startsWith('GET /api/v1/secrets?') && !r.includes('watch=true'));
    assert.ok(lists.length >= 4, `a failed list, then three pages of two:\n${lists.join('\n')}`);
    assert.ok(lists.some((r) => r.includes('continue=2')) && lists.some((r) => r.includes('continue=4')), lists.join('\n'));
    for (const r of lists) assert.match(decodeURIComponent(r), /fieldSelector=type!=kubernetes\.io\/service-account-token,/);
    assert.ok(lines.some((l) => l.includes('listing Secrets (all namespaces) failed; retrying') && l.includes('HTTP 500: etcdserver: leader changed')));

    const debug = galley.credentials() as { source: string; listed: boolean; credentials: Array<{ namespace: string; name: string; key: boolean }>; problems: unknown[] };
    assert.equal(debug.source, 'Kubernetes Secrets in all namespaces');
    assert.equal(debug.listed, true);
    assert.deepEqual(debug.credentials.map((c) => `${c.namespace}/${c.name}`), ['default/other-tls', 'istio-system/generic-credential', 'istio-system/httpbin-credential', 'istio-system/httpbin-credential-cacert']);
    assert.deepEqual(debug.problems, [
      { credential: 'istio-system/bad-key', source: 'kubernetes:Secret/istio-system/bad-key', error: 'tls.key is not the private key of the first certificate in tls.crt', inEffect: 'none' },
    ]);
    assert.ok(lines.some((l) => l.includes('credential istio-system/bad-key rejected: tls.key is not the private key of the first certificate in tls.crt; not published')));
    assert.ok(!lines.some((l) => l.includes('PRIVATE KEY') || l.includes(other.key.split('\n')[1]) || l.includes(b64(other.key).slice(0, 40))), 'no key material in the log');
  });

  it('follows the watch: ADDED and MODIFIED publish, a Secret turned bad keeps its last good version, DELETED removes (against real API-server responses served over HTTP by the test)', async () => {
    await waitFor('a watch open', () => api.openWatches === 1);
    const watch = api.requests.find((r) => r.includes('watch=true'))!;
    assert.match(watch, /allowWatchBookmarks=true/);
    assert.match(watch, /timeoutSeconds=60/);

    const api2 = issue('api.example.com');
    api.put('prod', 'api-credential', 'kubernetes.io/tls', { 'tls.crt': api2.cert, 'tls.key': api2.key });
    await waitFor('the ADDED Secret in NATS', async () => (await value('prod.api-credential'))?.cert === api2.cert);

    const renewed = issue('httpbin.example.com');
    api.put('istio-system', 'httpbin-credential', 'kubernetes.io/tls', { 'tls.crt': renewed.cert, 'tls.key': renewed.key });
    await waitFor('the MODIFIED Secret in NATS', async () => (await value('istio-system.httpbin-credential'))?.cert === renewed.cert);

    api.put('istio-system', 'generic-credential', 'Opaque', { cert: generic.cert, key: other.key, cacert: generic.ca });
    await waitFor('the broken Secret reported', () => lines.some((l) => l.includes('credential istio-system/generic-credential rejected: key is not the private key of the first certificate in cert; keeping the last good one')));
    assert.equal((await value('istio-system.generic-credential'))?.key, generic.key, 'the last good version stays in NATS');
    const problems = (galley.credentials() as { problems: Array<{ credential: string; inEffect: string }> }).problems;
    assert.deepEqual(problems.map((p) => [p.credential, p.inEffect]), [['istio-system/bad-key', 'none'], ['istio-system/generic-credential', 'last good version']]);

    // An Opaque Secret that gains half a credential is reported; one that never had credential keys stays out of it.
    api.put('istio-system', 'db-password', 'Opaque', { password: 'hunter2', 'tls.crt': other.cert });
    await waitFor('the half credential reported', () => lines.some((l) => l.includes('credential istio-system/db-password rejected: tls.crt and tls.key come together; not published')));
    assert.equal(await value('istio-system.db-password'), undefined);

    api.bookmark();
    api.delete('default', 'other-tls');
    await waitFor('the DELETED Secret gone from NATS', async () => !(await kv.get('default.other-tls')));

    // Fixed: published again.
    api.put('istio-system', 'bad-key', 'kubernetes.io/tls', { 'tls.crt': other.cert, 'tls.key': other.key });
    await waitFor('the fixed Secret in NATS', async () => (await value('istio-system.bad-key'))?.cert === other.cert);
    assert.ok(!lines.some((l) => l.includes('PRIVATE KEY') || l.includes(generic.key.split('\n')[1])), 'no key material in the log');
  });

  it('relists after 410 Gone and catches up with what changed while no watch was open (against real API-server responses served over HTTP by the test)', async () => {
    const listsBefore = api.requests.filter((r) => r.startsWith('GET /api/v1/secrets?') && !r.includes('watch=true')).length;
    const late = issue('late.example.com');
    // Changes the expired watch never delivered.
    api.delete('istio-system', 'httpbin-credential-cacert', true);
    api.put('istio-system', 'late-credential', 'kubernetes.io/tls', { 'tls.crt': late.cert, 'tls.key': late.key }, true);
    const rvAfterGap = api.resourceVersion;
    api.expireWatches();
    await waitFor('the relisted state in NATS', async () => !(await kv.get('istio-system.httpbin-credential-cacert')) && (await value('istio-system.late-credential'))?.cert === late.cert);
    const requests = api.requests.slice();
    const lists = requests.filter((r) => r.startsWith('GET /api/v1/secrets?') && !r.includes('watch=true'));
    assert.ok(lists.length > listsBefore, 'listed again');
    await waitFor('a new watch', () => api.openWatches === 1);
    const lastWatch = api.requests.filter((r) => r.includes('watch=true')).at(-1)!;
    assert.match(lastWatch, new RegExp(`resourceVersion=${rvAfterGap}\\b`), 'the new watch resumes from the relist, not the stale version');
    assert.ok(lines.some((l) => l.includes('Secret watch (all namespaces) expired (410 Gone); listing again')));
    // The rest is as it was.
    assert.deepEqual((await kv.keys()).sort(), ['istio-system.bad-key', 'istio-system.generic-credential', 'istio-system.httpbin-credential', 'istio-system.late-credential', 'prod.api-credential']);
  });
  it('a restarted galley keeps the published version of a Secret that is bad now, and publishes the rest (against real API-server responses served over HTTP by the test)', async () => {
    await galley.stop();
    const configDir = mkdtempSync(path.join(root, 'config-'));
    galley = await startGalley({
      source: new DirectorySource({ dir: configDir, log, debounceMs: 20, resyncMs: 0 }),
      natsUrl: nats.url,
      log,
      meshConfigResyncMs: 0,
      kubeCredentials: { kubeConfig: kubeConfigFor(api.url), backoffMs: 20, maxBackoffMs: 200, watchTimeoutSeconds: 60 },
    });
    // In effect: what the bucket holds once galley has compared it with what it read.
    const problems = await waitFor('the restarted galley listed and in sync', () => {
      const d = galley.credentials() as { listed: boolean; problems: Array<{ credential: string; inEffect: string }> };
      return d.listed && d.problems.some((p) => p.inEffect !== 'none') ? d.problems : undefined;
    });
    assert.deepEqual(problems.map((p) => [p.credential, p.inEffect]), [['istio-system/db-password', 'none'], ['istio-system/generic-credential', 'last good version']]);
    assert.equal((await value('istio-system.generic-credential'))?.key, generic.key, 'the version published before the restart stays');
    assert.deepEqual((await kv.keys()).sort(), ['istio-system.bad-key', 'istio-system.generic-credential', 'istio-system.httpbin-credential', 'istio-system.late-credential', 'prod.api-credential']);
  });
});

describe('galley --credential-source=kubernetes (real process, against real API-server responses served over HTTP by the test)', () => {
  let api: ServedApi;
  let nats: NatsServer;
  const dir = mkdtempSync(path.join(tmpdir(), 'galley-kube-proc-'));
  after(async () => {
    await nats?.stop();
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the namespaces it is given through the kubeconfig it is given, and shows what it published on /debug/credentials', async () => {
    api = new ServedApi();
    await api.listen();
    const pem = issue('gw.example.com');
    api.put('istio-system', 'gw-credential', 'kubernetes.io/tls', { 'tls.crt': pem.cert, 'tls.key': pem.key });
    api.put('team-a', 'a-credential', 'kubernetes.io/tls', { 'tls.crt': pem.cert, 'tls.key': pem.key });
    api.put('team-b', 'b-credential', 'kubernetes.io/tls', { 'tls.crt': pem.cert, 'tls.key': pem.key });
    nats = await startNats();
    const kubeconfig = path.join(dir, 'kubeconfig.yaml');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'served', cluster: { server: api.url, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'galley', user: { token: TOKEN } }],
        contexts: [{ name: 'served', context: { cluster: 'served', user: 'galley' } }],
        'current-context': 'served',
      }),
    );
    const port = await freePort();
    const galley = startProcess('galley', 'apps/galley/src/main.ts', [
      '--config-dir',
      dir,
      '--nats-url',
      nats.url,
      '--monitoring-port',
      String(port),
      '--credential-source=kubernetes',
      '--credential-namespaces=istio-system,team-a',
      '--kubeconfig',
      kubeconfig,
    ]);
    try {
      const debug = await waitFor('both namespaces listed', async () => {
        const d = (await (await fetch(`http://127.0.0.1:${port}/debug/credentials`)).json()) as { listed: boolean; source: string; credentials: Array<{ namespace: string; name: string }> };
        return d.listed && d.credentials.length === 2 ? d : undefined;
      });
      assert.equal(debug.source, 'Kubernetes Secrets in namespaces istio-system, team-a');
      assert.deepEqual(debug.credentials.map((c) => `${c.namespace}/${c.name}`), ['istio-system/gw-credential', 'team-a/a-credential']);
      assert.ok(api.requests.some((r) => r.startsWith('GET /api/v1/namespaces/team-a/secrets?')));
      assert.ok(!api.requests.some((r) => r.includes('team-b') || r.startsWith('GET /api/v1/secrets')), 'only the namespaces given are read');
      const b = await connectBus({ servers: nats.url, name: 'reader', log: createLogger('t', { write: () => {} }) });
      try {
        const kv = await b.kv(BUCKETS.credentials, CredentialSchema);
        await waitFor('the credential in NATS', () => kv.get('team-a.a-credential'));
      } finally {
        await b.close();
      }
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${galley.output()}`);
    } finally {
      await galley.stop();
    }
    assert.ok(!galley.output().includes(pem.key.split('\n')[1]), 'no key material in the log');
  });

  it('refuses --credential-dir together with --credential-source=kubernetes, and an unknown source', async () => {
    for (const [args, message] of [
      [['--credential-source=kubernetes', '--credential-dir', dir], '--credential-dir is for --credential-source=dir'],
      [['--credential-source=vault'], '--credential-source must be dir or kubernetes, got "vault"'],
    ] as const) {
      const p = startProcess('galley', 'apps/galley/src/main.ts', ['--config-dir', dir, '--monitoring-port', String(await freePort()), ...args]);
      const code = await p.exited;
      assert.notEqual(code, 0);
      assert.ok(p.output().includes(message), p.output());
    }
  });
});
