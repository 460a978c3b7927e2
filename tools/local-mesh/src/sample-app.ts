// The sample workload of the local mesh: a small HTTP service that says which
// service and version answered, and echoes what it received, so routing is
// visible from curl. Runs as its own process:
//   node tools/local-mesh/src/sample-app.ts --service hello --version v1 --port 9081
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';

export interface SampleApp {
  readonly port: number;
  close(): Promise<void>;
}

export async function startSampleApp(options: { service: string; version: string; port: number; host?: string }): Promise<SampleApp> {
  const { service, version } = options;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
        return;
      }
      const body = JSON.stringify(
        { service, version, host: hostname(), method: req.method, path: req.url, headers: req.headers, bodyBytes: Buffer.concat(chunks).length },
        null,
        2,
      );
      res.writeHead(200, { 'content-type': 'application/json', 'x-served-by': `${service}-${version}`, 'content-length': Buffer.byteLength(body) });
      res.end(body + '\n');
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

if (import.meta.main) {
  const arg = (name: string, fallback: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
  };
  const app = await startSampleApp({ service: arg('service', 'hello'), version: arg('version', 'v1'), port: Number(arg('port', '9081')) });
  const log = (msg: string, extra: Record<string, unknown> = {}) =>
    process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level: 'info', component: 'sample-app', msg, ...extra }) + '\n');
  log('sample app listening', { address: `http://127.0.0.1:${app.port}`, service: arg('service', 'hello'), version: arg('version', 'v1') });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => void app.close().then(() => process.exit(0)));
}
