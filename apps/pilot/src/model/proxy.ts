// A connected proxy as pilot sees it, from its xDS node: Istio's node id
// `<type>~<ip>~<workload>.<namespace>~<namespace>.svc.<suffix>` and metadata
// (LABELS, NAMESPACE, OUTBOUND_PORT, GENERATOR, ...).
import { isIP } from 'node:net';
import { proxyConfigNumTrustedProxies } from '@mesh/config';
import type { XdsNode } from '@mesh/xds';

export type ProxyType = 'sidecar' | 'router';

/**
 * Istio's node metadata INTERCEPTION_MODE: REDIRECT (iptables, what injected
 * pods send; Istio's default when absent), TPROXY (treated as REDIRECT), NONE
 * (no traffic capture: applications use the sidecar's listeners explicitly).
 */
export type InterceptionMode = 'REDIRECT' | 'TPROXY' | 'NONE';

/** Istio's capture ports. */
export const DEFAULT_OUTBOUND_CAPTURE_PORT = 15001;
export const DEFAULT_INBOUND_CAPTURE_PORT = 15006;

export interface Proxy {
  id: string;
  type: ProxyType;
  ip: string;
  /** Empty when neither the id nor the metadata says. */
  namespace: string;
  workloadName: string;
  labels: Record<string, string>;
  metadata: Record<string, unknown>;
  /** A proxyless gRPC client (metadata GENERATOR=grpc, or a grpc-js/grpc-go user agent). */
  proxyless: boolean;
  /** Where the sidecar's outbound listener (`virtualOutbound`) listens: metadata OUTBOUND_PORT, else pilot's default. */
  outboundPort: number;
  /** Where `virtualInbound` listens: metadata INBOUND_PORT, else 15006. */
  inboundPort: number;
  /** Metadata INTERCEPTION_MODE (REDIRECT when absent, as in Istio). */
  interceptionMode: InterceptionMode;
  /** The workload's addresses: metadata INSTANCE_IPS (comma separated), else the node id's IP. */
  ips: string[];
  /** The address listeners bind (metadata BIND_ADDRESS, else pilot's --bind-host). */
  bindAddress: string;
  clusterId?: string;
  /** Istio's node metadata HTTP10=1: the proxy accepts HTTP/1.0 requests. */
  http10: boolean;
  /**
   * The proxy's own ProxyConfig gatewayTopology.numTrustedProxies (node metadata PROXY_CONFIG, from the
   * `proxy.istio.io/config` annotation); undefined when it does not say or says something invalid (the
   * gateway listeners' generator logs that): the mesh default applies.
   */
  numTrustedProxies?: number;
}

export interface ProxyDefaults {
  bindHost: string;
  outboundPort: number;
}

function parseLabels(v: unknown): Record<string, string> {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v)) if (val !== undefined && val !== null) out[k] = String(val);
    return out;
  }
  if (typeof v === 'string' && v.trim()) {
    // "a=b,c=d" as some launchers pass it
    const out: Record<string, string> = {};
    for (const pair of v.split(',')) {
      const [k, ...rest] = pair.split('=');
      if (k.trim()) out[k.trim()] = rest.join('=').trim();
    }
    return out;
  }
  return {};
}

function parsePort(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() ? Number(v) : NaN;
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
}

function parseInterception(v: unknown): InterceptionMode {
  const s = typeof v === 'string' ? v.trim().toUpperCase() : '';
  return s === 'NONE' || s === 'TPROXY' ? s : 'REDIRECT';
}

function parseIps(v: unknown, fallback: string): string[] {
  const list = (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',') : []).map((s) => s.trim()).filter((s) => isIP(s) !== 0);
  if (list.length) return [...new Set(list)];
  return isIP(fallback) ? [fallback] : [];
}

export function proxyFromNode(node: XdsNode, defaults: ProxyDefaults): Proxy {
  const meta = node.metadata ?? {};
  const parts = node.id.split('~');
  const type: ProxyType = parts[0] === 'router' ? 'router' : 'sidecar';
  const ip = parts.length === 4 ? parts[1] : '';
  const [workloadName = '', idNamespace = ''] = parts.length === 4 ? splitOnce(parts[2]) : [];
  const namespace = typeof meta.NAMESPACE === 'string' && meta.NAMESPACE ? meta.NAMESPACE : idNamespace || (parts.length === 4 ? parts[3].split('.')[0] : '');
  const agent = `${node.userAgentName ?? ''}`;
  const proxyless = meta.GENERATOR === 'grpc' || /^grpc-(node|go|java|c|cpp|python)/.test(agent);
  return {
    id: node.id,
    type,
    ip,
    namespace,
    workloadName: typeof meta.WORKLOAD_NAME === 'string' && meta.WORKLOAD_NAME ? meta.WORKLOAD_NAME : workloadName,
    labels: parseLabels(meta.LABELS),
    metadata: meta,
    proxyless,
    outboundPort: parsePort(meta.OUTBOUND_PORT) ?? defaults.outboundPort,
    inboundPort: parsePort(meta.INBOUND_PORT) ?? DEFAULT_INBOUND_CAPTURE_PORT,
    interceptionMode: parseInterception(meta.INTERCEPTION_MODE),
    ips: parseIps(meta.INSTANCE_IPS, ip),
    bindAddress: typeof meta.BIND_ADDRESS === 'string' && meta.BIND_ADDRESS ? meta.BIND_ADDRESS : defaults.bindHost,
    clusterId: typeof meta.CLUSTER_ID === 'string' ? meta.CLUSTER_ID : undefined,
    http10: meta.HTTP10 === '1' || meta.HTTP10 === 1 || meta.HTTP10 === true,
    numTrustedProxies: proxyConfigNumTrustedProxies(meta.PROXY_CONFIG, 'PROXY_CONFIG.').value,
  };
}

function splitOnce(s: string): [string, string] {
  const i = s.lastIndexOf('.');
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

/** Whether the proxy's traffic is captured (iptables): Istio's virtualOutbound/virtualInbound model. */
export function captures(p: Proxy): boolean {
  return p.interceptionMode !== 'NONE';
}

/**
 * What makes two proxies receive identical configuration: type, proxyless,
 * namespace, ports and bind address, the interception mode, the labels (they
 * select Gateways and Sidecars) and the IPs (they decide which service
 * instances are the proxy's own, i.e. its inbound listeners).
 */
export function proxyShapeKey(p: Proxy): string {
  return JSON.stringify([p.type, p.proxyless, p.namespace, p.outboundPort, p.inboundPort, p.bindAddress, p.interceptionMode, p.http10, p.numTrustedProxies, p.labels, p.type === 'sidecar' ? p.ips : undefined]);
}
