// The agent's workload certificate: a key made in this process (never
// written or logged), a CSR for spiffe://<td>/ns/<ns>/sa/<sa> sent to citadel
// with the pod's token, renewal at half the lifetime, and retries while
// citadel is away. What it holds is served to the data plane as the SDS
// secrets 'default' (the chain without the root, and the key) and 'ROOTCA'
// (the trust bundle), as Istio's agent serves them to Envoy.
import { EventEmitter } from 'node:events';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CertificateManager, type IssuedCertificate, type RetryPolicy } from '@mesh/ca-client';
import { privateKeyToPem } from '@mesh/pki';
import { gauge, type Logger } from '@mesh/telemetry';
import type { TrustBundle } from './trust-bundle.ts';

const expiry = gauge('mesh_agent_cert_expiry_timestamp_seconds', "When the workload certificate the agent serves expires (Unix seconds)", ['resource_name']);

/** The certificate as the data plane uses it. */
export interface InstalledCertificate {
  spiffeId: string;
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  installedAt: Date;
  renewAt: Date;
  /** Leaf first, as citadel returned it (root last). */
  chain: string[];
  /** What TLS presents: the leaf and intermediates, without the self-signed root (peers have it in their bundle). */
  servedChain: string[];
  /** PEM of the in-memory key; handed to TLS contexts only. */
  keyPem: string;
}

export interface WorkloadIdentityOptions {
  /** citadel's host:port. */
  caAddress: string;
  /** The name citadel's serving certificate must carry; the address's host when empty. */
  serverName?: string;
  /** Read per request (a projected token is rotated by the kubelet). */
  tokenFile: string;
  spiffeId: string;
  /** Requested lifetime; citadel's default when 0 or omitted. */
  validitySeconds?: number;
  bundle: TrustBundle;
  log: Logger;
  retry?: Partial<RetryPolicy>;
  /** Tests read through this. */
  read?: (file: string) => string;
}

export interface WorkloadIdentityEvents {
  certificate: [InstalledCertificate];
}

/** Istio's SPIFFE id of a workload. */
export function workloadSpiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** The chain a workload presents: everything up to, not including, a trailing self-signed root. */
export function chainWithoutRoot(chain: string[]): string[] {
  if (chain.length < 2) return chain;
  const last = new X509Certificate(chain[chain.length - 1]);
  return last.ca && last.issuer === last.subject ? chain.slice(0, -1) : chain;
}

export class WorkloadIdentity extends EventEmitter<WorkloadIdentityEvents> {
  readonly spiffeId: string;
  readonly caAddress: string;
  readonly #manager: CertificateManager;
  readonly #log: Logger;
  readonly #tokenFile: string;
  readonly #read: (file: string) => string;
  #current: InstalledCertificate | undefined;
  #lastError: string | undefined;

  constructor(options: WorkloadIdentityOptions) {
    super();
    this.spiffeId = options.spiffeId;
    this.caAddress = options.caAddress;
    this.#log = options.log;
    this.#tokenFile = options.tokenFile;
    this.#read = options.read ?? ((f) => readFileSync(f, 'utf8'));
    this.#manager = new CertificateManager({
      endpoint: {
        address: options.caAddress,
        // Per request: a bundle that changed (rotation) is what the next request verifies citadel with.
        roots: () => options.bundle.roots(),
        serverName: options.serverName || undefined,
        token: () => this.#token(),
      },
      spiffeId: options.spiffeId,
      validitySeconds: options.validitySeconds || undefined,
      retry: options.retry,
      log: options.log.child({ component: 'ca-client' }),
    });
    this.#manager.on('error', (err) => {
      this.#lastError = err.message;
    });
    this.#manager.on('certificate', (issued) => this.#install(issued, options.bundle));
  }

  /** Starts requesting in the background; the data plane runs meanwhile, refusing the TLS that needs the certificate. */
  start(): void {
    void this.#manager.start().catch(() => {});
  }

  current(): InstalledCertificate | undefined {
    return this.#current;
  }

  /** Why there is no certificate yet, for readiness. */
  waitingReason(): string {
    return `workload certificate for ${this.spiffeId} not yet issued by citadel at ${this.caAddress}${this.#lastError ? `: ${this.#lastError}` : ''}`;
  }

  async stop(): Promise<void> {
    await this.#manager.stop();
  }

  #token(): string | undefined {
    let text: string;
    try {
      text = this.#read(this.#tokenFile);
    } catch (err) {
      // Renewal can go on with the certificate itself while it is valid.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && this.#manager.isValid()) return undefined;
      throw new Error(
        `cannot read the CA token file ${this.#tokenFile}: ${(err as Error).message}. In Kubernetes it is the istio-token projected volume; in local mode write a token from \`citadel token --namespace NS --service-account SA\` there (or pass --ca-token-file)`,
        { cause: err },
      );
    }
    const token = text.trim();
    if (!token) throw new Error(`the CA token file ${this.#tokenFile} is empty`);
    return token;
  }

  #install(issued: IssuedCertificate, bundle: TrustBundle): void {
    const cert: InstalledCertificate = {
      spiffeId: issued.spiffeId,
      serialHex: issued.serialHex,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
      installedAt: issued.receivedAt,
      renewAt: this.#manager.renewAt(issued),
      chain: issued.chain,
      servedChain: chainWithoutRoot(issued.chain),
      keyPem: privateKeyToPem(issued.privateKey),
    };
    this.#current = cert;
    this.#lastError = undefined;
    expiry.set({ resource_name: 'default' }, Math.floor(cert.notAfter.getTime() / 1000));
    // The root citadel now signs with joins the bundle before anyone is told of the new certificate.
    bundle.setCaChain(issued.chain);
    this.#log.info(
      `workload certificate installed ${cert.spiffeId} serial ${cert.serialHex} expires ${cert.notAfter.toISOString()} renews at ${cert.renewAt.toISOString()}`,
      { spiffeId: cert.spiffeId, serial: cert.serialHex, notAfter: cert.notAfter.toISOString(), renewAt: cert.renewAt.toISOString() },
    );
    this.emit('certificate', cert);
  }
}

/** Go/Istio durations for --secret-ttl: "24h", "90m", "1h30m", "20s", "500ms", "24h0m0s". */
export function parseTtl(text: string, flag: string): number {
  const t = text.trim();
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let end = 0;
  for (let m; (m = re.exec(t)); end = re.lastIndex) total += Number(m[1]) * units[m[2]];
  if (!t || end !== t.length) throw new Error(`--${flag}: "${text}" is not a duration (examples: 24h, 90m, 1h30m, 20s)`);
  if (total < 1000) throw new Error(`--${flag}: "${text}" is shorter than one second; certificates carry whole seconds`);
  return total;
}
