// Istio's egress gateway tasks on the local mesh, with real processes: the
// mesh's egress gateway (istio=egressgateway, the Service
// istio-egressgateway.istio-system.svc.cluster.local ports 80/443), a `sleep`
// client behind its sidecar, and a local stand-in for edition.cnn.com (an HTTP
// server and an HTTPS server with its own CA), registered by a ServiceEntry
// whose endpoints are 127.0.0.1. The tasks' YAML is used as written, except
// for the ServiceEntry's resolution (STATIC to the stand-in instead of DNS)
// and the CA the gateway verifies the stand-in with:
//   a. "Egress Gateways", HTTP: the two-hop VirtualService (mesh → egress
//      gateway, egress gateway → edition.cnn.com); the gateway's access log
//      shows the request;
//   b. "Egress Gateways with TLS Origination": plain HTTP from sleep, TLS
//      (SIMPLE, SNI edition.cnn.com) from the egress gateway;
//   c. "Egress gateway for HTTPS traffic": sleep's own TLS goes through its
//      sidecar and the gateway's PASSTHROUGH server by SNI; the client sees the
//      stand-in's certificate;
//   d. the same as a, with mutual TLS between sleep's sidecar and the gateway
//      (Gateway server ISTIO_MUTUAL, DestinationRule ISTIO_MUTUAL).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freeLoopbackAddress, freeMeshPorts, startLocalMesh, type LocalMesh } from '@mesh/local-mesh';
import { freePort, waitFor } from '@mesh/testing';
import { proxyStats } from './mesh-fixture.ts';

const HOST = 'edition.cnn.com';
const openssl = (cwd: string, ...args: string[]) => execFileSync('openssl', args, { cwd, stdio: 'pipe' });

/** The stand-in's CA and its certificate for edition.cnn.com, made with openssl as Istio's tasks make theirs. */
function makePki(dir: string): { ca: string; caFile: string; cert: string; key: string } {
  mkdirSync(dir, { recursive: true });
  openssl(dir, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/O=stand-in/CN=stand-in root');
  openssl(dir, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'tls.key', '-out', 'leaf.csr', '-subj', `/CN=${HOST}`, '-addext', `subjectAltName=DNS:${HOST}`);
  openssl(dir, 'x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'tls.crt', '-days', '1', '-copy_extensions', 'copy');
  const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
  return { ca: read('ca.crt'), caFile: path.join(dir, 'ca.crt'), cert: read('tls.crt'), key: read('tls.key') };
}

interface Seen {
  server: 'http' | 'https';
  host?: string;
  path?: string;
  /** The SNI the HTTPS server was asked for (false: none). */
  sni?: string | false | null;
}

/** What the stand-in answers: which of its servers took the request, with what Host, path and SNI. */
function standIn(req: IncomingMessage, res: ServerResponse, server: Seen['server']): void {
  const sni = server === 'https' ? (req.socket as TLSSocket).servername : undefined;
  const seen: Seen = { server, host: req.headers.host, path: req.url, ...(server === 'https' ? { sni } : {}) };
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(seen));
}

function listen(server: Server): Promise<number> {
  return freePort().then((port) => new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(port))));
}

/** `curl http://edition.cnn.com<path>` from sleep: an absolute-form request to its sidecar's egress listener (its HTTP proxy). */
function curl(proxyPort: number, pathname: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port: proxyPort, path: `http://${HOST}${pathname}`, headers: { host: HOST }, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}

/** `curl https://edition.cnn.com<path>` from sleep: its own TLS (SNI edition.cnn.com, verifying with the stand-in's CA) to its sidecar's TLS listener. */
function curlTls(address: string, ca: string, pathname: string): Promise<{ status: number; body: string; peer?: string; issuer?: string }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: address, port: 443, servername: HOST, ca, timeout: 5000 });
    let raw = '';
    socket.setEncoding('utf8');
    socket.on('secureConnect', () => socket.write(`GET ${pathname} HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`));
    socket.on('data', (c) => (raw += c));
    socket.on('timeout', () => socket.destroy(new Error('timeout')));
    socket.on('error', reject);
    socket.on('end', () => {
      const cert = socket.getPeerCertificate();
      const [head, body = ''] = raw.split('\r\n\r\n');
      const issuer = cert?.issuer?.CN;
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), body, peer: cert?.subjectaltname, issuer: Array.isArray(issuer) ? issuer.join(',') : issuer });
    });
  });
}

const parse = (body: string): Seen | undefined => {
  try {
    return JSON.parse(body) as Seen;
  } catch {
    return undefined;
  }
};

describe("Istio's egress gateway tasks on the local mesh (HTTP, TLS origination, HTTPS passthrough, mTLS to the gateway)", { timeout: 150_000 }, () => {
  const root = mkdtempSync(path.join(tmpdir(), 'mesh-e2e-egress-'));
  const configDir = path.join(root, 'config');
  const stateDir = path.join(root, 'state');
  let mesh: LocalMesh | undefined;
  const servers: Server[] = [];
  let pki: ReturnType<typeof makePki>;
  let httpPort = 0;
  let httpsPort = 0;
  /** sleep's sidecar: its HTTP proxy port on 127.0.0.1, and its own address whose port 443 is its TLS egress listener. */
  let sleepHttp = 0;
  let sleepTlsAddress = '';
  const gatewayLines: string[] = [];
  const stage = (file: string, yaml: string) => writeFileSync(path.join(configDir, file), yaml);
  const unstage = (file: string) => unlinkSync(path.join(configDir, file));

  /** The ServiceEntry of the tasks, STATIC to the stand-in instead of DNS. */
  const serviceEntry = (httpsName: string, httpsProtocol: string) => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: cnn, namespace: default}
spec:
  hosts: [${HOST}]
  ports:
  - {number: 80, name: http-port, protocol: HTTP}
  - {number: 443, name: ${httpsName}, protocol: ${httpsProtocol}}
  resolution: STATIC
  endpoints: [{address: 127.0.0.1, ports: {http-port: ${httpPort}, ${httpsName}: ${httpsPort}}}]
`;

  before(async () => {
    mkdirSync(configDir, { recursive: true });
    mkdirSync(stateDir, { recursive: true });
    pki = makePki(path.join(root, 'pki'));
    const plain = createHttpServer((req, res) => standIn(req, res, 'http'));
    const secure = createHttpsServer({ cert: pki.cert, key: pki.key }, (req, res) => standIn(req, res, 'https'));
    servers.push(plain, secure);
    httpPort = await listen(plain);
    httpsPort = await listen(secure);
    sleepHttp = await freePort();
    sleepTlsAddress = await freeLoopbackAddress([443]);
    // sleep, as a VM without capture: an HTTP proxy listener for its http:// calls and, on its own address, a TLS
    // listener on the service port 443 for its https:// ones (what iptables would capture in a pod).
    stage('sleep.yaml', `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: sleep, namespace: default}
spec:
  workloadSelector: {labels: {app: sleep}}
  egress:
  - port: {number: ${sleepHttp}, protocol: HTTP, name: http-egress}
    bind: 127.0.0.1
    captureMode: NONE
    hosts: ["*/*"]
  - port: {number: 443, protocol: TLS, name: tls-egress}
    bind: ${sleepTlsAddress}
    captureMode: NONE
    hosts: ["default/${HOST}"]
`);
    const egressAddress = await freeLoopbackAddress([8080, 8443]);
    mesh = await startLocalMesh({
      configDir,
      stateDir,
      sample: false,
      egressGateway: true,
      egressGatewayAddress: egressAddress,
      workloads: [{ name: 'sleep', labels: { app: 'sleep' }, listenerPorts: [sleepHttp] }],
      ports: await freeMeshPorts(),
      onLine: (name, text) => {
        if (name === 'egress-gateway') gatewayLines.push(text);
        if (process.env.MESH_TEST_VERBOSE === '1') process.stderr.write(`[${name}] ${text}\n`);
      },
    });
  });

  after(async () => {
    await mesh?.stop();
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
    rmSync(root, { recursive: true, force: true });
  });

  /** The egress gateway's access log entries (JSON lines with msg "access"). */
  const accessLog = () =>
    gatewayLines.flatMap((l) => {
      try {
        const e = JSON.parse(l) as { msg?: string; path?: string; authority?: string; response_code?: number; upstream_cluster?: string | null };
        return e.msg === 'access' ? [e] : [];
      } catch {
        return [];
      }
    });

  it('is registered as istio-egressgateway.istio-system.svc.cluster.local: sleep knows its ports 80 and 443 at its own address (8080, 8443)', async () => {
    const eg = mesh!.egressGateway!;
    assert.deepEqual({ http: eg.http, https: eg.https }, { http: 8080, https: 8443 });
    const admin = mesh!.workloads.get('sleep')!.sidecar.admin;
    for (const port of [80, 443]) {
      const want = new RegExp(`^outbound\\|${port}\\|\\|istio-egressgateway\\.istio-system\\.svc\\.cluster\\.local::${eg.address.replaceAll('.', '\\.')}:${port + 8000}::`, 'm');
      await waitFor(`sleep's sidecar to know the egress gateway's port ${port}`, async () => want.test(await (await fetch(`http://127.0.0.1:${admin}/clusters`)).text()), { timeoutMs: 30_000, intervalMs: 200 });
    }
  });

  it('a. HTTP through the egress gateway: the request reaches edition.cnn.com and the gateway logs it', async () => {
    stage('se.yaml', serviceEntry('https', 'HTTPS'));
    stage('egress.yaml', `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: istio-egressgateway, namespace: default}
spec:
  selector: {istio: egressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [${HOST}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: egressgateway-for-cnn, namespace: default}
spec:
  host: istio-egressgateway.istio-system.svc.cluster.local
  subsets:
  - name: cnn
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: direct-cnn-through-egress-gateway, namespace: default}
spec:
  hosts: [${HOST}]
  gateways: [istio-egressgateway, mesh]
  http:
  - match:
    - gateways: [mesh]
      port: 80
    route:
    - destination: {host: istio-egressgateway.istio-system.svc.cluster.local, subset: cnn, port: {number: 80}}
      weight: 100
  - match:
    - gateways: [istio-egressgateway]
      port: 80
    route:
    - destination: {host: ${HOST}, port: {number: 80}}
      weight: 100
`);
    await waitFor(
      'sleep -> egress gateway -> edition.cnn.com',
      async () => {
        const a = await curl(sleepHttp, '/politics?task=a');
        return a.status === 200 && accessLog().some((e) => e.path === '/politics?task=a');
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const a = await curl(sleepHttp, '/politics?task=a&n=2');
    assert.equal(a.status, 200, a.body);
    assert.deepEqual(parse(a.body), { server: 'http', host: HOST, path: '/politics?task=a&n=2' });
    await waitFor('the access log line', async () => accessLog().some((e) => e.path === '/politics?task=a&n=2'), { timeoutMs: 5_000, intervalMs: 50 });
    const line = accessLog().find((e) => e.path === '/politics?task=a&n=2')!;
    assert.equal(line.authority, HOST);
    assert.equal(line.response_code, 200);
    assert.equal(line.upstream_cluster, `outbound|80||${HOST}`);
  });

  /** The TLS origination task's resources; `sni` added to its DestinationRule when given. */
  const originationYaml = (sni?: string) => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: istio-egressgateway, namespace: default}
spec:
  selector: {istio: egressgateway}
  servers:
  - port: {number: 80, name: https-port-for-tls-origination, protocol: HTTP}
    hosts: [${HOST}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: egressgateway-for-cnn, namespace: default}
spec:
  host: istio-egressgateway.istio-system.svc.cluster.local
  subsets:
  - name: cnn
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: direct-cnn-through-egress-gateway, namespace: default}
spec:
  hosts: [${HOST}]
  gateways: [istio-egressgateway, mesh]
  http:
  - match:
    - gateways: [mesh]
      port: 80
    route:
    - destination: {host: istio-egressgateway.istio-system.svc.cluster.local, subset: cnn, port: {number: 80}}
      weight: 100
  - match:
    - gateways: [istio-egressgateway]
      port: 80
    route:
    - destination: {host: ${HOST}, port: {number: 443}}
      weight: 100
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: originate-tls-for-edition-cnn-com, namespace: default}
spec:
  host: ${HOST}
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    portLevelSettings:
    - port: {number: 443}
      tls:
        mode: SIMPLE # initiates HTTPS for connections to edition.cnn.com
        caCertificates: ${pki.caFile} # the stand-in's CA (the real edition.cnn.com needs none: the system roots)
${sni ? `        sni: ${sni}\n` : ''}`;

  it("b. TLS origination at the egress gateway, the task's DestinationRule as written (no sni): the SNI is the request's host (Istio's auto SNI)", async () => {
    stage('se.yaml', serviceEntry('https-port', 'HTTPS'));
    stage('egress.yaml', originationYaml());
    await waitFor('the answer from the HTTPS stand-in', async () => parse((await curl(sleepHttp, '/politics?task=b')).body)?.server === 'https', { timeoutMs: 30_000, intervalMs: 250 });
    const b = await curl(sleepHttp, '/politics?task=b&n=2');
    assert.equal(b.status, 200, b.body);
    assert.deepEqual(parse(b.body), { server: 'https', host: HOST, path: '/politics?task=b&n=2', sni: HOST });
  });

  it('b. TLS origination at the egress gateway with sni in the DestinationRule: sleep sends plain HTTP, the gateway speaks TLS with SNI edition.cnn.com', async () => {
    stage('se.yaml', serviceEntry('https-port', 'HTTPS'));
    stage('egress.yaml', originationYaml(HOST));
    await waitFor('the HTTPS stand-in asked for edition.cnn.com', async () => parse((await curl(sleepHttp, '/politics?task=b-sni')).body)?.sni === HOST, { timeoutMs: 30_000, intervalMs: 250 });
    const b = await curl(sleepHttp, '/politics?task=b-sni&n=2');
    assert.equal(b.status, 200, b.body);
    assert.deepEqual(parse(b.body), { server: 'https', host: HOST, path: '/politics?task=b-sni&n=2', sni: HOST });
    await waitFor('the access log line', async () => accessLog().some((e) => e.path === '/politics?task=b-sni&n=2'), { timeoutMs: 5_000, intervalMs: 50 });
    assert.equal(accessLog().find((e) => e.path === '/politics?task=b-sni&n=2')?.upstream_cluster, `outbound|443||${HOST}`);
    unstage('egress.yaml');
  });

  it('c. HTTPS through the egress gateway (PASSTHROUGH by SNI): the client sees the stand-in\'s own certificate', async () => {
    const tcpThroughGateway = async () => (await proxyStats(mesh!.ports.egressGatewayAdmin)).find(([k]) => k === `cluster.outbound|443||${HOST}.upstream_cx_total`)?.[1] ?? 0;
    const before = await tcpThroughGateway();
    stage('se.yaml', serviceEntry('tls', 'TLS'));
    stage('egress.yaml', `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: istio-egressgateway, namespace: default}
spec:
  selector: {istio: egressgateway}
  servers:
  - port: {number: 443, name: tls, protocol: TLS}
    hosts: [${HOST}]
    tls: {mode: PASSTHROUGH}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: egressgateway-for-cnn, namespace: default}
spec:
  host: istio-egressgateway.istio-system.svc.cluster.local
  subsets:
  - name: cnn
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: direct-cnn-through-egress-gateway, namespace: default}
spec:
  hosts: [${HOST}]
  gateways: [mesh, istio-egressgateway]
  tls:
  - match:
    - gateways: [mesh]
      port: 443
      sniHosts: [${HOST}]
    route:
    - destination: {host: istio-egressgateway.istio-system.svc.cluster.local, subset: cnn, port: {number: 443}}
  - match:
    - gateways: [istio-egressgateway]
      port: 443
      sniHosts: [${HOST}]
    route:
    - destination: {host: ${HOST}, port: {number: 443}}
      weight: 100
`);
    await waitFor('HTTPS through sleep\'s TLS listener', async () => (await curlTls(sleepTlsAddress, pki.ca, '/politics?task=c').catch(() => undefined))?.status === 200, { timeoutMs: 30_000, intervalMs: 250 });
    const c = await curlTls(sleepTlsAddress, pki.ca, '/politics?task=c&n=2');
    assert.equal(c.status, 200, c.body);
    assert.equal(c.peer, `DNS:${HOST}`);
    assert.equal(c.issuer, 'stand-in root', "the stand-in's own certificate: nothing in between terminated the TLS");
    assert.deepEqual(parse(c.body), { server: 'https', host: HOST, path: '/politics?task=c&n=2', sni: HOST });
    // It went through the egress gateway, not straight from sleep's sidecar to edition.cnn.com.
    assert.ok((await tcpThroughGateway()) > before, `the egress gateway's outbound|443||${HOST} opened no connection: sleep's sidecar bypassed the gateway`);
    unstage('egress.yaml');
  });

  it('d. mutual TLS between sleep\'s sidecar and the egress gateway (ISTIO_MUTUAL): sleep gets through, a client without the mesh certificate does not', async () => {
    stage('se.yaml', serviceEntry('https', 'HTTPS'));
    stage('egress.yaml', `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: istio-egressgateway, namespace: default}
spec:
  selector: {istio: egressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [${HOST}]
    tls: {mode: ISTIO_MUTUAL}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: egressgateway-for-cnn, namespace: default}
spec:
  host: istio-egressgateway.istio-system.svc.cluster.local
  subsets:
  - name: cnn
    trafficPolicy:
      loadBalancer: {simple: ROUND_ROBIN}
      portLevelSettings:
      - port: {number: 443}
        tls: {mode: ISTIO_MUTUAL, sni: ${HOST}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: direct-cnn-through-egress-gateway, namespace: default}
spec:
  hosts: [${HOST}]
  gateways: [istio-egressgateway, mesh]
  http:
  - match:
    - gateways: [mesh]
      port: 80
    route:
    - destination: {host: istio-egressgateway.istio-system.svc.cluster.local, subset: cnn, port: {number: 443}}
      weight: 100
  - match:
    - gateways: [istio-egressgateway]
      port: 443
    route:
    - destination: {host: ${HOST}, port: {number: 80}}
      weight: 100
`);
    await waitFor('sleep -> (mTLS) egress gateway -> edition.cnn.com', async () => {
      const d = await curl(sleepHttp, '/politics?task=d');
      return d.status === 200 && accessLog().some((e) => e.path === '/politics?task=d');
    }, { timeoutMs: 30_000, intervalMs: 250 });
    const d = await curl(sleepHttp, '/politics?task=d&n=2');
    assert.deepEqual(parse(d.body), { server: 'http', host: HOST, path: '/politics?task=d&n=2' });
    // The gateway's 443 server asks for a mesh client certificate: a client with only the right CA is refused.
    const root = readFileSync(path.join(stateDir, 'citadel', 'root-cert.pem'), 'utf8');
    const eg = mesh!.egressGateway!;
    await assert.rejects(
      new Promise<void>((resolve, reject) => {
        const s = tlsConnect({ host: eg.address, port: eg.https, servername: HOST, ca: root, checkServerIdentity: () => undefined, timeout: 5000 });
        s.on('secureConnect', () => s.write(`GET / HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`));
        s.on('data', (chunk: Buffer) => (/^HTTP\/1\.1 200/.test(chunk.toString()) ? resolve() : reject(new Error(chunk.toString()))));
        s.on('error', reject);
        s.on('end', () => reject(new Error('closed')));
        s.on('timeout', () => s.destroy(new Error('timeout')));
      }),
    );
    unstage('egress.yaml');
  });
});
