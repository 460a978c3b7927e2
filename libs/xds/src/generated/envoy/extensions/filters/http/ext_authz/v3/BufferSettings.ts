/* eslint-disable */
// Original file: envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto


export interface BufferSettings {
  'maxRequestBytes'?: (number);
  'allowPartialMessage'?: (boolean);
  'packAsBytes'?: (boolean);
}

export interface BufferSettings__Output {
  'maxRequestBytes'?: (number);
  'allowPartialMessage'?: (boolean);
  'packAsBytes'?: (boolean);
}
