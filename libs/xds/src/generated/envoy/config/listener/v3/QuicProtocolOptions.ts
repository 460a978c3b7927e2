/* eslint-disable */
// Original file: envoy/config/listener/v3/quic_config.proto

import type { QuicProtocolOptions as _envoy_config_core_v3_QuicProtocolOptions, QuicProtocolOptions__Output as _envoy_config_core_v3_QuicProtocolOptions__Output } from '../../../../envoy/config/core/v3/QuicProtocolOptions.ts';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../../google/protobuf/Duration.ts';
import type { RuntimeFeatureFlag as _envoy_config_core_v3_RuntimeFeatureFlag, RuntimeFeatureFlag__Output as _envoy_config_core_v3_RuntimeFeatureFlag__Output } from '../../../../envoy/config/core/v3/RuntimeFeatureFlag.ts';
import type { UInt32Value as _google_protobuf_UInt32Value, UInt32Value__Output as _google_protobuf_UInt32Value__Output } from '../../../../google/protobuf/UInt32Value.ts';
import type { TypedExtensionConfig as _envoy_config_core_v3_TypedExtensionConfig, TypedExtensionConfig__Output as _envoy_config_core_v3_TypedExtensionConfig__Output } from '../../../../envoy/config/core/v3/TypedExtensionConfig.ts';
import type { BoolValue as _google_protobuf_BoolValue, BoolValue__Output as _google_protobuf_BoolValue__Output } from '../../../../google/protobuf/BoolValue.ts';

export interface QuicProtocolOptions {
  'quicProtocolOptions'?: (_envoy_config_core_v3_QuicProtocolOptions | null);
  'idleTimeout'?: (_google_protobuf_Duration | null);
  'cryptoHandshakeTimeout'?: (_google_protobuf_Duration | null);
  'enabled'?: (_envoy_config_core_v3_RuntimeFeatureFlag | null);
  'packetsToReadToConnectionCountRatio'?: (_google_protobuf_UInt32Value | null);
  'cryptoStreamConfig'?: (_envoy_config_core_v3_TypedExtensionConfig | null);
  'proofSourceConfig'?: (_envoy_config_core_v3_TypedExtensionConfig | null);
  'connectionIdGeneratorConfig'?: (_envoy_config_core_v3_TypedExtensionConfig | null);
  'serverPreferredAddressConfig'?: (_envoy_config_core_v3_TypedExtensionConfig | null);
  'sendDisableActiveMigration'?: (_google_protobuf_BoolValue | null);
  'connectionDebugVisitorConfig'?: (_envoy_config_core_v3_TypedExtensionConfig | null);
}

export interface QuicProtocolOptions__Output {
  'quicProtocolOptions'?: (_envoy_config_core_v3_QuicProtocolOptions__Output);
  'idleTimeout'?: (_google_protobuf_Duration__Output);
  'cryptoHandshakeTimeout'?: (_google_protobuf_Duration__Output);
  'enabled'?: (_envoy_config_core_v3_RuntimeFeatureFlag__Output);
  'packetsToReadToConnectionCountRatio'?: (_google_protobuf_UInt32Value__Output);
  'cryptoStreamConfig'?: (_envoy_config_core_v3_TypedExtensionConfig__Output);
  'proofSourceConfig'?: (_envoy_config_core_v3_TypedExtensionConfig__Output);
  'connectionIdGeneratorConfig'?: (_envoy_config_core_v3_TypedExtensionConfig__Output);
  'serverPreferredAddressConfig'?: (_envoy_config_core_v3_TypedExtensionConfig__Output);
  'sendDisableActiveMigration'?: (_google_protobuf_BoolValue__Output);
  'connectionDebugVisitorConfig'?: (_envoy_config_core_v3_TypedExtensionConfig__Output);
}
