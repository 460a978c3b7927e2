/* eslint-disable */
// Original file: envoy/config/core/v3/protocol.proto

import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../../google/protobuf/Duration.ts';
import type { UInt32Value as _google_protobuf_UInt32Value, UInt32Value__Output as _google_protobuf_UInt32Value__Output } from '../../../../google/protobuf/UInt32Value.ts';

// Original file: envoy/config/core/v3/protocol.proto

export const _envoy_config_core_v3_HttpProtocolOptions_HeadersWithUnderscoresAction = {
  ALLOW: 'ALLOW',
  REJECT_REQUEST: 'REJECT_REQUEST',
  DROP_HEADER: 'DROP_HEADER',
} as const;

export type _envoy_config_core_v3_HttpProtocolOptions_HeadersWithUnderscoresAction =
  | 'ALLOW'
  | 0
  | 'REJECT_REQUEST'
  | 1
  | 'DROP_HEADER'
  | 2

export type _envoy_config_core_v3_HttpProtocolOptions_HeadersWithUnderscoresAction__Output = typeof _envoy_config_core_v3_HttpProtocolOptions_HeadersWithUnderscoresAction[keyof typeof _envoy_config_core_v3_HttpProtocolOptions_HeadersWithUnderscoresAction]

export interface HttpProtocolOptions {
  'idleTimeout'?: (_google_protobuf_Duration | null);
  'maxHeadersCount'?: (_google_protobuf_UInt32Value | null);
  'maxConnectionDuration'?: (_google_protobuf_Duration | null);
  'maxStreamDuration'?: (_google_protobuf_Duration | null);
  'headersWithUnderscoresAction'?: (_envoy_config_core_v3_HttpProtocolOptions_HeadersWithUnderscoresAction);
  'maxRequestsPerConnection'?: (_google_protobuf_UInt32Value | null);
}

export interface HttpProtocolOptions__Output {
  'idleTimeout'?: (_google_protobuf_Duration__Output);
  'maxHeadersCount'?: (_google_protobuf_UInt32Value__Output);
  'maxConnectionDuration'?: (_google_protobuf_Duration__Output);
  'maxStreamDuration'?: (_google_protobuf_Duration__Output);
  'headersWithUnderscoresAction'?: (_envoy_config_core_v3_HttpProtocolOptions_HeadersWithUnderscoresAction__Output);
  'maxRequestsPerConnection'?: (_google_protobuf_UInt32Value__Output);
}
