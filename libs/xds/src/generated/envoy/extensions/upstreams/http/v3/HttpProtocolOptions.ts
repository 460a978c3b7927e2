/* eslint-disable */
// Original file: envoy/extensions/upstreams/http/v3/http_protocol_options.proto

import type { HttpProtocolOptions as _envoy_config_core_v3_HttpProtocolOptions, HttpProtocolOptions__Output as _envoy_config_core_v3_HttpProtocolOptions__Output } from '../../../../../envoy/config/core/v3/HttpProtocolOptions.ts';
import type { UpstreamHttpProtocolOptions as _envoy_config_core_v3_UpstreamHttpProtocolOptions, UpstreamHttpProtocolOptions__Output as _envoy_config_core_v3_UpstreamHttpProtocolOptions__Output } from '../../../../../envoy/config/core/v3/UpstreamHttpProtocolOptions.ts';
import type { HttpFilter as _envoy_extensions_filters_network_http_connection_manager_v3_HttpFilter, HttpFilter__Output as _envoy_extensions_filters_network_http_connection_manager_v3_HttpFilter__Output } from '../../../../../envoy/extensions/filters/network/http_connection_manager/v3/HttpFilter.ts';
import type { TypedExtensionConfig as _envoy_config_core_v3_TypedExtensionConfig, TypedExtensionConfig__Output as _envoy_config_core_v3_TypedExtensionConfig__Output } from '../../../../../envoy/config/core/v3/TypedExtensionConfig.ts';
import type { Http1ProtocolOptions as _envoy_config_core_v3_Http1ProtocolOptions, Http1ProtocolOptions__Output as _envoy_config_core_v3_Http1ProtocolOptions__Output } from '../../../../../envoy/config/core/v3/Http1ProtocolOptions.ts';
import type { Http2ProtocolOptions as _envoy_config_core_v3_Http2ProtocolOptions, Http2ProtocolOptions__Output as _envoy_config_core_v3_Http2ProtocolOptions__Output } from '../../../../../envoy/config/core/v3/Http2ProtocolOptions.ts';
import type { Http3ProtocolOptions as _envoy_config_core_v3_Http3ProtocolOptions, Http3ProtocolOptions__Output as _envoy_config_core_v3_Http3ProtocolOptions__Output } from '../../../../../envoy/config/core/v3/Http3ProtocolOptions.ts';
import type { AlternateProtocolsCacheOptions as _envoy_config_core_v3_AlternateProtocolsCacheOptions, AlternateProtocolsCacheOptions__Output as _envoy_config_core_v3_AlternateProtocolsCacheOptions__Output } from '../../../../../envoy/config/core/v3/AlternateProtocolsCacheOptions.ts';

export interface _envoy_extensions_upstreams_http_v3_HttpProtocolOptions_AutoHttpConfig {
  'httpProtocolOptions'?: (_envoy_config_core_v3_Http1ProtocolOptions | null);
  'http2ProtocolOptions'?: (_envoy_config_core_v3_Http2ProtocolOptions | null);
  'http3ProtocolOptions'?: (_envoy_config_core_v3_Http3ProtocolOptions | null);
  'alternateProtocolsCacheOptions'?: (_envoy_config_core_v3_AlternateProtocolsCacheOptions | null);
}

export interface _envoy_extensions_upstreams_http_v3_HttpProtocolOptions_AutoHttpConfig__Output {
  'httpProtocolOptions'?: (_envoy_config_core_v3_Http1ProtocolOptions__Output);
  'http2ProtocolOptions'?: (_envoy_config_core_v3_Http2ProtocolOptions__Output);
  'http3ProtocolOptions'?: (_envoy_config_core_v3_Http3ProtocolOptions__Output);
  'alternateProtocolsCacheOptions'?: (_envoy_config_core_v3_AlternateProtocolsCacheOptions__Output);
}

export interface _envoy_extensions_upstreams_http_v3_HttpProtocolOptions_ExplicitHttpConfig {
  'httpProtocolOptions'?: (_envoy_config_core_v3_Http1ProtocolOptions | null);
  'http2ProtocolOptions'?: (_envoy_config_core_v3_Http2ProtocolOptions | null);
  'http3ProtocolOptions'?: (_envoy_config_core_v3_Http3ProtocolOptions | null);
  'protocolConfig'?: "httpProtocolOptions"|"http2ProtocolOptions"|"http3ProtocolOptions";
}

export interface _envoy_extensions_upstreams_http_v3_HttpProtocolOptions_ExplicitHttpConfig__Output {
  'httpProtocolOptions'?: (_envoy_config_core_v3_Http1ProtocolOptions__Output);
  'http2ProtocolOptions'?: (_envoy_config_core_v3_Http2ProtocolOptions__Output);
  'http3ProtocolOptions'?: (_envoy_config_core_v3_Http3ProtocolOptions__Output);
}

export interface _envoy_extensions_upstreams_http_v3_HttpProtocolOptions_UseDownstreamHttpConfig {
  'httpProtocolOptions'?: (_envoy_config_core_v3_Http1ProtocolOptions | null);
  'http2ProtocolOptions'?: (_envoy_config_core_v3_Http2ProtocolOptions | null);
  'http3ProtocolOptions'?: (_envoy_config_core_v3_Http3ProtocolOptions | null);
}

export interface _envoy_extensions_upstreams_http_v3_HttpProtocolOptions_UseDownstreamHttpConfig__Output {
  'httpProtocolOptions'?: (_envoy_config_core_v3_Http1ProtocolOptions__Output);
  'http2ProtocolOptions'?: (_envoy_config_core_v3_Http2ProtocolOptions__Output);
  'http3ProtocolOptions'?: (_envoy_config_core_v3_Http3ProtocolOptions__Output);
}

export interface HttpProtocolOptions {
  'commonHttpProtocolOptions'?: (_envoy_config_core_v3_HttpProtocolOptions | null);
  'upstreamHttpProtocolOptions'?: (_envoy_config_core_v3_UpstreamHttpProtocolOptions | null);
  'explicitHttpConfig'?: (_envoy_extensions_upstreams_http_v3_HttpProtocolOptions_ExplicitHttpConfig | null);
  'useDownstreamProtocolConfig'?: (_envoy_extensions_upstreams_http_v3_HttpProtocolOptions_UseDownstreamHttpConfig | null);
  'autoConfig'?: (_envoy_extensions_upstreams_http_v3_HttpProtocolOptions_AutoHttpConfig | null);
  'httpFilters'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpFilter)[];
  'headerValidationConfig'?: (_envoy_config_core_v3_TypedExtensionConfig | null);
  'upstreamProtocolOptions'?: "explicitHttpConfig"|"useDownstreamProtocolConfig"|"autoConfig";
}

export interface HttpProtocolOptions__Output {
  'commonHttpProtocolOptions'?: (_envoy_config_core_v3_HttpProtocolOptions__Output);
  'upstreamHttpProtocolOptions'?: (_envoy_config_core_v3_UpstreamHttpProtocolOptions__Output);
  'explicitHttpConfig'?: (_envoy_extensions_upstreams_http_v3_HttpProtocolOptions_ExplicitHttpConfig__Output);
  'useDownstreamProtocolConfig'?: (_envoy_extensions_upstreams_http_v3_HttpProtocolOptions_UseDownstreamHttpConfig__Output);
  'autoConfig'?: (_envoy_extensions_upstreams_http_v3_HttpProtocolOptions_AutoHttpConfig__Output);
  'httpFilters'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpFilter__Output)[];
  'headerValidationConfig'?: (_envoy_config_core_v3_TypedExtensionConfig__Output);
}
