// From the proxy's flags to the agent's certificate sources, refusing a
// start that could never get a certificate (no namespace or service account,
// no roots to verify citadel with) with what to do about it.
import { validateIdentity } from '@mesh/pki';
import type { Logger } from '@mesh/telemetry';
import type { AgentSources } from '../secrets/proxy-secrets.ts';
import { TrustBundle } from './trust-bundle.ts';
import { WorkloadIdentity, parseTtl, workloadSpiffeId } from './workload-identity.ts';

export interface IdentityFlags {
  caAddress: string;
  caRootCert: string;
  caTokenFile: string;
  caServerName: string;
  serviceAccount: string;
  podNamespace: string;
  trustDomain: string;
  secretTtl: string;
}

export interface IdentitySetupOptions {
  /** How often the root certificate file is polled besides the directory watch. */
  bundlePollMs?: number;
}

/** undefined when --ca-address is empty (no workload certificate); throws on a configuration that cannot work. */
export function createAgentIdentity(flags: IdentityFlags, log: Logger, options: IdentitySetupOptions = {}): AgentSources | undefined {
  if (!flags.caAddress) {
    log.warn(
      "no --ca-address (CA_ADDR): no workload certificate; the SDS secrets 'default' and 'ROOTCA' never arrive, so TLS that needs them (ISTIO_MUTUAL, mTLS inbound) refuses connections",
    );
    return undefined;
  }
  if (!flags.podNamespace) throw new Error('--ca-address is set but --pod-namespace (env POD_NAMESPACE) is empty: the workload certificate names the namespace');
  if (!flags.serviceAccount) throw new Error('--ca-address is set but --service-account (env SERVICE_ACCOUNT) is empty: the workload certificate names the service account');
  const problem = validateIdentity({ trustDomain: flags.trustDomain, namespace: flags.podNamespace, serviceAccount: flags.serviceAccount });
  if (problem) throw new Error(`cannot form the workload's SPIFFE id from --trust-domain, --pod-namespace and --service-account: ${problem}`);
  const ttlMs = parseTtl(flags.secretTtl, 'secret-ttl');
  if (!flags.caRootCert) throw new Error('--ca-address is set but --ca-root-cert is empty: the agent needs the roots that signed citadel\'s serving certificate');
  const bundle = new TrustBundle({ file: flags.caRootCert, pollMs: options.bundlePollMs, log });
  bundle.load(true);
  const spiffeId = workloadSpiffeId(flags.trustDomain, flags.podNamespace, flags.serviceAccount);
  const identity = new WorkloadIdentity({
    caAddress: flags.caAddress,
    serverName: flags.caServerName,
    tokenFile: flags.caTokenFile,
    spiffeId,
    validitySeconds: Math.round(ttlMs / 1000),
    bundle,
    log,
  });
  log.info('workload identity: requesting a certificate from citadel', {
    spiffeId,
    ca: flags.caAddress,
    caServerName: flags.caServerName || flags.caAddress.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''),
    rootCert: flags.caRootCert,
    roots: bundle.roots().length,
    tokenFile: flags.caTokenFile,
    ttl: flags.secretTtl,
  });
  return { identity, bundle };
}
