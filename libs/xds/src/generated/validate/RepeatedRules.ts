/* eslint-disable */
// Original file: validate/validate.proto

import type { FieldRules as _validate_FieldRules, FieldRules__Output as _validate_FieldRules__Output } from '../validate/FieldRules.ts';
import type { Long } from '@grpc/proto-loader';

export interface RepeatedRules {
  'minItems'?: (number | string | Long);
  'maxItems'?: (number | string | Long);
  'unique'?: (boolean);
  'items'?: (_validate_FieldRules | null);
}

export interface RepeatedRules__Output {
  'minItems'?: (string);
  'maxItems'?: (string);
  'unique'?: (boolean);
  'items'?: (_validate_FieldRules__Output);
}
