// A loopback-only admin endpoint for local mode: mint bootstrap tokens for
// workloads and start a root rotation. It always binds 127.0.0.1, whatever
// the other listeners bind, because a token is a credential.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@mesh/telemetry';
import type { CertificateAuthority } from './authority.ts';
import type { BootstrapTokens } from './auth/bootstrap-tokens.ts';

export interface AdminServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startAdminServer(o: { port: number; authority: CertificateAuthority; tokens?: BootstrapTokens; defaultTokenTtlSeconds: number; log: Logger }): Promise<AdminServer> {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (code: number, body: unknown) => {
      const text = JSON.stringify(body, null, 2) + '\n';
      res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(text);
    };
    try {
      if (req.method === 'POST' && url.pathname === '/token') {
        if (!o.tokens) return send(404, { error: 'bootstrap tokens exist only in local mode; Kubernetes workloads use service-account tokens' });
        const namespace = url.searchParams.get('namespace') ?? '';
        const serviceAccount = url.searchParams.get('serviceAccount') ?? url.searchParams.get('service-account') ?? '';
        const ttl = Number(url.searchParams.get('ttlSeconds') ?? o.defaultTokenTtlSeconds);
        if (!namespace || !serviceAccount) return send(400, { error: 'query parameters namespace and serviceAccount are required' });
        const { token, expiresAt } = await o.tokens.issue(namespace, serviceAccount, ttl);
        o.log.info('bootstrap token issued', { namespace, serviceAccount, expiresAt: expiresAt.toISOString() });
        return send(200, { token, expiresAt: expiresAt.toISOString() });
      }
      if (req.method === 'POST' && url.pathname === '/rotate') {
        await o.authority.rotate('admin request');
        return send(202, o.authority.status());
      }
      if (req.method === 'GET' && url.pathname === '/roots') {
        res.writeHead(200, { 'content-type': 'application/x-pem-file' });
        return res.end(o.authority.bundle().join(''));
      }
      send(404, { error: `no ${req.method} ${url.pathname}; try POST /token?namespace=&serviceAccount=, POST /rotate, GET /roots` });
    } catch (err) {
      send(400, { error: (err as Error).message });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, '127.0.0.1', () => resolve());
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
