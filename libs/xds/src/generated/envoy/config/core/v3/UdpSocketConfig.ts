/* eslint-disable */
// Original file: envoy/config/core/v3/udp_socket_config.proto

import type { UInt64Value as _google_protobuf_UInt64Value, UInt64Value__Output as _google_protobuf_UInt64Value__Output } from '../../../../google/protobuf/UInt64Value.ts';
import type { BoolValue as _google_protobuf_BoolValue, BoolValue__Output as _google_protobuf_BoolValue__Output } from '../../../../google/protobuf/BoolValue.ts';

export interface UdpSocketConfig {
  'maxRxDatagramSize'?: (_google_protobuf_UInt64Value | null);
  'preferGro'?: (_google_protobuf_BoolValue | null);
}

export interface UdpSocketConfig__Output {
  'maxRxDatagramSize'?: (_google_protobuf_UInt64Value__Output);
  'preferGro'?: (_google_protobuf_BoolValue__Output);
}
