/* eslint-disable */
// Original file: envoy/config/core/v3/base.proto

import type { FractionalPercent as _envoy_type_v3_FractionalPercent, FractionalPercent__Output as _envoy_type_v3_FractionalPercent__Output } from '../../../../envoy/type/v3/FractionalPercent.ts';

export interface RuntimeFractionalPercent {
  'defaultValue'?: (_envoy_type_v3_FractionalPercent | null);
  'runtimeKey'?: (string);
}

export interface RuntimeFractionalPercent__Output {
  'defaultValue'?: (_envoy_type_v3_FractionalPercent__Output);
  'runtimeKey'?: (string);
}
