// Wires citadel from its parts: root store (directory or Secret), the
// authority, authenticators, bundle publishing (NATS and ConfigMaps), the
// signing service and the loopback admin endpoint.
import path from 'node:path';
import { backendByName, parseKeyType, validateTrustDomain, type KeyType, type SigningBackend } from '@mesh/pki';
import { connectBus, type Bus } from '@mesh/contracts';
import type { Logger } from '@mesh/telemetry';
import type { FlagValues } from '@mesh/service';
import { CertificateAuthority } from './authority.ts';
import { DirectoryStore, SecretStore } from './ca-store.ts';
import { startCertificateService, type CertificateService } from './certificate-service.ts';
import { BootstrapTokens, loadOrCreateTokenKey } from './auth/bootstrap-tokens.ts';
import { BootstrapTokenAuthenticator, ClientCertificateAuthenticator, TokenReviewAuthenticator, type Authenticator } from './auth/authenticators.ts';
import { NatsBundleSink, createBundlePublisher, type TrustBundleSink } from './bundle-publisher.ts';
import { startAdminServer, type AdminServer } from './admin-server.ts';
import { RootCertConfigMaps } from './kube/root-cert-configmaps.ts';
import type { KubeApi } from './kube/api.ts';
import { parseDuration } from './duration.ts';
import type { FLAGS } from './flags.ts';

export interface CitadelConfig {
  caPort: number;
  listenHost: string;
  adminPort: number;
  rootDir: string;
  cacertsDir?: string;
  trustDomain: string;
  keyType: KeyType;
  backend: SigningBackend;
  rootCertTtlMs: number;
  workloadCertTtlMs: number;
  maxWorkloadCertTtlMs: number;
  certBackdateMs: number;
  maxCsrBytes: number;
  rotation: { propagationDelayMs: number; retireGraceMs: number; autoRotateFraction: number; checkIntervalMs: number };
  natsUrl?: string;
  /** Kubernetes mode when set. */
  kube?: { api: KubeApi; namespace: string };
  tokenAudience: string;
  bootstrapTokenTtlMs: number;
  servingDnsNames: string[];
  servingIpAddresses: string[];
  servingCertTtlMs: number;
  /** Bundle publish retry pacing (tests shorten it). */
  publishRetryMs?: number;
}

export function configFromFlags(f: FlagValues<typeof FLAGS>, kube?: CitadelConfig['kube']): CitadelConfig {
  const tdProblem = validateTrustDomain(f.trustDomain);
  if (tdProblem) throw new Error(`--trust-domain: ${tdProblem}`);
  if (!(f.rotationAutoFraction >= 0 && f.rotationAutoFraction < 1)) throw new Error(`--rotation-auto-fraction: must be in [0, 1), got ${f.rotationAutoFraction}`);
  let keyType: KeyType;
  try {
    keyType = parseKeyType(f.keyType);
  } catch (err) {
    throw new Error(`--key-type: ${(err as Error).message}`);
  }
  let backend: SigningBackend;
  try {
    backend = backendByName(f.signingBackend);
  } catch (err) {
    throw new Error(`--signing-backend: ${(err as Error).message}`);
  }
  return {
    caPort: f.caPort,
    listenHost: f.listenHost,
    adminPort: f.adminPort,
    rootDir: path.resolve(f.rootDir),
    cacertsDir: f.cacertsDir ? path.resolve(f.cacertsDir) : undefined,
    trustDomain: f.trustDomain,
    keyType,
    backend,
    rootCertTtlMs: parseDuration(f.rootCertTtl, 'root-cert-ttl'),
    workloadCertTtlMs: parseDuration(f.workloadCertTtl, 'workload-cert-ttl'),
    maxWorkloadCertTtlMs: parseDuration(f.maxWorkloadCertTtl, 'max-workload-cert-ttl'),
    certBackdateMs: parseDuration(f.certBackdate, 'cert-backdate'),
    maxCsrBytes: f.maxCsrBytes,
    rotation: {
      propagationDelayMs: parseDuration(f.rotationPropagationDelay, 'rotation-propagation-delay'),
      retireGraceMs: parseDuration(f.rotationRetireGrace, 'rotation-retire-grace'),
      autoRotateFraction: f.rotationAutoFraction,
      checkIntervalMs: parseDuration(f.rotationCheckInterval, 'rotation-check-interval'),
    },
    natsUrl: f.natsUrl || undefined,
    kube,
    tokenAudience: f.tokenAudience,
    bootstrapTokenTtlMs: parseDuration(f.bootstrapTokenTtl, 'bootstrap-token-ttl'),
    servingDnsNames: f.servingDnsNames,
    servingIpAddresses: f.servingIpAddresses,
    servingCertTtlMs: parseDuration(f.servingCertTtl, 'serving-cert-ttl'),
  };
}

export interface Citadel {
  readonly authority: CertificateAuthority;
  readonly service: CertificateService;
  readonly port: number;
  readonly admin?: AdminServer;
  /** Local mode only. */
  readonly tokens?: BootstrapTokens;
  readonly configMaps?: RootCertConfigMaps;
  stop(): Promise<void>;
}

export async function startCitadel(c: CitadelConfig, log: Logger): Promise<Citadel> {
  const kube = c.kube;
  const sinks: TrustBundleSink[] = [];
  let bus: Bus | undefined;
  let stopped = false;
  if (c.natsUrl) {
    // Connecting goes on in the background (forever, if need be): signing never waits for NATS.
    const busPromise = connectBus({ servers: c.natsUrl, name: 'citadel', log });
    busPromise.then(
      (b) => (stopped ? void b.close() : (bus = b)),
      (err) => log.error('NATS connection failed', { err }),
    );
    sinks.push(new NatsBundleSink(busPromise, c.trustDomain));
  }
  let configMaps: RootCertConfigMaps | undefined;
  if (kube) {
    configMaps = new RootCertConfigMaps(kube.api, log);
    sinks.push({ name: 'configmaps', publish: (roots) => configMaps!.publish(roots) });
  }
  const publisher = createBundlePublisher(sinks, log, { initialRetryMs: c.publishRetryMs });

  const authority = await CertificateAuthority.open({
    store: kube ? new SecretStore(kube.api, kube.namespace) : new DirectoryStore(c.rootDir),
    cacertsDir: c.cacertsDir,
    trustDomain: c.trustDomain,
    keyType: c.keyType,
    backend: c.backend,
    rootTtlMs: c.rootCertTtlMs,
    defaultCertTtlMs: c.workloadCertTtlMs,
    maxCertTtlMs: c.maxWorkloadCertTtlMs,
    backdateMs: c.certBackdateMs,
    maxCsrBytes: c.maxCsrBytes,
    rotation: c.rotation,
    publishBundle: (roots) => publisher.publish(roots),
    log,
  });
  configMaps?.start();

  let tokens: BootstrapTokens | undefined;
  const authenticators: Authenticator[] = [];
  if (kube) {
    authenticators.push(new TokenReviewAuthenticator(kube.api, c.tokenAudience));
  } else {
    tokens = new BootstrapTokens(await loadOrCreateTokenKey(c.rootDir), c.trustDomain);
    authenticators.push(new BootstrapTokenAuthenticator(tokens));
  }
  authenticators.push(new ClientCertificateAuthenticator(c.trustDomain));

  const service = await startCertificateService({
    authority,
    authenticators,
    host: c.listenHost,
    port: c.caPort,
    servingDnsNames: c.servingDnsNames,
    servingIpAddresses: c.servingIpAddresses,
    servingTtlMs: c.servingCertTtlMs,
    log,
  });
  const admin = c.adminPort > 0 ? await startAdminServer({ port: c.adminPort, authority, tokens, defaultTokenTtlSeconds: c.bootstrapTokenTtlMs / 1000, log }) : undefined;
  if (admin) log.info('admin endpoint listening (loopback only)', { address: `http://127.0.0.1:${admin.port}`, endpoints: ['POST /token', 'POST /rotate', 'GET /roots'] });

  return {
    authority,
    service,
    port: service.port,
    admin,
    tokens,
    configMaps,
    async stop() {
      await admin?.close();
      await service.close();
      publisher.stop();
      configMaps?.stop();
      await authority.close();
      stopped = true;
      await bus?.close().catch(() => {});
    },
  };
}
