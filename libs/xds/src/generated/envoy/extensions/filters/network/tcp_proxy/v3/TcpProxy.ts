/* eslint-disable */
// Original file: envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto

import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../../../../google/protobuf/Duration.ts';
import type { AccessLog as _envoy_config_accesslog_v3_AccessLog, AccessLog__Output as _envoy_config_accesslog_v3_AccessLog__Output } from '../../../../../../envoy/config/accesslog/v3/AccessLog.ts';
import type { UInt32Value as _google_protobuf_UInt32Value, UInt32Value__Output as _google_protobuf_UInt32Value__Output } from '../../../../../../google/protobuf/UInt32Value.ts';
import type { Metadata as _envoy_config_core_v3_Metadata, Metadata__Output as _envoy_config_core_v3_Metadata__Output } from '../../../../../../envoy/config/core/v3/Metadata.ts';
import type { HashPolicy as _envoy_type_v3_HashPolicy, HashPolicy__Output as _envoy_type_v3_HashPolicy__Output } from '../../../../../../envoy/type/v3/HashPolicy.ts';
import type { HeaderValueOption as _envoy_config_core_v3_HeaderValueOption, HeaderValueOption__Output as _envoy_config_core_v3_HeaderValueOption__Output } from '../../../../../../envoy/config/core/v3/HeaderValueOption.ts';
import type { ConfigSource as _envoy_config_core_v3_ConfigSource, ConfigSource__Output as _envoy_config_core_v3_ConfigSource__Output } from '../../../../../../envoy/config/core/v3/ConfigSource.ts';

export interface _envoy_extensions_filters_network_tcp_proxy_v3_TcpProxy_WeightedCluster_ClusterWeight {
  'name'?: (string);
  'weight'?: (number);
  'metadataMatch'?: (_envoy_config_core_v3_Metadata | null);
}

export interface _envoy_extensions_filters_network_tcp_proxy_v3_TcpProxy_WeightedCluster_ClusterWeight__Output {
  'name'?: (string);
  'weight'?: (number);
  'metadataMatch'?: (_envoy_config_core_v3_Metadata__Output);
}

export interface _envoy_extensions_filters_network_tcp_proxy_v3_TcpProxy_OnDemand {
  'odcdsConfig'?: (_envoy_config_core_v3_ConfigSource | null);
  'resourcesLocator'?: (string);
  'timeout'?: (_google_protobuf_Duration | null);
}

export interface _envoy_extensions_filters_network_tcp_proxy_v3_TcpProxy_OnDemand__Output {
  'odcdsConfig'?: (_envoy_config_core_v3_ConfigSource__Output);
  'resourcesLocator'?: (string);
  'timeout'?: (_google_protobuf_Duration__Output);
}

export interface _envoy_extensions_filters_network_tcp_proxy_v3_TcpProxy_TcpAccessLogOptions {
  'accessLogFlushInterval'?: (_google_protobuf_Duration | null);
  'flushAccessLogOnConnected'?: (boolean);
}

export interface _envoy_extensions_filters_network_tcp_proxy_v3_TcpProxy_TcpAccessLogOptions__Output {
  'accessLogFlushInterval'?: (_google_protobuf_Duration__Output);
  'flushAccessLogOnConnected'?: (boolean);
}

export interface _envoy_extensions_filters_network_tcp_proxy_v3_TcpProxy_TunnelingConfig {
  'hostname'?: (string);
  'usePost'?: (boolean);
  'headersToAdd'?: (_envoy_config_core_v3_HeaderValueOption)[];
  'propagateResponseHeaders'?: (boolean);
  'postPath'?: (string);
  'propagateResponseTrailers'?: (boolean);
}

export interface _envoy_extensions_filters_network_tcp_proxy_v3_TcpProxy_TunnelingConfig__Output {
  'hostname'?: (string);
  'usePost'?: (boolean);
  'headersToAdd'?: (_envoy_config_core_v3_HeaderValueOption__Output)[];
  'propagateResponseHeaders'?: (boolean);
  'postPath'?: (string);
  'propagateResponseTrailers'?: (boolean);
}

export interface _envoy_extensions_filters_network_tcp_proxy_v3_TcpProxy_WeightedCluster {
  'clusters'?: (_envoy_extensions_filters_network_tcp_proxy_v3_TcpProxy_WeightedCluster_ClusterWeight)[];
}

export interface _envoy_extensions_filters_network_tcp_proxy_v3_TcpProxy_WeightedCluster__Output {
  'clusters'?: (_envoy_extensions_filters_network_tcp_proxy_v3_TcpProxy_WeightedCluster_ClusterWeight__Output)[];
}

export interface TcpProxy {
  'statPrefix'?: (string);
  'cluster'?: (string);
  'downstreamIdleTimeout'?: (_google_protobuf_Duration | null);
  'upstreamIdleTimeout'?: (_google_protobuf_Duration | null);
  'accessLog'?: (_envoy_config_accesslog_v3_AccessLog)[];
  'maxConnectAttempts'?: (_google_protobuf_UInt32Value | null);
  'idleTimeout'?: (_google_protobuf_Duration | null);
  'metadataMatch'?: (_envoy_config_core_v3_Metadata | null);
  'weightedClusters'?: (_envoy_extensions_filters_network_tcp_proxy_v3_TcpProxy_WeightedCluster | null);
  'hashPolicy'?: (_envoy_type_v3_HashPolicy)[];
  'tunnelingConfig'?: (_envoy_extensions_filters_network_tcp_proxy_v3_TcpProxy_TunnelingConfig | null);
  'maxDownstreamConnectionDuration'?: (_google_protobuf_Duration | null);
  'onDemand'?: (_envoy_extensions_filters_network_tcp_proxy_v3_TcpProxy_OnDemand | null);
  'accessLogFlushInterval'?: (_google_protobuf_Duration | null);
  'flushAccessLogOnConnected'?: (boolean);
  'accessLogOptions'?: (_envoy_extensions_filters_network_tcp_proxy_v3_TcpProxy_TcpAccessLogOptions | null);
  'clusterSpecifier'?: "cluster"|"weightedClusters";
}

export interface TcpProxy__Output {
  'statPrefix'?: (string);
  'cluster'?: (string);
  'downstreamIdleTimeout'?: (_google_protobuf_Duration__Output);
  'upstreamIdleTimeout'?: (_google_protobuf_Duration__Output);
  'accessLog'?: (_envoy_config_accesslog_v3_AccessLog__Output)[];
  'maxConnectAttempts'?: (_google_protobuf_UInt32Value__Output);
  'idleTimeout'?: (_google_protobuf_Duration__Output);
  'metadataMatch'?: (_envoy_config_core_v3_Metadata__Output);
  'weightedClusters'?: (_envoy_extensions_filters_network_tcp_proxy_v3_TcpProxy_WeightedCluster__Output);
  'hashPolicy'?: (_envoy_type_v3_HashPolicy__Output)[];
  'tunnelingConfig'?: (_envoy_extensions_filters_network_tcp_proxy_v3_TcpProxy_TunnelingConfig__Output);
  'maxDownstreamConnectionDuration'?: (_google_protobuf_Duration__Output);
  'onDemand'?: (_envoy_extensions_filters_network_tcp_proxy_v3_TcpProxy_OnDemand__Output);
  'accessLogFlushInterval'?: (_google_protobuf_Duration__Output);
  'flushAccessLogOnConnected'?: (boolean);
  'accessLogOptions'?: (_envoy_extensions_filters_network_tcp_proxy_v3_TcpProxy_TcpAccessLogOptions__Output);
}
