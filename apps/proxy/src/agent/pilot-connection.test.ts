// The proxy's connection to pilot over mutual TLS, with certificates from a
// real citadel: the agent's workload certificate is the client certificate,
// pilot is verified by its SPIFFE id, and a renewed certificate is what the
// next connection presents.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@mesh/telemetry';
import { freePort, startProcess, waitFor, type ManagedProcess } from '@mesh/testing';
import * as grpc from '@grpc/grpc-js';
import { ADS_METHODS, AdsClient, AdsServer, adsCodecs, SnapshotCache, Snapshot, TYPE_URLS, XdsTlsCertificates, adsServerCredentials, istioIdentityAuthorizer, type StreamPeer } from '@mesh/xds';
import { TrustBundle } from './trust-bundle.ts';
import { WorkloadIdentity, workloadSpiffeId } from './workload-identity.ts';
import { pilotServerIds, pilotTls, useXdsTls } from './pilot-connection.ts';

const log = createLogger('test', { level: 'error' });
const NODE = { id: 'sidecar~127.0.0.1~sleep.default~default.svc.cluster.local', metadata: { NAMESPACE: 'default', SERVICE_ACCOUNT: 'sleep' } };

describe('choosing plaintext or TLS for pilot', () => {
  it("auto uses TLS on Istio's secure xDS ports only; on and off force it", () => {
    assert.equal(useXdsTls('auto', '127.0.0.1:15011'), true);
    assert.equal(useXdsTls('auto', 'istiod.istio-system.svc:15012'), true);
    assert.equal(useXdsTls('auto', '127.0.0.1:15010'), false);
    assert.equal(useXdsTls('auto', '127.0.0.1:40123'), false);
    assert.equal(useXdsTls('on', '127.0.0.1:40123'), true);
    assert.equal(useXdsTls('off', '127.0.0.1:15011'), false);
    assert.throws(() => useXdsTls('yes', '127.0.0.1:15011'), /--xds-tls must be auto, on or off/);
  });

  it("expects istiod's SPIFFE id in the proxy's trust domain unless --pilot-san says otherwise", () => {
    assert.deepEqual(pilotServerIds([], 'example.org'), ['spiffe://example.org/ns/istio-system/sa/istiod']);
    assert.deepEqual(pilotServerIds(['spiffe://cluster.local/ns/mesh/sa/pilot'], 'cluster.local'), ['spiffe://cluster.local/ns/mesh/sa/pilot']);
    assert.throws(() => pilotServerIds(['istiod.istio-system.svc'], 'cluster.local'), /--pilot-san: "istiod.istio-system.svc" is not of the form spiffe:/);
  });

  it('a proxy told to use TLS without a workload certificate refuses to start, saying why', async () => {
    const proc = startProcess('proxy', 'apps/proxy/src/main.ts', ['--pilot', '127.0.0.1:15011', '--admin-port', '0', '--status-port', '0', '--stats-port', '0', '--agent-port', '0']);
    after(() => proc.stop());
    assert.equal(await proc.exited, 1);
    assert.match(proc.output(), /xDS over TLS to 127\.0\.0\.1:15011 \(--xds-tls auto\) needs a workload certificate: set --ca-address/);
  });
});

describe('the proxy connects to pilot with its workload certificate (real citadel)', () => {
  let dir: string;
  let citadel: ManagedProcess;
  let caPort: number;
  let adminPort: number;
  let rootFile: string;
  const stops: Array<() => unknown> = [];

  const agentFor = async (namespace: string, sa: string, validitySeconds?: number) => {
    const res = await fetch(`http://127.0.0.1:${adminPort}/token?namespace=${namespace}&serviceAccount=${sa}`, { method: 'POST' });
    const tokenFile = path.join(dir, `${sa}.jwt`);
    writeFileSync(tokenFile, ((await res.json()) as { token: string }).token);
    const bundle = new TrustBundle({ file: rootFile, log });
    bundle.load(true);
    const identity = new WorkloadIdentity({ caAddress: `127.0.0.1:${caPort}`, tokenFile, spiffeId: workloadSpiffeId('cluster.local', namespace, sa), validitySeconds, bundle, log, retry: { initialMs: 50, maxMs: 200 } });
    stops.push(() => identity.stop(), () => bundle.stop());
    return { identity, bundle };
  };

  /** An ADS server on `port` whose certificate is pilot's (istio-system/istiod), recording each stream's client certificate. */
  const startPilot = async (port: number, pilot: { identity: WorkloadIdentity; bundle: TrustBundle }, peers: StreamPeer[]) => {
    const certs = new XdsTlsCertificates();
    const cert = pilot.identity.current()!;
    certs.setIdentity(cert.servedChain, cert.keyPem);
    certs.setRoots(pilot.bundle.roots());
    const cache = new SnapshotCache();
    cache.set(NODE.id, Snapshot.build('v1', { [TYPE_URLS.listener]: [], [TYPE_URLS.cluster]: [] }));
    const server = new AdsServer({ cache, log });
    const check = istioIdentityAuthorizer({ trustDomains: () => ['cluster.local'] });
    await server.listen('127.0.0.1', port, adsServerCredentials(certs), {}, (node, peer) => {
      peers.push(peer);
      return check(node, peer);
    });
    return server;
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pilot-connection-'));
    const rootDir = path.join(dir, 'citadel');
    adminPort = await freePort();
    caPort = await freePort();
    citadel = startProcess('citadel', 'apps/citadel/src/main.ts', ['--ca-port', String(caPort), '--monitoring-port', '0', '--admin-port', String(adminPort), '--root-dir', rootDir, '--nats-url', '']);
    await citadel.waitForLine((l) => l.msg === 'ready', 30_000);
    rootFile = path.join(rootDir, 'root-cert.pem');
  });

  after(async () => {
    for (const stop of stops.reverse()) await stop();
    await citadel?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('waits for the first certificate, connects with it, and reconnects with the renewed one', async () => {
    const pilotAgent = await agentFor('istio-system', 'istiod');
    pilotAgent.identity.start();
    await waitFor("pilot's certificate", () => pilotAgent.identity.current(), { timeoutMs: 15_000 });
    const port = await freePort();
    const peers: StreamPeer[] = [];
    let pilot = await startPilot(port, pilotAgent, peers);
    stops.push(() => pilot.close(200));

    // The proxy's certificate lives 3s and is renewed at half of it.
    const agent = await agentFor('default', 'sleep', 3);
    const tls = pilotTls(agent, pilotServerIds([], 'cluster.local'), log);
    stops.push(() => tls.stop());
    const client = new AdsClient({ target: `127.0.0.1:${port}`, node: NODE, log, credentials: tls.credentials, channelOptions: tls.channelOptions, backoff: { initialMs: 50, maxMs: 200 } });
    stops.push(() => client.stop());
    agent.identity.start();
    await tls.firstCertificate;
    client.start();
    await waitFor('the first snapshot over mTLS', () => client.snapshot, { timeoutMs: 10_000 });
    const first = agent.identity.current()!;
    assert.equal(BigInt(`0x${peers.at(-1)!.certificate!.serialNumber}`), BigInt(`0x${first.serialHex}`));
    assert.equal(peers.at(-1)!.spiffeId, 'spiffe://cluster.local/ns/default/sa/sleep');

    await waitFor('the renewal', () => agent.identity.current()!.serialHex !== first.serialHex, { timeoutMs: 10_000 });
    const renewed = agent.identity.current()!;
    // A new connection (pilot restarted) must present the renewed certificate.
    await pilot.close(200);
    pilot = await startPilot(port, pilotAgent, peers);
    const seen = peers.length;
    await waitFor('the reconnected stream', () => peers.length > seen && client.connected, { timeoutMs: 10_000 });
    const serial = BigInt(`0x${peers.at(-1)!.certificate!.serialNumber}`);
    assert.ok(serial === BigInt(`0x${renewed.serialHex}`) || serial === BigInt(`0x${agent.identity.current()!.serialHex}`), 'the renewed certificate, not the first one');
    assert.notEqual(serial, BigInt(`0x${first.serialHex}`));
  });

  it('refuses a control plane that is not the expected pilot identity', async () => {
    const impostorAgent = await agentFor('default', 'not-pilot');
    impostorAgent.identity.start();
    await waitFor("the impostor's certificate", () => impostorAgent.identity.current(), { timeoutMs: 15_000 });
    const port = await freePort();
    const peers: StreamPeer[] = [];
    const impostor = await startPilot(port, impostorAgent, peers);
    stops.push(() => impostor.close(200));
    const agent = await agentFor('default', 'sleep2');
    agent.identity.start();
    const tls = pilotTls(agent, pilotServerIds([], 'cluster.local'), log);
    stops.push(() => tls.stop());
    await tls.firstCertificate;
    const client = new grpc.Client(`127.0.0.1:${port}`, tls.credentials, tls.channelOptions);
    stops.push(() => client.close());
    const err = await new Promise<grpc.ServiceError>((resolve) => {
      const call = client.makeBidiStreamRequest(ADS_METHODS.sotw, adsCodecs.encodeRequest, adsCodecs.decodeResponse);
      call.on('error', resolve);
      call.write({ node: { id: NODE.id, metadata: { NAMESPACE: 'default' } }, typeUrl: TYPE_URLS.cluster });
    });
    assert.equal(err.code, grpc.status.UNAVAILABLE);
    assert.match(err.details, /peer identity spiffe:\/\/cluster.local\/ns\/default\/sa\/not-pilot is not the expected spiffe:\/\/cluster.local\/ns\/istio-system\/sa\/istiod/);
    assert.equal(peers.length, 0, 'no stream reached a server with the wrong identity');
  });
});
