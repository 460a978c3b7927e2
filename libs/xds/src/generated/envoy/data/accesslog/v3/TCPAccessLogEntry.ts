/* eslint-disable */
// Original file: envoy/data/accesslog/v3/accesslog.proto

import type { AccessLogCommon as _envoy_data_accesslog_v3_AccessLogCommon, AccessLogCommon__Output as _envoy_data_accesslog_v3_AccessLogCommon__Output } from '../../../../envoy/data/accesslog/v3/AccessLogCommon.ts';
import type { ConnectionProperties as _envoy_data_accesslog_v3_ConnectionProperties, ConnectionProperties__Output as _envoy_data_accesslog_v3_ConnectionProperties__Output } from '../../../../envoy/data/accesslog/v3/ConnectionProperties.ts';

export interface TCPAccessLogEntry {
  'commonProperties'?: (_envoy_data_accesslog_v3_AccessLogCommon | null);
  'connectionProperties'?: (_envoy_data_accesslog_v3_ConnectionProperties | null);
}

export interface TCPAccessLogEntry__Output {
  'commonProperties'?: (_envoy_data_accesslog_v3_AccessLogCommon__Output);
  'connectionProperties'?: (_envoy_data_accesslog_v3_ConnectionProperties__Output);
}
