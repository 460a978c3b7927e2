// Checks across resources, in the spirit of `istioctl analyze`: references to
// subsets and gateways that no resource defines, and resources that compete
// for the same thing. They are warnings: each resource is valid on its own,
// and the missing piece may simply not have been written yet.
import { hostCovers, resolveHost } from './hosts.ts';
import { formatPath, type PathSegment } from './paths.ts';
import { resourceId, type AnyIstioResource, type DestinationRule, type IstioResource } from './resource.ts';
import type { Destination } from './types/networking.ts';

export interface Finding {
  /** `Kind namespace/name` of the resource the finding is about. */
  resource: string;
  kind: string;
  namespace: string;
  name: string;
  source?: string;
  path: string;
  message: string;
}

export interface AnalyzeOptions {
  domainSuffix?: string;
}

export function analyzeResources(input: ReadonlyArray<IstioResource<any>>, options: AnalyzeOptions = {}): Finding[] {
  const resources = input as ReadonlyArray<AnyIstioResource>;
  const suffix = options.domainSuffix ?? 'cluster.local';
  const findings: Finding[] = [];
  const report = (r: AnyIstioResource, path: PathSegment[], message: string) => {
    const f: Finding = { resource: resourceId(r), kind: r.kind, namespace: r.metadata.namespace, name: r.metadata.name, path: formatPath(path), message };
    if (r.source !== undefined) f.source = r.source;
    findings.push(f);
  };

  const destinationRules = resources.filter((r): r is DestinationRule => r.kind === 'DestinationRule');
  const gateways = new Set(resources.filter((r) => r.kind === 'Gateway').map((r) => `${r.metadata.namespace}/${r.metadata.name}`));

  const checkSubset = (vs: AnyIstioResource, d: Destination | undefined, path: PathSegment[]) => {
    if (!d?.host || !d.subset) return;
    const host = resolveHost(d.host, vs.metadata.namespace, suffix);
    const rules = destinationRules.filter((dr) => dr.spec.host && hostCovers(resolveHost(dr.spec.host, dr.metadata.namespace, suffix), host));
    if (rules.some((dr) => dr.spec.subsets?.some((s) => s.name === d.subset))) return;
    const message = rules.length
      ? `subset "${d.subset}" of host ${host} is not defined by its DestinationRule (${rules.map((dr) => `${dr.metadata.namespace}/${dr.metadata.name}`).join(', ')}), so this route sends traffic nowhere`
      : `subset "${d.subset}" of host ${host} is not defined: there is no DestinationRule for this host, so this route sends traffic nowhere`;
    report(vs, [...path, 'subset'], message);
  };

  for (const r of resources) {
    if (r.kind !== 'VirtualService') continue;
    const spec = r.spec;
    spec.http?.forEach((route, i) => {
      route.route?.forEach((d, j) => checkSubset(r, d.destination, ['spec', 'http', i, 'route', j, 'destination']));
      checkSubset(r, route.mirror, ['spec', 'http', i, 'mirror']);
      route.mirrors?.forEach((m, j) => checkSubset(r, m.destination, ['spec', 'http', i, 'mirrors', j, 'destination']));
    });
    for (const kind of ['tcp', 'tls'] as const) {
      spec[kind]?.forEach((route, i) => route.route?.forEach((d, j) => checkSubset(r, d.destination, ['spec', kind, i, 'route', j, 'destination'])));
    }
    const checkGateway = (g: string, path: PathSegment[]) => {
      if (g === 'mesh') return;
      const key = gatewayKey(g, r.metadata.namespace);
      if (!gateways.has(key)) report(r, path, `gateway "${g}" (${key}) is not defined by any Gateway`);
    };
    spec.gateways?.forEach((g, i) => checkGateway(g, ['spec', 'gateways', i]));
    spec.http?.forEach((route, i) => route.match?.forEach((m, j) => m.gateways?.forEach((g, k) => checkGateway(g, ['spec', 'http', i, 'match', j, 'gateways', k]))));
  }

  // Istio merges several DestinationRules for one host only partly; warn on the later ones.
  const drByHost = new Map<string, DestinationRule>();
  for (const dr of destinationRules) {
    if (!dr.spec.host || dr.spec.workloadSelector) continue;
    const key = `${dr.metadata.namespace}|${resolveHost(dr.spec.host, dr.metadata.namespace, suffix)}`;
    const first = drByHost.get(key);
    if (first) report(dr, ['spec', 'host'], `host ${dr.spec.host} also has DestinationRule ${first.metadata.namespace}/${first.metadata.name} in this namespace; only one of them is fully applied`);
    else drByHost.set(key, dr);
  }

  // One namespace-wide Sidecar / PeerAuthentication per namespace.
  for (const kind of ['Sidecar', 'PeerAuthentication'] as const) {
    const seen = new Map<string, AnyIstioResource>();
    for (const r of resources) {
      if (r.kind !== kind) continue;
      const selector = r.kind === 'Sidecar' ? r.spec.workloadSelector?.labels : r.kind === 'PeerAuthentication' ? r.spec.selector?.matchLabels : undefined;
      if (selector && Object.keys(selector).length) continue;
      const first = seen.get(r.metadata.namespace);
      if (first) report(r, ['metadata', 'name'], `namespace ${r.metadata.namespace} already has a ${kind} without a selector (${first.metadata.name}); only one applies`);
      else seen.set(r.metadata.namespace, r);
    }
  }
  return findings;
}

/** `namespace/name` of a VirtualService's gateway reference. */
export function gatewayKey(ref: string, namespace: string): string {
  if (ref.includes('/')) return ref;
  // Legacy FQDN form: name.namespace.svc.cluster.local
  const parts = ref.split('.');
  if (parts.length > 2 && parts[2] === 'svc') return `${parts[1]}/${parts[0]}`;
  return `${namespace}/${ref}`;
}
