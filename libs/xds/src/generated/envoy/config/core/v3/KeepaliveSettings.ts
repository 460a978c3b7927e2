/* eslint-disable */
// Original file: envoy/config/core/v3/protocol.proto

import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../../google/protobuf/Duration.ts';
import type { Percent as _envoy_type_v3_Percent, Percent__Output as _envoy_type_v3_Percent__Output } from '../../../../envoy/type/v3/Percent.ts';

export interface KeepaliveSettings {
  'interval'?: (_google_protobuf_Duration | null);
  'timeout'?: (_google_protobuf_Duration | null);
  'intervalJitter'?: (_envoy_type_v3_Percent | null);
  'connectionIdleInterval'?: (_google_protobuf_Duration | null);
}

export interface KeepaliveSettings__Output {
  'interval'?: (_google_protobuf_Duration__Output);
  'timeout'?: (_google_protobuf_Duration__Output);
  'intervalJitter'?: (_envoy_type_v3_Percent__Output);
  'connectionIdleInterval'?: (_google_protobuf_Duration__Output);
}
