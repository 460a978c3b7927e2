// Istio's "Authorization for TCP traffic" task on the local mesh, with real
// processes: tcp-echo (answers `hello <line>` on ports 9000, 9001 and 9002)
// behind its sidecar, and sleep sending through its own sidecar, in namespace
// foo; mutual TLS between the sidecars (auto mTLS, PERMISSIVE: the local
// mesh's default). The task's AuthorizationPolicies are applied in turn and
// the answers checked as the task states them:
//   - no policy: every port answers;
//   - ALLOW ports 9000, 9001: 9002 is denied;
//   - ALLOW with `methods: ["GET"]` (HTTP only) on 9000: the rule is ignored
//     for TCP, nothing is allowed: 9000 and 9001 are denied;
//   - DENY with `methods: ["GET"]` on 9000: the HTTP-only field is dropped
//     from the DENY rule, which then denies all of port 9000; 9001 is allowed.
// Both workloads are VMs without capture, each with its own loopback address
// (so the task's port numbers are used as they are): tcp-echo's WorkloadEntry
// is at its sidecar's ingress listeners (9000-9002), sleep's Sidecar has an
// egress listener on each of those ports, which `nc tcp-echo 900x` would hit
// through iptables in a pod. Unlike the task's Kubernetes Service, the
// ServiceEntry declares 9002 too: without capture there is no passthrough
// chain to reach an undeclared port through.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freeLoopbackAddress, freeMeshPorts, startLocalMesh, type LocalMesh } from '@mesh/local-mesh';
import { freePort, waitFor } from '@mesh/testing';

const NS = 'foo';
const PORTS = [9000, 9001, 9002] as const;

/** The tcp-echo sample: every line it gets comes back prefixed with `hello `. */
function tcpEcho(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    let pending = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        socket.write(`hello ${pending.slice(0, nl)}\n`);
        pending = pending.slice(nl + 1);
      }
    });
    socket.on('error', () => {});
  });
  return freePort().then((port) => new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ server, port }))));
}

/**
 * `echo "port N" | nc tcp-echo N` from sleep: what came back (the task greps for "hello"); '' when the connection was
 * closed or reset with nothing sent back (the task's "connection rejected").
 */
function nc(address: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const socket = createConnection({ host: address, port });
    socket.setEncoding('utf8');
    socket.setTimeout(5000, () => socket.destroy());
    socket.on('connect', () => socket.write(`port ${port}\n`));
    socket.on('data', (chunk: string) => {
      got += chunk;
      if (got.includes('\n')) socket.end();
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(got.trim()));
  });
}

describe("Istio's authorization for TCP traffic task on the local mesh (tcp-echo and sleep in foo, each behind its sidecar)", { timeout: 150_000 }, () => {
  const root = mkdtempSync(path.join(tmpdir(), 'mesh-e2e-tcp-authz-'));
  const configDir = path.join(root, 'config');
  const stateDir = path.join(root, 'state');
  let mesh: LocalMesh | undefined;
  const servers: Server[] = [];
  /** sleep's own address: its sidecar's egress listeners 9000-9002 are there. */
  let sleepAddress = '';
  /** tcp-echo's own address: its sidecar's ingress listeners (the WorkloadEntry's endpoints). */
  let echoAddress = '';

  const answers = async () => Object.fromEntries(await Promise.all(PORTS.map(async (p) => [p, await nc(sleepAddress, p)] as const)));
  const expect = (allowed: readonly number[]) => Object.fromEntries(PORTS.map((p) => [p, allowed.includes(p) ? `hello port ${p}` : '']));
  /** Waits until every port answers as `allowed` says (pilot's push reaches both sidecars within seconds), then checks it holds. */
  const settle = async (allowed: readonly number[]) => {
    const want = expect(allowed);
    let last: Record<number, string> = {};
    await waitFor(`the answers to become ${JSON.stringify(want)}`, async () => JSON.stringify((last = await answers())) === JSON.stringify(want), { timeoutMs: 30_000, intervalMs: 300 }).catch((err: Error) => {
      throw new Error(`${err.message}; last: ${JSON.stringify(last)}`);
    });
    assert.deepEqual(await answers(), want);
  };
  const policy = (yaml: string) => writeFileSync(path.join(configDir, 'tcp-policy.yaml'), yaml);

  before(async () => {
    mkdirSync(configDir);
    mkdirSync(stateDir);
    const apps: number[] = [];
    for (const _ of PORTS) {
      const echo = await tcpEcho();
      servers.push(echo.server);
      apps.push(echo.port);
    }
    echoAddress = await freeLoopbackAddress([...PORTS]);
    sleepAddress = await freeLoopbackAddress([...PORTS]);
    writeFileSync(
      path.join(configDir, 'tcp-echo.yaml'),
      `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: tcp-echo, namespace: ${NS}}
spec:
  hosts: [tcp-echo.${NS}.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports:
  - {number: 9000, name: tcp, protocol: TCP}
  - {number: 9001, name: tcp-other, protocol: TCP}
  - {number: 9002, name: tcp-third, protocol: TCP}
  workloadSelector: {labels: {app: tcp-echo}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: tcp-echo, namespace: ${NS}}
spec:
  address: ${echoAddress} # its sidecar's ingress listeners, on the service's ports
  serviceAccount: tcp-echo
  labels: {app: tcp-echo, security.istio.io/tlsMode: istio}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: tcp-echo, namespace: ${NS}}
spec:
  workloadSelector: {labels: {app: tcp-echo}}
  ingress:
${PORTS.map((p, i) => `  - port: {number: ${p}, protocol: TCP, name: tcp-${p}}
    bind: ${echoAddress}
    defaultEndpoint: 127.0.0.1:${apps[i]}
    captureMode: NONE`).join('\n')}
  egress:
  - hosts: ["./*"]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: sleep, namespace: ${NS}}
spec:
  workloadSelector: {labels: {app: sleep}}
  egress:
${PORTS.map((p) => `  - port: {number: ${p}, protocol: TCP, name: tcp-${p}}
    bind: ${sleepAddress}
    captureMode: NONE
    hosts: ["./tcp-echo.${NS}.svc.cluster.local"]`).join('\n')}
`,
    );
    mesh = await startLocalMesh({
      configDir,
      stateDir,
      sample: false,
      // Their listeners are on their own addresses, not 127.0.0.1: nothing for the launcher to reserve there.
      workloads: [
        { name: 'tcp-echo', namespace: NS, labels: { app: 'tcp-echo' }, listenerPorts: [] },
        { name: 'sleep', namespace: NS, labels: { app: 'sleep' }, listenerPorts: [] },
      ],
      ports: await freeMeshPorts(),
      onLine: process.env.MESH_TEST_VERBOSE === '1' ? (name, text) => process.stderr.write(`[${name}] ${text}\n`) : undefined,
    });
  });

  after(async () => {
    await mesh?.stop();
    for (const s of servers) s.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('without a policy sleep reaches tcp-echo on 9000, 9001 and 9002, over mutual TLS between the sidecars', async () => {
    await settle(PORTS);
    const stats = await (await fetch(`http://127.0.0.1:${mesh!.workloads.get('sleep')!.sidecar.admin}/stats`)).text();
    assert.match(stats, new RegExp(`cluster\\.outbound\\|9000\\|\\|tcp-echo\\.${NS}\\.svc\\.cluster\\.local\\.ssl\\.handshake: [1-9]`), 'sleep\'s sidecar spoke TLS to tcp-echo\'s');
  });

  it('ALLOW ports 9000 and 9001: 9000 and 9001 answer, 9002 is denied (closed with nothing sent back)', async () => {
    policy(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: tcp-policy
  namespace: ${NS}
spec:
  selector:
    matchLabels:
      app: tcp-echo
  action: ALLOW
  rules:
  - to:
    - operation:
        ports: ["9000", "9001"]
`);
    await settle([9000, 9001]);
    // Denied by tcp-echo's sidecar (its network RBAC filter), not lost on the way.
    const rbac = (await (await fetch(`http://127.0.0.1:${mesh!.workloads.get('tcp-echo')!.sidecar.admin}/stats`)).text()).split('\n').filter((l) => /rbac/.test(l));
    assert.ok(rbac.some((l) => /^tcp\..*rbac\.denied: [1-9]/.test(l)), rbac.join('\n'));
  });

  it('ALLOW with the HTTP-only field methods on 9000: the rule is ignored for TCP, so every port is denied', async () => {
    policy(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: tcp-policy
  namespace: ${NS}
spec:
  selector:
    matchLabels:
      app: tcp-echo
  action: ALLOW
  rules:
  - to:
    - operation:
        methods: ["GET"]
        ports: ["9000"]
`);
    await settle([]);
  });

  it('DENY with the HTTP-only field methods on 9000: all of port 9000 is denied, 9001 (and 9002) answer', async () => {
    policy(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: tcp-policy
  namespace: ${NS}
spec:
  selector:
    matchLabels:
      app: tcp-echo
  action: DENY
  rules:
  - to:
    - operation:
        methods: ["GET"]
        ports: ["9000"]
`);
    await settle([9001, 9002]);
    unlinkSync(path.join(configDir, 'tcp-policy.yaml'));
    await settle(PORTS);
  });

  it("STRICT in foo and an ALLOW for sleep's identity: sleep's mutual TLS gets through, a plaintext client is refused, another identity is denied", async () => {
    const direct = async () => Object.fromEntries(await Promise.all(PORTS.map(async (p) => [p, await nc(echoAddress, p)] as const)));
    // PERMISSIVE (so far): a client without a sidecar reaches tcp-echo's sidecar in plaintext.
    assert.deepEqual(await direct(), expect(PORTS));
    writeFileSync(path.join(configDir, 'strict.yaml'), `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: ${NS}}
spec:
  mtls: {mode: STRICT}
`);
    policy(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: tcp-policy, namespace: ${NS}}
spec:
  selector: {matchLabels: {app: tcp-echo}}
  action: ALLOW
  rules:
  - from: [{source: {principals: ["cluster.local/ns/${NS}/sa/sleep"]}}]
`);
    await waitFor('plaintext refused under STRICT', async () => JSON.stringify(await direct()) === JSON.stringify(expect([])), { timeoutMs: 30_000, intervalMs: 300 });
    await settle(PORTS);
    policy(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: tcp-policy, namespace: ${NS}}
spec:
  selector: {matchLabels: {app: tcp-echo}}
  action: ALLOW
  rules:
  - from: [{source: {principals: ["cluster.local/ns/${NS}/sa/someone-else"]}}]
`);
    await settle([]);
  });
});
