// The signing service on 15012: Istio's IstioCertificateService over TLS.
// Citadel's own serving certificate comes from its CA (key made here, kept in
// memory) and is reissued when signing moves to a new root; client
// certificates are checked against the current trust bundle, so a workload
// can renew over mutual TLS.
import * as grpc from '@grpc/grpc-js';
import { caServiceDefinition, type IstioCertificateRequest, type IstioCertificateResponse } from '@mesh/ca-client';
import { formatSpiffeId, privateKeyToPem } from '@mesh/pki';
import type { Logger } from '@mesh/telemetry';
import { CaError, type CertificateAuthority } from './authority.ts';
import { authenticate, type Authenticator } from './auth/authenticators.ts';
import { signingLatency, signings } from './metrics.ts';

type CertificateProvider = grpc.experimental.CertificateProvider;
type CaCertificateUpdateListener = grpc.experimental.CaCertificateUpdateListener;
type IdentityCertificateUpdateListener = grpc.experimental.IdentityCertificateUpdateListener;

/** Holds the latest serving certificate and trusted roots and pushes them into grpc-js as they change. */
class ServingCredentials implements CertificateProvider {
  #identity: { certificate: Buffer; privateKey: Buffer } | null = null;
  #ca: { caCertificate: Buffer } | null = null;
  readonly #identityListeners = new Set<IdentityCertificateUpdateListener>();
  readonly #caListeners = new Set<CaCertificateUpdateListener>();

  setIdentity(chain: string[], privateKeyPem: string): void {
    this.#identity = { certificate: Buffer.from(chain.join('')), privateKey: Buffer.from(privateKeyPem) };
    for (const l of this.#identityListeners) l(this.#identity);
  }
  setRoots(roots: string[]): void {
    this.#ca = { caCertificate: Buffer.from(roots.join('')) };
    for (const l of this.#caListeners) l(this.#ca);
  }
  addCaCertificateListener(l: CaCertificateUpdateListener): void {
    this.#caListeners.add(l);
    // grpc-js registers its watcher only after adding the listener, so the current value is delivered on the next tick.
    queueMicrotask(() => this.#ca && this.#caListeners.has(l) && l(this.#ca));
  }
  removeCaCertificateListener(l: CaCertificateUpdateListener): void {
    this.#caListeners.delete(l);
  }
  addIdentityCertificateListener(l: IdentityCertificateUpdateListener): void {
    this.#identityListeners.add(l);
    queueMicrotask(() => this.#identity && this.#identityListeners.has(l) && l(this.#identity));
  }
  removeIdentityCertificateListener(l: IdentityCertificateUpdateListener): void {
    this.#identityListeners.delete(l);
  }
}

export interface CertificateServiceOptions {
  authority: CertificateAuthority;
  authenticators: Authenticator[];
  host: string;
  port: number;
  servingDnsNames: string[];
  servingIpAddresses: string[];
  servingTtlMs: number;
  log: Logger;
}

export interface CertificateService {
  readonly port: number;
  /** The serving certificate chain currently presented (leaf first). */
  servingChain(): string[];
  /** Stops accepting, lets in-flight calls finish (up to graceMs), then closes. */
  close(graceMs?: number): Promise<void>;
}

const bearer = /^bearer\s+(.+)$/i;

export async function startCertificateService(o: CertificateServiceOptions): Promise<CertificateService> {
  const { authority, log } = o;
  const creds = new ServingCredentials();
  let servingChain: string[] = [];
  let renewTimer: NodeJS.Timeout | undefined;
  const reissue = (reason: string) => {
    clearTimeout(renewTimer);
    const s = authority.issueServingCertificate(o.servingDnsNames, o.servingIpAddresses, o.servingTtlMs);
    servingChain = s.chain;
    creds.setIdentity(s.chain, privateKeyToPem(s.privateKey));
    log.info('serving certificate issued', { reason, dnsNames: o.servingDnsNames, notAfter: s.notAfter.toISOString() });
    renewTimer = setTimeout(() => reissue('half its lifetime passed'), Math.max(1_000, (s.notAfter.getTime() - Date.now()) / 2));
    renewTimer.unref();
  };
  creds.setRoots(authority.bundle());
  reissue('start');
  const onSigner = () => reissue('signing moved to a new root');
  const onBundle = (roots: string[]) => creds.setRoots(roots);
  authority.on('signer', onSigner);
  authority.on('bundle', onBundle);

  const server = new grpc.Server({ 'grpc.max_receive_message_length': 1024 * 1024 });
  server.addService(caServiceDefinition(), {
    CreateCertificate: (
      call: grpc.ServerUnaryCall<IstioCertificateRequest, IstioCertificateResponse>,
      callback: grpc.sendUnaryData<IstioCertificateResponse>,
    ) => {
      const started = process.hrtime.bigint();
      const peer = call.getPeer();
      void (async () => {
        const header = call.metadata.get('authorization')[0];
        const token = typeof header === 'string' ? bearer.exec(header.trim())?.[1] : undefined;
        const caller = await authenticate(o.authenticators, { token, peerCertificate: call.getAuthContext()?.sslPeerCertificate }, log);
        const issued = await authority.sign(call.request.csr, caller.identity as never, Number(call.request.validityDuration ?? 0));
        return { caller, issued };
      })().then(
        ({ caller, issued }) => {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          signings.inc({ result: 'ok' });
          signingLatency.observe({ result: 'ok' }, seconds);
          log.info('certificate issued', {
            identity: issued.spiffeId,
            serial: issued.serialHex,
            notAfter: issued.notAfter.toISOString(),
            authenticatedBy: caller.via,
            peer,
          });
          callback(null, { certChain: issued.chain });
        },
        (err: unknown) => {
          const code = err instanceof CaError ? err.code : grpc.status.INTERNAL;
          const details = err instanceof CaError ? err.message : 'internal error while signing; see citadel logs';
          const result = grpc.status[code] ?? String(code);
          signings.inc({ result });
          signingLatency.observe({ result }, Number(process.hrtime.bigint() - started) / 1e9);
          if (err instanceof CaError) log.warn('certificate request refused', { code: result, reason: details, peer });
          else log.error('certificate request failed', { err, peer });
          callback({ code, details });
        },
      );
    },
  });

  const credentials = grpc.experimental.createCertificateProviderServerCredentials(creds, creds, false);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${o.host}:${o.port}`, credentials, (err, p) => (err ? reject(new Error(`cannot listen on ${o.host}:${o.port}: ${err.message}`)) : resolve(p))),
  );
  log.info('certificate service listening', { address: `${o.host}:${port}`, trustDomain: authority.trustDomain, example: formatSpiffeId({ trustDomain: authority.trustDomain, namespace: 'default', serviceAccount: 'default' }) });

  return {
    port,
    servingChain: () => servingChain,
    async close(graceMs = 5_000) {
      authority.off('signer', onSigner);
      authority.off('bundle', onBundle);
      clearTimeout(renewTimer);
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
