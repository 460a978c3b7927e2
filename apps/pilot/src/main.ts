// Pilot: reads config, registry, mesh config and trust bundle from NATS and
// serves Envoy configuration over ADS (SotW and Delta) on 15010.
import { runMain, startService } from '@mesh/service';
import { PILOT_FLAGS } from './flags.ts';
import { startPilot } from './pilot.ts';

await runMain('pilot', 'xDS server: turns Istio config from NATS into Envoy resources pushed over ADS', PILOT_FLAGS, async (flags) => {
  const service = await startService({ component: 'pilot', monitoringHost: flags.monitoringHost, monitoringPort: flags.monitoringPort });
  const { log } = service;
  service.setReady(false, 'waiting for the initial config from NATS');
  log.info('connecting to NATS', { servers: flags.natsUrl });
  const pilot = await startPilot({
    natsUrl: flags.natsUrl,
    xdsHost: flags.xdsHost,
    xdsPort: flags.xdsPort,
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
  service.setReady(true);
});
