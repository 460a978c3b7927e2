// Injected pods start the sidecar the way Istio's templates start
// pilot-agent: `<image> sidecar --domain ns.svc.cluster.local
// --proxyLogLevel=warning ...`, with the pilot address inside the PROXY_CONFIG
// JSON. This turns that command line into our own flags, so a pod injected by
// our injector (or from an Istio template) runs unchanged.

export interface AgentInvocation {
  /** Our `run` flags. */
  argv: string[];
  /** Agent flags we accept but have no use for, to say so in the log. */
  ignored: string[];
}

// Envoy's log levels onto ours.
const ENVOY_LEVELS: Record<string, string> = { trace: 'debug', debug: 'debug', info: 'info', warning: 'warn', warn: 'warn', error: 'error', critical: 'error', off: 'error' };
const IGNORED = new Set(['--proxyComponentLogLevel', '--log_output_level', '--log_as_json', '--concurrency', '--serviceCluster', '--stsPort', '--tokenManagerPlugin', '--outlierLogPath']);

function discoveryAddress(env: NodeJS.ProcessEnv): string | undefined {
  if (!env.PROXY_CONFIG) return undefined;
  try {
    const value = JSON.parse(env.PROXY_CONFIG).discoveryAddress;
    return typeof value === 'string' && value ? value : undefined;
  } catch {
    throw new Error('PROXY_CONFIG is not valid JSON; it should hold the mesh defaultConfig, e.g. {"discoveryAddress":"istiod.istio-system.svc:15012"}');
  }
}

/** `mode` is `sidecar` or `router` (Istio's names); the rest is what followed it on the command line. */
export function translateAgentArgs(mode: 'sidecar' | 'router', rest: string[], env: NodeJS.ProcessEnv): AgentInvocation {
  const argv = ['--mode', mode === 'router' ? 'gateway' : 'sidecar'];
  const ignored: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const [name, inline] = rest[i].split(/=(.*)/s, 2) as [string, string | undefined];
    const takeValue = () => inline ?? rest[++i] ?? '';
    if (name === '--proxyLogLevel') {
      const level = takeValue();
      argv.push('--log-level', ENVOY_LEVELS[level] ?? 'info');
    } else if (name === '--domain') {
      takeValue(); // the DNS domain is derived from POD_NAMESPACE already
    } else if (IGNORED.has(name)) {
      if (inline === undefined && rest[i + 1] !== undefined && !rest[i + 1].startsWith('--')) i++;
      ignored.push(name);
    } else {
      argv.push(rest[i]);
    }
  }
  const given = (flag: string, envName: string) => argv.some((a) => a === flag || a.startsWith(flag + '=')) || env[envName] !== undefined;
  const pilot = discoveryAddress(env);
  if (pilot && !given('--pilot', 'PILOT_ADDRESS')) argv.push('--pilot', pilot);
  // In a pod the kubelet probes 15021 and Prometheus scrapes 15090 on the pod IP.
  if (!given('--status-host', 'STATUS_HOST')) argv.push('--status-host', '0.0.0.0');
  if (!given('--interception-mode', 'INTERCEPTION_MODE') && env.ISTIO_META_INTERCEPTION_MODE) argv.push('--interception-mode', env.ISTIO_META_INTERCEPTION_MODE);
  return { argv, ignored };
}
