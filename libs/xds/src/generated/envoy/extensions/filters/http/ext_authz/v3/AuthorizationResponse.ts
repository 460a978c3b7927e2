/* eslint-disable */
// Original file: envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto

import type { ListStringMatcher as _envoy_type_matcher_v3_ListStringMatcher, ListStringMatcher__Output as _envoy_type_matcher_v3_ListStringMatcher__Output } from '../../../../../../envoy/type/matcher/v3/ListStringMatcher.ts';

export interface AuthorizationResponse {
  'allowedUpstreamHeaders'?: (_envoy_type_matcher_v3_ListStringMatcher | null);
  'allowedClientHeaders'?: (_envoy_type_matcher_v3_ListStringMatcher | null);
  'allowedUpstreamHeadersToAppend'?: (_envoy_type_matcher_v3_ListStringMatcher | null);
  'allowedClientHeadersOnSuccess'?: (_envoy_type_matcher_v3_ListStringMatcher | null);
  'dynamicMetadataFromHeaders'?: (_envoy_type_matcher_v3_ListStringMatcher | null);
}

export interface AuthorizationResponse__Output {
  'allowedUpstreamHeaders'?: (_envoy_type_matcher_v3_ListStringMatcher__Output);
  'allowedClientHeaders'?: (_envoy_type_matcher_v3_ListStringMatcher__Output);
  'allowedUpstreamHeadersToAppend'?: (_envoy_type_matcher_v3_ListStringMatcher__Output);
  'allowedClientHeadersOnSuccess'?: (_envoy_type_matcher_v3_ListStringMatcher__Output);
  'dynamicMetadataFromHeaders'?: (_envoy_type_matcher_v3_ListStringMatcher__Output);
}
