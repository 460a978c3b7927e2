/* eslint-disable */
// Original file: envoy/config/core/v3/base.proto

import type { Percent as _envoy_type_v3_Percent, Percent__Output as _envoy_type_v3_Percent__Output } from '../../../../envoy/type/v3/Percent.ts';

export interface RuntimePercent {
  'defaultValue'?: (_envoy_type_v3_Percent | null);
  'runtimeKey'?: (string);
}

export interface RuntimePercent__Output {
  'defaultValue'?: (_envoy_type_v3_Percent__Output);
  'runtimeKey'?: (string);
}
