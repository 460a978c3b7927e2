/* eslint-disable */
// Original file: envoy/extensions/filters/http/fault/v3/fault.proto

import type { FractionalPercent as _envoy_type_v3_FractionalPercent, FractionalPercent__Output as _envoy_type_v3_FractionalPercent__Output } from '../../../../../../envoy/type/v3/FractionalPercent.ts';

export interface _envoy_extensions_filters_http_fault_v3_FaultAbort_HeaderAbort {
}

export interface _envoy_extensions_filters_http_fault_v3_FaultAbort_HeaderAbort__Output {
}

export interface FaultAbort {
  'httpStatus'?: (number);
  'percentage'?: (_envoy_type_v3_FractionalPercent | null);
  'headerAbort'?: (_envoy_extensions_filters_http_fault_v3_FaultAbort_HeaderAbort | null);
  'grpcStatus'?: (number);
  'errorType'?: "httpStatus"|"grpcStatus"|"headerAbort";
}

export interface FaultAbort__Output {
  'httpStatus'?: (number);
  'percentage'?: (_envoy_type_v3_FractionalPercent__Output);
  'headerAbort'?: (_envoy_extensions_filters_http_fault_v3_FaultAbort_HeaderAbort__Output);
  'grpcStatus'?: (number);
}
