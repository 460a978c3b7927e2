/* eslint-disable */
// Original file: envoy/config/route/v3/route_components.proto

import type { UInt32Value as _google_protobuf_UInt32Value, UInt32Value__Output as _google_protobuf_UInt32Value__Output } from '../../../../google/protobuf/UInt32Value.ts';
import type { TypedExtensionConfig as _envoy_config_core_v3_TypedExtensionConfig, TypedExtensionConfig__Output as _envoy_config_core_v3_TypedExtensionConfig__Output } from '../../../../envoy/config/core/v3/TypedExtensionConfig.ts';

export interface InternalRedirectPolicy {
  'maxInternalRedirects'?: (_google_protobuf_UInt32Value | null);
  'redirectResponseCodes'?: (number)[];
  'predicates'?: (_envoy_config_core_v3_TypedExtensionConfig)[];
  'allowCrossSchemeRedirect'?: (boolean);
  'responseHeadersToCopy'?: (string)[];
}

export interface InternalRedirectPolicy__Output {
  'maxInternalRedirects'?: (_google_protobuf_UInt32Value__Output);
  'redirectResponseCodes'?: (number)[];
  'predicates'?: (_envoy_config_core_v3_TypedExtensionConfig__Output)[];
  'allowCrossSchemeRedirect'?: (boolean);
  'responseHeadersToCopy'?: (string)[];
}
