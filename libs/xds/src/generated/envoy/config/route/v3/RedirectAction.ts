/* eslint-disable */
// Original file: envoy/config/route/v3/route_components.proto

import type { RegexMatchAndSubstitute as _envoy_type_matcher_v3_RegexMatchAndSubstitute, RegexMatchAndSubstitute__Output as _envoy_type_matcher_v3_RegexMatchAndSubstitute__Output } from '../../../../envoy/type/matcher/v3/RegexMatchAndSubstitute.ts';

// Original file: envoy/config/route/v3/route_components.proto

export const _envoy_config_route_v3_RedirectAction_RedirectResponseCode = {
  MOVED_PERMANENTLY: 'MOVED_PERMANENTLY',
  FOUND: 'FOUND',
  SEE_OTHER: 'SEE_OTHER',
  TEMPORARY_REDIRECT: 'TEMPORARY_REDIRECT',
  PERMANENT_REDIRECT: 'PERMANENT_REDIRECT',
} as const;

export type _envoy_config_route_v3_RedirectAction_RedirectResponseCode =
  | 'MOVED_PERMANENTLY'
  | 0
  | 'FOUND'
  | 1
  | 'SEE_OTHER'
  | 2
  | 'TEMPORARY_REDIRECT'
  | 3
  | 'PERMANENT_REDIRECT'
  | 4

export type _envoy_config_route_v3_RedirectAction_RedirectResponseCode__Output = typeof _envoy_config_route_v3_RedirectAction_RedirectResponseCode[keyof typeof _envoy_config_route_v3_RedirectAction_RedirectResponseCode]

export interface RedirectAction {
  'hostRedirect'?: (string);
  'pathRedirect'?: (string);
  'responseCode'?: (_envoy_config_route_v3_RedirectAction_RedirectResponseCode);
  'httpsRedirect'?: (boolean);
  'prefixRewrite'?: (string);
  'stripQuery'?: (boolean);
  'schemeRedirect'?: (string);
  'portRedirect'?: (number);
  'regexRewrite'?: (_envoy_type_matcher_v3_RegexMatchAndSubstitute | null);
  'schemeRewriteSpecifier'?: "httpsRedirect"|"schemeRedirect";
  'pathRewriteSpecifier'?: "pathRedirect"|"prefixRewrite"|"regexRewrite";
}

export interface RedirectAction__Output {
  'hostRedirect'?: (string);
  'pathRedirect'?: (string);
  'responseCode'?: (_envoy_config_route_v3_RedirectAction_RedirectResponseCode__Output);
  'httpsRedirect'?: (boolean);
  'prefixRewrite'?: (string);
  'stripQuery'?: (boolean);
  'schemeRedirect'?: (string);
  'portRedirect'?: (number);
  'regexRewrite'?: (_envoy_type_matcher_v3_RegexMatchAndSubstitute__Output);
}
