// @mesh/config: the Istio resource model. Types for the specs of the
// networking.istio.io and security.istio.io kinds, multi-document YAML
// parsing with source locations, validation with Istio's rules (each finding
// naming the field path), and cross-resource analysis.
export type * from './types/networking.ts';
export type * from './types/security.ts';
export { SIMPLE_LB_VALUES } from './types/networking.ts';
export {
  resourceId,
  toConfigResource,
  asIstioResource,
  type IstioResource,
  type ParsedResource,
  type SourceLocation,
  type ObjectMeta,
  type AnyIstioResource,
  type VirtualService,
  type DestinationRule,
  type Gateway,
  type ServiceEntry,
  type WorkloadEntry,
  type Sidecar,
  type PeerAuthentication,
  type RequestAuthentication,
  type AuthorizationPolicy,
} from './resource.ts';
export { parseResources, fieldLine, type ParseOptions, type ParseResult, type ParseError, type IgnoredDocument } from './parse.ts';
export { checkResource, validateResource, type ValidateOptions, type CheckResult } from './validate.ts';
export { loadResources, type LoadResult, type AcceptedResource, type RejectedResource } from './load.ts';
export { analyzeResources, gatewayKey, type Finding, type AnalyzeOptions } from './analyze.ts';
export { supportFindings, supportFindingsFor, GATEWAY_HTTP_PROTOCOLS, GATEWAY_TCP_PROTOCOLS, type SupportFinding, type SupportSeverity, type SupportInput } from './support.ts';
export {
  checkMeshConfig,
  meshPathNormalization,
  PATH_NORMALIZATIONS,
  type PathNormalization,
  meshDefaultExportTo,
  meshRootNamespace,
  meshNumTrustedProxies,
  proxyConfigNumTrustedProxies,
  checkExportToEntry,
  ExportScope,
  EXPORT_DEFAULT_FIELDS,
  DEFAULT_ROOT_NAMESPACE,
  type ExportableKind,
} from './mesh-config.ts';
export {
  meshExtensionProviders,
  meshReferenceErrors,
  EXTENSION_PROVIDER_KINDS,
  EXT_AUTHZ_DEFAULT_TIMEOUT_MS,
  type ExtensionProvider,
  type ExtAuthzHttpProvider,
  type ExtAuthzGrpcProvider,
  type ExtAuthzRequestBody,
  type OtherExtensionProvider,
  type ExtensionProvidersResult,
} from './extension-providers.ts';
export type { ValidationResult } from './issues.ts';
export { KINDS, classify, isConfigKind, NETWORKING_GROUP, SECURITY_GROUP, type KindInfo } from './kinds.ts';
export { formatPath, parsePath, type PathSegment } from './paths.ts';
export { parseDuration, parseDurationNanos, durationToProto } from './duration.ts';
export { checkRegex, toJsRegExp } from '@mesh/re2';
export { resolveHost, hostCovers, hostsOverlap } from './hosts.ts';
export { checkWildcardHost, checkHostname, checkDnsLabel, checkDnsSubdomain, checkIpOrCidr, isIp } from './names.ts';
