// Istio mutual TLS between two proxies whose only certificates are the ones
// their agents got from a real citadel: the client sidecar's ISTIO_MUTUAL
// cluster and the server sidecar's STRICT inbound chain both name the SDS
// secrets 'default' and 'ROOTCA' of sds-grpc, and the proxy hands both managers
// the same SecretLookup. A renewal is served to new connections.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { createLogger } from '@mesh/telemetry';
import { freePort, startProcess, waitFor, type ManagedProcess } from '@mesh/testing';
import { ROUTER, edsCluster, httpListener, request, routeConfig, startTestProxy, startUpstream, vhost, HCM_TYPE, type TestProxy, type Upstream } from '../test-fixtures.ts';
import { TrustBundle } from './trust-bundle.ts';
import { WorkloadIdentity, workloadSpiffeId } from './workload-identity.ts';

const SDS = {
  apiConfigSource: { apiType: 'GRPC', transportApiVersion: 'V3', grpcServices: [{ envoyGrpc: { clusterName: 'sds-grpc' } }], setNodeOnFirstMessageOnly: true },
  initialFetchTimeout: { seconds: 0 },
  resourceApiVersion: 'V3',
};
const SERVER_ID = workloadSpiffeId('cluster.local', 'default', 'httpbin');
const CLIENT_ID = workloadSpiffeId('cluster.local', 'default', 'sleep');

const upstreamIstioMutual = (san: string) => ({
  name: 'envoy.transport_sockets.tls',
  typedConfig: {
    '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
    commonTlsContext: {
      tlsCertificateSdsSecretConfigs: [{ name: 'default', sdsConfig: SDS }],
      combinedValidationContext: { defaultValidationContext: { matchSubjectAltNames: [{ exact: san }] }, validationContextSdsSecretConfig: { name: 'ROOTCA', sdsConfig: SDS } },
      alpnProtocols: ['istio-peer-exchange', 'istio'],
    },
    sni: 'outbound_.8000_._.httpbin.default.svc.cluster.local',
  },
});

const strictInbound = (name: string) => ({
  name,
  address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
  listenerFilters: [{ name: 'envoy.filters.listener.tls_inspector', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector' } }],
  filterChains: [
    {
      filterChainMatch: { transportProtocol: 'tls' },
      transportSocket: {
        name: 'envoy.transport_sockets.tls',
        typedConfig: {
          '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
          commonTlsContext: {
            tlsCertificateSdsSecretConfigs: [{ name: 'default', sdsConfig: SDS }],
            combinedValidationContext: { defaultValidationContext: {}, validationContextSdsSecretConfig: { name: 'ROOTCA', sdsConfig: SDS } },
            alpnProtocols: ['h2', 'http/1.1'],
          },
          requireClientCertificate: true,
        },
      },
      filters: [
        {
          name: 'envoy.filters.network.http_connection_manager',
          typedConfig: {
            '@type': HCM_TYPE,
            statPrefix: 'inbound_0.0.0.0_8000',
            rds: { configSource: { ads: {}, resourceApiVersion: 'V3' }, routeConfigName: 'inbound|8000' },
            httpFilters: [ROUTER],
            forwardClientCertDetails: 'APPEND_FORWARD',
            setCurrentClientCertDetails: { subject: true, dns: true, uri: true },
          },
        },
      ],
    },
  ],
});

describe("mutual TLS with the agents' certificates (real citadel)", () => {
  let dir: string;
  let citadel: ManagedProcess;
  let caPort: number;
  let app: Upstream;
  let server: TestProxy;
  let client: TestProxy;
  const stops: Array<() => unknown> = [];
  const log = createLogger('test', { level: 'error' });

  const agentFor = async (sa: string, adminPort: number, rootFile: string, validitySeconds?: number) => {
    const res = await fetch(`http://127.0.0.1:${adminPort}/token?namespace=default&serviceAccount=${sa}`, { method: 'POST' });
    const tokenFile = path.join(dir, `${sa}.jwt`);
    writeFileSync(tokenFile, ((await res.json()) as { token: string }).token);
    const bundle = new TrustBundle({ file: rootFile, log });
    bundle.load(true);
    const identity = new WorkloadIdentity({ caAddress: `127.0.0.1:${caPort}`, tokenFile, spiffeId: workloadSpiffeId('cluster.local', 'default', sa), validitySeconds, bundle, log, retry: { initialMs: 50, maxMs: 200 } });
    identity.start();
    stops.push(() => identity.stop(), () => bundle.stop());
    await waitFor(`${sa}'s certificate`, () => identity.current(), { timeoutMs: 15_000 });
    return { identity, bundle };
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'agent-mtls-'));
    const rootDir = path.join(dir, 'citadel');
    const adminPort = await freePort();
    caPort = await freePort();
    citadel = startProcess('citadel', 'apps/citadel/src/main.ts', ['--ca-port', String(caPort), '--monitoring-port', '0', '--admin-port', String(adminPort), '--root-dir', rootDir, '--nats-url', '']);
    await citadel.waitForLine((l) => l.msg === 'ready', 30_000);
    const rootFile = path.join(rootDir, 'root-cert.pem');
    app = await startUpstream('httpbin');
    // The server's certificate lives 3s (renewed at 1.5s), so the test can watch a rotation reach new connections.
    server = await startTestProxy({ agent: await agentFor('httpbin', adminPort, rootFile, 3) });
    client = await startTestProxy({ agent: await agentFor('sleep', adminPort, rootFile) });
    await server.apply({
      listeners: [strictInbound('inbound')],
      routes: [routeConfig('inbound|8000', [vhost('inbound', ['*'], [{ match: { prefix: '/' }, route: { cluster: 'inbound|8000||' } }])])],
      clusters: [edsCluster('inbound|8000||')],
      endpoints: [{ clusterName: 'inbound|8000||', endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: app.port } } } }] }] }],
    });
    await client.apply({
      listeners: [httpListener('outbound', 0, 'outbound|8000')],
      routes: [routeConfig('outbound|8000', [vhost('httpbin', ['*'], [{ match: { prefix: '/' }, route: { cluster: 'outbound|8000||httpbin.default.svc.cluster.local' } }])])],
      clusters: [
        edsCluster('outbound|8000||httpbin.default.svc.cluster.local', {
          transportSocketMatches: [
            { name: 'tlsMode-istio', match: { tlsMode: 'istio' }, transportSocket: upstreamIstioMutual(SERVER_ID) },
            { name: 'tlsMode-disabled', match: {}, transportSocket: { name: 'envoy.transport_sockets.raw_buffer', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer' } } },
          ],
        }),
      ],
      endpoints: [
        {
          clusterName: 'outbound|8000||httpbin.default.svc.cluster.local',
          endpoints: [
            {
              lbEndpoints: [
                {
                  endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: server.port('inbound') } } },
                  metadata: { filterMetadata: { 'envoy.transport_socket_match': { tlsMode: 'istio' } } },
                },
              ],
            },
          ],
        },
      ],
    });
  });

  after(async () => {
    await client?.close();
    await server?.close();
    for (const stop of stops) await stop();
    await app?.close();
    await citadel?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("carries a request client sidecar → server sidecar over mTLS, the app seeing the client's SPIFFE id", async () => {
    const res = await request(client.port('outbound'), { path: '/headers' });
    assert.equal(res.status, 200, res.body);
    assert.equal(res.json().upstream, 'httpbin');
    const xfcc = String(app.seen.at(-1)!.headers['x-forwarded-client-cert'] ?? '');
    assert.match(xfcc, new RegExp(`URI=${CLIENT_ID.replace(/[/.]/g, '\\$&')}`));
  });

  it('refuses plaintext on the STRICT inbound listener', async () => {
    const port = server.port('inbound');
    const outcome = await new Promise<string>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n'));
      let got = '';
      s.on('data', (d) => (got += d.toString()));
      s.on('error', () => resolve(`error:${got}`));
      s.on('close', () => resolve(`closed:${got}`));
    });
    assert.doesNotMatch(outcome, /HTTP\/1\.1 200/);
  });

  it("serves the server's renewed certificate to new connections", async () => {
    const srv = server.proxy.secrets.agent!.identity;
    const me = client.proxy.secrets.secret({ name: 'default', source: 'agent' })!;
    const roots = client.proxy.secrets.secret({ name: 'ROOTCA', source: 'agent' })!.ca!;
    const served = () =>
      new Promise<string>((resolve, reject) => {
        const s = tls.connect({ port: server.port('inbound'), host: '127.0.0.1', ca: roots, cert: me.cert, key: me.key, ALPNProtocols: ['istio'], servername: 'outbound_.8000_._.httpbin.default.svc.cluster.local', checkServerIdentity: () => undefined }, () => {
          const serial = s.getPeerCertificate().serialNumber;
          s.end();
          resolve(serial);
        });
        s.on('error', reject);
      });
    const norm = (x: string) => x.toLowerCase().replace(/^0+/, '');
    const first = srv.current()!.serialHex;
    await waitFor('a renewal of the server certificate', () => srv.current()!.serialHex !== first, { timeoutMs: 10_000 });
    const renewed = srv.current()!.serialHex;
    await waitFor('the renewed certificate on new connections', async () => norm(await served()) === norm(srv.current()!.serialHex) && norm(renewed) !== norm(first));
    assert.equal((await request(client.port('outbound'), { path: '/again' })).status, 200);
  });
});
