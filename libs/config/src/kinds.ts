// The Istio kinds this mesh understands: their API group, the versions
// Istio serves, the spec's shape and its semantic validator.
import { CONFIG_KINDS, type ConfigKind } from '@mesh/contracts';
import type { Reporter } from './issues.ts';
import type { MessageShape } from './shape.ts';
import { DestinationRuleShape, GatewayShape, ServiceEntryShape, SidecarShape, VirtualServiceShape, WorkloadEntryShape } from './shapes/networking.ts';
import { AuthorizationPolicyShape, PeerAuthenticationShape, RequestAuthenticationShape } from './shapes/security.ts';
import type { ValidationContext } from './validate/common.ts';
import { validateDestinationRule } from './validate/destination-rule.ts';
import { validateGateway } from './validate/gateway.ts';
import { validateAuthorizationPolicy, validatePeerAuthentication, validateRequestAuthentication } from './validate/security.ts';
import { validateServiceEntry, validateWorkloadEntry } from './validate/service-entry.ts';
import { validateSidecar } from './validate/sidecar.ts';
import { validateVirtualService } from './validate/virtual-service.ts';

export const NETWORKING_GROUP = 'networking.istio.io';
export const SECURITY_GROUP = 'security.istio.io';

export interface KindInfo {
  kind: ConfigKind;
  group: string;
  /** Served versions, newest first. */
  versions: readonly string[];
  shape: MessageShape<any>;
  validate: (spec: any, rep: Reporter, ctx: ValidationContext) => void;
}

const NETWORKING_VERSIONS = ['v1', 'v1beta1', 'v1alpha3'] as const;
const SECURITY_VERSIONS = ['v1', 'v1beta1'] as const;

export const KINDS: Record<ConfigKind, KindInfo> = {
  VirtualService: { kind: 'VirtualService', group: NETWORKING_GROUP, versions: NETWORKING_VERSIONS, shape: VirtualServiceShape, validate: validateVirtualService },
  DestinationRule: { kind: 'DestinationRule', group: NETWORKING_GROUP, versions: NETWORKING_VERSIONS, shape: DestinationRuleShape, validate: validateDestinationRule },
  Gateway: { kind: 'Gateway', group: NETWORKING_GROUP, versions: NETWORKING_VERSIONS, shape: GatewayShape, validate: validateGateway },
  ServiceEntry: { kind: 'ServiceEntry', group: NETWORKING_GROUP, versions: NETWORKING_VERSIONS, shape: ServiceEntryShape, validate: validateServiceEntry },
  WorkloadEntry: { kind: 'WorkloadEntry', group: NETWORKING_GROUP, versions: NETWORKING_VERSIONS, shape: WorkloadEntryShape, validate: validateWorkloadEntry },
  Sidecar: { kind: 'Sidecar', group: NETWORKING_GROUP, versions: NETWORKING_VERSIONS, shape: SidecarShape, validate: validateSidecar },
  PeerAuthentication: { kind: 'PeerAuthentication', group: SECURITY_GROUP, versions: SECURITY_VERSIONS, shape: PeerAuthenticationShape, validate: validatePeerAuthentication },
  RequestAuthentication: {
    kind: 'RequestAuthentication',
    group: SECURITY_GROUP,
    versions: SECURITY_VERSIONS,
    shape: RequestAuthenticationShape,
    validate: validateRequestAuthentication,
  },
  AuthorizationPolicy: {
    kind: 'AuthorizationPolicy',
    group: SECURITY_GROUP,
    versions: SECURITY_VERSIONS,
    shape: AuthorizationPolicyShape,
    validate: validateAuthorizationPolicy,
  },
};

export function isConfigKind(kind: unknown): kind is ConfigKind {
  return typeof kind === 'string' && (CONFIG_KINDS as readonly string[]).includes(kind);
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/**
 * How a document with this apiVersion and kind is treated: an Istio resource
 * we handle, or ignored with a reason. A known kind name from another API
 * group (the Kubernetes Gateway API's Gateway) is not ours.
 */
export function classify(apiVersion: string | undefined, kind: string): { handled: true; info: KindInfo } | { handled: false; reason: string } {
  const group = apiVersion ? splitApiVersion(apiVersion).group : undefined;
  if (isConfigKind(kind) && (group === undefined || group === KINDS[kind].group)) return { handled: true, info: KINDS[kind] };
  if (group?.endsWith('istio.io')) return { handled: false, reason: `${kind} (${apiVersion}) is an Istio kind this mesh does not support` };
  return { handled: false, reason: `${kind}${apiVersion ? ` (${apiVersion})` : ''} is not an Istio config kind` };
}
