/* eslint-disable */
// Original file: envoy/config/route/v3/route_components.proto

import type { UInt32Value as _google_protobuf_UInt32Value, UInt32Value__Output as _google_protobuf_UInt32Value__Output } from '../../../../google/protobuf/UInt32Value.ts';
import type { TypedExtensionConfig as _envoy_config_core_v3_TypedExtensionConfig, TypedExtensionConfig__Output as _envoy_config_core_v3_TypedExtensionConfig__Output } from '../../../../envoy/config/core/v3/TypedExtensionConfig.ts';
import type { BoolValue as _google_protobuf_BoolValue, BoolValue__Output as _google_protobuf_BoolValue__Output } from '../../../../google/protobuf/BoolValue.ts';
import type { HeaderMatcher as _envoy_config_route_v3_HeaderMatcher, HeaderMatcher__Output as _envoy_config_route_v3_HeaderMatcher__Output } from '../../../../envoy/config/route/v3/HeaderMatcher.ts';
import type { MetadataKey as _envoy_type_metadata_v3_MetadataKey, MetadataKey__Output as _envoy_type_metadata_v3_MetadataKey__Output } from '../../../../envoy/type/metadata/v3/MetadataKey.ts';
import type { QueryParameterMatcher as _envoy_config_route_v3_QueryParameterMatcher, QueryParameterMatcher__Output as _envoy_config_route_v3_QueryParameterMatcher__Output } from '../../../../envoy/config/route/v3/QueryParameterMatcher.ts';

export interface _envoy_config_route_v3_RateLimit_Action {
  'sourceCluster'?: (_envoy_config_route_v3_RateLimit_Action_SourceCluster | null);
  'destinationCluster'?: (_envoy_config_route_v3_RateLimit_Action_DestinationCluster | null);
  'requestHeaders'?: (_envoy_config_route_v3_RateLimit_Action_RequestHeaders | null);
  'remoteAddress'?: (_envoy_config_route_v3_RateLimit_Action_RemoteAddress | null);
  'genericKey'?: (_envoy_config_route_v3_RateLimit_Action_GenericKey | null);
  'headerValueMatch'?: (_envoy_config_route_v3_RateLimit_Action_HeaderValueMatch | null);
  'dynamicMetadata'?: (_envoy_config_route_v3_RateLimit_Action_DynamicMetaData | null);
  'metadata'?: (_envoy_config_route_v3_RateLimit_Action_MetaData | null);
  'extension'?: (_envoy_config_core_v3_TypedExtensionConfig | null);
  'maskedRemoteAddress'?: (_envoy_config_route_v3_RateLimit_Action_MaskedRemoteAddress | null);
  'queryParameterValueMatch'?: (_envoy_config_route_v3_RateLimit_Action_QueryParameterValueMatch | null);
  'actionSpecifier'?: "sourceCluster"|"destinationCluster"|"requestHeaders"|"remoteAddress"|"genericKey"|"headerValueMatch"|"dynamicMetadata"|"metadata"|"extension"|"maskedRemoteAddress"|"queryParameterValueMatch";
}

export interface _envoy_config_route_v3_RateLimit_Action__Output {
  'sourceCluster'?: (_envoy_config_route_v3_RateLimit_Action_SourceCluster__Output);
  'destinationCluster'?: (_envoy_config_route_v3_RateLimit_Action_DestinationCluster__Output);
  'requestHeaders'?: (_envoy_config_route_v3_RateLimit_Action_RequestHeaders__Output);
  'remoteAddress'?: (_envoy_config_route_v3_RateLimit_Action_RemoteAddress__Output);
  'genericKey'?: (_envoy_config_route_v3_RateLimit_Action_GenericKey__Output);
  'headerValueMatch'?: (_envoy_config_route_v3_RateLimit_Action_HeaderValueMatch__Output);
  'dynamicMetadata'?: (_envoy_config_route_v3_RateLimit_Action_DynamicMetaData__Output);
  'metadata'?: (_envoy_config_route_v3_RateLimit_Action_MetaData__Output);
  'extension'?: (_envoy_config_core_v3_TypedExtensionConfig__Output);
  'maskedRemoteAddress'?: (_envoy_config_route_v3_RateLimit_Action_MaskedRemoteAddress__Output);
  'queryParameterValueMatch'?: (_envoy_config_route_v3_RateLimit_Action_QueryParameterValueMatch__Output);
}

export interface _envoy_config_route_v3_RateLimit_Action_DestinationCluster {
}

export interface _envoy_config_route_v3_RateLimit_Action_DestinationCluster__Output {
}

export interface _envoy_config_route_v3_RateLimit_Action_DynamicMetaData {
  'descriptorKey'?: (string);
  'metadataKey'?: (_envoy_type_metadata_v3_MetadataKey | null);
  'defaultValue'?: (string);
}

export interface _envoy_config_route_v3_RateLimit_Action_DynamicMetaData__Output {
  'descriptorKey'?: (string);
  'metadataKey'?: (_envoy_type_metadata_v3_MetadataKey__Output);
  'defaultValue'?: (string);
}

export interface _envoy_config_route_v3_RateLimit_Override_DynamicMetadata {
  'metadataKey'?: (_envoy_type_metadata_v3_MetadataKey | null);
}

export interface _envoy_config_route_v3_RateLimit_Override_DynamicMetadata__Output {
  'metadataKey'?: (_envoy_type_metadata_v3_MetadataKey__Output);
}

export interface _envoy_config_route_v3_RateLimit_Action_GenericKey {
  'descriptorValue'?: (string);
  'descriptorKey'?: (string);
}

export interface _envoy_config_route_v3_RateLimit_Action_GenericKey__Output {
  'descriptorValue'?: (string);
  'descriptorKey'?: (string);
}

export interface _envoy_config_route_v3_RateLimit_Action_HeaderValueMatch {
  'descriptorKey'?: (string);
  'descriptorValue'?: (string);
  'expectMatch'?: (_google_protobuf_BoolValue | null);
  'headers'?: (_envoy_config_route_v3_HeaderMatcher)[];
}

export interface _envoy_config_route_v3_RateLimit_Action_HeaderValueMatch__Output {
  'descriptorKey'?: (string);
  'descriptorValue'?: (string);
  'expectMatch'?: (_google_protobuf_BoolValue__Output);
  'headers'?: (_envoy_config_route_v3_HeaderMatcher__Output)[];
}

export interface _envoy_config_route_v3_RateLimit_Action_MaskedRemoteAddress {
  'v4PrefixMaskLen'?: (_google_protobuf_UInt32Value | null);
  'v6PrefixMaskLen'?: (_google_protobuf_UInt32Value | null);
}

export interface _envoy_config_route_v3_RateLimit_Action_MaskedRemoteAddress__Output {
  'v4PrefixMaskLen'?: (_google_protobuf_UInt32Value__Output);
  'v6PrefixMaskLen'?: (_google_protobuf_UInt32Value__Output);
}

export interface _envoy_config_route_v3_RateLimit_Action_MetaData {
  'descriptorKey'?: (string);
  'metadataKey'?: (_envoy_type_metadata_v3_MetadataKey | null);
  'defaultValue'?: (string);
  'source'?: (_envoy_config_route_v3_RateLimit_Action_MetaData_Source);
  'skipIfAbsent'?: (boolean);
}

export interface _envoy_config_route_v3_RateLimit_Action_MetaData__Output {
  'descriptorKey'?: (string);
  'metadataKey'?: (_envoy_type_metadata_v3_MetadataKey__Output);
  'defaultValue'?: (string);
  'source'?: (_envoy_config_route_v3_RateLimit_Action_MetaData_Source__Output);
  'skipIfAbsent'?: (boolean);
}

export interface _envoy_config_route_v3_RateLimit_Override {
  'dynamicMetadata'?: (_envoy_config_route_v3_RateLimit_Override_DynamicMetadata | null);
  'overrideSpecifier'?: "dynamicMetadata";
}

export interface _envoy_config_route_v3_RateLimit_Override__Output {
  'dynamicMetadata'?: (_envoy_config_route_v3_RateLimit_Override_DynamicMetadata__Output);
}

export interface _envoy_config_route_v3_RateLimit_Action_QueryParameterValueMatch {
  'descriptorKey'?: (string);
  'descriptorValue'?: (string);
  'expectMatch'?: (_google_protobuf_BoolValue | null);
  'queryParameters'?: (_envoy_config_route_v3_QueryParameterMatcher)[];
}

export interface _envoy_config_route_v3_RateLimit_Action_QueryParameterValueMatch__Output {
  'descriptorKey'?: (string);
  'descriptorValue'?: (string);
  'expectMatch'?: (_google_protobuf_BoolValue__Output);
  'queryParameters'?: (_envoy_config_route_v3_QueryParameterMatcher__Output)[];
}

export interface _envoy_config_route_v3_RateLimit_Action_RemoteAddress {
}

export interface _envoy_config_route_v3_RateLimit_Action_RemoteAddress__Output {
}

export interface _envoy_config_route_v3_RateLimit_Action_RequestHeaders {
  'headerName'?: (string);
  'descriptorKey'?: (string);
  'skipIfAbsent'?: (boolean);
}

export interface _envoy_config_route_v3_RateLimit_Action_RequestHeaders__Output {
  'headerName'?: (string);
  'descriptorKey'?: (string);
  'skipIfAbsent'?: (boolean);
}

// Original file: envoy/config/route/v3/route_components.proto

export const _envoy_config_route_v3_RateLimit_Action_MetaData_Source = {
  DYNAMIC: 'DYNAMIC',
  ROUTE_ENTRY: 'ROUTE_ENTRY',
} as const;

export type _envoy_config_route_v3_RateLimit_Action_MetaData_Source =
  | 'DYNAMIC'
  | 0
  | 'ROUTE_ENTRY'
  | 1

export type _envoy_config_route_v3_RateLimit_Action_MetaData_Source__Output = typeof _envoy_config_route_v3_RateLimit_Action_MetaData_Source[keyof typeof _envoy_config_route_v3_RateLimit_Action_MetaData_Source]

export interface _envoy_config_route_v3_RateLimit_Action_SourceCluster {
}

export interface _envoy_config_route_v3_RateLimit_Action_SourceCluster__Output {
}

export interface RateLimit {
  'stage'?: (_google_protobuf_UInt32Value | null);
  'disableKey'?: (string);
  'actions'?: (_envoy_config_route_v3_RateLimit_Action)[];
  'limit'?: (_envoy_config_route_v3_RateLimit_Override | null);
}

export interface RateLimit__Output {
  'stage'?: (_google_protobuf_UInt32Value__Output);
  'disableKey'?: (string);
  'actions'?: (_envoy_config_route_v3_RateLimit_Action__Output)[];
  'limit'?: (_envoy_config_route_v3_RateLimit_Override__Output);
}
