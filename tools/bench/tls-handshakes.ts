// The floor under the sidecars' handshake rate: node:tls alone, mutual TLS 1.3
// with the mesh's kind of certificates (ECDSA P-256 signed by citadel's root),
// both ends in this one process, connections opened and closed as fast as 8
// at a time allow, no HTTP. What a sidecar pays per new mTLS connection
// beyond this is the proxy's own. The mtls bench runs it pinned to the
// sidecars' core:
//   node tools/bench/tls-handshakes.ts --dir STATE_DIR [--seconds 10]
// (STATE_DIR holds cert.pem and key.pem, and citadel/root-cert.pem.) Prints JSON.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import tls from 'node:tls';

const arg = (name: string, fallback?: string) => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`usage: tls-handshakes.ts --dir STATE_DIR [--seconds N]`);
  return v;
};
const dir = arg('dir');
const seconds = Number(arg('seconds', '10'));
const material = { cert: readFileSync(path.join(dir, 'cert.pem')), key: readFileSync(path.join(dir, 'key.pem')), ca: readFileSync(path.join(dir, 'citadel', 'root-cert.pem')) };

const server = tls.createServer({ ...material, requestCert: true, rejectUnauthorized: true, sessionTimeout: 0, ALPNProtocols: ['h2', 'http/1.1'] }, (s) => s.end());
server.on('tlsClientError', () => {});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as AddressInfo).port;
// One client context for every connection, as a sidecar's cluster keeps one.
const secureContext = tls.createSecureContext(material);
let protocol = '';

const one = () =>
  new Promise<void>((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, secureContext, ALPNProtocols: ['istio-http/1.1', 'istio', 'http/1.1'], checkServerIdentity: () => undefined });
    s.once('secureConnect', () => (protocol ||= s.getProtocol() ?? ''));
    s.on('data', () => {});
    s.once('end', () => (s.end(), resolve()));
    s.once('error', reject);
  });

const runFor = async (ms: number) => {
  const deadline = performance.now() + ms;
  let count = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (performance.now() < deadline) {
        await one();
        count++;
      }
    }),
  );
  return count;
};

await runFor(1_000);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const handshakes = await runFor(seconds * 1000);
const elapsed = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
server.close();
process.stdout.write(JSON.stringify({ handshakes, seconds: elapsed, perSecond: handshakes / elapsed, cpuMsPerHandshake: (cpu.user + cpu.system) / 1000 / handshakes, protocol }) + '\n');
