/* eslint-disable */
// Original file: envoy/config/core/v3/protocol.proto

import type { UInt32Value as _google_protobuf_UInt32Value, UInt32Value__Output as _google_protobuf_UInt32Value__Output } from '../../../../google/protobuf/UInt32Value.ts';
import type { TypedExtensionConfig as _envoy_config_core_v3_TypedExtensionConfig, TypedExtensionConfig__Output as _envoy_config_core_v3_TypedExtensionConfig__Output } from '../../../../envoy/config/core/v3/TypedExtensionConfig.ts';

export interface _envoy_config_core_v3_AlternateProtocolsCacheOptions_AlternateProtocolsCacheEntry {
  'hostname'?: (string);
  'port'?: (number);
}

export interface _envoy_config_core_v3_AlternateProtocolsCacheOptions_AlternateProtocolsCacheEntry__Output {
  'hostname'?: (string);
  'port'?: (number);
}

export interface AlternateProtocolsCacheOptions {
  'name'?: (string);
  'maxEntries'?: (_google_protobuf_UInt32Value | null);
  'keyValueStoreConfig'?: (_envoy_config_core_v3_TypedExtensionConfig | null);
  'prepopulatedEntries'?: (_envoy_config_core_v3_AlternateProtocolsCacheOptions_AlternateProtocolsCacheEntry)[];
  'canonicalSuffixes'?: (string)[];
}

export interface AlternateProtocolsCacheOptions__Output {
  'name'?: (string);
  'maxEntries'?: (_google_protobuf_UInt32Value__Output);
  'keyValueStoreConfig'?: (_envoy_config_core_v3_TypedExtensionConfig__Output);
  'prepopulatedEntries'?: (_envoy_config_core_v3_AlternateProtocolsCacheOptions_AlternateProtocolsCacheEntry__Output)[];
  'canonicalSuffixes'?: (string)[];
}
