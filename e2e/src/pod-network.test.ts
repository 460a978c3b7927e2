// Issue #8's proof for pods: two network-namespace pods, each with its app
// and the sidecar our injector writes into its spec (`proxy init` for the
// capture rules, then `proxy sidecar` as uid 1337 with the container's env),
// configured by the real control plane (NATS, galley, pilot) in the root
// namespace. A client pod calls the server by its service address and the
// call goes client app -> client sidecar (15001, outbound) -> server sidecar
// (15006, inbound) -> server app, for HTTP/1.1, HTTP/2, gRPC and raw TCP; the
// sidecars' own stats show both hops. Needs root, iproute2 and iptables.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { freePort, netnsPreflight, startNats, startProcess, waitFor, type ManagedProcess, type NatsServer } from '@mesh/testing';
import { expandArgs, kubeInject, podIdentityEnv, resolveEnv } from './injected-sidecar.ts';
import { NODE_GATEWAY_IP, PodNetwork, type Pod } from './pod-network.ts';

const exec = promisify(execFile);
const APPS = path.join(import.meta.dirname, 'pod-apps.ts');
const NS = 'demo';
const VIP = '198.18.100.10';
const HOST = `server.${NS}.svc.cluster.local`;

function registry(serverIp: string): string {
  return `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: server, namespace: ${NS} }
spec:
  hosts: [${HOST}]
  addresses: [${VIP}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports:
    - { number: 9080, name: http, protocol: HTTP }
    - { number: 9081, name: http2, protocol: HTTP2 }
    - { number: 9090, name: grpc, protocol: GRPC }
    - { number: 9000, name: tcp, protocol: TCP }
    - { number: 9092, name: app }
  workloadSelector: { labels: { app: server } }
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: { name: server-1, namespace: ${NS} }
spec:
  address: ${serverIp}
  serviceAccount: server
  # As the injector labels the pod: it has a sidecar, so clients send it mutual TLS (auto mTLS).
  labels: { app: server, version: v1, security.istio.io/tlsMode: istio }
`;
}

const REGISTRY_ONLY = `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: client, namespace: ${NS} }
spec:
  workloadSelector: { labels: { app: client } }
  outboundTrafficPolicy: { mode: REGISTRY_ONLY }
`;

function podYaml(name: string): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: ${NS}, labels: { app: ${name} } }
spec:
  serviceAccountName: ${name}
  containers:
    - name: app
      image: pod-apps
      ports: [{ containerPort: 9080 }, { containerPort: 9081 }, { containerPort: 9090 }, { containerPort: 9000 }]
      readinessProbe: { httpGet: { path: /ready, port: 9080 } }
      livenessProbe: { tcpSocket: { port: 9000 } }
`;
}

describe('sidecars in network-namespace pods (transparent capture, issue #8)', () => {
  const net = new PodNetwork();
  const dirs: string[] = [];
  const procs: ManagedProcess[] = [];
  let nats: NatsServer | undefined;
  let outside: http.Server | undefined;
  let outsidePort = 0;
  let configDir = '';
  let client: Pod;
  let server: Pod;
  /** citadel, reached by the pods over the node's veth as a cluster's pods reach istiod/citadel. */
  const ca = { grpc: 0, admin: 0, rootDir: '' };

  /** One call from the client pod's app; what pod-apps.ts printed. */
  async function call(kind: string, host: string, port: number, pathname = '/'): Promise<Record<string, unknown>> {
    const { stdout } = await net.run(client, process.execPath, [APPS, 'call', kind, host, String(port), pathname]);
    return JSON.parse(stdout) as Record<string, unknown>;
  }

  /** A sidecar's Envoy /stats (its admin port is on the pod's loopback). */
  async function stats(pod: Pod): Promise<string> {
    const { stdout } = await net.run(pod, process.execPath, [APPS, 'call', 'http1', '127.0.0.1', '15000', '/stats']);
    return String((JSON.parse(stdout) as { body?: string }).body ?? '');
  }

  async function startPod(pod: Pod, meshConfig: string): Promise<void> {
    const { sidecar, init } = kubeInject(podYaml(pod.name), meshConfig);
    const fields = { 'metadata.name': pod.name, 'metadata.namespace': NS, 'status.podIP': pod.ip, 'status.hostIP': NODE_GATEWAY_IP, 'spec.serviceAccountName': pod.name, 'spec.nodeName': 'node-1' };
    // istio-init: the capture rules, as the init container runs them (root, in the pod's namespace).
    const initArgs = expandArgs(init.args, resolveEnv(init, fields));
    await exec('ip', ['netns', 'exec', pod.netns, process.execPath, 'apps/proxy/src/main.ts', ...initArgs], { cwd: path.resolve(import.meta.dirname, '../..') });
    const app = startProcess(`${pod.name}-app`, APPS, ['serve', pod.name], { netns: pod.netns });
    procs.push(app);
    await app.waitForLine((l) => l.ready === true);
    // The istio-podinfo volume (downward API): the pod's labels, which pilot selects Sidecars by.
    const podInfo = mkdtempSync(path.join(tmpdir(), `mesh-podinfo-${pod.name}-`));
    dirs.push(podInfo);
    writeFileSync(path.join(podInfo, 'labels'), `app="${pod.name}"\nsecurity.istio.io/tlsMode="istio"\n`);
    chmodSync(podInfo, 0o755);
    const identity = await podIdentityEnv({
      dir: podInfo,
      citadelAdmin: ca.admin,
      caAddress: `${NODE_GATEWAY_IP}:${ca.grpc}`,
      rootCert: path.join(ca.rootDir, 'root-cert.pem'),
      namespace: NS,
      serviceAccount: pod.name,
    });
    const env = { ...resolveEnv(sidecar, fields), ...identity, POD_INFO_DIR: podInfo, LOG_LEVEL: 'info' };
    const proxy = startProcess(`${pod.name}-sidecar`, 'apps/proxy/src/main.ts', expandArgs(sidecar.args, env), { netns: pod.netns, uid: 1337, env });
    procs.push(proxy);
  }

  before(async () => {
    await netnsPreflight('the pod-network test', ['ip', 'iptables-restore']);
    await net.create(['client', 'server']);
    client = net.pod('client');
    server = net.pod('server');
    configDir = mkdtempSync(path.join(tmpdir(), 'mesh-pods-config-'));
    dirs.push(configDir);
    writeFileSync(path.join(configDir, 'server.yaml'), registry(server.ip));
    // Somewhere outside the mesh the client may reach under ALLOW_ANY.
    outside = http.createServer((_req, res) => res.end('outside'));
    await new Promise<void>((r) => outside!.listen(0, NODE_GATEWAY_IP, r));
    outsidePort = (outside.address() as { port: number }).port;

    nats = await startNats();
    const [xds, galleyMon, pilotMon] = [await freePort(), await freePort(), await freePort()];
    const env = { NATS_URL: nats.url, LOG_LEVEL: 'info' };
    const galley = startProcess('galley', 'apps/galley/src/main.ts', ['--config-dir', configDir, '--monitoring-port', String(galleyMon)], { env });
    const pilot = startProcess('pilot', 'apps/pilot/src/main.ts', ['--xds-host', '0.0.0.0', '--xds-port', String(xds), '--monitoring-port', String(pilotMon)], { env });
    [ca.grpc, ca.admin] = [await freePort(), await freePort()];
    ca.rootDir = mkdtempSync(path.join(tmpdir(), 'mesh-pods-citadel-'));
    chmodSync(ca.rootDir, 0o755);
    dirs.push(ca.rootDir);
    const citadelMon = await freePort();
    const citadel = startProcess(
      'citadel',
      'apps/citadel/src/main.ts',
      ['--listen-host', NODE_GATEWAY_IP, '--ca-port', String(ca.grpc), '--admin-port', String(ca.admin), '--monitoring-port', String(citadelMon), '--root-dir', ca.rootDir, '--serving-ip-addresses', `${NODE_GATEWAY_IP},127.0.0.1`],
      { env },
    );
    procs.push(galley, pilot, citadel);
    await waitFor('citadel ready', async () => (await fetch(`http://127.0.0.1:${citadelMon}/ready`).catch(() => undefined))?.ok === true, { timeoutMs: 30_000, intervalMs: 100 }).catch((err: Error) => {
      throw new Error(`${err.message}; citadel said:\n${citadel.output()}`);
    });
    await waitFor('pilot ready', async () => (await fetch(`http://127.0.0.1:${pilotMon}/ready`).catch(() => undefined))?.ok === true, { timeoutMs: 30_000, intervalMs: 100 });

    const meshConfig = path.join(configDir, '..', `mesh-pods-${process.pid}.yaml`);
    writeFileSync(meshConfig, `defaultConfig:\n  discoveryAddress: ${NODE_GATEWAY_IP}:${xds}\n`);
    dirs.push(meshConfig);
    await startPod(server, meshConfig);
    await startPod(client, meshConfig);
    // Ready as the kubelet sees it: the sidecar's /healthz/ready on the pod IP.
    for (const pod of [server, client]) {
      await waitFor(`${pod.name}'s sidecar ready`, async () => (await fetch(`http://${pod.ip}:15021/healthz/ready`).catch(() => undefined))?.status === 200, { timeoutMs: 30_000, intervalMs: 100 });
    }
  });

  after(async () => {
    for (const p of procs.reverse()) await p.stop();
    await nats?.stop();
    await new Promise((r) => (outside ? outside.close(r) : r(undefined)));
    await net.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('HTTP/1.1: client app -> client sidecar -> server sidecar -> server app', async () => {
    const res = await call('http1', VIP, 9080, '/hello');
    assert.equal(res.status, 200, JSON.stringify(res));
    const body = JSON.parse(String(res.body)) as Record<string, unknown>;
    assert.equal(body.pod, 'server');
    assert.equal(body.path, '/hello');
    assert.match(String(body.requestId), /\S/, 'the client sidecar gave the request an x-request-id');
    assert.match(await stats(client), new RegExp(`cluster\\.outbound\\|9080\\|\\|${HOST.replaceAll('.', '\\.')}\\.upstream_rq_total: [1-9]`));
    assert.match(await stats(server), /cluster\.inbound\|9080\|\|\.upstream_rq_total: [1-9]/);
    // Between the pods it is mutual TLS (auto mTLS: the server's endpoint carries tlsMode: istio), each side with
    // the certificate its agent got from citadel.
    assert.match(await stats(client), new RegExp(`cluster\\.outbound\\|9080\\|\\|${HOST.replaceAll('.', '\\.')}\\.ssl\\.handshake: [1-9]`));
  });

  it('HTTP/2 (h2c) on an http2 port', async () => {
    const res = await call('h2c', VIP, 9081, '/h2');
    assert.equal(res.status, 200, JSON.stringify(res));
    assert.equal((JSON.parse(String(res.body)) as { pod: string }).pod, 'server');
  });

  it('gRPC on a grpc port', async () => {
    const res = await call('grpc', VIP, 9090);
    assert.deepEqual(res, { code: 0, body: 'server:hello' });
    assert.match(await stats(server), /cluster\.inbound\|9090\|\|\.upstream_rq_total: [1-9]/);
  });

  it('gRPC on a port whose name says nothing: sniffed, and HTTP/2 end to end (use_downstream_protocol_config)', async () => {
    const res = await call('grpc', VIP, 9092);
    assert.deepEqual(res, { code: 0, body: 'server:hello' });
    // Both sidecars sniff it as HTTP/2: the client routes it (Envoy matches the service's address before the
    // protocol, so the address has its own HTTP chain) and offers istio-h2, so the server's mTLS chain is HTTP too.
    assert.match(await stats(client), /http\.outbound_0\.0\.0\.0_9092\.downstream_rq_total: [1-9]/);
    assert.match(await stats(server), /cluster\.inbound\|9092\|\|\.upstream_rq_total: [1-9]/);
  });

  it('raw TCP on a tcp port', async () => {
    const res = await call('tcp', VIP, 9000);
    assert.deepEqual(res, { body: 'server:hello' });
  });

  it("the kubelet's probes pass through the agent's port 15020", async () => {
    for (const probe of ['readyz', 'livez']) {
      const res = await fetch(`http://${server.ip}:15020/app-health/app/${probe}`);
      assert.equal(res.status, 200, `${probe}: ${await res.text()}`);
    }
  });

  it('ALLOW_ANY (the default) passes an unknown destination; a Sidecar with REGISTRY_ONLY blocks it', async () => {
    const open = await call('http1', NODE_GATEWAY_IP, outsidePort);
    assert.equal(open.status, 200, JSON.stringify(open));
    assert.equal(open.body, 'outside');
    writeFileSync(path.join(configDir, 'sidecar.yaml'), REGISTRY_ONLY);
    await waitFor('REGISTRY_ONLY to reach the client sidecar', async () => (await call('http1', NODE_GATEWAY_IP, outsidePort)).status !== 200, { timeoutMs: 20_000, intervalMs: 200 });
    const blocked = await call('http1', NODE_GATEWAY_IP, outsidePort);
    assert.notEqual(blocked.body, 'outside');
    // The mesh's own service still answers.
    assert.equal((await call('http1', VIP, 9080)).status, 200);
  });
});
