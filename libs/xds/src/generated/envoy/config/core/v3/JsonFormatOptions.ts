/* eslint-disable */
// Original file: envoy/config/core/v3/substitution_format_string.proto


export interface JsonFormatOptions {
  'sortProperties'?: (boolean);
}

export interface JsonFormatOptions__Output {
  'sortProperties'?: (boolean);
}
