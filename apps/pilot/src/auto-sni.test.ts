// Istio's auto SNI for TLS origination: a DestinationRule SIMPLE/MUTUAL
// without `sni` makes the cluster's HttpProtocolOptions ask Envoy for the
// request's host as SNI (auto_sni) and, when the server is verified and the
// rule names no subjectAltNames, for a certificate valid for that host
// (auto_san_validation). Checked on what goes on the wire (encoded with the
// real protos and decoded again).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigResource, Credential } from '@mesh/contracts';
import { TYPE_URLS, decodeMessage } from '@mesh/xds';
import { PushContext } from './model/push-context.ts';
import type { Proxy } from './model/proxy.ts';
import { generateSnapshot } from './generators/index.ts';
import { gateway, res, sidecar } from './test-support.ts';

const HOST = 'api.example.com';
const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const KEY = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n';
const CERT = (n: string) => `-----BEGIN CERTIFICATE-----\n${n}\n-----END CERTIFICATE-----\n`;

const serviceEntry = res('ServiceEntry', 'api', {
  hosts: [HOST],
  location: 'MESH_EXTERNAL',
  resolution: 'STATIC',
  ports: [
    { number: 80, name: 'http', protocol: 'HTTP' },
    { number: 443, name: 'https', protocol: 'HTTPS' },
    { number: 5432, name: 'tcp-db', protocol: 'TCP' },
  ],
  endpoints: [{ address: '127.0.0.1', ports: { http: 9080, https: 9443, 'tcp-db': 9432 } }],
});
const rule = (trafficPolicy: Record<string, unknown>) => res('DestinationRule', 'api', { host: HOST, trafficPolicy });

function cluster(configs: ConfigResource[], proxy: Proxy, port: number, credentials: Array<[string, Credential]> = []): any {
  const p = new PushContext({ configs, credentials: new Map(credentials) }, { domainSuffix: 'cluster.local', version: 'test' });
  const snap = generateSnapshot(p, proxy, { privilegedPortOffset: 8000, log: { error: (m) => assert.fail(m) } });
  const r = snap.type(TYPE_URLS.cluster).resources.get(`outbound|${port}||${HOST}`);
  assert.ok(r, `cluster for port ${port}`);
  return decodeMessage(TYPE_URLS.cluster, r.wire.value);
}

/** The cluster's upstream_http_protocol_options as decoded from the wire (undefined: none). */
function autoOptions(c: any): unknown {
  return c.typedExtensionProtocolOptions?.[HTTP_OPTIONS]?.upstreamHttpProtocolOptions;
}

describe("Istio's auto SNI for DestinationRule TLS origination", () => {
  for (const [name, proxy] of [
    ['sidecar', sidecar()],
    ['gateway', gateway()],
  ] as const) {
    it(`${name}: SIMPLE with a CA and no sni: auto_sni and auto_san_validation, one HttpProtocolOptions with the protocol`, () => {
      const c = cluster([serviceEntry, rule({ tls: { mode: 'SIMPLE', caCertificates: '/etc/ca.pem' } })], proxy, 80);
      assert.deepEqual(autoOptions(c), { autoSni: true, autoSanValidation: true });
      assert.deepEqual(c.typedExtensionProtocolOptions[HTTP_OPTIONS].explicitHttpConfig, { httpProtocolOptions: {} });
      assert.equal(Object.keys(c.typedExtensionProtocolOptions).length, 1);
      assert.equal(c.transportSocket.typedConfig.sni, undefined);
    });
  }

  it('the task as written (port-level SIMPLE on an HTTPS port, CA, no sni): both options on that port only', () => {
    const dr = rule({ portLevelSettings: [{ port: { number: 443 }, tls: { mode: 'SIMPLE', caCertificates: '/etc/ca.pem' } }] });
    assert.deepEqual(autoOptions(cluster([serviceEntry, dr], gateway(), 443)), { autoSni: true, autoSanValidation: true });
    assert.equal(autoOptions(cluster([serviceEntry, dr], gateway(), 80)), undefined);
  });

  it('not with sni: the configured SNI is used and no options are added', () => {
    const c = cluster([serviceEntry, rule({ tls: { mode: 'SIMPLE', caCertificates: '/etc/ca.pem', sni: HOST } })], sidecar(), 80);
    assert.equal(c.typedExtensionProtocolOptions, undefined);
    assert.equal(c.transportSocket.typedConfig.sni, HOST);
  });

  it('auto_san_validation only without subjectAltNames and with the server verified (a CA, no insecureSkipVerify)', () => {
    const sans = cluster([serviceEntry, rule({ tls: { mode: 'SIMPLE', caCertificates: '/etc/ca.pem', subjectAltNames: [HOST] } })], sidecar(), 80);
    assert.deepEqual(autoOptions(sans), { autoSni: true });
    const noCa = cluster([serviceEntry, rule({ tls: { mode: 'SIMPLE' } })], sidecar(), 80);
    assert.deepEqual(autoOptions(noCa), { autoSni: true });
    const skip = cluster([serviceEntry, rule({ tls: { mode: 'SIMPLE', caCertificates: '/etc/ca.pem', insecureSkipVerify: true } })], sidecar(), 80);
    assert.deepEqual(autoOptions(skip), { autoSni: true });
  });

  it('MUTUAL without sni too; merged with the connection pool options', () => {
    const c = cluster(
      [serviceEntry, rule({ connectionPool: { http: { idleTimeout: '30s' } }, tls: { mode: 'MUTUAL', caCertificates: '/etc/ca.pem', clientCertificate: '/etc/c.pem', privateKey: '/etc/k.pem' } })],
      sidecar(),
      80,
    );
    assert.deepEqual(autoOptions(c), { autoSni: true, autoSanValidation: true });
    assert.deepEqual(c.typedExtensionProtocolOptions[HTTP_OPTIONS].commonHttpProtocolOptions, { idleTimeout: { seconds: '30' } });
  });

  it('not for ISTIO_MUTUAL, DISABLE, no tls (auto mTLS), nor TCP ports', () => {
    for (const tls of [{ mode: 'ISTIO_MUTUAL' }, { mode: 'DISABLE' }, undefined]) {
      assert.equal(autoOptions(cluster([serviceEntry, rule(tls ? { tls } : {})], sidecar(), 80)), undefined, JSON.stringify(tls));
    }
    assert.equal(cluster([serviceEntry, rule({ tls: { mode: 'SIMPLE', caCertificates: '/etc/ca.pem' } })], sidecar(), 5432).typedExtensionProtocolOptions, undefined);
  });

  it('credentialName at a gateway: auto_sni, and auto_san_validation unless the rule names subjectAltNames', () => {
    const creds: Array<[string, Credential]> = [['istio-system.client', { namespace: 'istio-system', name: 'client', cert: CERT('c'), key: KEY, ca: CERT('ca') }]];
    const both = cluster([serviceEntry, rule({ tls: { mode: 'MUTUAL', credentialName: 'client' } })], gateway(), 80, creds);
    assert.deepEqual(autoOptions(both), { autoSni: true, autoSanValidation: true });
    const sniOnly = cluster([serviceEntry, rule({ tls: { mode: 'SIMPLE', credentialName: 'client', subjectAltNames: [HOST] } })], gateway(), 80, creds);
    assert.deepEqual(autoOptions(sniOnly), { autoSni: true });
    const withSni = cluster([serviceEntry, rule({ tls: { mode: 'SIMPLE', credentialName: 'client', sni: HOST } })], gateway(), 80, creds);
    assert.equal(autoOptions(withSni), undefined);
  });
});
