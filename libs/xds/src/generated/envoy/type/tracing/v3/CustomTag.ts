/* eslint-disable */
// Original file: envoy/type/tracing/v3/custom_tag.proto

import type { MetadataKind as _envoy_type_metadata_v3_MetadataKind, MetadataKind__Output as _envoy_type_metadata_v3_MetadataKind__Output } from '../../../../envoy/type/metadata/v3/MetadataKind.ts';
import type { MetadataKey as _envoy_type_metadata_v3_MetadataKey, MetadataKey__Output as _envoy_type_metadata_v3_MetadataKey__Output } from '../../../../envoy/type/metadata/v3/MetadataKey.ts';

export interface _envoy_type_tracing_v3_CustomTag_Environment {
  'name'?: (string);
  'defaultValue'?: (string);
}

export interface _envoy_type_tracing_v3_CustomTag_Environment__Output {
  'name'?: (string);
  'defaultValue'?: (string);
}

export interface _envoy_type_tracing_v3_CustomTag_Header {
  'name'?: (string);
  'defaultValue'?: (string);
}

export interface _envoy_type_tracing_v3_CustomTag_Header__Output {
  'name'?: (string);
  'defaultValue'?: (string);
}

export interface _envoy_type_tracing_v3_CustomTag_Literal {
  'value'?: (string);
}

export interface _envoy_type_tracing_v3_CustomTag_Literal__Output {
  'value'?: (string);
}

export interface _envoy_type_tracing_v3_CustomTag_Metadata {
  'kind'?: (_envoy_type_metadata_v3_MetadataKind | null);
  'metadataKey'?: (_envoy_type_metadata_v3_MetadataKey | null);
  'defaultValue'?: (string);
}

export interface _envoy_type_tracing_v3_CustomTag_Metadata__Output {
  'kind'?: (_envoy_type_metadata_v3_MetadataKind__Output);
  'metadataKey'?: (_envoy_type_metadata_v3_MetadataKey__Output);
  'defaultValue'?: (string);
}

export interface CustomTag {
  'tag'?: (string);
  'literal'?: (_envoy_type_tracing_v3_CustomTag_Literal | null);
  'environment'?: (_envoy_type_tracing_v3_CustomTag_Environment | null);
  'requestHeader'?: (_envoy_type_tracing_v3_CustomTag_Header | null);
  'metadata'?: (_envoy_type_tracing_v3_CustomTag_Metadata | null);
  'type'?: "literal"|"environment"|"requestHeader"|"metadata";
}

export interface CustomTag__Output {
  'tag'?: (string);
  'literal'?: (_envoy_type_tracing_v3_CustomTag_Literal__Output);
  'environment'?: (_envoy_type_tracing_v3_CustomTag_Environment__Output);
  'requestHeader'?: (_envoy_type_tracing_v3_CustomTag_Header__Output);
  'metadata'?: (_envoy_type_tracing_v3_CustomTag_Metadata__Output);
}
