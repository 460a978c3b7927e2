/* eslint-disable */
// Original file: envoy/extensions/filters/http/router/v3/router.proto

import type { BoolValue as _google_protobuf_BoolValue, BoolValue__Output as _google_protobuf_BoolValue__Output } from '../../../../../../google/protobuf/BoolValue.ts';
import type { AccessLog as _envoy_config_accesslog_v3_AccessLog, AccessLog__Output as _envoy_config_accesslog_v3_AccessLog__Output } from '../../../../../../envoy/config/accesslog/v3/AccessLog.ts';
import type { HttpFilter as _envoy_extensions_filters_network_http_connection_manager_v3_HttpFilter, HttpFilter__Output as _envoy_extensions_filters_network_http_connection_manager_v3_HttpFilter__Output } from '../../../../../../envoy/extensions/filters/network/http_connection_manager/v3/HttpFilter.ts';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../../../../google/protobuf/Duration.ts';

export interface _envoy_extensions_filters_http_router_v3_Router_UpstreamAccessLogOptions {
  'flushUpstreamLogOnUpstreamStream'?: (boolean);
  'upstreamLogFlushInterval'?: (_google_protobuf_Duration | null);
}

export interface _envoy_extensions_filters_http_router_v3_Router_UpstreamAccessLogOptions__Output {
  'flushUpstreamLogOnUpstreamStream'?: (boolean);
  'upstreamLogFlushInterval'?: (_google_protobuf_Duration__Output);
}

export interface Router {
  'dynamicStats'?: (_google_protobuf_BoolValue | null);
  'startChildSpan'?: (boolean);
  'upstreamLog'?: (_envoy_config_accesslog_v3_AccessLog)[];
  'suppressEnvoyHeaders'?: (boolean);
  'strictCheckHeaders'?: (string)[];
  'respectExpectedRqTimeout'?: (boolean);
  'suppressGrpcRequestFailureCodeStats'?: (boolean);
  'upstreamHttpFilters'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpFilter)[];
  'upstreamLogOptions'?: (_envoy_extensions_filters_http_router_v3_Router_UpstreamAccessLogOptions | null);
}

export interface Router__Output {
  'dynamicStats'?: (_google_protobuf_BoolValue__Output);
  'startChildSpan'?: (boolean);
  'upstreamLog'?: (_envoy_config_accesslog_v3_AccessLog__Output)[];
  'suppressEnvoyHeaders'?: (boolean);
  'strictCheckHeaders'?: (string)[];
  'respectExpectedRqTimeout'?: (boolean);
  'suppressGrpcRequestFailureCodeStats'?: (boolean);
  'upstreamHttpFilters'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpFilter__Output)[];
  'upstreamLogOptions'?: (_envoy_extensions_filters_http_router_v3_Router_UpstreamAccessLogOptions__Output);
}
