// The injector as a real process: local mode (mesh config and namespace
// labels from files, reloaded on change) and NATS mode (mesh config from the
// KV bucket, updates applied, bad ones rejected).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startNats, startProcess, waitFor, type ManagedProcess, type NatsServer } from '@mesh/testing';
import { BUCKETS, MESH_CONFIG_KEY, MeshConfigSchema, connectBus, type Bus } from '@mesh/contracts';
import { createLogger } from '@mesh/telemetry';
import { appPod, applyResponse, container, review } from './testing/fixtures.ts';

async function inject(port: number, ca: string, pod: unknown, namespace = 'default'): Promise<any> {
  const body = JSON.stringify(review(pod, { namespace }));
  const text = await new Promise<string>((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, method: 'POST', path: '/inject', ca, servername: 'localhost', agent: false }, (res) => {
      let out = '';
      res.setEncoding('utf8').on('data', (d: string) => (out += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(out) : reject(new Error(`HTTP ${res.statusCode}: ${out}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
  const response = JSON.parse(text).response;
  return { response, ...applyResponse(pod, response) };
}

const proxyImage = (r: any) => container(r.pod, 'istio-proxy')?.image;

describe('injector process, local mode', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'injector-local-'));
  const meshFile = path.join(dir, 'mesh.yaml');
  const nsFile = path.join(dir, 'namespaces.yaml');
  const certFile = path.join(dir, 'webhook.pem');
  let proc: ManagedProcess;
  let port: number;
  let monitoring: number;

  before(async () => {
    writeFileSync(meshFile, 'trustDomain: local.mesh\nsidecarInjector:\n  image: local/proxy:1\n');
    writeFileSync(nsFile, 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: default\n  labels: {istio-injection: enabled}\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: legacy\n');
    port = await freePort();
    monitoring = await freePort();
    proc = startProcess('injector', 'apps/injector/src/main.ts', [
      '--mesh-config', meshFile,
      '--namespaces', nsFile,
      '--port', String(port),
      '--monitoring-port', String(monitoring),
      '--self-signed-cert-out', certFile,
    ]);
    await proc.waitForLine((l) => l.msg === 'ready');
  });
  after(async () => {
    await proc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('injects with the mesh config file, and follows the namespace labels file', async () => {
    const ca = readFileSync(certFile, 'utf8');
    const r = await inject(port, ca, appPod());
    assert.equal(proxyImage(r), 'local/proxy:1');
    assert.equal(container(r.pod, 'istio-proxy').env.find((e: any) => e.name === 'TRUST_DOMAIN').value, 'local.mesh');
    const legacy = appPod();
    legacy.metadata.namespace = 'legacy';
    assert.equal((await inject(port, ca, legacy, 'legacy')).patched, false);
  });

  it('applies an edited mesh config file and keeps the last good one when the file turns bad', async () => {
    const ca = readFileSync(certFile, 'utf8');
    // Replaced the way editors and ConfigMap volumes do it: a new file renamed into place.
    writeFileSync(meshFile + '.new', 'sidecarInjector:\n  image: local/proxy:2\n');
    renameSync(meshFile + '.new', meshFile);
    await waitFor('the new proxy image', async () => proxyImage(await inject(port, ca, appPod())) === 'local/proxy:2');
    writeFileSync(meshFile, 'sidecarInjector:\n  policy: sometimes\n');
    await proc.waitForLine((l) => l.msg === 'mesh config rejected; keeping the previous one' && /sidecarInjector\.policy/.test(String(l.err)));
    assert.equal(proxyImage(await inject(port, ca, appPod())), 'local/proxy:2');
  });

  it('reports readiness, injection metrics and its settings on the monitoring port', async () => {
    const base = `http://127.0.0.1:${monitoring}`;
    assert.equal((await fetch(`${base}/ready`)).status, 200);
    assert.match(await (await fetch(`${base}/metrics`)).text(), /^mesh_injector_injections_total\{result="injected"\} [1-9]/m);
    const injectz = (await (await fetch(`${base}/debug/injectz`)).json()) as any;
    assert.equal(injectz.meshConfig, `file ${meshFile}`);
    assert.deepEqual(injectz.namespaces.default, { 'istio-injection': 'enabled' });
  });

  it('stops cleanly on SIGTERM', async () => {
    assert.equal(await proc.stop(), 0);
  });
});

describe('injector process, NATS mode', () => {
  let nats: NatsServer;
  let bus: Bus;
  let proc: ManagedProcess;
  let port: number;
  const dir = mkdtempSync(path.join(tmpdir(), 'injector-nats-'));
  const certFile = path.join(dir, 'webhook.pem');

  before(async () => {
    nats = await startNats();
    bus = await connectBus({ servers: nats.url, name: 'injector-test', log: createLogger('test', { write: () => {} }) });
    const kv = await bus.kv(BUCKETS.meshConfig, MeshConfigSchema);
    await kv.put(MESH_CONFIG_KEY, { trustDomain: 'nats.mesh', sidecarInjector: { image: 'nats/proxy:1' } } as any);
    port = await freePort();
    proc = startProcess('injector', 'apps/injector/src/main.ts', [
      '--nats-url', nats.url,
      '--port', String(port),
      '--monitoring-port', '0',
      '--self-signed-cert-out', certFile,
    ]);
    await proc.waitForLine((l) => l.msg === 'ready');
  });
  after(async () => {
    await proc?.stop();
    await bus?.close();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('injects with the mesh config published on NATS and follows updates; bad updates are rejected', async () => {
    const ca = readFileSync(certFile, 'utf8');
    const first = await inject(port, ca, appPod());
    assert.equal(proxyImage(first), 'nats/proxy:1');
    assert.equal(container(first.pod, 'istio-proxy').env.find((e: any) => e.name === 'TRUST_DOMAIN').value, 'nats.mesh');

    const kv = await bus.kv(BUCKETS.meshConfig, MeshConfigSchema);
    await kv.put(MESH_CONFIG_KEY, { trustDomain: 'nats.mesh', sidecarInjector: { image: 'nats/proxy:2' } } as any);
    await waitFor('the updated image', async () => proxyImage(await inject(port, ca, appPod())) === 'nats/proxy:2');

    await kv.put(MESH_CONFIG_KEY, { trustDomain: 'nats.mesh', sidecarInjector: { resources: { requests: { gpu: 1 } } } } as any);
    await proc.waitForLine((l) => l.msg === 'mesh config rejected; keeping the previous one');
    assert.equal(proxyImage(await inject(port, ca, appPod())), 'nats/proxy:2');
  });
});
