// EDS: ClusterLoadAssignments for STATIC services, one per cluster (subsets
// select instances by labels). Also used for the inline load assignment of
// DNS clusters.
import type { Address, ClusterLoadAssignment, LbEndpoint, Locality, LocalityLbEndpoints } from '@mesh/xds';
import { instancePort, labelsMatch, type Service, type ServicePort } from '../model/services.ts';
import type { PushContext } from '../model/push-context.ts';
import type { ProxyScope } from '../model/scope.ts';
import { clusterName } from '../model/virtual-services.ts';
import { tlsModeMetadata } from './mtls.ts';

function locality(s: string | undefined): Locality | undefined {
  if (!s) return undefined;
  const [region, zone, subZone] = s.split('/');
  return { ...(region ? { region } : {}), ...(zone ? { zone } : {}), ...(subZone ? { subZone } : {}) };
}

/**
 * `tlsModeMetadata`: endpoints of workloads labelled security.istio.io/tlsMode
 * istio carry it for auto mutual TLS's transport_socket_matches (not sent to
 * proxyless gRPC clients, which get no mutual TLS).
 */
export function loadAssignment(name: string, svc: Service, port: ServicePort, subsetLabels: Record<string, string> | undefined, options: { tlsModeMetadata: boolean } = { tlsModeMetadata: true }): ClusterLoadAssignment {
  const groups = new Map<string, { locality?: string; endpoints: LbEndpoint[]; weight: number }>();
  const instances = svc.instances.filter((i) => !subsetLabels || labelsMatch(subsetLabels, i.labels));
  for (const inst of instances) {
    const key = inst.locality ?? '';
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { locality: inst.locality, endpoints: [], weight: 0 }));
    const address: Address = inst.address.startsWith('unix://')
      ? { pipe: { path: inst.address.slice('unix://'.length) } }
      : { socketAddress: { address: inst.address, portValue: instancePort(inst, port) } };
    const metadata = options.tlsModeMetadata ? tlsModeMetadata(inst.labels) : undefined;
    g.endpoints.push({ endpoint: { address }, ...(metadata ? { metadata } : {}), ...(inst.weight ? { loadBalancingWeight: { value: inst.weight } } : {}) });
    g.weight += inst.weight ?? 1;
  }
  // DNS services without endpoints resolve their own host names.
  if (instances.length === 0 && svc.resolution !== 'STATIC' && !subsetLabels) {
    const hosts = [svc.hostname].filter((h) => !h.includes('*'));
    if (hosts.length) {
      groups.set('', {
        endpoints: hosts.map((h) => ({ endpoint: { address: { socketAddress: { address: h, portValue: port.targetPort ?? port.number } } } })),
        weight: hosts.length,
      });
    }
  }
  const endpoints: LocalityLbEndpoints[] = [...groups.values()].map((g) => ({
    // gRPC's xDS client rejects a locality group without a locality (even an empty one).
    locality: locality(g.locality) ?? {},
    lbEndpoints: g.endpoints,
    // gRPC's xDS client ignores localities without a weight.
    loadBalancingWeight: { value: g.weight },
  }));
  return { clusterName: name, endpoints };
}

/** Every EDS cluster's assignment of a scope (STATIC services, each port, without and with each subset). */
export function buildEndpoints(push: PushContext, scope: ProxyScope, options: { proxyless: boolean } = { proxyless: false }): ClusterLoadAssignment[] {
  const out: ClusterLoadAssignment[] = [];
  for (const svc of scope.services) {
    if (svc.resolution !== 'STATIC') continue;
    const dr = scope.destinationRule(svc.hostname);
    for (const port of svc.ports) {
      for (const s of [undefined, ...(dr?.subsets ?? [])]) {
        const cla = loadAssignment(clusterName(port.number, s?.name, svc.hostname), svc, port, s?.labels, { tlsModeMetadata: !options.proxyless });
        push.attribute(cla, [{ ...svc.source, field: 'spec.endpoints' }]);
        out.push(cla);
      }
    }
  }
  return out;
}
