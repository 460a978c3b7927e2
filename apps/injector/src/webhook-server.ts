// The mutating admission webhook: HTTPS, POST /inject (and /inject/<anything>,
// the suffix Istio uses for cluster/network routing, which we ignore).
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@mesh/telemetry';
import { handleAdmissionReview, type AdmissionDeps } from './admission.ts';
import { admissionDuration, injections } from './metrics.ts';
import type { ServingCert } from './serving-cert.ts';

export interface WebhookServerOptions {
  host: string;
  port: number;
  tls: ServingCert;
  deps: AdmissionDeps;
  log: Logger;
  /** Bodies above this are refused with 413 (Kubernetes objects stay well under 3 MiB). */
  maxBodyBytes?: number;
}

export interface WebhookServer {
  readonly port: number;
  readonly server: https.Server;
  /** Swaps the serving certificate for new connections. */
  setCert(tls: ServingCert): void;
  close(): Promise<void>;
}

export async function startWebhookServer(o: WebhookServerOptions): Promise<WebhookServer> {
  const maxBody = o.maxBodyBytes ?? 3 * 1024 * 1024;
  const server = https.createServer({ cert: o.tls.cert, key: o.tls.key, keepAlive: true, noDelay: true }, (req, res) => {
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    const pathname = (req.url ?? '/').split('?')[0];
    if (pathname !== '/inject' && !pathname.startsWith('/inject/')) return send(404, `no handler for ${pathname}; the webhook is POST /inject\n`);
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return send(405, 'POST an AdmissionReview to /inject\n');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      if (tooBig) {
        injections.inc({ result: 'bad-request' });
        return send(413, `bad AdmissionReview: body larger than ${maxBody} bytes\n`);
      }
      const started = process.hrtime.bigint();
      let outcome;
      try {
        outcome = handleAdmissionReview(Buffer.concat(chunks).toString('utf8'), o.deps);
      } catch (err) {
        o.log.error('admission handler failed', { err });
        injections.inc({ result: 'denied' });
        return send(500, `internal error: ${(err as Error).message}\n`);
      }
      send(outcome.httpStatus, outcome.body, outcome.contentType);
      admissionDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
      injections.inc({ result: outcome.result });
      if (outcome.result === 'injected' || outcome.result === 'skipped') {
        if (o.log.enabled('debug')) o.log.debug(`admission ${outcome.result}`, outcome.detail);
      } else {
        o.log.warn(`admission ${outcome.result}`, outcome.detail);
      }
    });
    req.on('error', () => {});
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    server,
    setCert: (tls) => server.setSecureContext({ cert: tls.cert, key: tls.key }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Requests in flight get a moment to finish; then their connections go too.
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      }),
  };
}
