/* eslint-disable */
// Original file: envoy/config/accesslog/v3/accesslog.proto

import type { FractionalPercent as _envoy_type_v3_FractionalPercent, FractionalPercent__Output as _envoy_type_v3_FractionalPercent__Output } from '../../../../envoy/type/v3/FractionalPercent.ts';

export interface RuntimeFilter {
  'runtimeKey'?: (string);
  'percentSampled'?: (_envoy_type_v3_FractionalPercent | null);
  'useIndependentRandomness'?: (boolean);
}

export interface RuntimeFilter__Output {
  'runtimeKey'?: (string);
  'percentSampled'?: (_envoy_type_v3_FractionalPercent__Output);
  'useIndependentRandomness'?: (boolean);
}
