/* eslint-disable */
// Original file: envoy/type/matcher/v3/value.proto

import type { ValueMatcher as _envoy_type_matcher_v3_ValueMatcher, ValueMatcher__Output as _envoy_type_matcher_v3_ValueMatcher__Output } from '../../../../envoy/type/matcher/v3/ValueMatcher.ts';

export interface ListMatcher {
  'oneOf'?: (_envoy_type_matcher_v3_ValueMatcher | null);
  'matchPattern'?: "oneOf";
}

export interface ListMatcher__Output {
  'oneOf'?: (_envoy_type_matcher_v3_ValueMatcher__Output);
}
