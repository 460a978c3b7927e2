/* eslint-disable */
// Original file: envoy/extensions/filters/http/jwt_authn/v3/config.proto


export interface JwtHeader {
  'name'?: (string);
  'valuePrefix'?: (string);
}

export interface JwtHeader__Output {
  'name'?: (string);
  'valuePrefix'?: (string);
}
