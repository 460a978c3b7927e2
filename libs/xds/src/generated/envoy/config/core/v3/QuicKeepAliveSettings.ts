/* eslint-disable */
// Original file: envoy/config/core/v3/protocol.proto

import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../../google/protobuf/Duration.ts';

export interface QuicKeepAliveSettings {
  'maxInterval'?: (_google_protobuf_Duration | null);
  'initialInterval'?: (_google_protobuf_Duration | null);
}

export interface QuicKeepAliveSettings__Output {
  'maxInterval'?: (_google_protobuf_Duration__Output);
  'initialInterval'?: (_google_protobuf_Duration__Output);
}
