// The resource envelope (apiVersion, kind, metadata, spec) and its mapping to
// the ConfigResource that galley stores in NATS.
import type { ConfigKind, ConfigResource } from '@mesh/contracts';
import type * as N from './types/networking.ts';
import type * as S from './types/security.ts';

export type ObjectMeta = ConfigResource['metadata'];

export interface IstioResource<Spec = Record<string, unknown>, Kind extends ConfigKind = ConfigKind> {
  apiVersion: string;
  kind: Kind;
  metadata: ObjectMeta;
  spec: Spec;
  /** Where it came from: a file path or `kubernetes`. */
  source?: string;
}

/** Where a resource was read: the file, the YAML document (0-based, counting `---` separators) and its first line (1-based). */
export interface SourceLocation {
  source?: string;
  document: number;
  /** Index in a Kubernetes List's items, when it came from one. */
  item?: number;
  line: number;
}

export interface ParsedResource extends IstioResource {
  location: SourceLocation;
}

export type VirtualService = IstioResource<N.VirtualServiceSpec, 'VirtualService'>;
export type DestinationRule = IstioResource<N.DestinationRuleSpec, 'DestinationRule'>;
export type Gateway = IstioResource<N.GatewaySpec, 'Gateway'>;
export type ServiceEntry = IstioResource<N.ServiceEntrySpec, 'ServiceEntry'>;
export type WorkloadEntry = IstioResource<N.WorkloadEntrySpec, 'WorkloadEntry'>;
export type Sidecar = IstioResource<N.SidecarSpec, 'Sidecar'>;
export type PeerAuthentication = IstioResource<S.PeerAuthenticationSpec, 'PeerAuthentication'>;
export type RequestAuthentication = IstioResource<S.RequestAuthenticationSpec, 'RequestAuthentication'>;
export type AuthorizationPolicy = IstioResource<S.AuthorizationPolicySpec, 'AuthorizationPolicy'>;

/** Any validated resource, discriminated by `kind`. */
export type AnyIstioResource =
  | VirtualService
  | DestinationRule
  | Gateway
  | ServiceEntry
  | WorkloadEntry
  | Sidecar
  | PeerAuthentication
  | RequestAuthentication
  | AuthorizationPolicy;

/** `VirtualService default/reviews`: how every message names a resource. */
export function resourceId(r: { kind: string; metadata: { namespace?: string; name?: string } }): string {
  return `${r.kind} ${r.metadata.namespace ?? 'default'}/${r.metadata.name ?? '(unnamed)'}`;
}

/** The ConfigResource galley stores: envelope, validated spec and source, without parse-time details. */
export function toConfigResource(r: IstioResource<any>): ConfigResource {
  const metadata: ObjectMeta = { name: r.metadata.name, namespace: r.metadata.namespace };
  for (const k of ['labels', 'annotations', 'generation', 'resourceVersion', 'creationTimestamp'] as const) {
    if (r.metadata[k] !== undefined) (metadata as Record<string, unknown>)[k] = r.metadata[k];
  }
  const out: ConfigResource = { apiVersion: r.apiVersion, kind: r.kind, metadata, spec: r.spec as Record<string, unknown> };
  if (r.source !== undefined) out.source = r.source;
  return out;
}

/** Narrows a ConfigResource read from NATS to its typed kind (galley validated the spec before storing it). */
export function asIstioResource(r: ConfigResource): AnyIstioResource {
  return r as AnyIstioResource;
}
