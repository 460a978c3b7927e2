/* eslint-disable */
// Original file: envoy/type/matcher/v3/node.proto

import type { StringMatcher as _envoy_type_matcher_v3_StringMatcher, StringMatcher__Output as _envoy_type_matcher_v3_StringMatcher__Output } from '../../../../envoy/type/matcher/v3/StringMatcher.ts';
import type { StructMatcher as _envoy_type_matcher_v3_StructMatcher, StructMatcher__Output as _envoy_type_matcher_v3_StructMatcher__Output } from '../../../../envoy/type/matcher/v3/StructMatcher.ts';

export interface NodeMatcher {
  'nodeId'?: (_envoy_type_matcher_v3_StringMatcher | null);
  'nodeMetadatas'?: (_envoy_type_matcher_v3_StructMatcher)[];
}

export interface NodeMatcher__Output {
  'nodeId'?: (_envoy_type_matcher_v3_StringMatcher__Output);
  'nodeMetadatas'?: (_envoy_type_matcher_v3_StructMatcher__Output)[];
}
