/* eslint-disable */
// Original file: udpa/annotations/versioning.proto


export interface VersioningAnnotation {
  'previousMessageType'?: (string);
}

export interface VersioningAnnotation__Output {
  'previousMessageType'?: (string);
}
