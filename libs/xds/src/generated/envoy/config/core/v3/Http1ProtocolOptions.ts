/* eslint-disable */
// Original file: envoy/config/core/v3/protocol.proto

import type { BoolValue as _google_protobuf_BoolValue, BoolValue__Output as _google_protobuf_BoolValue__Output } from '../../../../google/protobuf/BoolValue.ts';
import type { TypedExtensionConfig as _envoy_config_core_v3_TypedExtensionConfig, TypedExtensionConfig__Output as _envoy_config_core_v3_TypedExtensionConfig__Output } from '../../../../envoy/config/core/v3/TypedExtensionConfig.ts';

export interface _envoy_config_core_v3_Http1ProtocolOptions_HeaderKeyFormat {
  'properCaseWords'?: (_envoy_config_core_v3_Http1ProtocolOptions_HeaderKeyFormat_ProperCaseWords | null);
  'statefulFormatter'?: (_envoy_config_core_v3_TypedExtensionConfig | null);
  'headerFormat'?: "properCaseWords"|"statefulFormatter";
}

export interface _envoy_config_core_v3_Http1ProtocolOptions_HeaderKeyFormat__Output {
  'properCaseWords'?: (_envoy_config_core_v3_Http1ProtocolOptions_HeaderKeyFormat_ProperCaseWords__Output);
  'statefulFormatter'?: (_envoy_config_core_v3_TypedExtensionConfig__Output);
}

export interface _envoy_config_core_v3_Http1ProtocolOptions_HeaderKeyFormat_ProperCaseWords {
}

export interface _envoy_config_core_v3_Http1ProtocolOptions_HeaderKeyFormat_ProperCaseWords__Output {
}

export interface Http1ProtocolOptions {
  'allowAbsoluteUrl'?: (_google_protobuf_BoolValue | null);
  'acceptHttp_10'?: (boolean);
  'defaultHostForHttp_10'?: (string);
  'headerKeyFormat'?: (_envoy_config_core_v3_Http1ProtocolOptions_HeaderKeyFormat | null);
  'enableTrailers'?: (boolean);
  'allowChunkedLength'?: (boolean);
  'overrideStreamErrorOnInvalidHttpMessage'?: (_google_protobuf_BoolValue | null);
  'sendFullyQualifiedUrl'?: (boolean);
  'useBalsaParser'?: (_google_protobuf_BoolValue | null);
  'allowCustomMethods'?: (boolean);
}

export interface Http1ProtocolOptions__Output {
  'allowAbsoluteUrl'?: (_google_protobuf_BoolValue__Output);
  'acceptHttp_10'?: (boolean);
  'defaultHostForHttp_10'?: (string);
  'headerKeyFormat'?: (_envoy_config_core_v3_Http1ProtocolOptions_HeaderKeyFormat__Output);
  'enableTrailers'?: (boolean);
  'allowChunkedLength'?: (boolean);
  'overrideStreamErrorOnInvalidHttpMessage'?: (_google_protobuf_BoolValue__Output);
  'sendFullyQualifiedUrl'?: (boolean);
  'useBalsaParser'?: (_google_protobuf_BoolValue__Output);
  'allowCustomMethods'?: (boolean);
}
