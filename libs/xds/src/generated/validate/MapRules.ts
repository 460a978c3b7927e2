/* eslint-disable */
// Original file: validate/validate.proto

import type { FieldRules as _validate_FieldRules, FieldRules__Output as _validate_FieldRules__Output } from '../validate/FieldRules.ts';
import type { Long } from '@grpc/proto-loader';

export interface MapRules {
  'minPairs'?: (number | string | Long);
  'maxPairs'?: (number | string | Long);
  'noSparse'?: (boolean);
  'keys'?: (_validate_FieldRules | null);
  'values'?: (_validate_FieldRules | null);
}

export interface MapRules__Output {
  'minPairs'?: (string);
  'maxPairs'?: (string);
  'noSparse'?: (boolean);
  'keys'?: (_validate_FieldRules__Output);
  'values'?: (_validate_FieldRules__Output);
}
