// The xDS node this proxy presents to pilot, built the way Istio's agent
// does: an id `<type>~<ip>~<pod>.<namespace>~<namespace>.svc.cluster.local`
// (or given outright), and metadata pilot selects config by (LABELS,
// NAMESPACE, WORKLOAD_NAME, CLUSTER_ID, INTERCEPTION_MODE, OUTBOUND_PORT,
// INBOUND_PORT, BIND_ADDRESS, plus every ISTIO_META_* environment variable).
import os from 'node:os';
import type { IstioIdentity } from './stats.ts';

export type ProxyMode = 'gateway' | 'sidecar';

export interface NodeOptions {
  mode: ProxyMode;
  nodeId?: string;
  podName?: string;
  podNamespace?: string;
  instanceIp?: string;
  labels: string[];
  serviceCluster?: string;
  clusterId?: string;
  outboundPort?: number;
  inboundPort?: number;
  interceptionMode?: string;
  bindAddress?: string;
  /** The admin port, sent as PROXY_CONFIG.proxyAdminPort as Istio's agent does (istioctl proxy-config finds it there). */
  adminPort?: number;
  env?: NodeJS.ProcessEnv;
}

export interface XdsNodeIdentity {
  id: string;
  cluster: string;
  metadata: Record<string, unknown>;
}

/** Parses `k=v,k2=v2` (or a list of `k=v`) into labels; a bad entry names itself. */
export function parseLabels(entries: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of entries.flatMap((e) => e.split(','))) {
    const entry = raw.trim();
    if (!entry) continue;
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new Error(`--labels: "${entry}" is not key=value`);
    out[entry.slice(0, eq).trim()] = entry.slice(eq + 1).trim();
  }
  return out;
}

/** Splits an Istio node id into its parts, or undefined if it is not one. */
export function parseNodeId(id: string): { type: string; ip: string; workload: string; namespace: string } | undefined {
  const parts = id.split('~');
  if (parts.length !== 4) return undefined;
  const dot = parts[2].lastIndexOf('.');
  return {
    type: parts[0],
    ip: parts[1],
    workload: dot < 0 ? parts[2] : parts[2].slice(0, dot),
    namespace: dot < 0 ? parts[3].split('.')[0] : parts[2].slice(dot + 1),
  };
}

export function buildNode(options: NodeOptions): XdsNodeIdentity {
  const env = options.env ?? process.env;
  const labels = parseLabels(options.labels);
  const parsed = options.nodeId ? parseNodeId(options.nodeId) : undefined;
  const namespace = options.podNamespace || parsed?.namespace || 'default';
  const podName = options.podName || parsed?.workload || os.hostname();
  const ip = options.instanceIp || parsed?.ip || '127.0.0.1';
  const type = options.mode === 'gateway' ? 'router' : 'sidecar';
  const id = options.nodeId || `${type}~${ip}~${podName}.${namespace}~${namespace}.svc.cluster.local`;
  // Istio's agent: the workload is the deployment, i.e. the pod name without its replica-set suffixes.
  const workload = env.ISTIO_META_WORKLOAD_NAME || labels.app || podName.replace(/-[a-z0-9]{5,10}-[a-z0-9]{5}$/, '');
  const metadata: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith('ISTIO_META_') && v !== undefined) metadata[k.slice('ISTIO_META_'.length)] = v;
  }
  Object.assign(metadata, {
    LABELS: labels,
    NAMESPACE: namespace,
    NAME: podName,
    WORKLOAD_NAME: workload,
    INSTANCE_IPS: ip,
    CLUSTER_ID: options.clusterId || 'Kubernetes',
    INTERCEPTION_MODE: options.interceptionMode || 'NONE',
  });
  if (options.outboundPort) metadata.OUTBOUND_PORT = String(options.outboundPort);
  if (options.inboundPort) metadata.INBOUND_PORT = String(options.inboundPort);
  if (options.bindAddress) metadata.BIND_ADDRESS = options.bindAddress;
  // Istio's agent sends its ProxyConfig (PROXY_CONFIG, the mesh defaultConfig merged with the pod's
  // proxy.istio.io/config annotation) as node metadata; pilot reads gatewayTopology from it.
  let proxyConfig: Record<string, unknown> = {};
  if (env.PROXY_CONFIG) {
    try {
      proxyConfig = JSON.parse(env.PROXY_CONFIG);
    } catch {
      throw new Error('PROXY_CONFIG is not valid JSON; it should hold a ProxyConfig, e.g. {"gatewayTopology":{"numTrustedProxies":1}}');
    }
  }
  if (options.adminPort) proxyConfig = { ...proxyConfig, proxyAdminPort: options.adminPort };
  if (Object.keys(proxyConfig).length > 0) metadata.PROXY_CONFIG = proxyConfig;
  const cluster = options.serviceCluster || (options.mode === 'gateway' ? workload : `${workload}.${namespace}`);
  return { id, cluster, metadata };
}

/** The labels Istio's metrics use for this proxy's own workload. */
export function identityOf(node: XdsNodeIdentity): IstioIdentity {
  const labels = (node.metadata.LABELS ?? {}) as Record<string, string>;
  return {
    workload: String(node.metadata.WORKLOAD_NAME ?? 'unknown'),
    namespace: String(node.metadata.NAMESPACE ?? 'unknown'),
    app: labels.app ?? 'unknown',
    version: labels.version ?? 'unknown',
  };
}
