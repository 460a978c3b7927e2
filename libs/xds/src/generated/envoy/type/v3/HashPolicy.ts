/* eslint-disable */
// Original file: envoy/type/v3/hash_policy.proto


export interface _envoy_type_v3_HashPolicy_FilterState {
  'key'?: (string);
}

export interface _envoy_type_v3_HashPolicy_FilterState__Output {
  'key'?: (string);
}

export interface _envoy_type_v3_HashPolicy_SourceIp {
}

export interface _envoy_type_v3_HashPolicy_SourceIp__Output {
}

export interface HashPolicy {
  'sourceIp'?: (_envoy_type_v3_HashPolicy_SourceIp | null);
  'filterState'?: (_envoy_type_v3_HashPolicy_FilterState | null);
  'policySpecifier'?: "sourceIp"|"filterState";
}

export interface HashPolicy__Output {
  'sourceIp'?: (_envoy_type_v3_HashPolicy_SourceIp__Output);
  'filterState'?: (_envoy_type_v3_HashPolicy_FilterState__Output);
}
