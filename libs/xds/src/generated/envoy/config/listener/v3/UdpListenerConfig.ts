/* eslint-disable */
// Original file: envoy/config/listener/v3/udp_listener_config.proto

import type { UdpSocketConfig as _envoy_config_core_v3_UdpSocketConfig, UdpSocketConfig__Output as _envoy_config_core_v3_UdpSocketConfig__Output } from '../../../../envoy/config/core/v3/UdpSocketConfig.ts';
import type { QuicProtocolOptions as _envoy_config_listener_v3_QuicProtocolOptions, QuicProtocolOptions__Output as _envoy_config_listener_v3_QuicProtocolOptions__Output } from '../../../../envoy/config/listener/v3/QuicProtocolOptions.ts';
import type { TypedExtensionConfig as _envoy_config_core_v3_TypedExtensionConfig, TypedExtensionConfig__Output as _envoy_config_core_v3_TypedExtensionConfig__Output } from '../../../../envoy/config/core/v3/TypedExtensionConfig.ts';

export interface UdpListenerConfig {
  'downstreamSocketConfig'?: (_envoy_config_core_v3_UdpSocketConfig | null);
  'quicOptions'?: (_envoy_config_listener_v3_QuicProtocolOptions | null);
  'udpPacketPacketWriterConfig'?: (_envoy_config_core_v3_TypedExtensionConfig | null);
}

export interface UdpListenerConfig__Output {
  'downstreamSocketConfig'?: (_envoy_config_core_v3_UdpSocketConfig__Output);
  'quicOptions'?: (_envoy_config_listener_v3_QuicProtocolOptions__Output);
  'udpPacketPacketWriterConfig'?: (_envoy_config_core_v3_TypedExtensionConfig__Output);
}
