/* eslint-disable */
// Original file: envoy/config/listener/v3/listener_components.proto

import type { FilterChainMatch as _envoy_config_listener_v3_FilterChainMatch, FilterChainMatch__Output as _envoy_config_listener_v3_FilterChainMatch__Output } from '../../../../envoy/config/listener/v3/FilterChainMatch.ts';
import type { Filter as _envoy_config_listener_v3_Filter, Filter__Output as _envoy_config_listener_v3_Filter__Output } from '../../../../envoy/config/listener/v3/Filter.ts';
import type { BoolValue as _google_protobuf_BoolValue, BoolValue__Output as _google_protobuf_BoolValue__Output } from '../../../../google/protobuf/BoolValue.ts';
import type { Metadata as _envoy_config_core_v3_Metadata, Metadata__Output as _envoy_config_core_v3_Metadata__Output } from '../../../../envoy/config/core/v3/Metadata.ts';
import type { TransportSocket as _envoy_config_core_v3_TransportSocket, TransportSocket__Output as _envoy_config_core_v3_TransportSocket__Output } from '../../../../envoy/config/core/v3/TransportSocket.ts';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../../google/protobuf/Duration.ts';

export interface _envoy_config_listener_v3_FilterChain_OnDemandConfiguration {
  'rebuildTimeout'?: (_google_protobuf_Duration | null);
}

export interface _envoy_config_listener_v3_FilterChain_OnDemandConfiguration__Output {
  'rebuildTimeout'?: (_google_protobuf_Duration__Output);
}

export interface FilterChain {
  'filterChainMatch'?: (_envoy_config_listener_v3_FilterChainMatch | null);
  'filters'?: (_envoy_config_listener_v3_Filter)[];
  'useProxyProto'?: (_google_protobuf_BoolValue | null);
  'metadata'?: (_envoy_config_core_v3_Metadata | null);
  'transportSocket'?: (_envoy_config_core_v3_TransportSocket | null);
  'name'?: (string);
  'onDemandConfiguration'?: (_envoy_config_listener_v3_FilterChain_OnDemandConfiguration | null);
  'transportSocketConnectTimeout'?: (_google_protobuf_Duration | null);
}

export interface FilterChain__Output {
  'filterChainMatch'?: (_envoy_config_listener_v3_FilterChainMatch__Output);
  'filters'?: (_envoy_config_listener_v3_Filter__Output)[];
  'useProxyProto'?: (_google_protobuf_BoolValue__Output);
  'metadata'?: (_envoy_config_core_v3_Metadata__Output);
  'transportSocket'?: (_envoy_config_core_v3_TransportSocket__Output);
  'name'?: (string);
  'onDemandConfiguration'?: (_envoy_config_listener_v3_FilterChain_OnDemandConfiguration__Output);
  'transportSocketConnectTimeout'?: (_google_protobuf_Duration__Output);
}
