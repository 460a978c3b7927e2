/* eslint-disable */
// Original file: envoy/extensions/filters/http/jwt_authn/v3/config.proto


export interface JwtClaimToHeader {
  'headerName'?: (string);
  'claimName'?: (string);
}

export interface JwtClaimToHeader__Output {
  'headerName'?: (string);
  'claimName'?: (string);
}
