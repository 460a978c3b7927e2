// TLS at the gateway on the local mesh, as Istio's tasks do it with real
// processes: "Secure Gateways" (SIMPLE with a credential, two hosts on one
// port by SNI, MUTUAL, httpsRedirect), "Ingress gateway without TLS
// termination" (PASSTHROUGH to a backend serving its own certificate), and
// egress TLS origination with a DestinationRule credentialName at the
// gateway. Certificates are made with openssl as the tasks do, put in the
// credential directory galley reads (`<dir>/<name>/{tls.crt,tls.key,ca.crt}`,
// the gateway's namespace istio-system), and the client checks which
// certificate it was shown.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freeMeshPorts, startLocalMesh, type LocalMesh } from '@mesh/local-mesh';
import { freePort, waitFor } from '@mesh/testing';

const openssl = (cwd: string, ...args: string[]) => execFileSync('openssl', args, { cwd, stdio: 'pipe' });

interface Pki {
  dir: string;
  ca: string;
}

/** A root CA (the task's `example.com` one) in `dir`. */
function makeCa(dir: string, cn: string): Pki {
  mkdirSync(dir, { recursive: true });
  openssl(dir, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', `/O=${cn} Inc./CN=${cn}`);
  return { dir, ca: readFileSync(path.join(dir, 'ca.crt'), 'utf8') };
}

/** A certificate for `name` (DNS SAN) signed by the CA, written as `<out>/tls.crt` and `<out>/tls.key`. */
function issue(ca: Pki, out: string, name: string): { cert: string; key: string } {
  mkdirSync(out, { recursive: true });
  const csr = path.join(out, 'leaf.csr');
  openssl(out, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'tls.key', '-out', csr, '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`);
  openssl(out, 'x509', '-req', '-in', csr, '-CA', path.join(ca.dir, 'ca.crt'), '-CAkey', path.join(ca.dir, 'ca.key'), '-CAcreateserial', '-out', 'tls.crt', '-days', '1', '-copy_extensions', 'copy');
  rmSync(csr);
  return { cert: readFileSync(path.join(out, 'tls.crt'), 'utf8'), key: readFileSync(path.join(out, 'tls.key'), 'utf8') };
}

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
  /** The subject alt names of the certificate the client was shown. */
  peer?: string;
}

function get(options: { port: number; host: string; path?: string; tls?: { ca: string; cert?: string; key?: string } }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const common = { host: '127.0.0.1', port: options.port, path: options.path ?? '/', headers: { host: options.host }, agent: false as const, timeout: 5_000 };
    const req = options.tls
      ? httpsRequest({ ...common, servername: options.host, ca: options.tls.ca, cert: options.tls.cert, key: options.tls.key }, done)
      : httpRequest(common, done);
    function done(res: import('node:http').IncomingMessage) {
      const peer = (res.socket as TLSSocket).getPeerCertificate?.()?.subjectaltname;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers, peer }));
    }
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** An application answering with its name, the request's host and path, and the client certificate it saw. */
function app(name: string, tls?: { cert: string; key: string; ca?: string }): Promise<{ server: Server; port: number }> {
  const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate?.()?.subject?.CN;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ app: name, host: req.headers.host, path: req.url, clientCert: peer ?? null }));
  };
  const server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: true } : {}) }, handler) : createHttpServer(handler);
  return freePort().then(
    (port) =>
      new Promise((resolve) => {
        server.listen(port, '127.0.0.1', () => resolve({ server, port }));
      }),
  );
}

describe('TLS at the gateway (Secure Gateways, PASSTHROUGH, egress TLS origination) on the local mesh', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'mesh-gateway-tls-'));
  const configDir = path.join(root, 'config');
  const credentialDir = path.join(root, 'credentials');
  const stateDir = path.join(root, 'state');
  const pki = path.join(root, 'pki');
  let mesh: LocalMesh | undefined;
  const servers: Server[] = [];
  let example: Pki;
  let clientCa: Pki;
  let nginxCa: Pki;
  let client: { cert: string; key: string };
  const p = { https: 0, mutual: 0, http: 0, passthrough: 0, egress: 0, missing: 0 };

  before(async () => {
    mkdirSync(configDir, { recursive: true });
    mkdirSync(stateDir, { recursive: true });
    // Istio's task: one CA for the example.com hosts, the server certificates in credentials named by the Gateway.
    example = makeCa(path.join(pki, 'example'), 'example.com');
    issue(example, path.join(credentialDir, 'httpbin-credential'), 'httpbin.example.com');
    issue(example, path.join(credentialDir, 'helloworld-credential'), 'helloworld.example.com');
    // MUTUAL: the server certificate and, in ca.crt, the CA that signed the clients' certificates.
    clientCa = makeCa(path.join(pki, 'clients'), 'clients.example.com');
    issue(example, path.join(credentialDir, 'httpbin-mutual'), 'httpbin.example.com');
    writeFileSync(path.join(credentialDir, 'httpbin-mutual', 'ca.crt'), clientCa.ca);
    client = issue(clientCa, path.join(pki, 'client'), 'client.example.com');
    // PASSTHROUGH: the backend's own CA and certificate, never seen by the mesh.
    nginxCa = makeCa(path.join(pki, 'nginx'), 'nginx-ca.example.com');
    const nginxCert = issue(nginxCa, path.join(pki, 'nginx-server'), 'nginx.example.com');
    // Egress origination: the external server's CA and the gateway's client certificate for it (MUTUAL).
    const externalCa = makeCa(path.join(pki, 'external'), 'external-ca.example.com');
    const externalCert = issue(externalCa, path.join(pki, 'external-server'), 'api.external.example');
    issue(clientCa, path.join(credentialDir, 'api-client'), 'egress.example.com');
    writeFileSync(path.join(credentialDir, 'api-client', 'ca.crt'), externalCa.ca);

    const httpbin = await app('httpbin');
    const helloworld = await app('helloworld');
    const nginx = await app('nginx', nginxCert);
    const external = await app('external', { ...externalCert, ca: clientCa.ca });
    servers.push(httpbin.server, helloworld.server, nginx.server, external.server);
    for (const k of Object.keys(p) as Array<keyof typeof p>) p[k] = await freePort();

    writeFileSync(
      path.join(configDir, 'gateway-tls.yaml'),
      `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin, namespace: default}
spec:
  hosts: [httpbin.default.svc.cluster.local]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: 8000, name: http, protocol: HTTP}]
  endpoints: [{address: 127.0.0.1, ports: {http: ${httpbin.port}}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: helloworld, namespace: default}
spec:
  hosts: [helloworld.default.svc.cluster.local]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: 5000, name: http, protocol: HTTP}]
  endpoints: [{address: 127.0.0.1, ports: {http: ${helloworld.port}}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: nginx, namespace: default}
spec:
  hosts: [nginx.example.com]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: 443, name: tls, protocol: TLS}]
  endpoints: [{address: 127.0.0.1, ports: {tls: ${nginx.port}}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: external-api, namespace: default}
spec:
  hosts: [api.external.example]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: 443, name: http, protocol: HTTP}]
  endpoints: [{address: 127.0.0.1, ports: {http: ${external.port}}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: external-api, namespace: default}
spec:
  host: api.external.example
  trafficPolicy:
    tls: {mode: MUTUAL, credentialName: api-client, sni: api.external.example, subjectAltNames: [api.external.example]}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: mygateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${p.https}, name: https-httpbin, protocol: HTTPS}
    hosts: [httpbin.example.com]
    tls: {mode: SIMPLE, credentialName: httpbin-credential}
  - port: {number: ${p.https}, name: https-helloworld, protocol: HTTPS}
    hosts: [helloworld.example.com]
    tls: {mode: SIMPLE, credentialName: helloworld-credential}
  - port: {number: ${p.mutual}, name: https-mutual, protocol: HTTPS}
    hosts: [httpbin.example.com]
    tls: {mode: MUTUAL, credentialName: httpbin-mutual}
  - port: {number: ${p.http}, name: http, protocol: HTTP}
    hosts: [httpbin.example.com]
    tls: {httpsRedirect: true}
  - port: {number: ${p.passthrough}, name: tls-nginx, protocol: TLS}
    hosts: [nginx.example.com]
    tls: {mode: PASSTHROUGH}
  - port: {number: ${p.egress}, name: http-egress, protocol: HTTP}
    hosts: [api.external.example]
  - port: {number: ${p.missing}, name: https-missing, protocol: HTTPS}
    hosts: [missing.example.com]
    tls: {mode: SIMPLE, credentialName: no-such-credential}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: httpbin, namespace: default}
spec:
  hosts: [httpbin.example.com, missing.example.com]
  gateways: [mygateway]
  http:
  - route: [{destination: {host: httpbin.default.svc.cluster.local, port: {number: 8000}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: helloworld, namespace: default}
spec:
  hosts: [helloworld.example.com]
  gateways: [mygateway]
  http:
  - route: [{destination: {host: helloworld.default.svc.cluster.local, port: {number: 5000}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: nginx, namespace: default}
spec:
  hosts: [nginx.example.com]
  gateways: [mygateway]
  tls:
  - match: [{port: ${p.passthrough}, sniHosts: [nginx.example.com]}]
    route: [{destination: {host: nginx.example.com, port: {number: 443}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: external-api, namespace: default}
spec:
  hosts: [api.external.example]
  gateways: [mygateway]
  http:
  - route: [{destination: {host: api.external.example, port: {number: 443}}}]
`,
    );
    mesh = await startLocalMesh({
      configDir,
      stateDir,
      credentialDir,
      sample: false,
      ports: await freeMeshPorts(),
      onLine: process.env.MESH_TEST_VERBOSE === '1' ? (name, text) => process.stderr.write(`[${name}] ${text}\n`) : undefined,
    });
    // The gateway is ready before pilot has its credentials from galley: wait until the TLS server answers.
    await waitFor('the gateway serving httpbin.example.com over TLS', () => get({ port: p.https, host: 'httpbin.example.com', tls: { ca: example.ca } }).then((a) => a.status === 200).catch(() => false), { timeoutMs: 60_000, intervalMs: 250 });
  });

  after(async () => {
    await mesh?.stop();
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('SIMPLE: the client verifying with the example.com CA gets 200 from httpbin and sees the httpbin.example.com certificate', async () => {
    const a = await get({ port: p.https, host: 'httpbin.example.com', path: '/status/418', tls: { ca: example.ca } });
    assert.equal(a.status, 200);
    assert.equal(a.peer, 'DNS:httpbin.example.com');
    assert.deepEqual(JSON.parse(a.body), { app: 'httpbin', host: 'httpbin.example.com', path: '/status/418', clientCert: null });
    // A client that does not trust the example.com CA refuses the gateway's certificate.
    await assert.rejects(get({ port: p.https, host: 'httpbin.example.com', tls: { ca: nginxCa.ca } }), /self.signed|unable to verify|certificate/i);
  });

  it('two hosts on one port: the certificate and the backend chosen by SNI', async () => {
    const a = await get({ port: p.https, host: 'helloworld.example.com', tls: { ca: example.ca } });
    assert.equal(a.status, 200);
    assert.equal(a.peer, 'DNS:helloworld.example.com');
    assert.equal(JSON.parse(a.body).app, 'helloworld');
    const b = await get({ port: p.https, host: 'httpbin.example.com', tls: { ca: example.ca } });
    assert.equal(b.peer, 'DNS:httpbin.example.com');
    assert.equal(JSON.parse(b.body).app, 'httpbin');
    // An SNI no server exposes finds no filter chain: the connection is closed.
    await assert.rejects(get({ port: p.https, host: 'other.example.com', tls: { ca: example.ca } }));
  });

  it('MUTUAL: a client without a certificate is refused, one with a certificate of the configured CA gets 200', async () => {
    await assert.rejects(get({ port: p.mutual, host: 'httpbin.example.com', tls: { ca: example.ca } }), /certificate|socket hang up|ECONNRESET|alert/i);
    // A certificate from another CA is refused too.
    const stranger = issue(nginxCa, path.join(pki, 'stranger'), 'stranger.example.com');
    await assert.rejects(get({ port: p.mutual, host: 'httpbin.example.com', tls: { ca: example.ca, ...stranger } }));
    const a = await get({ port: p.mutual, host: 'httpbin.example.com', tls: { ca: example.ca, ...client } });
    assert.equal(a.status, 200);
    assert.equal(JSON.parse(a.body).app, 'httpbin');
  });

  it('httpsRedirect: plain HTTP gets 301 to https', async () => {
    const a = await get({ port: p.http, host: 'httpbin.example.com', path: '/headers' });
    assert.equal(a.status, 301);
    assert.equal(a.headers.location, 'https://httpbin.example.com/headers');
  });

  it("PASSTHROUGH: the TLS goes through untouched to the backend, whose own certificate the client sees", async () => {
    const a = await get({ port: p.passthrough, host: 'nginx.example.com', tls: { ca: nginxCa.ca } });
    assert.equal(a.status, 200);
    assert.equal(a.peer, 'DNS:nginx.example.com');
    assert.equal(JSON.parse(a.body).app, 'nginx');
  });

  it('egress TLS origination: plain HTTP to the gateway, mutual TLS with the credential to the external server', async () => {
    const a = await get({ port: p.egress, host: 'api.external.example', path: '/v1/things' });
    assert.equal(a.status, 200, a.body);
    assert.deepEqual(JSON.parse(a.body), { app: 'external', host: 'api.external.example', path: '/v1/things', clientCert: 'egress.example.com' });
  });

  it('a missing credential: that server refuses connections (never plaintext), and pilot reports it on push_status', async () => {
    await assert.rejects(get({ port: p.missing, host: 'missing.example.com', tls: { ca: example.ca } }));
    await assert.rejects(get({ port: p.missing, host: 'missing.example.com' }));
    const status = (await (await fetch(`http://127.0.0.1:${mesh!.ports.pilotMonitoring}/debug/push_status`)).json()) as { issues: Array<{ kind: string; name: string; field: string; message: string }> };
    assert.ok(
      status.issues.some((i) => i.kind === 'Gateway' && i.name === 'mygateway' && i.field === 'spec.servers[6].tls.credentialName' && /no credential no-such-credential/.test(i.message)),
      JSON.stringify(status.issues),
    );
    // The credential appears: the server starts serving without a restart.
    issue(example, path.join(credentialDir, 'no-such-credential'), 'missing.example.com');
    await waitFor('the new credential served', () => get({ port: p.missing, host: 'missing.example.com', tls: { ca: example.ca } }).then((a) => a.status === 200 && a.peer === 'DNS:missing.example.com').catch(() => false), { timeoutMs: 30_000, intervalMs: 250 });
  });
});
