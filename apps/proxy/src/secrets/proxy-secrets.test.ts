// Pilot's secrets (source 'ads') through the proxy's SecretLookup: served as
// sent, announced only when they change, and dumped without their keys.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createCa, privateKeyToPem } from '@mesh/pki';
import type { Secret__Output } from '@mesh/xds';
import type { SecretRef } from './secret-lookup.ts';
import { ProxySecrets } from './proxy-secrets.ts';

const ca = createCa({ subject: { organization: 'example', commonName: 'Gateway CA' }, ttlMs: 86_400_000 });
const keyPem = privateKeyToPem(ca.privateKey);
const tlsSecret = (cert: string) => ({ name: 'gw-cert', tlsCertificate: { certificateChain: { inlineString: cert }, privateKey: { inlineBytes: Buffer.from(keyPem) } } }) as unknown as Secret__Output;
const caSecret = (pem: string) => ({ name: 'gw-ca', validationContext: { trustedCa: { inlineBytes: Buffer.from(pem).toString('base64') } } }) as unknown as Secret__Output;

describe("pilot's secrets in the proxy's SecretLookup", () => {
  it('serves what pilot sent, announces only what changed, and forgets what pilot removed', () => {
    const secrets = new ProxySecrets();
    const changes: SecretRef[] = [];
    secrets.onChange((ref) => changes.push(ref));
    secrets.setAdsSecrets(new Map([['gw-cert', tlsSecret(ca.certPem)], ['gw-ca', caSecret(ca.certPem)]]), 'v1');
    assert.deepEqual(changes, [{ name: 'gw-cert', source: 'ads' }, { name: 'gw-ca', source: 'ads' }]);
    const cert = secrets.secret({ name: 'gw-cert', source: 'ads' })!;
    assert.equal(cert.cert, ca.certPem);
    assert.equal(cert.key, keyPem);
    assert.equal(secrets.secret({ name: 'gw-ca', source: 'ads' })!.ca, ca.certPem);
    assert.equal(secrets.secret({ name: 'gw-cert', source: 'agent' }), undefined, "the agent's secrets are another source");
    assert.equal(secrets.secret({ name: 'default', source: 'agent' }), undefined, 'no agent: the workload certificate never arrives');

    // The same material in a new snapshot version: nothing to rebuild.
    changes.length = 0;
    secrets.setAdsSecrets(new Map([['gw-cert', tlsSecret(ca.certPem)], ['gw-ca', caSecret(ca.certPem)]]), 'v2');
    assert.deepEqual(changes, []);
    assert.equal(secrets.secret({ name: 'gw-cert', source: 'ads' })!.version, cert.version);

    const other = createCa({ subject: { organization: 'example', commonName: 'Other CA' }, ttlMs: 86_400_000 });
    secrets.setAdsSecrets(new Map([['gw-cert', tlsSecret(other.certPem)]]), 'v3');
    assert.deepEqual(changes, [{ name: 'gw-cert', source: 'ads' }, { name: 'gw-ca', source: 'ads' }]);
    assert.notEqual(secrets.secret({ name: 'gw-cert', source: 'ads' })!.version, cert.version);
    assert.equal(secrets.secret({ name: 'gw-ca', source: 'ads' }), undefined);
  });

  it('dumps them as Envoy does, the private key as [redacted], and lists their certificates on /certs', () => {
    const secrets = new ProxySecrets();
    secrets.setAdsSecrets(new Map([['gw-cert', tlsSecret(ca.certPem)]]), 'v7');
    const dump = secrets.configDump() as { dynamicActiveSecrets: Array<{ name: string; versionInfo: string; secret: any }>; dynamicWarmingSecrets: unknown[] };
    assert.equal(dump.dynamicActiveSecrets.length, 1);
    const [s] = dump.dynamicActiveSecrets;
    assert.equal(s.versionInfo, 'v7');
    assert.equal(s.secret['@type'], 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret');
    assert.deepEqual(s.secret.tlsCertificate.privateKey, { inlineString: '[redacted]' });
    assert.equal(Buffer.from(s.secret.tlsCertificate.certificateChain.inlineBytes, 'base64').toString(), ca.certPem);
    assert.doesNotMatch(JSON.stringify(dump), /PRIVATE KEY/);
    assert.deepEqual(dump.dynamicWarmingSecrets, []);

    const { certificates } = secrets.certs();
    assert.equal(certificates.length, 1);
    assert.equal(certificates[0].cert_chain[0].path, '<inline> (ads gw-cert)');
    assert.ok(Number(certificates[0].cert_chain[0].days_until_expiration) <= 1);
  });

  it('keeps telling the other listeners when one of them throws', () => {
    const secrets = new ProxySecrets();
    const seen: string[] = [];
    secrets.onChange(() => {
      throw new Error('boom');
    });
    const off = secrets.onChange((ref) => seen.push(ref.name));
    secrets.setAdsSecrets(new Map([['gw-ca', caSecret(ca.certPem)]]), '1');
    off();
    secrets.setAdsSecrets(new Map(), '2');
    assert.deepEqual(seen, ['gw-ca'], 'an unsubscribed listener hears nothing more');
  });
});
