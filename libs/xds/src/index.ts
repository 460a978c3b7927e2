// @mesh/xds: Envoy's v3 protos, the in-memory shape of xDS resources
// (docs/xds-representation.md), and the ADS server and client cores.
export {
  protoRoot,
  protoLoadMs,
  messageType,
  hasMessageType,
  PROTO_FILES,
  CONTROL_PLANE_ONLY_PROTO_FILES,
  xdsClientProtoFiles,
  selectProtoFiles,
  loadedProtoFiles,
} from './protos.ts';
export {
  TYPE_URLS,
  TYPE_SHORT_NAMES,
  TO_OBJECT_OPTIONS,
  shortTypeName,
  typeUrlOf,
  packAny,
  unpackAny,
  encodeMessage,
  decodeMessage,
  normalize,
  resourceName,
  toStruct,
  fromStruct,
  toProtoValue,
  fromProtoValue,
  type PackedAny,
  type ResourceTypeUrl,
} from './codec.ts';
export { referencedRouteNames, referencedEndpointNames, referencedSecretNames } from './references.ts';
export { Snapshot, SnapshotCache, prepareResource, ALL_TYPES, type PreparedResource, type TypeSnapshot, type SnapshotListener } from './snapshot.ts';
export {
  AdsServer,
  ADS_SERVER_CHANNEL_OPTIONS,
  type AdsServerOptions,
  type AdsServerHooks,
  type StreamInfo,
  type TypeStatus,
} from './ads-server.ts';
export {
  XdsTlsCertificates,
  adsServerCredentials,
  adsClientCredentials,
  istioIdentityAuthorizer,
  claimedNamespaces,
  streamPeer,
  type AdsClientTlsOptions,
  type StreamAuthorizer,
  type StreamPeer,
  type StreamRefusal,
} from './xds-tls.ts';
export { AdsClient, ADS_CLIENT_CHANNEL_OPTIONS, type AdsClientOptions, type AdsClientEvents, type XdsSnapshot } from './ads-client.ts';
export { EncodedResourceMap, type EncodedResource, type ResourceMap, type ResourceRefs } from './resource-map.ts';
export {
  adsServiceDefinition,
  ADS_METHODS,
  codecs as adsCodecs,
  type XdsNode,
  type DiscoveryRequest,
  type DiscoveryResponse,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  type DeltaResource,
  type WireAny,
} from './ads-protocol.ts';
export { registerCsds, clientStatus, csdsServiceDefinition, CSDS_METHODS } from './csds.ts';
export * from './envoy-types.ts';
