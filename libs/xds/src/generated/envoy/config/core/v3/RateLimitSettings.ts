/* eslint-disable */
// Original file: envoy/config/core/v3/config_source.proto

import type { UInt32Value as _google_protobuf_UInt32Value, UInt32Value__Output as _google_protobuf_UInt32Value__Output } from '../../../../google/protobuf/UInt32Value.ts';
import type { DoubleValue as _google_protobuf_DoubleValue, DoubleValue__Output as _google_protobuf_DoubleValue__Output } from '../../../../google/protobuf/DoubleValue.ts';

export interface RateLimitSettings {
  'maxTokens'?: (_google_protobuf_UInt32Value | null);
  'fillRate'?: (_google_protobuf_DoubleValue | null);
}

export interface RateLimitSettings__Output {
  'maxTokens'?: (_google_protobuf_UInt32Value__Output);
  'fillRate'?: (_google_protobuf_DoubleValue__Output);
}
