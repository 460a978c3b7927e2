/* eslint-disable */
// Original file: envoy/extensions/filters/http/jwt_authn/v3/config.proto

import type { RemoteJwks as _envoy_extensions_filters_http_jwt_authn_v3_RemoteJwks, RemoteJwks__Output as _envoy_extensions_filters_http_jwt_authn_v3_RemoteJwks__Output } from '../../../../../../envoy/extensions/filters/http/jwt_authn/v3/RemoteJwks.ts';
import type { DataSource as _envoy_config_core_v3_DataSource, DataSource__Output as _envoy_config_core_v3_DataSource__Output } from '../../../../../../envoy/config/core/v3/DataSource.ts';
import type { JwtHeader as _envoy_extensions_filters_http_jwt_authn_v3_JwtHeader, JwtHeader__Output as _envoy_extensions_filters_http_jwt_authn_v3_JwtHeader__Output } from '../../../../../../envoy/extensions/filters/http/jwt_authn/v3/JwtHeader.ts';
import type { JwtCacheConfig as _envoy_extensions_filters_http_jwt_authn_v3_JwtCacheConfig, JwtCacheConfig__Output as _envoy_extensions_filters_http_jwt_authn_v3_JwtCacheConfig__Output } from '../../../../../../envoy/extensions/filters/http/jwt_authn/v3/JwtCacheConfig.ts';
import type { JwtClaimToHeader as _envoy_extensions_filters_http_jwt_authn_v3_JwtClaimToHeader, JwtClaimToHeader__Output as _envoy_extensions_filters_http_jwt_authn_v3_JwtClaimToHeader__Output } from '../../../../../../envoy/extensions/filters/http/jwt_authn/v3/JwtClaimToHeader.ts';
import type { StringMatcher as _envoy_type_matcher_v3_StringMatcher, StringMatcher__Output as _envoy_type_matcher_v3_StringMatcher__Output } from '../../../../../../envoy/type/matcher/v3/StringMatcher.ts';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../../../../google/protobuf/Duration.ts';

export interface _envoy_extensions_filters_http_jwt_authn_v3_JwtProvider_NormalizePayload {
  'spaceDelimitedClaims'?: (string)[];
}

export interface _envoy_extensions_filters_http_jwt_authn_v3_JwtProvider_NormalizePayload__Output {
  'spaceDelimitedClaims'?: (string)[];
}

export interface JwtProvider {
  'issuer'?: (string);
  'audiences'?: (string)[];
  'remoteJwks'?: (_envoy_extensions_filters_http_jwt_authn_v3_RemoteJwks | null);
  'localJwks'?: (_envoy_config_core_v3_DataSource | null);
  'forward'?: (boolean);
  'fromHeaders'?: (_envoy_extensions_filters_http_jwt_authn_v3_JwtHeader)[];
  'fromParams'?: (string)[];
  'forwardPayloadHeader'?: (string);
  'payloadInMetadata'?: (string);
  'clockSkewSeconds'?: (number);
  'padForwardPayloadHeader'?: (boolean);
  'jwtCacheConfig'?: (_envoy_extensions_filters_http_jwt_authn_v3_JwtCacheConfig | null);
  'fromCookies'?: (string)[];
  'headerInMetadata'?: (string);
  'claimToHeaders'?: (_envoy_extensions_filters_http_jwt_authn_v3_JwtClaimToHeader)[];
  'failedStatusInMetadata'?: (string);
  'clearRouteCache'?: (boolean);
  'normalizePayloadInMetadata'?: (_envoy_extensions_filters_http_jwt_authn_v3_JwtProvider_NormalizePayload | null);
  'subjects'?: (_envoy_type_matcher_v3_StringMatcher | null);
  'requireExpiration'?: (boolean);
  'maxLifetime'?: (_google_protobuf_Duration | null);
  'jwksSourceSpecifier'?: "remoteJwks"|"localJwks";
}

export interface JwtProvider__Output {
  'issuer'?: (string);
  'audiences'?: (string)[];
  'remoteJwks'?: (_envoy_extensions_filters_http_jwt_authn_v3_RemoteJwks__Output);
  'localJwks'?: (_envoy_config_core_v3_DataSource__Output);
  'forward'?: (boolean);
  'fromHeaders'?: (_envoy_extensions_filters_http_jwt_authn_v3_JwtHeader__Output)[];
  'fromParams'?: (string)[];
  'forwardPayloadHeader'?: (string);
  'payloadInMetadata'?: (string);
  'clockSkewSeconds'?: (number);
  'padForwardPayloadHeader'?: (boolean);
  'jwtCacheConfig'?: (_envoy_extensions_filters_http_jwt_authn_v3_JwtCacheConfig__Output);
  'fromCookies'?: (string)[];
  'headerInMetadata'?: (string);
  'claimToHeaders'?: (_envoy_extensions_filters_http_jwt_authn_v3_JwtClaimToHeader__Output)[];
  'failedStatusInMetadata'?: (string);
  'clearRouteCache'?: (boolean);
  'normalizePayloadInMetadata'?: (_envoy_extensions_filters_http_jwt_authn_v3_JwtProvider_NormalizePayload__Output);
  'subjects'?: (_envoy_type_matcher_v3_StringMatcher__Output);
  'requireExpiration'?: (boolean);
  'maxLifetime'?: (_google_protobuf_Duration__Output);
}
