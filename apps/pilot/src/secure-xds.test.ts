// Pilot's mTLS xDS port as real processes: pilot gets its serving certificate
// from a real citadel (bootstrap token, like the local mesh), proxies connect
// with workload certificates citadel issued, and pilot checks each stream's
// claimed namespace and service account against the certificate.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { requestCertificate, type IssuedCertificate } from '@mesh/ca-client';
import { BUCKETS, ConfigResourceSchema, configKey, connectBus, type Bus } from '@mesh/contracts';
import { generateKeyPair, privateKeyToPem } from '@mesh/pki';
import { freePort, startNats, startProcess, waitFor, type ManagedProcess, type NatsServer } from '@mesh/testing';
import { ADS_METHODS, AdsClient, TYPE_URLS, XdsTlsCertificates, adsCodecs, adsClientCredentials, type XdsNode } from '@mesh/xds';
import { GATEWAY_ID, sampleConfig, testLog } from './test-support.ts';

const PILOT_ID = 'spiffe://cluster.local/ns/istio-system/sa/istiod';

describe('pilot serves xDS over mutual TLS with a certificate from citadel (processes)', () => {
  let dir: string;
  let nats: NatsServer;
  let bus: Bus;
  let citadel: ManagedProcess;
  let pilot: ManagedProcess;
  let ports: { ca: number; caAdmin: number; caMon: number; xds: number; secure: number; mon: number };
  let rootPem: string;

  const token = async (namespace: string, serviceAccount: string) => {
    const res = await fetch(`http://127.0.0.1:${ports.caAdmin}/token?namespace=${namespace}&serviceAccount=${serviceAccount}`, { method: 'POST' });
    const body = (await res.json()) as { token: string };
    return body.token;
  };
  const workloadCert = async (namespace: string, serviceAccount: string): Promise<IssuedCertificate> =>
    requestCertificate({
      endpoint: { address: `127.0.0.1:${ports.ca}`, roots: () => [rootPem], token: () => token(namespace, serviceAccount) },
      privateKey: generateKeyPair('ec-p256').privateKey,
      spiffeId: `spiffe://cluster.local/ns/${namespace}/sa/${serviceAccount}`,
    });
  const credentialsOf = (cert: IssuedCertificate) => {
    const certs = new XdsTlsCertificates();
    certs.setIdentity(cert.chain.slice(0, -1), privateKeyToPem(cert.privateKey));
    certs.setRoots([rootPem]);
    return adsClientCredentials(certs, { serverIds: [PILOT_ID], serverName: 'istiod.istio-system.svc' });
  };
  /** The serial of the certificate pilot presents to a new TLS connection. */
  const servedSerial = (cert: IssuedCertificate) =>
    new Promise<string>((resolve, reject) => {
      const socket = tls.connect(
        { host: '127.0.0.1', port: ports.secure, ca: rootPem, cert: cert.chain.join(''), key: privateKeyToPem(cert.privateKey), ALPNProtocols: ['h2'], checkServerIdentity: () => undefined },
        () => {
          resolve(socket.getPeerCertificate().serialNumber);
          socket.destroy();
        },
      );
      socket.on('error', reject);
    });

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pilot-mtls-'));
    nats = await startNats();
    bus = await connectBus({ servers: nats.url, name: 'pilot-mtls-test', log: testLog });
    const kv = await bus.kv(BUCKETS.config, ConfigResourceSchema);
    for (const r of sampleConfig()) await kv.put(configKey(r.kind, r.metadata.namespace, r.metadata.name), r);
    ports = { ca: await freePort(), caAdmin: await freePort(), caMon: await freePort(), xds: await freePort(), secure: await freePort(), mon: await freePort() };
    const rootDir = path.join(dir, 'citadel');
    citadel = startProcess(
      'citadel',
      'apps/citadel/src/main.ts',
      ['--ca-port', String(ports.ca), '--admin-port', String(ports.caAdmin), '--monitoring-port', String(ports.caMon), '--root-dir', rootDir],
      { env: { NATS_URL: nats.url } },
    );
    await waitFor('citadel ready', async () => (await fetch(`http://127.0.0.1:${ports.caMon}/ready`).catch(() => undefined))?.ok ?? false, { timeoutMs: 30_000 });
    rootPem = readFileSync(path.join(rootDir, 'root-cert.pem'), 'utf8');
    const tokenFile = path.join(dir, 'pilot.jwt');
    writeFileSync(tokenFile, await token('istio-system', 'istiod'), { mode: 0o600 });
    pilot = startProcess(
      'pilot',
      'apps/pilot/src/main.ts',
      [
        '--xds-port', String(ports.xds),
        '--secure-xds-port', String(ports.secure),
        '--monitoring-port', String(ports.mon),
        '--ca-address', `127.0.0.1:${ports.ca}`,
        '--ca-root-cert', path.join(rootDir, 'root-cert.pem'),
        '--ca-token-file', tokenFile,
        // Short enough to see a renewal during the test.
        '--secret-ttl', '6s',
      ],
      { env: { NATS_URL: nats.url } },
    );
    await waitFor('pilot ready (its serving certificate installed)', async () => (await fetch(`http://127.0.0.1:${ports.mon}/ready`).catch(() => undefined))?.ok ?? false, { timeoutMs: 30_000 });
  });

  after(async () => {
    await pilot?.stop();
    await citadel?.stop();
    await bus?.close();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a proxy whose certificate names the namespace and service account its node claims; renewal keeps its stream', async () => {
    await pilot.waitForLine((l) => l.msg === `ADS (mTLS) listening on 127.0.0.1:${ports.secure}`);
    const cert = await workloadCert('istio-system', 'istio-ingressgateway-service-account');
    const { credentials, channelOptions } = credentialsOf(cert);
    const node: XdsNode = { id: GATEWAY_ID, metadata: { LABELS: { istio: 'ingressgateway' }, NAMESPACE: 'istio-system', SERVICE_ACCOUNT: 'istio-ingressgateway-service-account' } };
    const client = new AdsClient({ target: `127.0.0.1:${ports.secure}`, node, log: testLog, credentials, channelOptions });
    after(() => client.stop());
    let disconnects = 0;
    client.on('disconnected', () => disconnects++);
    const snapshot = new Promise<any>((resolve) => client.once('snapshot', resolve));
    client.start();
    assert.ok((await snapshot).listeners.has('0.0.0.0_80'));
    const syncz = (await (await fetch(`http://127.0.0.1:${ports.mon}/debug/syncz`)).json()) as Array<{ proxy: string; peerIdentity?: string }>;
    assert.equal(syncz.find((s) => s.proxy === GATEWAY_ID)?.peerIdentity, 'spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account');

    const before = await servedSerial(cert);
    const installs = pilot.lines.filter((l) => String(l.msg).startsWith('serving certificate installed')).length;
    await pilot.waitForLine((l) => String(l.msg).startsWith('serving certificate installed') && pilot.lines.filter((x) => String(x.msg).startsWith('serving certificate installed')).length > installs, 15_000);
    const afterRenewal = await servedSerial(cert);
    assert.notEqual(afterRenewal, before, 'new connections get the renewed certificate');
    assert.equal(disconnects, 0, 'the stream opened before the renewal stays up');
    assert.ok(client.connected);
  });

  it('refuses a client claiming another namespace with PERMISSION_DENIED, counts and logs it', async () => {
    const cert = await workloadCert('default', 'sleep');
    const { credentials, channelOptions } = credentialsOf(cert);
    const client = new grpc.Client(`127.0.0.1:${ports.secure}`, credentials, channelOptions);
    after(() => client.close());
    const status = await new Promise<grpc.ServiceError>((resolve) => {
      const call = client.makeBidiStreamRequest(ADS_METHODS.sotw, adsCodecs.encodeRequest, adsCodecs.decodeResponse);
      call.on('error', resolve);
      call.on('data', () => {});
      call.write({ node: { id: 'sidecar~127.0.0.1~db.payments~payments.svc.cluster.local', metadata: { NAMESPACE: 'payments' } }, typeUrl: TYPE_URLS.cluster, resourceNames: [] });
    });
    assert.equal(status.code, grpc.status.PERMISSION_DENIED);
    assert.match(status.details, /claims namespace payments but its certificate spiffe:\/\/cluster.local\/ns\/default\/sa\/sleep is of namespace default/);
    const metrics = await (await fetch(`http://127.0.0.1:${ports.mon}/metrics`)).text();
    assert.match(metrics, /mesh_xds_auth_failures_total\{reason="namespace"\} 1/);
    await pilot.waitForLine((l) => l.msg === 'refusing an xDS stream whose node does not match its client certificate' && l.reason === 'namespace');
  });

  it('does not let a client without a certificate connect', async () => {
    const client = new grpc.Client(
      `127.0.0.1:${ports.secure}`,
      grpc.credentials.createSsl(Buffer.from(rootPem), null, null, { checkServerIdentity: () => undefined }),
      { 'grpc.ssl_target_name_override': 'istiod.istio-system.svc' },
    );
    after(() => client.close());
    const status = await new Promise<grpc.ServiceError>((resolve) => {
      const call = client.makeBidiStreamRequest(ADS_METHODS.sotw, adsCodecs.encodeRequest, adsCodecs.decodeResponse);
      call.on('error', resolve);
      call.write({ node: { id: GATEWAY_ID }, typeUrl: TYPE_URLS.cluster });
    });
    assert.equal(status.code, grpc.status.UNAVAILABLE);
  });

  it('keeps serving any xDS client without TLS on the loopback plaintext port', async () => {
    const client = new AdsClient({ target: `127.0.0.1:${ports.xds}`, node: { id: 'sidecar~127.0.0.1~grpc-client.default~default.svc.cluster.local', metadata: { GENERATOR: 'grpc', NAMESPACE: 'default' } }, log: testLog });
    after(() => client.stop());
    const snapshot = new Promise<any>((resolve) => client.once('snapshot', resolve));
    client.start();
    assert.ok((await snapshot).listeners.size > 0);
  });
});
