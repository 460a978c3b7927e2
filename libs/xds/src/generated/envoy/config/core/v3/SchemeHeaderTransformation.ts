/* eslint-disable */
// Original file: envoy/config/core/v3/protocol.proto


export interface SchemeHeaderTransformation {
  'schemeToOverwrite'?: (string);
  'matchUpstream'?: (boolean);
  'transformation'?: "schemeToOverwrite";
}

export interface SchemeHeaderTransformation__Output {
  'schemeToOverwrite'?: (string);
  'matchUpstream'?: (boolean);
}
