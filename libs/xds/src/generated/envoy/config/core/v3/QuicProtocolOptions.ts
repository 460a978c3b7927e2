/* eslint-disable */
// Original file: envoy/config/core/v3/protocol.proto

import type { UInt32Value as _google_protobuf_UInt32Value, UInt32Value__Output as _google_protobuf_UInt32Value__Output } from '../../../../google/protobuf/UInt32Value.ts';
import type { QuicKeepAliveSettings as _envoy_config_core_v3_QuicKeepAliveSettings, QuicKeepAliveSettings__Output as _envoy_config_core_v3_QuicKeepAliveSettings__Output } from '../../../../envoy/config/core/v3/QuicKeepAliveSettings.ts';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../../google/protobuf/Duration.ts';

export interface QuicProtocolOptions {
  'maxConcurrentStreams'?: (_google_protobuf_UInt32Value | null);
  'initialStreamWindowSize'?: (_google_protobuf_UInt32Value | null);
  'initialConnectionWindowSize'?: (_google_protobuf_UInt32Value | null);
  'numTimeoutsToTriggerPortMigration'?: (_google_protobuf_UInt32Value | null);
  'connectionKeepalive'?: (_envoy_config_core_v3_QuicKeepAliveSettings | null);
  'connectionOptions'?: (string);
  'clientConnectionOptions'?: (string);
  'idleNetworkTimeout'?: (_google_protobuf_Duration | null);
}

export interface QuicProtocolOptions__Output {
  'maxConcurrentStreams'?: (_google_protobuf_UInt32Value__Output);
  'initialStreamWindowSize'?: (_google_protobuf_UInt32Value__Output);
  'initialConnectionWindowSize'?: (_google_protobuf_UInt32Value__Output);
  'numTimeoutsToTriggerPortMigration'?: (_google_protobuf_UInt32Value__Output);
  'connectionKeepalive'?: (_envoy_config_core_v3_QuicKeepAliveSettings__Output);
  'connectionOptions'?: (string);
  'clientConnectionOptions'?: (string);
  'idleNetworkTimeout'?: (_google_protobuf_Duration__Output);
}
