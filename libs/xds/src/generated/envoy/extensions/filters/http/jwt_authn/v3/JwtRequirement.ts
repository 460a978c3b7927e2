/* eslint-disable */
// Original file: envoy/extensions/filters/http/jwt_authn/v3/config.proto

import type { ProviderWithAudiences as _envoy_extensions_filters_http_jwt_authn_v3_ProviderWithAudiences, ProviderWithAudiences__Output as _envoy_extensions_filters_http_jwt_authn_v3_ProviderWithAudiences__Output } from '../../../../../../envoy/extensions/filters/http/jwt_authn/v3/ProviderWithAudiences.ts';
import type { JwtRequirementOrList as _envoy_extensions_filters_http_jwt_authn_v3_JwtRequirementOrList, JwtRequirementOrList__Output as _envoy_extensions_filters_http_jwt_authn_v3_JwtRequirementOrList__Output } from '../../../../../../envoy/extensions/filters/http/jwt_authn/v3/JwtRequirementOrList.ts';
import type { JwtRequirementAndList as _envoy_extensions_filters_http_jwt_authn_v3_JwtRequirementAndList, JwtRequirementAndList__Output as _envoy_extensions_filters_http_jwt_authn_v3_JwtRequirementAndList__Output } from '../../../../../../envoy/extensions/filters/http/jwt_authn/v3/JwtRequirementAndList.ts';
import type { Empty as _google_protobuf_Empty, Empty__Output as _google_protobuf_Empty__Output } from '../../../../../../google/protobuf/Empty.ts';

export interface JwtRequirement {
  'providerName'?: (string);
  'providerAndAudiences'?: (_envoy_extensions_filters_http_jwt_authn_v3_ProviderWithAudiences | null);
  'requiresAny'?: (_envoy_extensions_filters_http_jwt_authn_v3_JwtRequirementOrList | null);
  'requiresAll'?: (_envoy_extensions_filters_http_jwt_authn_v3_JwtRequirementAndList | null);
  'allowMissingOrFailed'?: (_google_protobuf_Empty | null);
  'allowMissing'?: (_google_protobuf_Empty | null);
  'requiresType'?: "providerName"|"providerAndAudiences"|"requiresAny"|"requiresAll"|"allowMissingOrFailed"|"allowMissing";
}

export interface JwtRequirement__Output {
  'providerName'?: (string);
  'providerAndAudiences'?: (_envoy_extensions_filters_http_jwt_authn_v3_ProviderWithAudiences__Output);
  'requiresAny'?: (_envoy_extensions_filters_http_jwt_authn_v3_JwtRequirementOrList__Output);
  'requiresAll'?: (_envoy_extensions_filters_http_jwt_authn_v3_JwtRequirementAndList__Output);
  'allowMissingOrFailed'?: (_google_protobuf_Empty__Output);
  'allowMissing'?: (_google_protobuf_Empty__Output);
}
