/* eslint-disable */
// Original file: envoy/type/matcher/v3/value.proto

import type { DoubleMatcher as _envoy_type_matcher_v3_DoubleMatcher, DoubleMatcher__Output as _envoy_type_matcher_v3_DoubleMatcher__Output } from '../../../../envoy/type/matcher/v3/DoubleMatcher.ts';
import type { StringMatcher as _envoy_type_matcher_v3_StringMatcher, StringMatcher__Output as _envoy_type_matcher_v3_StringMatcher__Output } from '../../../../envoy/type/matcher/v3/StringMatcher.ts';
import type { ListMatcher as _envoy_type_matcher_v3_ListMatcher, ListMatcher__Output as _envoy_type_matcher_v3_ListMatcher__Output } from '../../../../envoy/type/matcher/v3/ListMatcher.ts';
import type { OrMatcher as _envoy_type_matcher_v3_OrMatcher, OrMatcher__Output as _envoy_type_matcher_v3_OrMatcher__Output } from '../../../../envoy/type/matcher/v3/OrMatcher.ts';

export interface _envoy_type_matcher_v3_ValueMatcher_NullMatch {
}

export interface _envoy_type_matcher_v3_ValueMatcher_NullMatch__Output {
}

export interface ValueMatcher {
  'nullMatch'?: (_envoy_type_matcher_v3_ValueMatcher_NullMatch | null);
  'doubleMatch'?: (_envoy_type_matcher_v3_DoubleMatcher | null);
  'stringMatch'?: (_envoy_type_matcher_v3_StringMatcher | null);
  'boolMatch'?: (boolean);
  'presentMatch'?: (boolean);
  'listMatch'?: (_envoy_type_matcher_v3_ListMatcher | null);
  'orMatch'?: (_envoy_type_matcher_v3_OrMatcher | null);
  'matchPattern'?: "nullMatch"|"doubleMatch"|"stringMatch"|"boolMatch"|"presentMatch"|"listMatch"|"orMatch";
}

export interface ValueMatcher__Output {
  'nullMatch'?: (_envoy_type_matcher_v3_ValueMatcher_NullMatch__Output);
  'doubleMatch'?: (_envoy_type_matcher_v3_DoubleMatcher__Output);
  'stringMatch'?: (_envoy_type_matcher_v3_StringMatcher__Output);
  'boolMatch'?: (boolean);
  'presentMatch'?: (boolean);
  'listMatch'?: (_envoy_type_matcher_v3_ListMatcher__Output);
  'orMatch'?: (_envoy_type_matcher_v3_OrMatcher__Output);
}
