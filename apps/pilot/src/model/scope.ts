// What one proxy sees (Istio's SidecarScope): the services, VirtualServices
// and DestinationRules visible in its namespace (exportTo), narrowed by the
// egress hosts of the Sidecar that applies to it. Generators build every
// outbound resource (CDS, EDS, RDS, outbound LDS) from a scope, never from the
// whole push context, so a service outside the scope is in none of them.
import type { ClusterPolicy, DestinationRuleModel } from './destination-rules.ts';
import { mostSpecificOwner } from './hosts.ts';
import type { PushContext } from './push-context.ts';
import type { Service } from './services.ts';
import { importsService, importsVirtualService, type EgressListenerModel, type OutboundMode, type SidecarModel } from './sidecars.ts';
import { MESH_GATEWAY, type RouteLookup, type VirtualServiceModel } from './virtual-services.ts';

export class ProxyScope implements RouteLookup {
  /** Identifies the scope within a push (namespace and Sidecar): a memo key for what is built from it. */
  readonly key: string;
  readonly namespace: string;
  readonly sidecar: SidecarModel | undefined;
  readonly domainSuffix: string;
  /** Visible services, one per host (the first by host name, then namespace). */
  readonly services: readonly Service[];
  /** Visible VirtualServices bound to the mesh (sidecars), oldest first. */
  readonly meshVirtualServices: readonly VirtualServiceModel[];
  /** The Sidecar's outboundTrafficPolicy mode, else the mesh config's. */
  readonly outboundMode: OutboundMode;
  /** The workload's labels and namespace when a VirtualService matches on them (sourceLabels, sourceNamespace). */
  readonly source?: { labels: Readonly<Record<string, string>>; namespace: string };
  readonly #push: PushContext;
  readonly #byHost = new Map<string, Service>();
  readonly #drs = new Map<string, DestinationRuleModel | undefined>();

  constructor(push: PushContext, namespace: string, sidecar: SidecarModel | undefined, key: string, sourceLabels?: Readonly<Record<string, string>>) {
    this.#push = push;
    if (sourceLabels) this.source = { labels: sourceLabels, namespace };
    this.key = key;
    this.namespace = namespace;
    this.sidecar = sidecar;
    this.domainSuffix = push.domainSuffix;
    this.outboundMode = sidecar?.outboundMode ?? push.outboundMode;
    // A Sidecar without egress listeners imports everything (Istio's default egress listener, */*).
    const hosts = sidecar?.egress.length ? sidecar.egress.flatMap((e) => e.hosts) : undefined;
    const services: Service[] = [];
    for (const svc of push.services) {
      if (this.#byHost.has(svc.hostname) || !svc.exportTo.visibleIn(namespace)) continue;
      if (hosts && !importsService(hosts, svc.hostname, svc.namespace, namespace)) continue;
      this.#byHost.set(svc.hostname, svc);
      services.push(svc);
    }
    this.services = services;
    this.meshVirtualServices = push.virtualServices.filter(
      (vs) => vs.gateways.includes(MESH_GATEWAY) && vs.exportTo.visibleIn(namespace) && (!hosts || importsVirtualService(hosts, vs.hosts, vs.namespace, namespace)),
    );
  }

  /** The services one egress listener imports (all of the scope's without a Sidecar). */
  servicesOf(listener: EgressListenerModel | undefined): Service[] {
    if (!listener) return [...this.services];
    return this.services.filter((s) => importsService(listener.hosts, s.hostname, s.namespace, this.namespace));
  }

  /** The mesh VirtualService that owns `host`: exact host first, then the most specific wildcard, oldest first. */
  virtualServiceFor(host: string): VirtualServiceModel | undefined {
    return mostSpecificOwner(this.meshVirtualServices, host);
  }

  // --- RouteLookup ----------------------------------------------------------

  service(host: string): Service | undefined {
    return this.#byHost.get(host);
  }

  destinationRule(host: string): DestinationRuleModel | undefined {
    if (!this.#drs.has(host)) this.#drs.set(host, this.#push.destinationRuleIn(host, this.namespace, (this.#byHost.get(host) ?? this.#push.service(host))?.namespace));
    return this.#drs.get(host);
  }

  hasSubset(host: string, subset: string): boolean {
    return this.destinationRule(host)?.subsets.some((s) => s.name === subset) ?? false;
  }

  clusterPolicy(host: string, subset: string | undefined, port: number, proxyless = false): ClusterPolicy | undefined {
    const dr = this.destinationRule(host);
    return dr ? this.#push.policyOf(dr, subset, port, proxyless) : undefined;
  }
}
