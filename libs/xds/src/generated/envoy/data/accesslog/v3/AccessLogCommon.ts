/* eslint-disable */
// Original file: envoy/data/accesslog/v3/accesslog.proto

import type { Address as _envoy_config_core_v3_Address, Address__Output as _envoy_config_core_v3_Address__Output } from '../../../../envoy/config/core/v3/Address.ts';
import type { TLSProperties as _envoy_data_accesslog_v3_TLSProperties, TLSProperties__Output as _envoy_data_accesslog_v3_TLSProperties__Output } from '../../../../envoy/data/accesslog/v3/TLSProperties.ts';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../../../google/protobuf/Timestamp.ts';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../../google/protobuf/Duration.ts';
import type { ResponseFlags as _envoy_data_accesslog_v3_ResponseFlags, ResponseFlags__Output as _envoy_data_accesslog_v3_ResponseFlags__Output } from '../../../../envoy/data/accesslog/v3/ResponseFlags.ts';
import type { Metadata as _envoy_config_core_v3_Metadata, Metadata__Output as _envoy_config_core_v3_Metadata__Output } from '../../../../envoy/config/core/v3/Metadata.ts';
import type { Any as _google_protobuf_Any, Any__Output as _google_protobuf_Any__Output } from '../../../../google/protobuf/Any.ts';
import type { AccessLogType as _envoy_data_accesslog_v3_AccessLogType, AccessLogType__Output as _envoy_data_accesslog_v3_AccessLogType__Output } from '../../../../envoy/data/accesslog/v3/AccessLogType.ts';
import type { Long } from '@grpc/proto-loader';

export interface AccessLogCommon {
  'sampleRate'?: (number | string);
  'downstreamRemoteAddress'?: (_envoy_config_core_v3_Address | null);
  'downstreamLocalAddress'?: (_envoy_config_core_v3_Address | null);
  'tlsProperties'?: (_envoy_data_accesslog_v3_TLSProperties | null);
  'startTime'?: (_google_protobuf_Timestamp | null);
  'timeToLastRxByte'?: (_google_protobuf_Duration | null);
  'timeToFirstUpstreamTxByte'?: (_google_protobuf_Duration | null);
  'timeToLastUpstreamTxByte'?: (_google_protobuf_Duration | null);
  'timeToFirstUpstreamRxByte'?: (_google_protobuf_Duration | null);
  'timeToLastUpstreamRxByte'?: (_google_protobuf_Duration | null);
  'timeToFirstDownstreamTxByte'?: (_google_protobuf_Duration | null);
  'timeToLastDownstreamTxByte'?: (_google_protobuf_Duration | null);
  'upstreamRemoteAddress'?: (_envoy_config_core_v3_Address | null);
  'upstreamLocalAddress'?: (_envoy_config_core_v3_Address | null);
  'upstreamCluster'?: (string);
  'responseFlags'?: (_envoy_data_accesslog_v3_ResponseFlags | null);
  'metadata'?: (_envoy_config_core_v3_Metadata | null);
  'upstreamTransportFailureReason'?: (string);
  'routeName'?: (string);
  'downstreamDirectRemoteAddress'?: (_envoy_config_core_v3_Address | null);
  'filterStateObjects'?: ({[key: string]: _google_protobuf_Any});
  'customTags'?: ({[key: string]: string});
  'duration'?: (_google_protobuf_Duration | null);
  'upstreamRequestAttemptCount'?: (number);
  'connectionTerminationDetails'?: (string);
  'streamId'?: (string);
  'intermediateLogEntry'?: (boolean);
  'downstreamTransportFailureReason'?: (string);
  'downstreamWireBytesSent'?: (number | string | Long);
  'downstreamWireBytesReceived'?: (number | string | Long);
  'upstreamWireBytesSent'?: (number | string | Long);
  'upstreamWireBytesReceived'?: (number | string | Long);
  'accessLogType'?: (_envoy_data_accesslog_v3_AccessLogType);
}

export interface AccessLogCommon__Output {
  'sampleRate'?: (number | string);
  'downstreamRemoteAddress'?: (_envoy_config_core_v3_Address__Output);
  'downstreamLocalAddress'?: (_envoy_config_core_v3_Address__Output);
  'tlsProperties'?: (_envoy_data_accesslog_v3_TLSProperties__Output);
  'startTime'?: (_google_protobuf_Timestamp__Output);
  'timeToLastRxByte'?: (_google_protobuf_Duration__Output);
  'timeToFirstUpstreamTxByte'?: (_google_protobuf_Duration__Output);
  'timeToLastUpstreamTxByte'?: (_google_protobuf_Duration__Output);
  'timeToFirstUpstreamRxByte'?: (_google_protobuf_Duration__Output);
  'timeToLastUpstreamRxByte'?: (_google_protobuf_Duration__Output);
  'timeToFirstDownstreamTxByte'?: (_google_protobuf_Duration__Output);
  'timeToLastDownstreamTxByte'?: (_google_protobuf_Duration__Output);
  'upstreamRemoteAddress'?: (_envoy_config_core_v3_Address__Output);
  'upstreamLocalAddress'?: (_envoy_config_core_v3_Address__Output);
  'upstreamCluster'?: (string);
  'responseFlags'?: (_envoy_data_accesslog_v3_ResponseFlags__Output);
  'metadata'?: (_envoy_config_core_v3_Metadata__Output);
  'upstreamTransportFailureReason'?: (string);
  'routeName'?: (string);
  'downstreamDirectRemoteAddress'?: (_envoy_config_core_v3_Address__Output);
  'filterStateObjects'?: ({[key: string]: _google_protobuf_Any__Output});
  'customTags'?: ({[key: string]: string});
  'duration'?: (_google_protobuf_Duration__Output);
  'upstreamRequestAttemptCount'?: (number);
  'connectionTerminationDetails'?: (string);
  'streamId'?: (string);
  'intermediateLogEntry'?: (boolean);
  'downstreamTransportFailureReason'?: (string);
  'downstreamWireBytesSent'?: (string);
  'downstreamWireBytesReceived'?: (string);
  'upstreamWireBytesSent'?: (string);
  'upstreamWireBytesReceived'?: (string);
  'accessLogType'?: (_envoy_data_accesslog_v3_AccessLogType__Output);
}
