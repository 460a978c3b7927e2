/* eslint-disable */
// Original file: envoy/extensions/filters/http/jwt_authn/v3/config.proto


export interface JwtCacheConfig {
  'jwtCacheSize'?: (number);
}

export interface JwtCacheConfig__Output {
  'jwtCacheSize'?: (number);
}
