/* eslint-disable */
// Original file: xds/annotations/v3/status.proto


export interface FieldStatusAnnotation {
  'workInProgress'?: (boolean);
}

export interface FieldStatusAnnotation__Output {
  'workInProgress'?: (boolean);
}
