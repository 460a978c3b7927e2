// CDS: `outbound|<port>|<subset>|<host>` per service port, without and with
// each DestinationRule subset, with the rule's policy applied; plus Istio's
// BlackHoleCluster and PassthroughCluster for Envoy-style proxies.
import { FILTER_NAMES, typedConfig, type Cluster, type ConfigSource } from '@mesh/xds';
import { isHttp2Protocol, isTcpProtocol, type Service, type ServicePort } from '../model/services.ts';
import type { PushContext } from '../model/push-context.ts';
import type { ProxyScope } from '../model/scope.ts';
import { policyToCluster, type ClusterPolicy, type SubsetModel } from '../model/destination-rules.ts';
import { clusterName } from '../model/virtual-services.ts';
import { istioConfigMetadata } from '../model/istio-metadata.ts';
import { loadAssignment } from './endpoints.ts';
import { autoMtlsMatches, istioMutualUpstream, istioSni, upstreamTlsSocket } from './mtls.ts';
import { credentialUpstreamTls } from './gateway-tls.ts';

const ADS: ConfigSource = { ads: {}, resourceApiVersion: 'V3' };

/**
 * The cluster's mutual TLS (Istio's): a DestinationRule's tls wins (ISTIO_MUTUAL:
 * the workload certificate for every endpoint; DISABLE, SIMPLE, MUTUAL: as the
 * rule says); without one, auto mutual TLS (mesh config enableAutoMtls, on by
 * default) for a MESH_INTERNAL service whose namespace does not DISABLE mTLS:
 * endpoints labelled tlsMode istio get ISTIO_MUTUAL, the others plaintext.
 * Proxyless gRPC clients get none of it. Undefined: the cluster must not be served.
 */
function withTls(push: PushContext, svc: Service, port: ServicePort, subset: SubsetModel | undefined, policy: ClusterPolicy, cluster: Cluster, proxyless: boolean, gatewayNamespace: string | undefined): Cluster | undefined {
  let tls = policy.tls;
  if (tls?.mode === 'CREDENTIAL') {
    const dr = push.destinationRule(svc.hostname);
    const field = tls.field;
    const report = (message: string) => dr && push.report({ ...dr.ref, field, message, severity: 'error', category: gatewayNamespace === undefined ? 'unsupported' : 'unresolved' });
    if (gatewayNamespace === undefined) {
      // Istio reads credentialName at gateways; a sidecar would need a workloadSelector on the rule (not implemented).
      report('credentialName is read at gateways only (Istio; a sidecar only with a DestinationRule workloadSelector, which this mesh does not implement): for sidecars the cluster is served without endpoints (proxyless gRPC clients: left out), so their traffic to it fails instead of being sent without the configured TLS');
      tls = { mode: 'FAIL_CLOSED', field: tls.field };
    } else {
      const built = credentialUpstreamTls(tls.origination, (name) => push.credential(gatewayNamespace, name));
      if ('problem' in built) {
        report(`${built.problem}: gateways in namespace ${gatewayNamespace} get this cluster without endpoints, so traffic to it fails instead of being sent without the configured TLS`);
        tls = { mode: 'FAIL_CLOSED', field: tls.field };
      } else {
        cluster.transportSocket = upstreamTlsSocket(built.context);
        return cluster;
      }
    }
  }
  if (tls?.mode === 'FAIL_CLOSED') {
    // gRPC's xDS client NACKs a cluster that is not EDS: leave it out (its routes then fail).
    if (proxyless) return undefined;
    // No endpoints: connections through it fail; nothing is sent without the TLS the rule asks for.
    const { name, connectTimeout } = cluster;
    const closed: Cluster = { name, type: 'STATIC', connectTimeout };
    push.attribute(closed, push.originsOf(cluster) ?? []);
    return closed;
  }
  if (proxyless) return cluster;
  const sni = () => istioSni(port.number, subset?.name, svc.hostname);
  if (tls?.mode === 'ISTIO_MUTUAL') {
    cluster.transportSocket = upstreamTlsSocket(istioMutualUpstream(tls.subjectAltNames ?? push.serviceIdentities(svc), tls.sni ?? sni()));
  } else if (!tls && push.enableAutoMtls && svc.location === 'MESH_INTERNAL' && push.namespaceMtlsMode(svc.namespace) !== 'DISABLE') {
    cluster.transportSocketMatches = autoMtlsMatches(istioMutualUpstream(push.serviceIdentities(svc), sni()));
  }
  return cluster;
}

function buildCluster(push: PushContext, scope: ProxyScope, svc: Service, port: ServicePort, subset: SubsetModel | undefined, proxyless: boolean, gatewayNamespace?: string): Cluster | undefined {
  const name = clusterName(port.number, subset?.name, svc.hostname);
  const policy = scope.clusterPolicy(svc.hostname, subset?.name, port.number, proxyless) ?? policyToCluster({}, () => {}, proxyless);
  const cluster: Cluster = { name, connectTimeout: { seconds: 10 }, ...structuredClone(policy.cluster) };
  // Who to name when this cluster cannot be served: the DestinationRule for the fields its policy set, else the ServiceEntry.
  const dr = scope.destinationRule(svc.hostname);
  push.attribute(cluster, [...(dr ? [{ ...dr.ref, field: subset?.field ?? 'spec', fields: policy.fields }] : []), { ...svc.source, field: 'spec' }]);
  if (dr && !proxyless) cluster.metadata = istioConfigMetadata(dr.ref);
  switch (svc.resolution) {
    case 'STATIC':
      cluster.type = 'EDS';
      cluster.edsClusterConfig = { edsConfig: ADS, serviceName: name };
      break;
    case 'DNS':
    case 'DNS_ROUND_ROBIN': {
      cluster.type = svc.resolution === 'DNS' ? 'STRICT_DNS' : 'LOGICAL_DNS';
      const cla = loadAssignment(name, svc, port, subset?.labels, { tlsModeMetadata: !proxyless });
      if (cluster.type === 'LOGICAL_DNS') {
        // Envoy requires exactly one endpoint for LOGICAL_DNS.
        const first = cla.endpoints?.[0]?.lbEndpoints?.[0];
        cla.endpoints = first ? [{ lbEndpoints: [first], loadBalancingWeight: { value: 1 } }] : [];
      }
      cluster.loadAssignment = cla;
      cluster.dnsLookupFamily = 'V4_ONLY';
      cluster.respectDnsTtl = true;
      break;
    }
    default:
      // NONE: connect to wherever the client was going.
      cluster.type = 'ORIGINAL_DST';
      cluster.lbPolicy = 'CLUSTER_PROVIDED';
      delete cluster.ringHashLbConfig;
      delete cluster.maglevLbConfig;
  }
  if (!proxyless) {
    const h2 = isHttp2Protocol(port.protocol) || policy.upgradeToHttp2;
    // As Istio: a sniffed (AUTO) port, or a DestinationRule's useClientProtocol, keeps the client's protocol
    // upstream (h2c stays HTTP/2: gRPC on an unnamed port works); an explicit HTTP/2 port or UPGRADE wins.
    const downstream = !h2 && (port.protocol === 'AUTO' || policy.useClientProtocol === true);
    const auto = isTcpProtocol(port.protocol) || port.protocol === 'TLS' ? undefined : autoSni(policy.tls);
    if (h2 || downstream || policy.commonHttpProtocolOptions || auto) {
      cluster.typedExtensionProtocolOptions = {
        [FILTER_NAMES.httpProtocolOptions]: typedConfig('httpProtocolOptions', {
          ...(policy.commonHttpProtocolOptions ? { commonHttpProtocolOptions: policy.commonHttpProtocolOptions } : {}),
          ...(auto ? { upstreamHttpProtocolOptions: auto } : {}),
          ...(downstream ? { useDownstreamProtocolConfig: DOWNSTREAM_PROTOCOL } : { explicitHttpConfig: h2 ? { http2ProtocolOptions: {} } : { httpProtocolOptions: {} } }),
        }),
      };
    }
  }
  return withTls(push, svc, port, subset, policy, cluster, proxyless, gatewayNamespace);
}

const DOWNSTREAM_PROTOCOL = { httpProtocolOptions: {}, http2ProtocolOptions: {} };

/**
 * Istio's auto SNI (ENABLE_AUTO_SNI, on by default) for TLS origination (DestinationRule SIMPLE/MUTUAL, from
 * files or a gateway's credentialName) without `sni`: the upstream connection's SNI is the request's host, and
 * (VERIFY_CERTIFICATE_AT_CLIENT) the server certificate must be valid for that host when the rule verifies the
 * server (a CA, no insecureSkipVerify) and names no subjectAltNames. HTTP traffic only: Envoy reads it in the
 * router; TCP/TLS ports get nothing.
 */
function autoSni(tls: ClusterPolicy['tls']): { autoSni: true; autoSanValidation?: true } | undefined {
  let o: { sni?: string; subjectAltNames?: string[]; verified: boolean } | undefined;
  if (tls?.mode === 'FILE') o = tls;
  else if (tls?.mode === 'CREDENTIAL') o = { ...tls.origination, verified: tls.origination.insecureSkipVerify !== true };
  if (o === undefined || o.sni) return undefined;
  return { autoSni: true, ...(o.verified && !o.subjectAltNames?.length ? { autoSanValidation: true as const } : {}) };
}

/** The upstream protocol of a sniffed port's inbound cluster: whatever the client spoke (HTTP/1.1 or h2c). */
export function downstreamProtocolOptions(): Cluster['typedExtensionProtocolOptions'] {
  return { [FILTER_NAMES.httpProtocolOptions]: typedConfig('httpProtocolOptions', { useDownstreamProtocolConfig: DOWNSTREAM_PROTOCOL }) };
}

/** HTTP/2 to the upstream (gRPC and HTTP2 ports), as Istio's clusters for such ports say explicitly. */
export function http2Options(): Cluster['typedExtensionProtocolOptions'] {
  return { [FILTER_NAMES.httpProtocolOptions]: typedConfig('httpProtocolOptions', { explicitHttpConfig: { http2ProtocolOptions: {} } }) };
}

export const BLACKHOLE_CLUSTER = 'BlackHoleCluster';
export const PASSTHROUGH_CLUSTER = 'PassthroughCluster';

export const INBOUND_PASSTHROUGH_CLUSTER = 'InboundPassthroughClusterIpv4';
/** Istio's source address for traffic the sidecar sends to its own workload (iptables lets it through uncaptured). */
export const INBOUND_PASSTHROUGH_BIND = '127.0.0.6';

export interface ClusterOptions {
  proxyless: boolean;
  /**
   * How PassthroughCluster learns the original destination: from the
   * connection (traffic capture) or from `x-envoy-original-dst-host` (a proxy
   * without capture, used explicitly).
   */
  passthroughFromHeader: boolean;
  /** For a gateway proxy: its namespace, whose credentials DestinationRule credentialName names. */
  gatewayNamespace?: string;
}

/** The outbound clusters of a scope (shared by every proxy with that scope), and Istio's BlackHoleCluster and PassthroughCluster. */
export function buildClusters(push: PushContext, scope: ProxyScope, options: ClusterOptions): Cluster[] {
  const { proxyless } = options;
  const out: Cluster[] = [];
  for (const svc of scope.services) {
    // gRPC's xDS client accepts EDS (and single-host LOGICAL_DNS) clusters only.
    if (proxyless && svc.resolution !== 'STATIC') continue;
    const dr = scope.destinationRule(svc.hostname);
    for (const port of svc.ports) {
      for (const s of [undefined, ...(dr?.subsets ?? [])]) {
        const c = buildCluster(push, scope, svc, port, s, proxyless, options.gatewayNamespace);
        if (c) out.push(c);
      }
    }
  }
  if (!proxyless) {
    out.push({ name: BLACKHOLE_CLUSTER, type: 'STATIC', connectTimeout: { seconds: 10 } });
    out.push({
      name: PASSTHROUGH_CLUSTER,
      type: 'ORIGINAL_DST',
      lbPolicy: 'CLUSTER_PROVIDED',
      connectTimeout: { seconds: 10 },
      // Without capture the proxy is used explicitly, so the original
      // destination comes from x-envoy-original-dst-host.
      ...(options.passthroughFromHeader ? { originalDstLbConfig: { useHttpHeader: true } } : {}),
    });
  }
  return out;
}

/** Istio's InboundPassthroughClusterIpv4: inbound traffic to a port no service declares goes on to its original destination, from 127.0.0.6. */
export function inboundPassthroughCluster(): Cluster {
  return {
    name: INBOUND_PASSTHROUGH_CLUSTER,
    type: 'ORIGINAL_DST',
    lbPolicy: 'CLUSTER_PROVIDED',
    connectTimeout: { seconds: 10 },
    upstreamBindConfig: { sourceAddress: { address: INBOUND_PASSTHROUGH_BIND, portValue: 0 } },
  };
}
