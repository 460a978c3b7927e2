// Injected pods start the sidecar the way Istio's templates start
// pilot-agent: `<image> sidecar --domain ns.svc.cluster.local
// --proxyLogLevel=warning ...`, with the pilot address inside the PROXY_CONFIG
// JSON. This turns that command line into our own flags, so a pod injected by
// our injector (or from an Istio template) runs unchanged.
// The workload identity needs no translation: the injected env (CA_ADDR,
// TRUST_DOMAIN, SERVICE_ACCOUNT, POD_NAMESPACE) is what the run flags read, and
// their defaults are the injected mounts (istio-ca-root-cert at
// /var/run/secrets/istio/root-cert.pem, istio-token at /var/run/secrets/tokens).
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Where the injected pod mounts its downward API volume (istio-podinfo: labels, annotations), as pilot-agent reads it. */
export const POD_INFO_DIR = '/etc/istio/pod';

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

/**
 * The downward API's `metadata.labels` file: one `key="value"` per line, the
 * value quoted with Go's escapes. A line that is not that is an error naming
 * it (a half-read label set would select the wrong Sidecar and policies).
 */
export function parsePodInfoLabels(text: string, file: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    const m = /^([^=\s]+)="((?:[^"\\]|\\.)*)"$/.exec(line.trim());
    if (!m) throw new Error(`${file}:${i + 1}: not a downward API label line (key="value"): ${JSON.stringify(line.slice(0, 200))}`);
    labels[m[1]] = m[2].replace(/\\(.)/g, (_e, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
  }
  return labels;
}

/** The pod's labels from its istio-podinfo volume, or undefined when the pod has none mounted (not in Kubernetes). */
export function podInfoLabels(dir: string, read: (file: string) => string = (f) => readFileSync(f, 'utf8')): Record<string, string> | undefined {
  const file = path.join(dir, 'labels');
  let text: string;
  try {
    text = read(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read the pod's labels from ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parsePodInfoLabels(text, file);
}

/** `mode` is `sidecar` or `router` (Istio's names); the rest is what followed it on the command line. */
export function translateAgentArgs(mode: 'sidecar' | 'router', rest: string[], env: NodeJS.ProcessEnv, read?: (file: string) => string): AgentInvocation {
  const argv = ['--mode', mode === 'router' ? 'gateway' : 'sidecar'];
  const ignored: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const [name, inline] = rest[i].split(/=(.*)/s, 2) as [string, string | undefined];
    const takeValue = () => inline ?? rest[++i] ?? '';
    if (name === '--proxyLogLevel') {
      const level = takeValue();
      argv.push('--log-level', ENVOY_LEVELS[level] ?? 'info');
    } else if (name === '--statusPort') {
      // pilot-agent's status port (15020): app probes, merged metrics, /quitquitquit.
      argv.push('--agent-port', takeValue());
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
  // In a pod the kubelet probes 15021 (and the app probes on 15020) and Prometheus scrapes 15090 and 15020 on the pod IP.
  if (!given('--status-host', 'STATUS_HOST')) argv.push('--status-host', '0.0.0.0');
  if (!given('--interception-mode', 'INTERCEPTION_MODE') && env.ISTIO_META_INTERCEPTION_MODE) argv.push('--interception-mode', env.ISTIO_META_INTERCEPTION_MODE);
  // Pilot selects Sidecars, policies and subsets by the workload's labels: pilot-agent reads them from the downward API volume.
  if (!given('--labels', 'PROXY_LABELS')) {
    const labels = podInfoLabels(env.POD_INFO_DIR || POD_INFO_DIR, read);
    if (labels && Object.keys(labels).length > 0) argv.push('--labels', Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(','));
  }
  return { argv, ignored };
}
