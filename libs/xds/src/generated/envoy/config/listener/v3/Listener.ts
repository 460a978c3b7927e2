/* eslint-disable */
// Original file: envoy/config/listener/v3/listener.proto

import type { Address as _envoy_config_core_v3_Address, Address__Output as _envoy_config_core_v3_Address__Output } from '../../../../envoy/config/core/v3/Address.ts';
import type { FilterChain as _envoy_config_listener_v3_FilterChain, FilterChain__Output as _envoy_config_listener_v3_FilterChain__Output } from '../../../../envoy/config/listener/v3/FilterChain.ts';
import type { BoolValue as _google_protobuf_BoolValue, BoolValue__Output as _google_protobuf_BoolValue__Output } from '../../../../google/protobuf/BoolValue.ts';
import type { UInt32Value as _google_protobuf_UInt32Value, UInt32Value__Output as _google_protobuf_UInt32Value__Output } from '../../../../google/protobuf/UInt32Value.ts';
import type { Metadata as _envoy_config_core_v3_Metadata, Metadata__Output as _envoy_config_core_v3_Metadata__Output } from '../../../../envoy/config/core/v3/Metadata.ts';
import type { ListenerFilter as _envoy_config_listener_v3_ListenerFilter, ListenerFilter__Output as _envoy_config_listener_v3_ListenerFilter__Output } from '../../../../envoy/config/listener/v3/ListenerFilter.ts';
import type { SocketOption as _envoy_config_core_v3_SocketOption, SocketOption__Output as _envoy_config_core_v3_SocketOption__Output } from '../../../../envoy/config/core/v3/SocketOption.ts';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../../google/protobuf/Duration.ts';
import type { TrafficDirection as _envoy_config_core_v3_TrafficDirection, TrafficDirection__Output as _envoy_config_core_v3_TrafficDirection__Output } from '../../../../envoy/config/core/v3/TrafficDirection.ts';
import type { UdpListenerConfig as _envoy_config_listener_v3_UdpListenerConfig, UdpListenerConfig__Output as _envoy_config_listener_v3_UdpListenerConfig__Output } from '../../../../envoy/config/listener/v3/UdpListenerConfig.ts';
import type { ApiListener as _envoy_config_listener_v3_ApiListener, ApiListener__Output as _envoy_config_listener_v3_ApiListener__Output } from '../../../../envoy/config/listener/v3/ApiListener.ts';
import type { AccessLog as _envoy_config_accesslog_v3_AccessLog, AccessLog__Output as _envoy_config_accesslog_v3_AccessLog__Output } from '../../../../envoy/config/accesslog/v3/AccessLog.ts';
import type { Matcher as _xds_type_matcher_v3_Matcher, Matcher__Output as _xds_type_matcher_v3_Matcher__Output } from '../../../../xds/type/matcher/v3/Matcher.ts';
import type { AdditionalAddress as _envoy_config_listener_v3_AdditionalAddress, AdditionalAddress__Output as _envoy_config_listener_v3_AdditionalAddress__Output } from '../../../../envoy/config/listener/v3/AdditionalAddress.ts';
import type { TypedExtensionConfig as _envoy_config_core_v3_TypedExtensionConfig, TypedExtensionConfig__Output as _envoy_config_core_v3_TypedExtensionConfig__Output } from '../../../../envoy/config/core/v3/TypedExtensionConfig.ts';

export interface _envoy_config_listener_v3_Listener_ConnectionBalanceConfig {
  'exactBalance'?: (_envoy_config_listener_v3_Listener_ConnectionBalanceConfig_ExactBalance | null);
  'extendBalance'?: (_envoy_config_core_v3_TypedExtensionConfig | null);
  'balanceType'?: "exactBalance"|"extendBalance";
}

export interface _envoy_config_listener_v3_Listener_ConnectionBalanceConfig__Output {
  'exactBalance'?: (_envoy_config_listener_v3_Listener_ConnectionBalanceConfig_ExactBalance__Output);
  'extendBalance'?: (_envoy_config_core_v3_TypedExtensionConfig__Output);
}

export interface _envoy_config_listener_v3_Listener_DeprecatedV1 {
  'bindToPort'?: (_google_protobuf_BoolValue | null);
}

export interface _envoy_config_listener_v3_Listener_DeprecatedV1__Output {
  'bindToPort'?: (_google_protobuf_BoolValue__Output);
}

// Original file: envoy/config/listener/v3/listener.proto

export const _envoy_config_listener_v3_Listener_DrainType = {
  DEFAULT: 'DEFAULT',
  MODIFY_ONLY: 'MODIFY_ONLY',
} as const;

export type _envoy_config_listener_v3_Listener_DrainType =
  | 'DEFAULT'
  | 0
  | 'MODIFY_ONLY'
  | 1

export type _envoy_config_listener_v3_Listener_DrainType__Output = typeof _envoy_config_listener_v3_Listener_DrainType[keyof typeof _envoy_config_listener_v3_Listener_DrainType]

export interface _envoy_config_listener_v3_Listener_ConnectionBalanceConfig_ExactBalance {
}

export interface _envoy_config_listener_v3_Listener_ConnectionBalanceConfig_ExactBalance__Output {
}

export interface _envoy_config_listener_v3_Listener_InternalListenerConfig {
}

export interface _envoy_config_listener_v3_Listener_InternalListenerConfig__Output {
}

export interface Listener {
  'name'?: (string);
  'address'?: (_envoy_config_core_v3_Address | null);
  'filterChains'?: (_envoy_config_listener_v3_FilterChain)[];
  'useOriginalDst'?: (_google_protobuf_BoolValue | null);
  'perConnectionBufferLimitBytes'?: (_google_protobuf_UInt32Value | null);
  'metadata'?: (_envoy_config_core_v3_Metadata | null);
  'deprecatedV1'?: (_envoy_config_listener_v3_Listener_DeprecatedV1 | null);
  'drainType'?: (_envoy_config_listener_v3_Listener_DrainType);
  'listenerFilters'?: (_envoy_config_listener_v3_ListenerFilter)[];
  'transparent'?: (_google_protobuf_BoolValue | null);
  'freebind'?: (_google_protobuf_BoolValue | null);
  'tcpFastOpenQueueLength'?: (_google_protobuf_UInt32Value | null);
  'socketOptions'?: (_envoy_config_core_v3_SocketOption)[];
  'listenerFiltersTimeout'?: (_google_protobuf_Duration | null);
  'trafficDirection'?: (_envoy_config_core_v3_TrafficDirection);
  'continueOnListenerFiltersTimeout'?: (boolean);
  'udpListenerConfig'?: (_envoy_config_listener_v3_UdpListenerConfig | null);
  'apiListener'?: (_envoy_config_listener_v3_ApiListener | null);
  'connectionBalanceConfig'?: (_envoy_config_listener_v3_Listener_ConnectionBalanceConfig | null);
  'reusePort'?: (boolean);
  'accessLog'?: (_envoy_config_accesslog_v3_AccessLog)[];
  'tcpBacklogSize'?: (_google_protobuf_UInt32Value | null);
  'defaultFilterChain'?: (_envoy_config_listener_v3_FilterChain | null);
  'bindToPort'?: (_google_protobuf_BoolValue | null);
  'internalListener'?: (_envoy_config_listener_v3_Listener_InternalListenerConfig | null);
  'statPrefix'?: (string);
  'enableReusePort'?: (_google_protobuf_BoolValue | null);
  'enableMptcp'?: (boolean);
  'ignoreGlobalConnLimit'?: (boolean);
  'filterChainMatcher'?: (_xds_type_matcher_v3_Matcher | null);
  'additionalAddresses'?: (_envoy_config_listener_v3_AdditionalAddress)[];
  'maxConnectionsToAcceptPerSocketEvent'?: (_google_protobuf_UInt32Value | null);
  'bypassOverloadManager'?: (boolean);
  'listenerSpecifier'?: "internalListener";
}

export interface Listener__Output {
  'name'?: (string);
  'address'?: (_envoy_config_core_v3_Address__Output);
  'filterChains'?: (_envoy_config_listener_v3_FilterChain__Output)[];
  'useOriginalDst'?: (_google_protobuf_BoolValue__Output);
  'perConnectionBufferLimitBytes'?: (_google_protobuf_UInt32Value__Output);
  'metadata'?: (_envoy_config_core_v3_Metadata__Output);
  'deprecatedV1'?: (_envoy_config_listener_v3_Listener_DeprecatedV1__Output);
  'drainType'?: (_envoy_config_listener_v3_Listener_DrainType__Output);
  'listenerFilters'?: (_envoy_config_listener_v3_ListenerFilter__Output)[];
  'transparent'?: (_google_protobuf_BoolValue__Output);
  'freebind'?: (_google_protobuf_BoolValue__Output);
  'tcpFastOpenQueueLength'?: (_google_protobuf_UInt32Value__Output);
  'socketOptions'?: (_envoy_config_core_v3_SocketOption__Output)[];
  'listenerFiltersTimeout'?: (_google_protobuf_Duration__Output);
  'trafficDirection'?: (_envoy_config_core_v3_TrafficDirection__Output);
  'continueOnListenerFiltersTimeout'?: (boolean);
  'udpListenerConfig'?: (_envoy_config_listener_v3_UdpListenerConfig__Output);
  'apiListener'?: (_envoy_config_listener_v3_ApiListener__Output);
  'connectionBalanceConfig'?: (_envoy_config_listener_v3_Listener_ConnectionBalanceConfig__Output);
  'reusePort'?: (boolean);
  'accessLog'?: (_envoy_config_accesslog_v3_AccessLog__Output)[];
  'tcpBacklogSize'?: (_google_protobuf_UInt32Value__Output);
  'defaultFilterChain'?: (_envoy_config_listener_v3_FilterChain__Output);
  'bindToPort'?: (_google_protobuf_BoolValue__Output);
  'internalListener'?: (_envoy_config_listener_v3_Listener_InternalListenerConfig__Output);
  'statPrefix'?: (string);
  'enableReusePort'?: (_google_protobuf_BoolValue__Output);
  'enableMptcp'?: (boolean);
  'ignoreGlobalConnLimit'?: (boolean);
  'filterChainMatcher'?: (_xds_type_matcher_v3_Matcher__Output);
  'additionalAddresses'?: (_envoy_config_listener_v3_AdditionalAddress__Output)[];
  'maxConnectionsToAcceptPerSocketEvent'?: (_google_protobuf_UInt32Value__Output);
  'bypassOverloadManager'?: (boolean);
}
