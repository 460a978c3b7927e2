/* eslint-disable */
// Original file: envoy/extensions/filters/http/fault/v3/fault.proto

import type { FaultDelay as _envoy_extensions_filters_common_fault_v3_FaultDelay, FaultDelay__Output as _envoy_extensions_filters_common_fault_v3_FaultDelay__Output } from '../../../../../../envoy/extensions/filters/common/fault/v3/FaultDelay.ts';
import type { FaultAbort as _envoy_extensions_filters_http_fault_v3_FaultAbort, FaultAbort__Output as _envoy_extensions_filters_http_fault_v3_FaultAbort__Output } from '../../../../../../envoy/extensions/filters/http/fault/v3/FaultAbort.ts';
import type { HeaderMatcher as _envoy_config_route_v3_HeaderMatcher, HeaderMatcher__Output as _envoy_config_route_v3_HeaderMatcher__Output } from '../../../../../../envoy/config/route/v3/HeaderMatcher.ts';
import type { UInt32Value as _google_protobuf_UInt32Value, UInt32Value__Output as _google_protobuf_UInt32Value__Output } from '../../../../../../google/protobuf/UInt32Value.ts';
import type { FaultRateLimit as _envoy_extensions_filters_common_fault_v3_FaultRateLimit, FaultRateLimit__Output as _envoy_extensions_filters_common_fault_v3_FaultRateLimit__Output } from '../../../../../../envoy/extensions/filters/common/fault/v3/FaultRateLimit.ts';
import type { Struct as _google_protobuf_Struct, Struct__Output as _google_protobuf_Struct__Output } from '../../../../../../google/protobuf/Struct.ts';

export interface HTTPFault {
  'delay'?: (_envoy_extensions_filters_common_fault_v3_FaultDelay | null);
  'abort'?: (_envoy_extensions_filters_http_fault_v3_FaultAbort | null);
  'upstreamCluster'?: (string);
  'headers'?: (_envoy_config_route_v3_HeaderMatcher)[];
  'downstreamNodes'?: (string)[];
  'maxActiveFaults'?: (_google_protobuf_UInt32Value | null);
  'responseRateLimit'?: (_envoy_extensions_filters_common_fault_v3_FaultRateLimit | null);
  'delayPercentRuntime'?: (string);
  'abortPercentRuntime'?: (string);
  'delayDurationRuntime'?: (string);
  'abortHttpStatusRuntime'?: (string);
  'maxActiveFaultsRuntime'?: (string);
  'responseRateLimitPercentRuntime'?: (string);
  'abortGrpcStatusRuntime'?: (string);
  'disableDownstreamClusterStats'?: (boolean);
  'filterMetadata'?: (_google_protobuf_Struct | null);
}

export interface HTTPFault__Output {
  'delay'?: (_envoy_extensions_filters_common_fault_v3_FaultDelay__Output);
  'abort'?: (_envoy_extensions_filters_http_fault_v3_FaultAbort__Output);
  'upstreamCluster'?: (string);
  'headers'?: (_envoy_config_route_v3_HeaderMatcher__Output)[];
  'downstreamNodes'?: (string)[];
  'maxActiveFaults'?: (_google_protobuf_UInt32Value__Output);
  'responseRateLimit'?: (_envoy_extensions_filters_common_fault_v3_FaultRateLimit__Output);
  'delayPercentRuntime'?: (string);
  'abortPercentRuntime'?: (string);
  'delayDurationRuntime'?: (string);
  'abortHttpStatusRuntime'?: (string);
  'maxActiveFaultsRuntime'?: (string);
  'responseRateLimitPercentRuntime'?: (string);
  'abortGrpcStatusRuntime'?: (string);
  'disableDownstreamClusterStats'?: (boolean);
  'filterMetadata'?: (_google_protobuf_Struct__Output);
}
