// Istio's "Mutual TLS Migration" task on the local mesh, as real processes:
// namespaces foo and bar run httpbin and sleep with sidecars, legacy runs them
// without. Every sidecar holds a SPIFFE certificate from citadel; pilot sends
// mutual TLS to workloads that have a sidecar (auto mTLS) and plaintext to the
// others, and a PeerAuthentication decides what a sidecar accepts. The 3x3
// reachability matrix is checked under PERMISSIVE (the default), then with
// STRICT mesh-wide, then STRICT for one namespace, as the task does.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freeMeshPorts, startLocalMesh, startSampleApp, type LocalMesh, type SampleApp } from '@mesh/local-mesh';
import { waitFor } from '@mesh/testing';
import { callHttpbin, freeHttpbinSleepPorts, httpbinSleepWorkloads, httpbinSleepYaml, type HttpbinSleepPorts } from './httpbin-sleep.ts';

const NAMESPACES = ['foo', 'bar', 'legacy'] as const;
type Ns = (typeof NAMESPACES)[number];
const SIDECAR_NAMESPACES: readonly Ns[] = ['foo', 'bar'];

function openssl(args: string[], input = ''): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile('openssl', args, { timeout: 10_000 }, (err, stdout, stderr) => {
      const code = (err as { code?: unknown } | null)?.code;
      resolve({ code: err ? (typeof code === 'number' ? code : 1) : 0, out: `${stdout}${stderr}` });
    });
    child.stdin?.end(input);
  });
}

describe("Istio's mutual TLS migration and explicit-deny tasks on the local mesh (foo and bar with sidecars, legacy without)", { timeout: 240_000 }, () => {
  let mesh: LocalMesh;
  let configDir: string;
  let stateDir: string;
  let legacyApp: SampleApp;
  const ports = {} as Record<Ns, HttpbinSleepPorts>;

  /** sleep.<from> -> httpbin.<to>: through sleep's sidecar (foo, bar) or straight to the WorkloadEntry's address (legacy: no sidecar). */
  const call = (from: Ns, to: Ns) =>
    from === 'legacy' ? callHttpbin(to === 'legacy' ? ports.legacy.app : ports[to].ingress, to, { viaProxy: false }) : callHttpbin(ports[from].egress, to);
  const matrix = async () => {
    const out: string[] = [];
    for (const from of NAMESPACES) for (const to of NAMESPACES) out.push(`sleep.${from} to httpbin.${to}: ${(await call(from, to)).status}`);
    return out;
  };
  const expectMatrix = (refused: (from: Ns, to: Ns) => boolean) => NAMESPACES.flatMap((from) => NAMESPACES.map((to) => `sleep.${from} to httpbin.${to}: ${refused(from, to) ? 0 : 200}`));
  /** Applies a policy and waits until the matrix shows it (pilot's push reaches every sidecar within seconds). */
  const settle = async (want: string[]) => {
    let last: string[] = [];
    await waitFor(`the reachability matrix to become ${JSON.stringify(want)} (last: ${JSON.stringify(last)})`, async () => JSON.stringify((last = await matrix())) === JSON.stringify(want), {
      timeoutMs: 30_000,
      intervalMs: 300,
    });
    // Stable, not a moment of a push in flight.
    assert.deepEqual(await matrix(), want);
  };

  before(async () => {
    configDir = mkdtempSync(path.join(tmpdir(), 'mesh-e2e-mtls-config-'));
    stateDir = mkdtempSync(path.join(tmpdir(), 'mesh-e2e-mtls-state-'));
    for (const ns of NAMESPACES) ports[ns] = await freeHttpbinSleepPorts();
    for (const ns of NAMESPACES) writeFileSync(path.join(configDir, `${ns}.yaml`), httpbinSleepYaml(ns, ports[ns], SIDECAR_NAMESPACES.includes(ns)));
    legacyApp = await startSampleApp({ service: 'httpbin', version: 'legacy', port: ports.legacy.app });
    const workloads = SIDECAR_NAMESPACES.flatMap((ns) => httpbinSleepWorkloads(ns, ports[ns]));
    mesh = await startLocalMesh({
      configDir,
      stateDir,
      sample: false,
      workloads,
      ports: await freeMeshPorts(),
      logLevel: 'info',
      onLine: process.env.MESH_TEST_VERBOSE === '1' ? (name, text) => process.stderr.write(`[${name}] ${text}\n`) : undefined,
    });
  });
  after(async () => {
    await mesh?.stop();
    await legacyApp?.close();
    for (const d of [configDir, stateDir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('PERMISSIVE (no policy): every client reaches every server; sidecar to sidecar is mutual TLS with the client identity in X-Forwarded-Client-Cert', async () => {
    await settle(expectMatrix(() => false));
    const fromFoo = JSON.parse((await call('foo', 'bar')).body) as { headers: Record<string, string> };
    const xfcc = fromFoo.headers['x-forwarded-client-cert'];
    assert.ok(xfcc, 'httpbin.bar sees the client certificate of sleep.foo');
    assert.match(xfcc, /By=spiffe:\/\/cluster\.local\/ns\/bar\/sa\/httpbin;Hash=[0-9a-f]{64};Subject="[^"]*";URI=spiffe:\/\/cluster\.local\/ns\/foo\/sa\/sleep/);
    // Plaintext callers (legacy) and calls to legacy carry no client certificate.
    assert.equal((JSON.parse((await call('legacy', 'bar')).body) as { headers: Record<string, string> }).headers['x-forwarded-client-cert'], undefined);
    assert.equal((JSON.parse((await call('foo', 'legacy')).body) as { headers: Record<string, string> }).headers['x-forwarded-client-cert'], undefined);
  });

  it("openssl s_client to a sidecar's inbound port: a SPIFFE certificate chained to citadel's root, and no session without a client certificate", async () => {
    const root = path.join(stateDir, 'citadel', 'root-cert.pem');
    const r = await openssl(['s_client', '-connect', `127.0.0.1:${ports.foo.ingress}`, '-alpn', 'istio', '-CAfile', root, '-verify_return_error', '-showcerts'], 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(r.out, /Verify return code: 0 \(ok\)/, r.out);
    const leaf = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(r.out)![0];
    const text = await openssl(['x509', '-noout', '-ext', 'subjectAltName'], leaf);
    assert.match(text.out, /URI:spiffe:\/\/cluster\.local\/ns\/foo\/sa\/httpbin/);
    // The server asked for a client certificate and got none: no HTTP response comes back.
    assert.doesNotMatch(r.out, /HTTP\/1\.1 \d{3}/);
  });

  it('STRICT mesh-wide: legacy clients are refused by sidecars; sidecars still reach legacy in plaintext', async () => {
    writeFileSync(path.join(configDir, 'mesh-strict.yaml'), `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec:
  mtls: {mode: STRICT}
`);
    await settle(expectMatrix((from, to) => from === 'legacy' && to !== 'legacy'));
    unlinkSync(path.join(configDir, 'mesh-strict.yaml'));
    await settle(expectMatrix(() => false));
  });

  it("explicit deny (Istio's task): GET to httpbin.foo is denied unless x-token is admin; an ALLOW policy for /ip leaves everything else denied", async () => {
    const get = (path: string, headers: Record<string, string> = {}) => callHttpbin(ports.bar.egress, 'foo', { path, headers });
    writeFileSync(path.join(configDir, 'deny-method-get.yaml'), `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: deny-method-get
  namespace: foo
spec:
  selector:
    matchLabels:
      app: httpbin
  action: DENY
  rules:
  - to:
    - operation:
        methods: ["GET"]
    when:
    - key: request.headers[x-token]
      notValues: ["admin"]
`);
    await waitFor('GET denied', async () => (await get('/get')).status === 403, { timeoutMs: 15_000, intervalMs: 100 });
    assert.deepEqual(await get('/get'), { status: 403, body: 'RBAC: access denied' });
    assert.equal((await get('/get', { 'x-token': 'admin' })).status, 200);
    writeFileSync(path.join(configDir, 'allow-path-ip.yaml'), `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-path-ip
  namespace: foo
spec:
  selector:
    matchLabels:
      app: httpbin
  action: ALLOW
  rules:
  - to:
    - operation:
        paths: ["/ip"]
`);
    await waitFor('only /ip allowed', async () => (await get('/headers', { 'x-token': 'admin' })).status === 403, { timeoutMs: 15_000, intervalMs: 100 });
    assert.equal((await get('/ip', { 'x-token': 'admin' })).status, 200);
    assert.equal((await get('/ip')).status, 403, 'DENY is evaluated before ALLOW');
    // A principal-based rule: only sleep in namespace foo may call (bar's sleep is denied, over mutual TLS).
    writeFileSync(path.join(configDir, 'allow-path-ip.yaml'), `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-path-ip, namespace: foo}
spec:
  selector: {matchLabels: {app: httpbin}}
  rules:
  - from: [{source: {principals: ["cluster.local/ns/foo/sa/sleep"]}}]
`);
    await waitFor('bar denied by principal', async () => (await get('/ip', { 'x-token': 'admin' })).status === 403, { timeoutMs: 15_000, intervalMs: 100 });
    assert.equal((await callHttpbin(ports.foo.egress, 'foo', { headers: { 'x-token': 'admin' } })).status, 200, "foo's sleep is allowed");
    assert.equal((await callHttpbin(ports.foo.egress, 'foo')).status, 403, 'GET without the admin token is still denied to foo');
    unlinkSync(path.join(configDir, 'allow-path-ip.yaml'));
    unlinkSync(path.join(configDir, 'deny-method-get.yaml'));
    await settle(expectMatrix(() => false));
  });

  it('STRICT for namespace foo only: legacy reaches bar but not foo', async () => {
    writeFileSync(path.join(configDir, 'foo-strict.yaml'), `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: foo}
spec:
  mtls: {mode: STRICT}
`);
    await settle(expectMatrix((from, to) => from === 'legacy' && to === 'foo'));
    unlinkSync(path.join(configDir, 'foo-strict.yaml'));
    await settle(expectMatrix(() => false));
  });
});
