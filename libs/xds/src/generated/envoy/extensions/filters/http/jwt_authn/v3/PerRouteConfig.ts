/* eslint-disable */
// Original file: envoy/extensions/filters/http/jwt_authn/v3/config.proto


export interface PerRouteConfig {
  'disabled'?: (boolean);
  'requirementName'?: (string);
  'requirementSpecifier'?: "disabled"|"requirementName";
}

export interface PerRouteConfig__Output {
  'disabled'?: (boolean);
  'requirementName'?: (string);
}
