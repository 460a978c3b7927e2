/* eslint-disable */
// Original file: envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto

import type { HttpUri as _envoy_config_core_v3_HttpUri, HttpUri__Output as _envoy_config_core_v3_HttpUri__Output } from '../../../../../../envoy/config/core/v3/HttpUri.ts';
import type { AuthorizationRequest as _envoy_extensions_filters_http_ext_authz_v3_AuthorizationRequest, AuthorizationRequest__Output as _envoy_extensions_filters_http_ext_authz_v3_AuthorizationRequest__Output } from '../../../../../../envoy/extensions/filters/http/ext_authz/v3/AuthorizationRequest.ts';
import type { AuthorizationResponse as _envoy_extensions_filters_http_ext_authz_v3_AuthorizationResponse, AuthorizationResponse__Output as _envoy_extensions_filters_http_ext_authz_v3_AuthorizationResponse__Output } from '../../../../../../envoy/extensions/filters/http/ext_authz/v3/AuthorizationResponse.ts';

export interface HttpService {
  'serverUri'?: (_envoy_config_core_v3_HttpUri | null);
  'pathPrefix'?: (string);
  'authorizationRequest'?: (_envoy_extensions_filters_http_ext_authz_v3_AuthorizationRequest | null);
  'authorizationResponse'?: (_envoy_extensions_filters_http_ext_authz_v3_AuthorizationResponse | null);
}

export interface HttpService__Output {
  'serverUri'?: (_envoy_config_core_v3_HttpUri__Output);
  'pathPrefix'?: (string);
  'authorizationRequest'?: (_envoy_extensions_filters_http_ext_authz_v3_AuthorizationRequest__Output);
  'authorizationResponse'?: (_envoy_extensions_filters_http_ext_authz_v3_AuthorizationResponse__Output);
}
