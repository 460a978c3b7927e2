/* eslint-disable */
// Original file: xds/annotations/v3/status.proto


export interface FileStatusAnnotation {
  'workInProgress'?: (boolean);
}

export interface FileStatusAnnotation__Output {
  'workInProgress'?: (boolean);
}
