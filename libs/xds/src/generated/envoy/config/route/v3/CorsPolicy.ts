/* eslint-disable */
// Original file: envoy/config/route/v3/route_components.proto

import type { BoolValue as _google_protobuf_BoolValue, BoolValue__Output as _google_protobuf_BoolValue__Output } from '../../../../google/protobuf/BoolValue.ts';
import type { RuntimeFractionalPercent as _envoy_config_core_v3_RuntimeFractionalPercent, RuntimeFractionalPercent__Output as _envoy_config_core_v3_RuntimeFractionalPercent__Output } from '../../../../envoy/config/core/v3/RuntimeFractionalPercent.ts';
import type { StringMatcher as _envoy_type_matcher_v3_StringMatcher, StringMatcher__Output as _envoy_type_matcher_v3_StringMatcher__Output } from '../../../../envoy/type/matcher/v3/StringMatcher.ts';

export interface CorsPolicy {
  'allowMethods'?: (string);
  'allowHeaders'?: (string);
  'exposeHeaders'?: (string);
  'maxAge'?: (string);
  'allowCredentials'?: (_google_protobuf_BoolValue | null);
  'filterEnabled'?: (_envoy_config_core_v3_RuntimeFractionalPercent | null);
  'shadowEnabled'?: (_envoy_config_core_v3_RuntimeFractionalPercent | null);
  'allowOriginStringMatch'?: (_envoy_type_matcher_v3_StringMatcher)[];
  'allowPrivateNetworkAccess'?: (_google_protobuf_BoolValue | null);
  'forwardNotMatchingPreflights'?: (_google_protobuf_BoolValue | null);
  'enabledSpecifier'?: "filterEnabled";
}

export interface CorsPolicy__Output {
  'allowMethods'?: (string);
  'allowHeaders'?: (string);
  'exposeHeaders'?: (string);
  'maxAge'?: (string);
  'allowCredentials'?: (_google_protobuf_BoolValue__Output);
  'filterEnabled'?: (_envoy_config_core_v3_RuntimeFractionalPercent__Output);
  'shadowEnabled'?: (_envoy_config_core_v3_RuntimeFractionalPercent__Output);
  'allowOriginStringMatch'?: (_envoy_type_matcher_v3_StringMatcher__Output)[];
  'allowPrivateNetworkAccess'?: (_google_protobuf_BoolValue__Output);
  'forwardNotMatchingPreflights'?: (_google_protobuf_BoolValue__Output);
}
