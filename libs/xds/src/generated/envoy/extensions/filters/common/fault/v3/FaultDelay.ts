/* eslint-disable */
// Original file: envoy/extensions/filters/common/fault/v3/fault.proto

import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../../../../google/protobuf/Duration.ts';
import type { FractionalPercent as _envoy_type_v3_FractionalPercent, FractionalPercent__Output as _envoy_type_v3_FractionalPercent__Output } from '../../../../../../envoy/type/v3/FractionalPercent.ts';

// Original file: envoy/extensions/filters/common/fault/v3/fault.proto

export const _envoy_extensions_filters_common_fault_v3_FaultDelay_FaultDelayType = {
  FIXED: 'FIXED',
} as const;

export type _envoy_extensions_filters_common_fault_v3_FaultDelay_FaultDelayType =
  | 'FIXED'
  | 0

export type _envoy_extensions_filters_common_fault_v3_FaultDelay_FaultDelayType__Output = typeof _envoy_extensions_filters_common_fault_v3_FaultDelay_FaultDelayType[keyof typeof _envoy_extensions_filters_common_fault_v3_FaultDelay_FaultDelayType]

export interface _envoy_extensions_filters_common_fault_v3_FaultDelay_HeaderDelay {
}

export interface _envoy_extensions_filters_common_fault_v3_FaultDelay_HeaderDelay__Output {
}

export interface FaultDelay {
  'fixedDelay'?: (_google_protobuf_Duration | null);
  'percentage'?: (_envoy_type_v3_FractionalPercent | null);
  'headerDelay'?: (_envoy_extensions_filters_common_fault_v3_FaultDelay_HeaderDelay | null);
  'faultDelaySecifier'?: "fixedDelay"|"headerDelay";
}

export interface FaultDelay__Output {
  'fixedDelay'?: (_google_protobuf_Duration__Output);
  'percentage'?: (_envoy_type_v3_FractionalPercent__Output);
  'headerDelay'?: (_envoy_extensions_filters_common_fault_v3_FaultDelay_HeaderDelay__Output);
}
