/* eslint-disable */
// Original file: envoy/extensions/filters/common/fault/v3/fault.proto

import type { FractionalPercent as _envoy_type_v3_FractionalPercent, FractionalPercent__Output as _envoy_type_v3_FractionalPercent__Output } from '../../../../../../envoy/type/v3/FractionalPercent.ts';
import type { Long } from '@grpc/proto-loader';

export interface _envoy_extensions_filters_common_fault_v3_FaultRateLimit_FixedLimit {
  'limitKbps'?: (number | string | Long);
}

export interface _envoy_extensions_filters_common_fault_v3_FaultRateLimit_FixedLimit__Output {
  'limitKbps'?: (string);
}

export interface _envoy_extensions_filters_common_fault_v3_FaultRateLimit_HeaderLimit {
}

export interface _envoy_extensions_filters_common_fault_v3_FaultRateLimit_HeaderLimit__Output {
}

export interface FaultRateLimit {
  'fixedLimit'?: (_envoy_extensions_filters_common_fault_v3_FaultRateLimit_FixedLimit | null);
  'percentage'?: (_envoy_type_v3_FractionalPercent | null);
  'headerLimit'?: (_envoy_extensions_filters_common_fault_v3_FaultRateLimit_HeaderLimit | null);
  'limitType'?: "fixedLimit"|"headerLimit";
}

export interface FaultRateLimit__Output {
  'fixedLimit'?: (_envoy_extensions_filters_common_fault_v3_FaultRateLimit_FixedLimit__Output);
  'percentage'?: (_envoy_type_v3_FractionalPercent__Output);
  'headerLimit'?: (_envoy_extensions_filters_common_fault_v3_FaultRateLimit_HeaderLimit__Output);
}
