/* eslint-disable */
// Original file: envoy/extensions/filters/http/jwt_authn/v3/config.proto


export interface ProviderWithAudiences {
  'providerName'?: (string);
  'audiences'?: (string)[];
}

export interface ProviderWithAudiences__Output {
  'providerName'?: (string);
  'audiences'?: (string)[];
}
