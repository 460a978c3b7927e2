/* eslint-disable */
// Original file: envoy/config/common/mutation_rules/v3/mutation_rules.proto

import type { BoolValue as _google_protobuf_BoolValue, BoolValue__Output as _google_protobuf_BoolValue__Output } from '../../../../../google/protobuf/BoolValue.ts';
import type { RegexMatcher as _envoy_type_matcher_v3_RegexMatcher, RegexMatcher__Output as _envoy_type_matcher_v3_RegexMatcher__Output } from '../../../../../envoy/type/matcher/v3/RegexMatcher.ts';

export interface HeaderMutationRules {
  'allowAllRouting'?: (_google_protobuf_BoolValue | null);
  'allowEnvoy'?: (_google_protobuf_BoolValue | null);
  'disallowSystem'?: (_google_protobuf_BoolValue | null);
  'disallowAll'?: (_google_protobuf_BoolValue | null);
  'allowExpression'?: (_envoy_type_matcher_v3_RegexMatcher | null);
  'disallowExpression'?: (_envoy_type_matcher_v3_RegexMatcher | null);
  'disallowIsError'?: (_google_protobuf_BoolValue | null);
}

export interface HeaderMutationRules__Output {
  'allowAllRouting'?: (_google_protobuf_BoolValue__Output);
  'allowEnvoy'?: (_google_protobuf_BoolValue__Output);
  'disallowSystem'?: (_google_protobuf_BoolValue__Output);
  'disallowAll'?: (_google_protobuf_BoolValue__Output);
  'allowExpression'?: (_envoy_type_matcher_v3_RegexMatcher__Output);
  'disallowExpression'?: (_envoy_type_matcher_v3_RegexMatcher__Output);
  'disallowIsError'?: (_google_protobuf_BoolValue__Output);
}
