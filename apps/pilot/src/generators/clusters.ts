// CDS: `outbound|<port>|<subset>|<host>` per service port, without and with
// each DestinationRule subset, with the rule's policy applied; plus Istio's
// BlackHoleCluster and PassthroughCluster for Envoy-style proxies.
import { FILTER_NAMES, typedConfig, type Cluster, type ConfigSource } from '@mesh/xds';
import { isHttp2Protocol, type Service, type ServicePort } from '../model/services.ts';
import type { PushContext } from '../model/push-context.ts';
import { policyToCluster, type SubsetModel } from '../model/destination-rules.ts';
import { clusterName } from '../model/virtual-services.ts';
import { loadAssignment } from './endpoints.ts';

const ADS: ConfigSource = { ads: {}, resourceApiVersion: 'V3' };

function buildCluster(push: PushContext, svc: Service, port: ServicePort, subset: SubsetModel | undefined, proxyless: boolean): Cluster {
  const name = clusterName(port.number, subset?.name, svc.hostname);
  const policy = push.clusterPolicy(svc.hostname, subset?.name, port.number, proxyless) ?? policyToCluster({}, () => {}, proxyless);
  const cluster: Cluster = { name, connectTimeout: { seconds: 10 }, ...structuredClone(policy.cluster) };
  // Who to name when this cluster cannot be served: the DestinationRule for the fields its policy set, else the ServiceEntry.
  const dr = push.destinationRule(svc.hostname);
  push.attribute(cluster, [...(dr ? [{ ...dr.ref, field: subset?.field ?? 'spec', fields: policy.fields }] : []), { ...svc.source, field: 'spec' }]);
  switch (svc.resolution) {
    case 'STATIC':
      cluster.type = 'EDS';
      cluster.edsClusterConfig = { edsConfig: ADS, serviceName: name };
      break;
    case 'DNS':
    case 'DNS_ROUND_ROBIN': {
      cluster.type = svc.resolution === 'DNS' ? 'STRICT_DNS' : 'LOGICAL_DNS';
      const cla = loadAssignment(name, svc, port, subset?.labels);
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
    if (h2 || policy.commonHttpProtocolOptions) {
      cluster.typedExtensionProtocolOptions = {
        [FILTER_NAMES.httpProtocolOptions]: typedConfig('httpProtocolOptions', {
          ...(policy.commonHttpProtocolOptions ? { commonHttpProtocolOptions: policy.commonHttpProtocolOptions } : {}),
          explicitHttpConfig: h2 ? { http2ProtocolOptions: {} } : { httpProtocolOptions: {} },
        }),
      };
    }
  }
  return cluster;
}

export const BLACKHOLE_CLUSTER = 'BlackHoleCluster';
export const PASSTHROUGH_CLUSTER = 'PassthroughCluster';

export function buildClusters(push: PushContext, proxyless: boolean): Cluster[] {
  const out: Cluster[] = [];
  for (const svc of push.services) {
    // gRPC's xDS client accepts EDS (and single-host LOGICAL_DNS) clusters only.
    if (proxyless && svc.resolution !== 'STATIC') continue;
    const dr = push.destinationRule(svc.hostname);
    for (const port of svc.ports) {
      out.push(buildCluster(push, svc, port, undefined, proxyless));
      for (const s of dr?.subsets ?? []) out.push(buildCluster(push, svc, port, s, proxyless));
    }
  }
  if (!proxyless) {
    out.push({ name: BLACKHOLE_CLUSTER, type: 'STATIC', connectTimeout: { seconds: 10 } });
    out.push({
      name: PASSTHROUGH_CLUSTER,
      type: 'ORIGINAL_DST',
      lbPolicy: 'CLUSTER_PROVIDED',
      connectTimeout: { seconds: 10 },
      // In local mode the outbound listener is an explicit proxy, so the
      // original destination comes from x-envoy-original-dst-host.
      originalDstLbConfig: { useHttpHeader: true },
    });
  }
  return out;
}
