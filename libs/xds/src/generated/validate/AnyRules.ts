/* eslint-disable */
// Original file: validate/validate.proto


export interface AnyRules {
  'required'?: (boolean);
  'in'?: (string)[];
  'notIn'?: (string)[];
}

export interface AnyRules__Output {
  'required'?: (boolean);
  'in'?: (string)[];
  'notIn'?: (string)[];
}
