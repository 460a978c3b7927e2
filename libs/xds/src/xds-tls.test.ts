// ADS over mutual TLS with real certificates from a CA made here (@mesh/pki),
// real gRPC on 127.0.0.1: who may connect, what a stream may claim, and how
// renewed certificates take effect on both sides.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { buildCertificate, createCa, createIssuer, generateKeyPair, privateKeyToPem, spkiOf, type Issuer } from '@mesh/pki';
import { freePort, waitFor } from '@mesh/testing';
import { registry } from '@mesh/telemetry';
import { AdsClient } from './ads-client.ts';
import { ADS_METHODS, codecs, type DiscoveryResponse, type XdsNode } from './ads-protocol.ts';
import { AdsServer } from './ads-server.ts';
import { CSDS_METHODS } from './csds.ts';
import { TYPE_URLS } from './codec.ts';
import { SnapshotCache } from './snapshot.ts';
import { quietLog, snapshotOf } from './test-fixtures.ts';
import { XdsTlsCertificates, adsClientCredentials, adsServerCredentials, claimedNamespaces, istioIdentityAuthorizer, type StreamPeer } from './xds-tls.ts';

const TD = 'cluster.local';
const PILOT_ID = `spiffe://${TD}/ns/istio-system/sa/istiod`;
const root = createCa({ subject: { organization: TD, commonName: 'test root' }, ttlMs: 86_400_000 });
const issuer = createIssuer(root.certPem, root.privateKey);
const otherRoot = createCa({ subject: { organization: TD, commonName: 'another root' }, ttlMs: 86_400_000 });
const otherIssuer = createIssuer(otherRoot.certPem, otherRoot.privateKey);

/** A workload certificate as citadel issues them: one SPIFFE URI SAN, serverAuth + clientAuth. */
function workloadCert(spiffeId: string, by: Issuer = issuer): { chain: string[]; key: string; serial: string } {
  const { privateKey } = generateKeyPair('ec-p256');
  const cert = buildCertificate(
    {
      spki: spkiOf(privateKey),
      subject: {},
      sans: { uris: [spiffeId] },
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3_600_000),
      keyUsage: ['digitalSignature', 'keyEncipherment'],
      extKeyUsage: ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'],
    },
    by,
  );
  return { chain: [cert, by.certPem], key: privateKeyToPem(privateKey), serial: new X509Certificate(cert).serialNumber };
}

function certsFor(spiffeId: string, roots = [root.certPem], by: Issuer = issuer) {
  const c = new XdsTlsCertificates();
  const w = workloadCert(spiffeId, by);
  c.setIdentity(w.chain, w.key);
  c.setRoots(roots);
  return { certs: c, serial: w.serial };
}

const nodeOf = (ns: string, metadata: Record<string, unknown> = {}): XdsNode => ({
  id: `sidecar~127.0.0.1~app-1.${ns}~${ns}.svc.cluster.local`,
  cluster: 'app',
  metadata: { NAMESPACE: ns, ...metadata },
});

interface SecureControlPlane {
  server: AdsServer;
  cache: SnapshotCache;
  serverCerts: XdsTlsCertificates;
  securePort: number;
  plainPort: number;
  /** Every peer the authorizer saw, in order. */
  peers: StreamPeer[];
  close(): Promise<void>;
}

async function startSecure(opts: { securePort?: number } = {}): Promise<SecureControlPlane> {
  const cache = new SnapshotCache();
  const server = new AdsServer({ cache, log: quietLog });
  const { certs: serverCerts } = certsFor(PILOT_ID);
  const peers: StreamPeer[] = [];
  const check = istioIdentityAuthorizer({ trustDomains: () => [TD] });
  const securePort = await server.listen('127.0.0.1', opts.securePort ?? 0, adsServerCredentials(serverCerts), {}, (node, peer) => {
    peers.push(peer);
    return check(node, peer);
  });
  const plainPort = await server.listen('127.0.0.1', 0);
  const cp = { server, cache, serverCerts, securePort, plainPort, peers, close: () => server.close(500) };
  after(() => cp.close());
  return cp;
}

/** Opens one raw SotW stream with a first request; resolves with the first response or the status that ended it. */
function rawStream(target: string, credentials: grpc.ChannelCredentials, node: XdsNode, channelOptions: grpc.ChannelOptions = {}): Promise<{ response?: DiscoveryResponse; status?: grpc.StatusObject }> {
  const client = new grpc.Client(target, credentials, channelOptions);
  const call = client.makeBidiStreamRequest(ADS_METHODS.sotw, codecs.encodeRequest, codecs.decodeResponse);
  return new Promise((resolve) => {
    const done = (r: { response?: DiscoveryResponse; status?: grpc.StatusObject }) => {
      call.removeAllListeners();
      call.on('error', () => {});
      call.cancel();
      client.close();
      resolve(r);
    };
    call.on('data', (response: DiscoveryResponse) => done({ response }));
    call.on('error', (err: grpc.ServiceError) => done({ status: { code: err.code, details: err.details, metadata: err.metadata } }));
    call.write({ node, typeUrl: TYPE_URLS.cluster, resourceNames: [] });
  });
}

function clientCreds(certs: XdsTlsCertificates, serverIds = [PILOT_ID]) {
  return adsClientCredentials(certs, { serverIds, serverName: 'istiod.istio-system.svc' });
}

/** The serial of the certificate a TLS server presents to a new connection. */
async function servedSerial(port: number, client: { chain: string[]; key: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: root.certPem, cert: client.chain.join(''), key: client.key, ALPNProtocols: ['h2'], checkServerIdentity: () => undefined }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.destroy();
      resolve(serial);
    });
    socket.on('error', reject);
  });
}

describe('ADS over mutual TLS (real certificates, real gRPC)', () => {
  it('serves a proxy whose certificate matches the namespace and service account it claims, on the mTLS port and plaintext alike', async () => {
    const cp = await startSecure();
    const node = nodeOf('default', { SERVICE_ACCOUNT: 'app' });
    cp.cache.set(node.id, snapshotOf('v1', [{ name: 'a', port: 18080, endpoints: [9001] }]));
    const { certs } = certsFor(`spiffe://${TD}/ns/default/sa/app`);
    const { credentials, channelOptions } = clientCreds(certs);
    const client = new AdsClient({ target: `127.0.0.1:${cp.securePort}`, node, log: quietLog, credentials, channelOptions, backoff: { initialMs: 50, maxMs: 200 } });
    after(() => client.stop());
    const snapshot = new Promise<unknown>((resolve) => client.once('snapshot', resolve));
    client.start();
    await snapshot;
    assert.deepEqual([...client.snapshot!.clusters.keys()], ['c-a']);
    const stream = cp.server.streams().find((s) => s.node.id === node.id);
    assert.equal(stream?.peerIdentity, `spiffe://${TD}/ns/default/sa/app`);

    // The plaintext port serves the same snapshots with no certificate at all (loopback tools, grpc-js-xds).
    cp.cache.set(nodeOf('other-ns').id, snapshotOf('v1', [{ name: 'o', port: 18082, endpoints: [9003] }]));
    const plain = await rawStream(`127.0.0.1:${cp.plainPort}`, grpc.credentials.createInsecure(), nodeOf('other-ns'));
    assert.equal(plain.status, undefined, plain.status?.details);
    assert.equal(plain.response?.resources?.length, 1);
  });

  it('refuses with PERMISSION_DENIED a stream whose node claims another namespace or service account than its certificate', async () => {
    const cp = await startSecure();
    const { certs } = certsFor(`spiffe://${TD}/ns/default/sa/app`);
    const { credentials, channelOptions } = clientCreds(certs);
    const target = `127.0.0.1:${cp.securePort}`;

    const wrongNs = await rawStream(target, credentials, nodeOf('payments'), channelOptions);
    assert.equal(wrongNs.status?.code, grpc.status.PERMISSION_DENIED);
    assert.match(wrongNs.status!.details, /claims namespace payments but its certificate spiffe:\/\/cluster.local\/ns\/default\/sa\/app is of namespace default/);

    // Metadata saying one namespace and the node id another is refused too: pilot must not pick the convenient one.
    const mixed = await rawStream(target, credentials, { id: 'sidecar~127.0.0.1~app-1.payments~payments.svc.cluster.local', metadata: { NAMESPACE: 'default' } }, channelOptions);
    assert.equal(mixed.status?.code, grpc.status.PERMISSION_DENIED);

    const wrongSa = await rawStream(target, credentials, nodeOf('default', { SERVICE_ACCOUNT: 'admin' }), channelOptions);
    assert.equal(wrongSa.status?.code, grpc.status.PERMISSION_DENIED);
    assert.match(wrongSa.status!.details, /claims service account admin/);

    const { certs: foreign } = certsFor('spiffe://other.domain/ns/default/sa/app');
    const wrongTd = await rawStream(target, clientCreds(foreign).credentials, nodeOf('default'), channelOptions);
    assert.equal(wrongTd.status?.code, grpc.status.PERMISSION_DENIED);
    assert.match(wrongTd.status!.details, /trust domain other.domain/);

    assert.equal(cp.server.streams().length, 0, 'no refused stream is served');
    const metrics = await registry.metrics();
    assert.match(metrics, /mesh_xds_auth_failures_total\{reason="namespace"\} [2-9]/);
  });

  it('does not let a client without a certificate, or with one from another CA, connect at all', async () => {
    const cp = await startSecure();
    const target = `127.0.0.1:${cp.securePort}`;
    const anonymous = await rawStream(target, grpc.credentials.createSsl(Buffer.from(root.certPem), null, null, { checkServerIdentity: () => undefined }), nodeOf('default'), {
      'grpc.ssl_target_name_override': 'istiod.istio-system.svc',
    });
    assert.equal(anonymous.status?.code, grpc.status.UNAVAILABLE);

    const { certs: forged } = certsFor(`spiffe://${TD}/ns/default/sa/app`, [root.certPem], otherIssuer);
    const untrusted = await rawStream(target, clientCreds(forged).credentials, nodeOf('default'), clientCreds(forged).channelOptions);
    assert.equal(untrusted.status?.code, grpc.status.UNAVAILABLE);
    assert.equal(cp.peers.length, 0, 'neither reached the xDS stream');
  });

  it("the client refuses a control plane whose certificate is not the expected identity", async () => {
    const cp = await startSecure();
    const { certs } = certsFor(`spiffe://${TD}/ns/default/sa/app`);
    const { credentials, channelOptions } = clientCreds(certs, [`spiffe://${TD}/ns/istio-system/sa/some-other-pilot`]);
    const r = await rawStream(`127.0.0.1:${cp.securePort}`, credentials, nodeOf('default'), channelOptions);
    assert.equal(r.status?.code, grpc.status.UNAVAILABLE);
    assert.equal(cp.peers.length, 0);
  });

  it('a renewed server certificate is presented to new connections while open streams keep being served', async () => {
    const cp = await startSecure();
    const node = nodeOf('default');
    cp.cache.set(node.id, snapshotOf('v1', [{ name: 'a', port: 18080, endpoints: [9001] }]));
    const w = workloadCert(`spiffe://${TD}/ns/default/sa/app`);
    const { certs } = certsFor(`spiffe://${TD}/ns/default/sa/app`);
    const { credentials, channelOptions } = clientCreds(certs);
    const client = new AdsClient({ target: `127.0.0.1:${cp.securePort}`, node, log: quietLog, credentials, channelOptions });
    after(() => client.stop());
    let disconnects = 0;
    client.on('disconnected', () => disconnects++);
    const first = new Promise<unknown>((resolve) => client.once('snapshot', resolve));
    client.start();
    await first;
    const before = await servedSerial(cp.securePort, w);

    const renewed = workloadCert(PILOT_ID);
    cp.serverCerts.setIdentity(renewed.chain, renewed.key);
    assert.equal(await servedSerial(cp.securePort, w), renewed.serial);
    assert.notEqual(before, renewed.serial);

    cp.cache.set(node.id, snapshotOf('v2', [{ name: 'b', port: 18081, endpoints: [9002] }]));
    await waitFor('the open stream to deliver v2', () => client.snapshot?.clusters.has('c-b') ?? false, { timeoutMs: 5_000 });
    assert.equal(disconnects, 0, 'the stream opened before the renewal was not dropped');
  });

  it('a client reconnects with its renewed certificate, and waits for a certificate before its first connection', async () => {
    const port = await freePort();
    let cp = await startSecure({ securePort: port });
    const node = nodeOf('default');
    const certs = new XdsTlsCertificates();
    certs.setRoots([root.certPem]);
    const { credentials, channelOptions } = clientCreds(certs);
    const client = new AdsClient({ target: `127.0.0.1:${port}`, node, log: quietLog, credentials, channelOptions, backoff: { initialMs: 50, maxMs: 200 } });
    after(() => client.stop());
    cp.cache.set(node.id, snapshotOf('v1', [{ name: 'a', port: 18080, endpoints: [9001] }]));
    client.start();
    // No certificate yet: nothing reaches the server (no plaintext fallback, no anonymous handshake).
    // Nothing happening has no event to await, so give a would-be connection a moment.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(cp.peers.length, 0);
    const a = workloadCert(`spiffe://${TD}/ns/default/sa/app`);
    certs.setIdentity(a.chain, a.key);
    await waitFor('the first snapshot', () => client.snapshot !== undefined, { timeoutMs: 5_000 });
    assert.equal(cp.peers.at(-1)?.certificate?.serialNumber, a.serial);

    const b = workloadCert(`spiffe://${TD}/ns/default/sa/app`);
    certs.setIdentity(b.chain, b.key);
    await cp.close();
    cp = await startSecure({ securePort: port });
    cp.cache.set(node.id, snapshotOf('v2', [{ name: 'b', port: 18081, endpoints: [9002] }]));
    await waitFor('the reconnected stream', () => client.snapshot?.clusters.has('c-b') ?? false, { timeoutMs: 10_000 });
    assert.equal(cp.peers.at(-1)?.certificate?.serialNumber, b.serial, 'the new connection presents the renewed certificate');
  });

  it('does not serve CSDS (every proxy config) on the mTLS port', async () => {
    const cp = await startSecure();
    const { certs } = certsFor(`spiffe://${TD}/ns/default/sa/app`);
    const { credentials, channelOptions } = clientCreds(certs);
    const client = new grpc.Client(`127.0.0.1:${cp.securePort}`, credentials, channelOptions);
    after(() => client.close());
    const code = await new Promise<number>((resolve) => {
      const call = client.makeBidiStreamRequest(CSDS_METHODS.stream, (x: Buffer) => x, (x: Buffer) => x);
      call.on('error', (e: grpc.ServiceError) => resolve(e.code));
      call.on('data', () => resolve(-1));
      call.write(Buffer.alloc(0));
    });
    assert.equal(code, grpc.status.UNIMPLEMENTED);
  });
});

describe('claimedNamespaces', () => {
  it('collects the namespace from metadata and both parts of an Istio node id', () => {
    assert.deepEqual(claimedNamespaces({ id: 'sidecar~1.2.3.4~a.foo~foo.svc.cluster.local', metadata: { NAMESPACE: 'foo' } }), ['foo']);
    assert.deepEqual(claimedNamespaces({ id: 'sidecar~1.2.3.4~a.foo~bar.svc.cluster.local' }).sort(), ['bar', 'foo']);
    assert.deepEqual(claimedNamespaces({ id: 'not-an-istio-id' }), []);
  });
});
