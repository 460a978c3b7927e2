// Gateway → the servers (port, protocol, hosts) a selected gateway proxy exposes.
import type { ConfigResource } from '@mesh/contracts';
import { FieldError, asArray, asInt, asLabels, asObject, asString, refOf, requireString, type ResourceRef } from './errors.ts';

export interface ServerHost {
  /** `*` (any namespace) or the namespace whose VirtualServices may bind this host. */
  namespace: string;
  host: string;
}

/** A server's `tls` (Istio's ServerTLSSettings) as pilot translates it. */
export interface ServerTlsModel {
  /** SIMPLE unless set (Istio's default). */
  mode: string;
  credentialName?: string;
  serverCertificate?: string;
  privateKey?: string;
  caCertificates?: string;
  subjectAltNames: string[];
  minProtocolVersion?: string;
  maxProtocolVersion?: string;
  cipherSuites: string[];
}

export interface GatewayServerModel {
  port: number;
  protocol: string;
  portName: string;
  hosts: ServerHost[];
  tlsMode?: string;
  /** The `tls` block of HTTPS and TLS servers (undefined on others, and when absent). */
  tls?: ServerTlsModel;
  httpsRedirect: boolean;
  field: string;
}

export interface GatewayModel {
  namespace: string;
  name: string;
  /** `namespace/name`, as VirtualServices reference it. */
  key: string;
  selector: Record<string, string>;
  servers: GatewayServerModel[];
  ref: ResourceRef;
  creation: string;
}

export function readGateway(r: ConfigResource): GatewayModel {
  const spec = r.spec as Record<string, any>;
  const ns = r.metadata.namespace;
  const servers = asArray<Record<string, any>>(spec.servers, 'spec.servers').map((s, i) => {
    const field = `spec.servers[${i}]`;
    asObject(s, field);
    const port = asObject(s.port, `${field}.port`);
    if (!port) throw new FieldError(`${field}.port`, 'is required');
    const number = asInt(port.number, `${field}.port.number`, 1, 65535);
    if (!number) throw new FieldError(`${field}.port.number`, 'is required');
    const protocol = requireString(port.protocol, `${field}.port.protocol`).toUpperCase();
    const hosts = asArray<string>(s.hosts, `${field}.hosts`).map((h, j) => {
      const v = requireString(h, `${field}.hosts[${j}]`);
      const slash = v.indexOf('/');
      if (slash < 0) return { namespace: '*', host: v };
      const hostNs = v.slice(0, slash);
      return { namespace: hostNs === '.' ? ns : hostNs, host: v.slice(slash + 1) };
    });
    if (hosts.length === 0) throw new FieldError(`${field}.hosts`, 'at least one host is required');
    const tls = asObject(s.tls, `${field}.tls`);
    const tlsMode = asString(tls?.mode, `${field}.tls.mode`);
    const model: GatewayServerModel = {
      port: number,
      protocol,
      portName: asString(port.name, `${field}.port.name`) ?? `${protocol.toLowerCase()}-${number}`,
      hosts,
      tlsMode,
      httpsRedirect: tls?.httpsRedirect === true,
      field,
    };
    if (tls && (protocol === 'HTTPS' || protocol === 'TLS')) {
      const str = (k: string) => asString(tls[k], `${field}.tls.${k}`) || undefined;
      model.tls = {
        mode: tlsMode ?? 'SIMPLE',
        credentialName: str('credentialName'),
        serverCertificate: str('serverCertificate'),
        privateKey: str('privateKey'),
        caCertificates: str('caCertificates'),
        subjectAltNames: asArray<string>(tls.subjectAltNames, `${field}.tls.subjectAltNames`).map((v, j) => requireString(v, `${field}.tls.subjectAltNames[${j}]`)),
        minProtocolVersion: str('minProtocolVersion'),
        maxProtocolVersion: str('maxProtocolVersion'),
        cipherSuites: asArray<string>(tls.cipherSuites, `${field}.tls.cipherSuites`).map((v, j) => requireString(v, `${field}.tls.cipherSuites[${j}]`)),
      };
    }
    return model;
  });
  return {
    namespace: ns,
    name: r.metadata.name,
    key: `${ns}/${r.metadata.name}`,
    selector: asLabels(spec.selector, 'spec.selector'),
    servers,
    ref: refOf(r),
    creation: r.metadata.creationTimestamp ?? '',
  };
}

/** The port a gateway binds for a server port: below 1024, port+offset in local mode (80 → 8080). */
export function bindPort(port: number, privilegedPortOffset: number): number {
  return port < 1024 && privilegedPortOffset > 0 ? port + privilegedPortOffset : port;
}
