// Pilot's secure xDS port (Istio's 15011): the same ADS server and snapshots
// as the plaintext port, over TLS that requires a client certificate from the
// mesh's CA. Pilot's own serving certificate comes from citadel like any
// workload's (spiffe://<td>/ns/istio-system/sa/istiod by default): citadel
// signs exactly one SPIFFE URI SAN and refuses DNS SANs in a workload CSR,
// so proxies verify pilot by that SPIFFE id, not by a host name. Clients are
// verified against the trust bundle pilot reads from NATS (it follows
// citadel's root rotation), and every stream must claim the namespace and
// service account its certificate names.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CertificateManager, type IssuedCertificate } from '@mesh/ca-client';
import { formatSpiffeId, privateKeyToPem, splitCertificates } from '@mesh/pki';
import { gauge, type Logger } from '@mesh/telemetry';
import { XdsTlsCertificates, adsServerCredentials, istioIdentityAuthorizer, type AdsServer } from '@mesh/xds';
import type { ConfigStore } from './config-store.ts';

const certExpiry = gauge('pilot_xds_cert_expiry_timestamp_seconds', "When the certificate pilot serves on its mTLS xDS port expires (Unix seconds)");

export interface SecureXdsOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  server: AdsServer;
  store: ConfigStore;
  log: Logger;
  /** citadel's certificate service host:port. */
  caAddress: string;
  /** PEM roots that verify citadel (and, with the NATS trust bundle, clients); re-read on each use. */
  caRootCertFile: string;
  /** Bearer token for the first certificate (renewals present the current certificate). */
  caTokenFile: string;
  /** The name citadel's serving certificate is checked against; the address's host when empty. */
  caServerName?: string;
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
  /** Requested certificate lifetime; citadel's default when 0. */
  validitySeconds?: number;
}

export interface SecureXds {
  readonly port: number;
  readonly spiffeId: string;
  /** Resolves with the first serving certificate; until then the port refuses every handshake. */
  readonly firstCertificate: Promise<IssuedCertificate>;
  /** The trust bundle changed: new handshakes verify clients against the new roots. */
  refreshRoots(): void;
  stop(): Promise<void>;
}

function canonical(pem: string): string {
  return new X509Certificate(pem).toString().trim() + '\n';
}

export async function startSecureXds(o: SecureXdsOptions): Promise<SecureXds> {
  const log = o.log.child({ xds: 'mtls' });
  const spiffeId = formatSpiffeId({ trustDomain: o.trustDomain, namespace: o.namespace, serviceAccount: o.serviceAccount });
  let issuerRoot: string | undefined;
  let fileProblem: string | undefined;
  const fileRoots = (): string[] => {
    try {
      const roots = splitCertificates(readFileSync(o.caRootCertFile, 'utf8'));
      fileProblem = undefined;
      return roots;
    } catch (err) {
      const problem = `cannot read --ca-root-cert ${o.caRootCertFile}: ${(err as Error).message}`;
      if (problem !== fileProblem) log.warn(problem);
      fileProblem = problem;
      return [];
    }
  };
  /** Every root pilot trusts: the NATS trust bundle (rotations), the root file, and the root of pilot's own chain. */
  const roots = (): string[] => {
    const set = new Set<string>();
    for (const pem of [...(o.store.trustBundle?.roots ?? []), ...fileRoots(), ...(issuerRoot ? [issuerRoot] : [])]) {
      try {
        set.add(canonical(pem));
      } catch (err) {
        log.warn('ignoring a trusted root that does not parse', { err: (err as Error).message });
      }
    }
    return [...set];
  };

  const certs = new XdsTlsCertificates();
  certs.setRoots(roots());
  const manager = new CertificateManager({
    endpoint: {
      address: o.caAddress,
      roots,
      serverName: o.caServerName || undefined,
      token: () => {
        let text: string;
        try {
          text = readFileSync(o.caTokenFile, 'utf8');
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT' && manager.isValid()) return undefined;
          throw new Error(`cannot read the CA token file ${o.caTokenFile} (--ca-token-file): ${(err as Error).message}`, { cause: err });
        }
        const token = text.trim();
        if (!token) throw new Error(`the CA token file ${o.caTokenFile} is empty`);
        return token;
      },
    },
    spiffeId,
    validitySeconds: o.validitySeconds || undefined,
    log: log.child({ component: 'ca-client' }),
  });
  manager.on('error', () => {}); // logged by the manager, retried with backoff
  manager.on('certificate', (cert) => {
    const last = cert.chain[cert.chain.length - 1];
    const lastCert = new X509Certificate(last);
    const selfSigned = cert.chain.length > 1 && lastCert.ca && lastCert.issuer === lastCert.subject;
    if (selfSigned) issuerRoot = canonical(last);
    // Served without the root: clients verify against their own bundle, never against what the server sends.
    certs.setIdentity(selfSigned ? cert.chain.slice(0, -1) : cert.chain, privateKeyToPem(cert.privateKey));
    certs.setRoots(roots());
    certExpiry.set(Math.floor(cert.notAfter.getTime() / 1000));
    log.info('serving certificate installed on the mTLS xDS port; new connections use it, open streams continue', {
      spiffeId,
      serial: cert.serialHex,
      notAfter: cert.notAfter.toISOString(),
      renewAt: manager.renewAt(cert).toISOString(),
    });
  });

  const authorize = istioIdentityAuthorizer({ trustDomains: () => [o.trustDomain] });
  const port = await o.server.listen(o.host, o.port, adsServerCredentials(certs), {}, authorize);
  log.info(`ADS (mTLS) listening on ${o.host}:${port}`, { address: `${o.host}:${port}`, spiffeId, ca: o.caAddress });
  const firstCertificate = manager.start();
  firstCertificate.catch(() => {});
  return {
    port,
    spiffeId,
    firstCertificate,
    refreshRoots: () => certs.setRoots(roots()),
    stop: () => manager.stop(),
  };
}
