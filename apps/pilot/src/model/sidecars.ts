// Istio's Sidecar resource (networking.istio.io/v1): which Sidecar applies to a
// proxy, and what it says: the egress hosts that scope what the proxy sees,
// egress and ingress listeners, and the outbound traffic policy.
// https://istio.io/latest/docs/reference/config/networking/sidecar/
import { isIP } from 'node:net';
import type { ConfigResource } from '@mesh/contracts';
import { FieldError, asArray, asInt, asLabels, asObject, asString, refOf, requireString, type ResourceRef } from './errors.ts';
import { hostMatches, hostsIntersect } from './hosts.ts';
import { labelsMatch, portProtocol } from './services.ts';

export type CaptureMode = 'DEFAULT' | 'IPTABLES' | 'NONE';
export type OutboundMode = 'ALLOW_ANY' | 'REGISTRY_ONLY';

export interface SidecarPortModel {
  number: number;
  /** Upper case; AUTO when the port says neither protocol nor a known name prefix. */
  protocol: string;
  name: string;
}

/** One `egress[].hosts` entry: `namespace/dnsName`, namespace `*`, `.` (the proxy's), `~` (none) or a name. */
export interface EgressHost {
  namespace: string;
  host: string;
}

export interface EgressListenerModel {
  port?: SidecarPortModel;
  bind?: string;
  captureMode: CaptureMode;
  hosts: EgressHost[];
  field: string;
}

export type DefaultEndpoint = { kind: 'ip'; host: '127.0.0.1' | '0.0.0.0' | '::1' | '::'; port: number } | { kind: 'unix'; path: string };

export interface IngressListenerModel {
  port: SidecarPortModel;
  bind?: string;
  captureMode: CaptureMode;
  defaultEndpoint?: DefaultEndpoint;
  field: string;
}

export interface SidecarModel {
  namespace: string;
  name: string;
  ref: ResourceRef;
  /** workloadSelector labels; undefined for the namespace-wide Sidecar. */
  selector?: Record<string, string>;
  ingress: IngressListenerModel[];
  egress: EgressListenerModel[];
  outboundMode?: OutboundMode;
  creation: string;
}

function readPort(v: unknown, field: string, required: boolean): SidecarPortModel | undefined {
  const p = asObject(v, field);
  if (!p) {
    if (required) throw new FieldError(field, 'is required');
    return undefined;
  }
  const number = asInt(p.number, `${field}.number`, 1, 65535);
  if (!number) throw new FieldError(`${field}.number`, 'is required');
  const name = asString(p.name, `${field}.name`) ?? '';
  return { number, name, protocol: portProtocol(asString(p.protocol, `${field}.protocol`), name) };
}

function readCaptureMode(v: unknown, field: string): CaptureMode {
  const m = asString(v, field) ?? 'DEFAULT';
  if (m !== 'DEFAULT' && m !== 'IPTABLES' && m !== 'NONE') throw new FieldError(field, `"${m}" is not one of DEFAULT, IPTABLES, NONE`);
  return m;
}

function readBind(v: unknown, field: string): string | undefined {
  const b = asString(v, field);
  if (b === undefined || b === '') return undefined;
  if (!isIP(b) && !b.startsWith('unix://')) throw new FieldError(field, `"${b}" must be an IP address or unix:///path`);
  return b;
}

export function parseDefaultEndpoint(v: string, field: string): DefaultEndpoint {
  if (v.startsWith('unix://')) {
    const path = v.slice('unix://'.length);
    if (!path) throw new FieldError(field, `"${v}" has no socket path`);
    return { kind: 'unix', path };
  }
  const m = /^(127\.0\.0\.1|0\.0\.0\.0|\[::1\]|\[::\]):(\d+)$/.exec(v);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) throw new FieldError(field, `"${v}" must be 127.0.0.1:PORT, 0.0.0.0:PORT or unix:///path`);
  return { kind: 'ip', host: m[1].replace(/^\[|\]$/g, '') as '127.0.0.1', port };
}

function readEgressHost(v: unknown, field: string): EgressHost {
  const s = requireString(v, field);
  const slash = s.indexOf('/');
  if (slash <= 0) throw new FieldError(field, `"${s}" must be namespace/dnsName, such as "./*" or "istio-system/*"`);
  const host = s.slice(slash + 1);
  if (!host || host.includes('/')) throw new FieldError(field, `"${s}" must be namespace/dnsName, such as "./*" or "istio-system/*"`);
  return { namespace: s.slice(0, slash), host: host.toLowerCase() };
}

export function readSidecar(r: ConfigResource): SidecarModel {
  const spec = r.spec as Record<string, unknown>;
  const selector = asObject(spec.workloadSelector, 'spec.workloadSelector');
  const labels = selector ? asLabels(selector.labels, 'spec.workloadSelector.labels') : undefined;
  const ingressPorts = new Set<number>();
  const ingress = asArray<Record<string, unknown>>(spec.ingress, 'spec.ingress').map((l, i) => {
    const field = `spec.ingress[${i}]`;
    asObject(l, field);
    const port = readPort(l.port, `${field}.port`, true)!;
    if (ingressPorts.has(port.number)) throw new FieldError(`${field}.port.number`, `port ${port.number} is used by another ingress listener`);
    ingressPorts.add(port.number);
    const bind = readBind(l.bind, `${field}.bind`);
    if (bind?.startsWith('unix://')) throw new FieldError(`${field}.bind`, 'unix domain sockets are not allowed for ingress listeners');
    const de = asString(l.defaultEndpoint, `${field}.defaultEndpoint`);
    return {
      port,
      ...(bind ? { bind } : {}),
      captureMode: readCaptureMode(l.captureMode, `${field}.captureMode`),
      ...(de ? { defaultEndpoint: parseDefaultEndpoint(de, `${field}.defaultEndpoint`) } : {}),
      field,
    };
  });
  const egressPorts = new Set<number>();
  const egress = asArray<Record<string, unknown>>(spec.egress, 'spec.egress').map((l, i) => {
    const field = `spec.egress[${i}]`;
    asObject(l, field);
    const port = readPort(l.port, `${field}.port`, false);
    if (port && egressPorts.has(port.number)) throw new FieldError(`${field}.port.number`, `port ${port.number} is used by another egress listener`);
    if (port) egressPorts.add(port.number);
    const hosts = asArray<unknown>(l.hosts, `${field}.hosts`).map((h, j) => readEgressHost(h, `${field}.hosts[${j}]`));
    if (hosts.length === 0) throw new FieldError(`${field}.hosts`, 'at least one host is required, such as "./*"');
    const bind = readBind(l.bind, `${field}.bind`);
    return { ...(port ? { port } : {}), ...(bind ? { bind } : {}), captureMode: readCaptureMode(l.captureMode, `${field}.captureMode`), hosts, field };
  });
  const portless = egress.filter((e) => !e.port);
  if (portless.length > 1) throw new FieldError(portless[1].field, 'only one egress listener may omit the port');
  const otp = asObject(spec.outboundTrafficPolicy, 'spec.outboundTrafficPolicy');
  const mode = asString(otp?.mode, 'spec.outboundTrafficPolicy.mode');
  if (mode !== undefined && mode !== 'ALLOW_ANY' && mode !== 'REGISTRY_ONLY') throw new FieldError('spec.outboundTrafficPolicy.mode', `"${mode}" is not one of ALLOW_ANY, REGISTRY_ONLY`);
  return {
    namespace: r.metadata.namespace,
    name: r.metadata.name,
    ref: refOf(r),
    ...(labels && Object.keys(labels).length ? { selector: labels } : {}),
    ingress,
    egress,
    ...(mode ? { outboundMode: mode } : {}),
    creation: r.metadata.creationTimestamp ?? '',
  };
}

/** Whether an egress host's namespace part admits a resource of `namespace`, for a proxy in `proxyNamespace`. */
function namespaceAdmits(hostNs: string, namespace: string, proxyNamespace: string): boolean {
  if (hostNs === '*') return true;
  if (hostNs === '~') return false;
  if (hostNs === '.') return namespace === proxyNamespace;
  return hostNs === namespace;
}

/** Whether a service (hostname, namespace) is imported by one of `hosts`. */
export function importsService(hosts: readonly EgressHost[], hostname: string, namespace: string, proxyNamespace: string): boolean {
  return hosts.some((h) => namespaceAdmits(h.namespace, namespace, proxyNamespace) && hostMatches(h.host, hostname.toLowerCase()));
}

/** Whether a VirtualService (its hosts, its namespace) is imported by one of `hosts`: a host of it intersects one of them. */
export function importsVirtualService(hosts: readonly EgressHost[], vsHosts: readonly string[], namespace: string, proxyNamespace: string): boolean {
  return hosts.some((h) => namespaceAdmits(h.namespace, namespace, proxyNamespace) && vsHosts.some((v) => hostsIntersect(h.host, v.toLowerCase())));
}

/** Whether the Sidecar's workloadSelector picks a workload with `labels`. */
export function sidecarSelects(s: SidecarModel, labels: Record<string, string>): boolean {
  return !!s.selector && labelsMatch(s.selector, labels);
}
