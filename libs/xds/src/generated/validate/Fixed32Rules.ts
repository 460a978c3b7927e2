/* eslint-disable */
// Original file: validate/validate.proto


export interface Fixed32Rules {
  'const'?: (number);
  'lt'?: (number);
  'lte'?: (number);
  'gt'?: (number);
  'gte'?: (number);
  'in'?: (number)[];
  'notIn'?: (number)[];
}

export interface Fixed32Rules__Output {
  'const'?: (number);
  'lt'?: (number);
  'lte'?: (number);
  'gt'?: (number);
  'gte'?: (number);
  'in'?: (number)[];
  'notIn'?: (number)[];
}
