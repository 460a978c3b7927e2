/* eslint-disable */
// Original file: envoy/extensions/filters/http/jwt_authn/v3/config.proto

import type { JwtProvider as _envoy_extensions_filters_http_jwt_authn_v3_JwtProvider, JwtProvider__Output as _envoy_extensions_filters_http_jwt_authn_v3_JwtProvider__Output } from '../../../../../../envoy/extensions/filters/http/jwt_authn/v3/JwtProvider.ts';
import type { RequirementRule as _envoy_extensions_filters_http_jwt_authn_v3_RequirementRule, RequirementRule__Output as _envoy_extensions_filters_http_jwt_authn_v3_RequirementRule__Output } from '../../../../../../envoy/extensions/filters/http/jwt_authn/v3/RequirementRule.ts';
import type { FilterStateRule as _envoy_extensions_filters_http_jwt_authn_v3_FilterStateRule, FilterStateRule__Output as _envoy_extensions_filters_http_jwt_authn_v3_FilterStateRule__Output } from '../../../../../../envoy/extensions/filters/http/jwt_authn/v3/FilterStateRule.ts';
import type { JwtRequirement as _envoy_extensions_filters_http_jwt_authn_v3_JwtRequirement, JwtRequirement__Output as _envoy_extensions_filters_http_jwt_authn_v3_JwtRequirement__Output } from '../../../../../../envoy/extensions/filters/http/jwt_authn/v3/JwtRequirement.ts';

export interface JwtAuthentication {
  'providers'?: ({[key: string]: _envoy_extensions_filters_http_jwt_authn_v3_JwtProvider});
  'rules'?: (_envoy_extensions_filters_http_jwt_authn_v3_RequirementRule)[];
  'filterStateRules'?: (_envoy_extensions_filters_http_jwt_authn_v3_FilterStateRule | null);
  'bypassCorsPreflight'?: (boolean);
  'requirementMap'?: ({[key: string]: _envoy_extensions_filters_http_jwt_authn_v3_JwtRequirement});
  'stripFailureResponse'?: (boolean);
}

export interface JwtAuthentication__Output {
  'providers'?: ({[key: string]: _envoy_extensions_filters_http_jwt_authn_v3_JwtProvider__Output});
  'rules'?: (_envoy_extensions_filters_http_jwt_authn_v3_RequirementRule__Output)[];
  'filterStateRules'?: (_envoy_extensions_filters_http_jwt_authn_v3_FilterStateRule__Output);
  'bypassCorsPreflight'?: (boolean);
  'requirementMap'?: ({[key: string]: _envoy_extensions_filters_http_jwt_authn_v3_JwtRequirement__Output});
  'stripFailureResponse'?: (boolean);
}
