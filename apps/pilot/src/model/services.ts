// The service registry pilot builds from ServiceEntry and WorkloadEntry
// (Istio's way of registering VMs; our local mode registers every workload so).
import { isIP } from 'node:net';
import type { ConfigResource } from '@mesh/contracts';
import { FieldError, asArray, asInt, asLabels, asObject, asString, refOf, requireString, type ResourceRef } from './errors.ts';
import { ExportScope } from '@mesh/config';

export type Resolution = 'NONE' | 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN';

export interface ServicePort {
  number: number;
  name: string;
  /**
   * Upper case: HTTP, HTTP2, GRPC, GRPC-WEB, HTTPS, TLS, TCP, MONGO, MYSQL,
   * REDIS, UDP, or AUTO (no protocol and no known name prefix: Istio's
   * protocol sniffing).
   */
  protocol: string;
  targetPort?: number;
}

/** One endpoint of a service: a WorkloadEntry or an inline ServiceEntry endpoint. */
export interface Instance {
  address: string;
  labels: Record<string, string>;
  /** Port name → port number, overriding the service port (how local mode maps 127.0.0.1:PORT). */
  ports: Record<string, number>;
  weight?: number;
  locality?: string;
  network?: string;
  /** WorkloadEntry `serviceAccount` (the workload's identity is spiffe://<trustDomain>/ns/<its namespace>/sa/<it>); unset when not given. */
  serviceAccount?: string;
  source: ResourceRef;
}

export interface Service {
  hostname: string;
  namespace: string;
  ports: ServicePort[];
  resolution: Resolution;
  location: 'MESH_EXTERNAL' | 'MESH_INTERNAL';
  addresses: string[];
  instances: Instance[];
  /** The ServiceEntry's workloadSelector labels (it also selects sidecars' own workloads); undefined without one. */
  selector?: Record<string, string>;
  /** Where the service is visible (spec.exportTo, else the mesh's defaultServiceExportTo). */
  exportTo: ExportScope;
  /** ServiceEntry `subjectAltNames`: identities its servers may present, besides its workloads' service accounts. */
  subjectAltNames: string[];
  source: ResourceRef;
}

const HTTP_PROTOCOLS = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB']);

/** Istio's port-name prefixes (`<protocol>[-<suffix>]`). */
const NAME_PREFIXES: Record<string, string> = {
  http: 'HTTP',
  http2: 'HTTP2',
  grpc: 'GRPC',
  'grpc-web': 'GRPC-WEB',
  https: 'HTTPS',
  tls: 'TLS',
  tcp: 'TCP',
  mongo: 'MONGO',
  mysql: 'MYSQL',
  redis: 'REDIS',
  udp: 'UDP',
};

/**
 * Istio's protocol selection: the explicit protocol (ServiceEntry `protocol`,
 * or a Kubernetes `appProtocol`), else the port name's prefix (`http-web` →
 * HTTP, `grpc-web-x` → GRPC-WEB), else AUTO (the protocol is detected per
 * connection: HTTP/1.1 and h2c are routed as HTTP, everything else as TCP).
 */
export function portProtocol(protocol: string | undefined, name: string, appProtocol?: string): string {
  if (protocol) return protocol.toUpperCase();
  if (appProtocol) {
    const a = appProtocol.toLowerCase();
    // Kubernetes' standard application protocols, as Istio reads them.
    const k8s: Record<string, string> = { 'kubernetes.io/h2c': 'HTTP2', 'kubernetes.io/ws': 'HTTP', 'kubernetes.io/wss': 'HTTPS', h2c: 'HTTP2' };
    const known = NAME_PREFIXES[a] ?? k8s[a];
    if (known) return known;
  }
  const lower = name.toLowerCase();
  if (lower === 'grpc-web' || lower.startsWith('grpc-web-')) return 'GRPC-WEB';
  return NAME_PREFIXES[lower.split('-')[0]] ?? 'AUTO';
}

export function isHttpProtocol(protocol: string): boolean {
  return HTTP_PROTOCOLS.has(protocol);
}

/** HTTP/2 to the upstream: gRPC and HTTP2 ports. */
export function isHttp2Protocol(protocol: string): boolean {
  return protocol === 'HTTP2' || protocol === 'GRPC' || protocol === 'GRPC-WEB';
}

export function labelsMatch(selector: Record<string, string>, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  return true;
}

/** The port an instance listens on for a service port. */
export function instancePort(instance: Instance, port: ServicePort): number {
  return instance.ports[port.name] ?? port.targetPort ?? port.number;
}

function readEndpoint(spec: Record<string, any>, field: string, ref: ResourceRef, requireAddress: boolean): Omit<Instance, 'source'> & { source: ResourceRef } {
  const address = asString(spec.address, `${field}.address`);
  if (requireAddress && !address) throw new FieldError(`${field}.address`, 'is required');
  const ports: Record<string, number> = {};
  for (const [name, n] of Object.entries(asObject(spec.ports, `${field}.ports`) ?? {})) {
    ports[name] = asInt(n, `${field}.ports.${name}`, 1, 65535)!;
  }
  const weight = asInt(spec.weight, `${field}.weight`, 0, 2 ** 32 - 1);
  const serviceAccount = asString(spec.serviceAccount, `${field}.serviceAccount`);
  return {
    address: address ?? '',
    labels: asLabels(spec.labels, `${field}.labels`),
    ports,
    ...(weight ? { weight } : {}),
    ...(asString(spec.locality, `${field}.locality`) ? { locality: spec.locality } : {}),
    ...(asString(spec.network, `${field}.network`) ? { network: spec.network } : {}),
    ...(serviceAccount ? { serviceAccount } : {}),
    source: ref,
  };
}

export interface WorkloadEntryModel {
  namespace: string;
  name: string;
  instance: Instance;
}

export function readWorkloadEntry(r: ConfigResource): WorkloadEntryModel {
  const ref = refOf(r);
  const instance = readEndpoint(r.spec, 'spec', ref, true);
  return { namespace: r.metadata.namespace, name: r.metadata.name, instance };
}

/** ServiceEntry → one Service per host. `workloads` are the WorkloadEntries by namespace (selected by labels). */
export function readServiceEntry(r: ConfigResource, workloads: ReadonlyMap<string, WorkloadEntryModel[]>, _domainSuffix: string, defaultExportTo: readonly string[] = ['*']): Service[] {
  const ref = refOf(r);
  const spec = r.spec as Record<string, any>;
  const hosts = asArray<string>(spec.hosts, 'spec.hosts');
  if (hosts.length === 0) throw new FieldError('spec.hosts', 'at least one host is required');
  hosts.forEach((h, i) => requireString(h, `spec.hosts[${i}]`));
  const resolution = (asString(spec.resolution, 'spec.resolution') ?? 'NONE') as Resolution;
  if (!['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN'].includes(resolution)) {
    throw new FieldError('spec.resolution', `"${resolution}" is not one of NONE, STATIC, DNS, DNS_ROUND_ROBIN`);
  }
  const location = (asString(spec.location, 'spec.location') ?? 'MESH_EXTERNAL') as Service['location'];
  if (location !== 'MESH_EXTERNAL' && location !== 'MESH_INTERNAL') throw new FieldError('spec.location', `"${location}" is not MESH_EXTERNAL or MESH_INTERNAL`);
  const ports: ServicePort[] = asArray<Record<string, any>>(spec.ports, 'spec.ports').map((p, i) => {
    const field = `spec.ports[${i}]`;
    const number = asInt(p?.number, `${field}.number`, 1, 65535);
    if (!number) throw new FieldError(`${field}.number`, 'is required');
    const name = asString(p.name, `${field}.name`) || `port-${number}`;
    const targetPort = asInt(p.targetPort, `${field}.targetPort`, 1, 65535);
    const protocol = portProtocol(asString(p.protocol, `${field}.protocol`), name, asString(p.appProtocol, `${field}.appProtocol`));
    return { number, name, protocol, ...(targetPort ? { targetPort } : {}) };
  });
  if (ports.length === 0) throw new FieldError('spec.ports', 'at least one port is required');

  let instances: Instance[];
  const selector = asObject(spec.workloadSelector, 'spec.workloadSelector');
  let selectorLabels: Record<string, string> | undefined;
  if (selector) {
    if (spec.endpoints?.length) throw new FieldError('spec.workloadSelector', 'cannot be combined with spec.endpoints');
    const labels = asLabels(selector.labels, 'spec.workloadSelector.labels');
    selectorLabels = labels;
    instances = (workloads.get(r.metadata.namespace) ?? []).filter((w) => labelsMatch(labels, w.instance.labels)).map((w) => w.instance);
  } else {
    instances = asArray<Record<string, any>>(spec.endpoints, 'spec.endpoints').map((e, i) => readEndpoint(asObject(e, `spec.endpoints[${i}]`) ?? {}, `spec.endpoints[${i}]`, ref, true));
  }
  if (resolution === 'STATIC') {
    const inline = !selector;
    instances.forEach((inst, i) => {
      const addr = inst.address.startsWith('unix://') ? 'unix' : isIP(inst.address) ? 'ip' : '';
      if (!addr) {
        const field = inline ? `spec.endpoints[${i}].address` : 'spec.workloadSelector';
        throw new FieldError(field, `resolution STATIC needs IP addresses; "${inst.address}" (${inst.source.kind} ${inst.source.namespace}/${inst.source.name}) is not one`);
      }
    });
  }
  const addresses = asArray<string>(spec.addresses, 'spec.addresses');
  const exportList = asArray<string>(spec.exportTo, 'spec.exportTo');
  exportList.forEach((e, i) => requireString(e, `spec.exportTo[${i}]`));
  const exportTo = new ExportScope(exportList, r.metadata.namespace, defaultExportTo);
  const subjectAltNames = asArray<string>(spec.subjectAltNames, 'spec.subjectAltNames');
  subjectAltNames.forEach((n, i) => requireString(n, `spec.subjectAltNames[${i}]`));
  return hosts.map((h) => ({
    // As Istio: a ServiceEntry's hosts are names as clients use them (`localhost`, `mongodb`), never expanded with
    // the namespace; only the host fields of VirtualServices and DestinationRules resolve short names.
    hostname: h,
    namespace: r.metadata.namespace,
    ports,
    resolution,
    location,
    addresses,
    instances,
    ...(selectorLabels ? { selector: selectorLabels } : {}),
    exportTo,
    subjectAltNames,
    source: ref,
  }));
}

/** TCP-level protocols: a tcp_proxy (Istio's MONGO/MYSQL/REDIS filters are not built; their traffic is proxied as TCP). */
export function isTcpProtocol(protocol: string): boolean {
  return protocol === 'TCP' || protocol === 'MONGO' || protocol === 'MYSQL' || protocol === 'REDIS';
}

/** TLS carried through by SNI (TLS passthrough). */
export function isTlsProtocol(protocol: string): boolean {
  return protocol === 'HTTPS' || protocol === 'TLS';
}

/** The service's virtual IPs (ServiceEntry `addresses` that are plain IPs; CIDRs are reported as unsupported). */
export function serviceVips(svc: Service): string[] {
  return svc.addresses.filter((a) => isIP(a) !== 0);
}
