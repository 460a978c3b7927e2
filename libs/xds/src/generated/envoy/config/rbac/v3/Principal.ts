/* eslint-disable */
// Original file: envoy/config/rbac/v3/rbac.proto

import type { CidrRange as _envoy_config_core_v3_CidrRange, CidrRange__Output as _envoy_config_core_v3_CidrRange__Output } from '../../../../envoy/config/core/v3/CidrRange.ts';
import type { HeaderMatcher as _envoy_config_route_v3_HeaderMatcher, HeaderMatcher__Output as _envoy_config_route_v3_HeaderMatcher__Output } from '../../../../envoy/config/route/v3/HeaderMatcher.ts';
import type { MetadataMatcher as _envoy_type_matcher_v3_MetadataMatcher, MetadataMatcher__Output as _envoy_type_matcher_v3_MetadataMatcher__Output } from '../../../../envoy/type/matcher/v3/MetadataMatcher.ts';
import type { Principal as _envoy_config_rbac_v3_Principal, Principal__Output as _envoy_config_rbac_v3_Principal__Output } from '../../../../envoy/config/rbac/v3/Principal.ts';
import type { PathMatcher as _envoy_type_matcher_v3_PathMatcher, PathMatcher__Output as _envoy_type_matcher_v3_PathMatcher__Output } from '../../../../envoy/type/matcher/v3/PathMatcher.ts';
import type { FilterStateMatcher as _envoy_type_matcher_v3_FilterStateMatcher, FilterStateMatcher__Output as _envoy_type_matcher_v3_FilterStateMatcher__Output } from '../../../../envoy/type/matcher/v3/FilterStateMatcher.ts';
import type { StringMatcher as _envoy_type_matcher_v3_StringMatcher, StringMatcher__Output as _envoy_type_matcher_v3_StringMatcher__Output } from '../../../../envoy/type/matcher/v3/StringMatcher.ts';

export interface _envoy_config_rbac_v3_Principal_Authenticated {
  'principalName'?: (_envoy_type_matcher_v3_StringMatcher | null);
}

export interface _envoy_config_rbac_v3_Principal_Authenticated__Output {
  'principalName'?: (_envoy_type_matcher_v3_StringMatcher__Output);
}

export interface _envoy_config_rbac_v3_Principal_Set {
  'ids'?: (_envoy_config_rbac_v3_Principal)[];
}

export interface _envoy_config_rbac_v3_Principal_Set__Output {
  'ids'?: (_envoy_config_rbac_v3_Principal__Output)[];
}

export interface Principal {
  'andIds'?: (_envoy_config_rbac_v3_Principal_Set | null);
  'orIds'?: (_envoy_config_rbac_v3_Principal_Set | null);
  'any'?: (boolean);
  'authenticated'?: (_envoy_config_rbac_v3_Principal_Authenticated | null);
  'sourceIp'?: (_envoy_config_core_v3_CidrRange | null);
  'header'?: (_envoy_config_route_v3_HeaderMatcher | null);
  'metadata'?: (_envoy_type_matcher_v3_MetadataMatcher | null);
  'notId'?: (_envoy_config_rbac_v3_Principal | null);
  'urlPath'?: (_envoy_type_matcher_v3_PathMatcher | null);
  'directRemoteIp'?: (_envoy_config_core_v3_CidrRange | null);
  'remoteIp'?: (_envoy_config_core_v3_CidrRange | null);
  'filterState'?: (_envoy_type_matcher_v3_FilterStateMatcher | null);
  'identifier'?: "andIds"|"orIds"|"any"|"authenticated"|"sourceIp"|"directRemoteIp"|"remoteIp"|"header"|"urlPath"|"metadata"|"filterState"|"notId";
}

export interface Principal__Output {
  'andIds'?: (_envoy_config_rbac_v3_Principal_Set__Output);
  'orIds'?: (_envoy_config_rbac_v3_Principal_Set__Output);
  'any'?: (boolean);
  'authenticated'?: (_envoy_config_rbac_v3_Principal_Authenticated__Output);
  'sourceIp'?: (_envoy_config_core_v3_CidrRange__Output);
  'header'?: (_envoy_config_route_v3_HeaderMatcher__Output);
  'metadata'?: (_envoy_type_matcher_v3_MetadataMatcher__Output);
  'notId'?: (_envoy_config_rbac_v3_Principal__Output);
  'urlPath'?: (_envoy_type_matcher_v3_PathMatcher__Output);
  'directRemoteIp'?: (_envoy_config_core_v3_CidrRange__Output);
  'remoteIp'?: (_envoy_config_core_v3_CidrRange__Output);
  'filterState'?: (_envoy_type_matcher_v3_FilterStateMatcher__Output);
}
