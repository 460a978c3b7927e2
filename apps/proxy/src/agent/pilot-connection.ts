// How the proxy talks to pilot: plaintext (15010, loopback tools and local
// development) or mutual TLS (15011) with the workload certificate as the
// client certificate. Pilot is verified against the trust bundle (ROOTCA) and
// by its SPIFFE id, since citadel issues no DNS SANs to workloads (pilot
// included). A renewed certificate or a changed bundle is used by the next
// connection; the open stream is left alone.
import type { ChannelCredentials, ChannelOptions } from '@grpc/grpc-js';
import { parseSpiffeId } from '@mesh/pki';
import type { Logger } from '@mesh/telemetry';
import { XdsTlsCertificates, adsClientCredentials } from '@mesh/xds';
import type { AgentSources } from '../secrets/proxy-secrets.ts';

/** Istio's secure xDS ports: 15011 (pilot before istiod) and 15012 (istiod). */
const SECURE_XDS_PORTS = new Set([15011, 15012]);

/**
 * `--xds-tls`: on, off, or auto (the default, as Istio's agent decides by the
 * discovery address): TLS when the --pilot port is 15011 or 15012.
 */
export function useXdsTls(setting: string, pilotAddress: string): boolean {
  if (setting === 'on') return true;
  if (setting === 'off') return false;
  if (setting !== 'auto') throw new Error(`--xds-tls must be auto, on or off, got "${setting}"`);
  const port = Number(/:(\d+)$/.exec(pilotAddress)?.[1]);
  return SECURE_XDS_PORTS.has(port);
}

/** The SPIFFE ids pilot may present: --pilot-san, else spiffe://<trust-domain>/ns/istio-system/sa/istiod. */
export function pilotServerIds(pilotSan: readonly string[], trustDomain: string): string[] {
  const ids = pilotSan.length > 0 ? [...pilotSan] : [`spiffe://${trustDomain}/ns/istio-system/sa/istiod`];
  for (const id of ids) {
    const parsed = parseSpiffeId(id);
    if (!parsed.ok) throw new Error(`--pilot-san: ${parsed.error}`);
  }
  return ids;
}

export interface PilotTls {
  credentials: ChannelCredentials;
  channelOptions: ChannelOptions;
  /** Resolves once the workload certificate exists: connecting earlier could only fail. */
  firstCertificate: Promise<void>;
  stop(): void;
}

/** Client credentials for pilot's mTLS port that follow the agent's certificate and trust bundle. */
export function pilotTls(agent: AgentSources, serverIds: readonly string[], log: Logger): PilotTls {
  const certs = new XdsTlsCertificates();
  certs.setRoots(agent.bundle.roots());
  const install = () => {
    const cert = agent.identity.current();
    if (cert) certs.setIdentity(cert.servedChain, cert.keyPem);
    // citadel's chain may bring a root the file did not have yet.
    certs.setRoots(agent.bundle.roots());
  };
  const onRoots = () => certs.setRoots(agent.bundle.roots());
  let resolveFirst!: () => void;
  const firstCertificate = new Promise<void>((resolve) => (resolveFirst = resolve));
  const onCertificate = () => {
    install();
    resolveFirst();
  };
  agent.identity.on('certificate', onCertificate);
  agent.bundle.on('change', onRoots);
  if (agent.identity.current()) onCertificate();
  // Pilot's address is usually an IP, which SNI cannot carry; send pilot's service name (what is verified is the SPIFFE id).
  const first = parseSpiffeId(serverIds[0]);
  const serverName = first.ok ? `${first.id.serviceAccount}.${first.id.namespace}.svc` : undefined;
  const { credentials, channelOptions } = adsClientCredentials(certs, { serverIds, serverName });
  log.info('xDS over mutual TLS: pilot is verified against the trust bundle and by its SPIFFE id', { pilotSan: serverIds, serverName });
  return {
    credentials,
    channelOptions,
    firstCertificate,
    stop: () => {
      agent.identity.off('certificate', onCertificate);
      agent.bundle.off('change', onRoots);
    },
  };
}
