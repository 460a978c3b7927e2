// x-forwarded-client-cert per forward_client_cert_details mode, on mutual TLS and plaintext connections.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import net from 'node:net';
import { applyXfcc, XFCC } from './xfcc.ts';
import { setConnectionInfo } from '../listener/connection-info.ts';
import { testCa } from '../listener/testing/tls-fixtures.ts';
import type { ClientCertDetails, ForwardClientCertMode } from '../config/hcm-config.ts';

const ca = testCa();
const peer = ca.leaf('spiffe://cluster.local/ns/a/sa/client', { dns: ['client.a', 'client.a.svc'], commonName: 'client' });
const der = new X509Certificate(peer.cert).raw;
const hash = createHash('sha256').update(der).digest('hex');
const ALL: ClientCertDetails = { subject: true, cert: false, chain: false, dns: true, uri: true };

function mtlsSocket(): net.Socket {
  const s = new net.Socket();
  setConnectionInfo(s, {
    tls: true,
    peerPrincipal: 'spiffe://cluster.local/ns/a/sa/client',
    peerUriSans: ['spiffe://cluster.local/ns/a/sa/client'],
    peerDnsSans: ['client.a', 'client.a.svc'],
    peerSubject: 'CN=client,O=mesh',
    peerCertificateDer: der,
    peerChainDer: [der],
    localUriSans: ['spiffe://cluster.local/ns/b/sa/server'],
    sni: '',
    alpn: 'http/1.1',
    tlsVersion: 'TLSv1.3',
  });
  return s;
}

function run(mode: ForwardClientCertMode, socket: net.Socket, incoming?: string, details = ALL): string | undefined {
  const headers: Record<string, string | string[] | undefined> = incoming === undefined ? {} : { [XFCC]: incoming };
  applyXfcc(headers, mode, details, socket);
  return headers[XFCC] as string | undefined;
}

const mine = `By=spiffe://cluster.local/ns/b/sa/server;Hash=${hash};Subject="CN=client,O=mesh";URI=spiffe://cluster.local/ns/a/sa/client;DNS=client.a;DNS=client.a.svc`;

describe('x-forwarded-client-cert', () => {
  it('SANITIZE (the default) removes it, even on mutual TLS', () => {
    assert.equal(run('SANITIZE', mtlsSocket(), 'URI=spiffe://forged'), undefined);
  });

  it('APPEND_FORWARD appends this hop; SANITIZE_SET replaces', () => {
    assert.equal(run('APPEND_FORWARD', mtlsSocket(), 'By=x;URI=y'), `By=x;URI=y,${mine}`);
    assert.equal(run('APPEND_FORWARD', mtlsSocket()), mine);
    assert.equal(run('SANITIZE_SET', mtlsSocket(), 'URI=spiffe://forged'), mine);
  });

  it('FORWARD_ONLY passes it on mutual TLS; every mode but ALWAYS_FORWARD_ONLY strips it on plaintext', () => {
    assert.equal(run('FORWARD_ONLY', mtlsSocket(), 'URI=y'), 'URI=y');
    for (const mode of ['FORWARD_ONLY', 'APPEND_FORWARD', 'SANITIZE_SET'] as const) assert.equal(run(mode, new net.Socket(), 'URI=spiffe://forged'), undefined, mode);
    assert.equal(run('ALWAYS_FORWARD_ONLY', new net.Socket(), 'URI=y'), 'URI=y');
  });

  it('Cert and Chain carry the URL-encoded PEM', () => {
    const v = run('SANITIZE_SET', mtlsSocket(), undefined, { subject: false, cert: true, chain: true, dns: false, uri: false })!;
    const m = /;Cert="([^"]+)";Chain="([^"]+)"$/.exec(v);
    assert.ok(m, v);
    assert.equal(new X509Certificate(decodeURIComponent(m[1])).serialNumber, peer.serial);
    assert.match(decodeURIComponent(m[2]), /^-----BEGIN CERTIFICATE-----/);
  });
});
