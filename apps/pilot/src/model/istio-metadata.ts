// Istio's `istio.config` filter metadata: the Istio resource a cluster (its
// DestinationRule) or a route (its VirtualService) was built from, as istiod
// writes it. istioctl proxy-config shows it in its DESTINATION RULE and
// VIRTUAL SERVICE columns; Envoy and the proxy only carry it.
import type { Metadata } from '@mesh/xds';
import type { ResourceRef } from './errors.ts';

const KIND_PATHS: Record<string, string> = { DestinationRule: 'destination-rule', VirtualService: 'virtual-service' };

export function istioConfigMetadata(ref: ResourceRef): Metadata {
  const kind = KIND_PATHS[ref.kind] ?? ref.kind.toLowerCase();
  return { filterMetadata: { istio: { fields: { config: { stringValue: `/apis/networking.istio.io/v1/namespaces/${ref.namespace}/${kind}/${ref.name}` } } } } };
}
