// Pilot: reads config, registry, mesh config and trust bundle from NATS and
// serves Envoy configuration over ADS (SotW and Delta): plaintext on loopback
// 15010, mutual TLS with a certificate from citadel on 15011.
import { parseDuration } from '@mesh/config';
import { validateIdentity } from '@mesh/pki';
import { runMain, startService, type FlagValues } from '@mesh/service';
import type { Logger } from '@mesh/telemetry';
import { PILOT_FLAGS } from './flags.ts';
import { startPilot, type PilotOptions } from './pilot.ts';

await runMain('pilot', 'xDS server: turns Istio config from NATS into Envoy resources pushed over ADS', PILOT_FLAGS, async (flags) => {
  const service = await startService({ component: 'pilot', monitoringHost: flags.monitoringHost, monitoringPort: flags.monitoringPort });
  const { log } = service;
  service.setReady(false, 'waiting for the initial config from NATS');
  log.info('connecting to NATS', { servers: flags.natsUrl });
  const pilot = await startPilot({
    natsUrl: flags.natsUrl,
    xdsHost: flags.xdsHost,
    xdsPort: flags.xdsPort,
    secureXds: secureXdsOptions(flags, log),
    bindHost: flags.bindHost,
    defaultOutboundPort: flags.outboundPort,
    privilegedPortOffset: flags.privilegedPortOffset,
    debounceMs: flags.debounceAfter,
    debounceMaxMs: flags.debounceMax,
    domainSuffix: flags.domainSuffix,
    pilotId: flags.pilotId || undefined,
    proxyStatusTtlMs: flags.proxyStatusTtl * 1000,
    log,
    addDebug: service.addDebug,
  });
  service.onShutdown(() => pilot.stop());
  if (pilot.secureXds) {
    // Proxies connect to the mTLS port: until it has a certificate, this replica cannot serve them.
    service.setReady(false, `waiting for the serving certificate ${pilot.secureXds.spiffeId} from citadel at ${flags.caAddress}`);
    void pilot.secureXds.firstCertificate.then(
      () => service.setReady(true),
      () => {},
    );
  } else {
    service.setReady(true);
  }
});

/** The mTLS port's settings, or undefined (with the reason logged) when it is off. */
function secureXdsOptions(flags: FlagValues<typeof PILOT_FLAGS>, log: Logger): PilotOptions['secureXds'] {
  if (flags.secureXdsPort === 0) return undefined;
  if (!flags.caAddress) {
    log.warn(`no --ca-address (CA_ADDR): pilot cannot get a serving certificate, so the mTLS ADS port ${flags.secureXdsPort} stays closed; only the plaintext port serves`);
    return undefined;
  }
  const problem = validateIdentity({ trustDomain: flags.trustDomain, namespace: flags.podNamespace, serviceAccount: flags.serviceAccount });
  if (problem) throw new Error(`cannot form pilot's SPIFFE id from --trust-domain, --pod-namespace and --service-account: ${problem}`);
  const ttlMs = parseDuration(flags.secretTtl);
  if (ttlMs === undefined || ttlMs < 1000) throw new Error(`--secret-ttl: "${flags.secretTtl}" is not a duration of at least 1s (examples: 24h, 90m, 30s)`);
  return {
    host: flags.secureXdsHost,
    port: flags.secureXdsPort,
    caAddress: flags.caAddress,
    caRootCertFile: flags.caRootCert,
    caTokenFile: flags.caTokenFile,
    caServerName: flags.caServerName,
    trustDomain: flags.trustDomain,
    namespace: flags.podNamespace,
    serviceAccount: flags.serviceAccount,
    validitySeconds: Math.round(ttlMs / 1000),
  };
}
