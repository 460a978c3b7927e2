/* eslint-disable */
// Original file: envoy/extensions/filters/http/cors/v3/cors.proto

import type { StringMatcher as _envoy_type_matcher_v3_StringMatcher, StringMatcher__Output as _envoy_type_matcher_v3_StringMatcher__Output } from '../../../../../../envoy/type/matcher/v3/StringMatcher.ts';
import type { BoolValue as _google_protobuf_BoolValue, BoolValue__Output as _google_protobuf_BoolValue__Output } from '../../../../../../google/protobuf/BoolValue.ts';
import type { RuntimeFractionalPercent as _envoy_config_core_v3_RuntimeFractionalPercent, RuntimeFractionalPercent__Output as _envoy_config_core_v3_RuntimeFractionalPercent__Output } from '../../../../../../envoy/config/core/v3/RuntimeFractionalPercent.ts';

export interface CorsPolicy {
  'allowOriginStringMatch'?: (_envoy_type_matcher_v3_StringMatcher)[];
  'allowMethods'?: (string);
  'allowHeaders'?: (string);
  'exposeHeaders'?: (string);
  'maxAge'?: (string);
  'allowCredentials'?: (_google_protobuf_BoolValue | null);
  'filterEnabled'?: (_envoy_config_core_v3_RuntimeFractionalPercent | null);
  'shadowEnabled'?: (_envoy_config_core_v3_RuntimeFractionalPercent | null);
  'allowPrivateNetworkAccess'?: (_google_protobuf_BoolValue | null);
  'forwardNotMatchingPreflights'?: (_google_protobuf_BoolValue | null);
}

export interface CorsPolicy__Output {
  'allowOriginStringMatch'?: (_envoy_type_matcher_v3_StringMatcher__Output)[];
  'allowMethods'?: (string);
  'allowHeaders'?: (string);
  'exposeHeaders'?: (string);
  'maxAge'?: (string);
  'allowCredentials'?: (_google_protobuf_BoolValue__Output);
  'filterEnabled'?: (_envoy_config_core_v3_RuntimeFractionalPercent__Output);
  'shadowEnabled'?: (_envoy_config_core_v3_RuntimeFractionalPercent__Output);
  'allowPrivateNetworkAccess'?: (_google_protobuf_BoolValue__Output);
  'forwardNotMatchingPreflights'?: (_google_protobuf_BoolValue__Output);
}
