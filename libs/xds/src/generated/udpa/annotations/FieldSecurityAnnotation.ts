/* eslint-disable */
// Original file: udpa/annotations/security.proto


export interface FieldSecurityAnnotation {
  'configureForUntrustedDownstream'?: (boolean);
  'configureForUntrustedUpstream'?: (boolean);
}

export interface FieldSecurityAnnotation__Output {
  'configureForUntrustedDownstream'?: (boolean);
  'configureForUntrustedUpstream'?: (boolean);
}
