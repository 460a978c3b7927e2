// Istio's "External Authorization" task on the local mesh, as real processes:
// httpbin and sleep in namespace foo with sidecars, and Istio's sample
// external authorizer (samples/ext-authz: HTTP on 8000, gRPC on 9000) as the
// service ext-authz.foo. The mesh config defines the two extension providers
// of the task; an AuthorizationPolicy with action CUSTOM on httpbin's
// /headers sends those requests to the authorizer (galley -> pilot -> the
// httpbin sidecar's RBAC shadow rules and ext_authz filter), which allows
// only requests carrying `x-ext-authz: allow`. Other paths are not checked.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freeMeshPorts, startLocalMesh, type LocalMesh } from '@mesh/local-mesh';
import { freePort, startProcess, waitFor, type ManagedProcess } from '@mesh/testing';
import { callHttpbin, freeHttpbinSleepPorts, httpbinSleepWorkloads, httpbinSleepYaml, type HttpbinSleepPorts } from './httpbin-sleep.ts';

const DENIED = 'denied by ext_authz for not found header `x-ext-authz: allow` in the request';

describe("Istio's External Authorization task on the local mesh: AuthorizationPolicy CUSTOM with the sample authorizer over HTTP and gRPC", { timeout: 240_000 }, () => {
  let mesh: LocalMesh;
  let configDir: string;
  let stateDir: string;
  let ports: HttpbinSleepPorts;
  let authzHttp: number;
  let authzGrpc: number;
  let authorizer: ManagedProcess;

  const curl = (p: string, headers: Record<string, string> = {}) => callHttpbin(ports.egress, 'foo', { path: p, headers });

  before(async () => {
    configDir = mkdtempSync(path.join(tmpdir(), 'mesh-e2e-extauthz-config-'));
    stateDir = mkdtempSync(path.join(tmpdir(), 'mesh-e2e-extauthz-state-'));
    ports = await freeHttpbinSleepPorts();
    authzHttp = await freePort();
    authzGrpc = await freePort();
    // The authorizer is registered as ext-authz.foo (ports 8000 http, 9000 grpc) at its real ports; it has no
    // sidecar here, so auto mTLS talks plaintext to it.
    writeFileSync(
      path.join(configDir, 'foo.yaml'),
      httpbinSleepYaml('foo', ports) +
        `---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext-authz, namespace: foo}
spec:
  hosts: [ext-authz.foo.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports:
  - {number: 8000, name: http, protocol: HTTP}
  - {number: 9000, name: grpc, protocol: GRPC}
  workloadSelector: {labels: {app: ext-authz}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: ext-authz, namespace: foo}
spec:
  address: 127.0.0.1
  ports: {http: ${authzHttp}, grpc: ${authzGrpc}}
  serviceAccount: ext-authz
  labels: {app: ext-authz}
`,
    );
    // The task's mesh config: `kubectl edit configmap istio -n istio-system`.
    const meshConfigFile = path.join(stateDir, 'mesh.yaml');
    writeFileSync(
      meshConfigFile,
      `extensionProviders:
- name: sample-ext-authz-grpc
  envoyExtAuthzGrpc:
    service: ext-authz.foo.svc.cluster.local
    port: "9000"
- name: sample-ext-authz-http
  envoyExtAuthzHttp:
    service: ext-authz.foo.svc.cluster.local
    port: "8000"
    includeRequestHeadersInCheck: ["x-ext-authz"]
`,
    );
    authorizer = startProcess('ext-authz', 'samples/ext-authz/src/main.ts', ['--http-port', String(authzHttp), '--grpc-port', String(authzGrpc), '--host', '127.0.0.1']);
    await authorizer.waitForLine((l) => l.msg === 'listening', 30_000);
    mesh = await startLocalMesh({
      configDir,
      stateDir,
      meshConfigFile,
      sample: false,
      workloads: httpbinSleepWorkloads('foo', ports),
      ports: await freeMeshPorts(),
      logLevel: 'info',
      onLine: process.env.MESH_TEST_VERBOSE === '1' ? (name, text) => process.stderr.write(`[${name}] ${text}\n`) : undefined,
    });
    await waitFor('sleep reaches httpbin', async () => (await curl('/ip')).status === 200, { timeoutMs: 120_000, intervalMs: 250 });
  });

  after(async () => {
    await mesh?.stop();
    await authorizer?.stop();
    for (const d of [configDir, stateDir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  const policy = (provider: string) => `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ext-authz, namespace: foo}
spec:
  selector: {matchLabels: {app: httpbin}}
  action: CUSTOM
  provider: {name: ${provider}}
  rules:
  - to:
    - operation: {paths: ["/headers"]}
`;

  for (const provider of ['sample-ext-authz-grpc', 'sample-ext-authz-http']) {
    it(`${provider}: /headers without x-ext-authz: allow is denied with the authorizer's answer, with it allowed; /ip is not checked`, async () => {
      writeFileSync(path.join(configDir, 'ext-authz-policy.yaml'), policy(provider));
      const checked = authorizer.lines.length;
      await waitFor(`${provider} decides /headers`, async () => (await curl('/headers', { 'x-ext-authz': 'deny' })).status === 403 && (await curl('/headers', { 'x-ext-authz': 'allow' })).status === 200, {
        timeoutMs: 30_000,
        intervalMs: 200,
      });
      const denied = await curl('/headers', { 'x-ext-authz': 'deny' });
      assert.equal(denied.status, 403);
      assert.equal(denied.body, DENIED);
      const allowed = await curl('/headers', { 'x-ext-authz': 'allow' });
      assert.equal(allowed.status, 200);
      // The authorizer's x-ext-authz-check-result reaches httpbin on allow (the sample sets it).
      assert.equal((JSON.parse(allowed.body) as { headers: Record<string, string> }).headers['x-ext-authz-check-result'], 'allowed');
      assert.equal((await curl('/ip', { 'x-ext-authz': 'deny' })).status, 200, 'the CUSTOM rule only names /headers');
      assert.ok(authorizer.lines.length > checked, 'the authorizer logged the checks');
    });
  }
});
