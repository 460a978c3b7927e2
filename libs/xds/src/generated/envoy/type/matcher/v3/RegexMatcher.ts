/* eslint-disable */
// Original file: envoy/type/matcher/v3/regex.proto

import type { UInt32Value as _google_protobuf_UInt32Value, UInt32Value__Output as _google_protobuf_UInt32Value__Output } from '../../../../google/protobuf/UInt32Value.ts';

export interface _envoy_type_matcher_v3_RegexMatcher_GoogleRE2 {
  'maxProgramSize'?: (_google_protobuf_UInt32Value | null);
}

export interface _envoy_type_matcher_v3_RegexMatcher_GoogleRE2__Output {
  'maxProgramSize'?: (_google_protobuf_UInt32Value__Output);
}

export interface RegexMatcher {
  'googleRe2'?: (_envoy_type_matcher_v3_RegexMatcher_GoogleRE2 | null);
  'regex'?: (string);
  'engineType'?: "googleRe2";
}

export interface RegexMatcher__Output {
  'googleRe2'?: (_envoy_type_matcher_v3_RegexMatcher_GoogleRE2__Output);
  'regex'?: (string);
}
