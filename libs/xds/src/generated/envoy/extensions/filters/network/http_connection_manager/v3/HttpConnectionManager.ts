/* eslint-disable */
// Original file: envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto

import type { Rds as _envoy_extensions_filters_network_http_connection_manager_v3_Rds, Rds__Output as _envoy_extensions_filters_network_http_connection_manager_v3_Rds__Output } from '../../../../../../envoy/extensions/filters/network/http_connection_manager/v3/Rds.ts';
import type { RouteConfiguration as _envoy_config_route_v3_RouteConfiguration, RouteConfiguration__Output as _envoy_config_route_v3_RouteConfiguration__Output } from '../../../../../../envoy/config/route/v3/RouteConfiguration.ts';
import type { HttpFilter as _envoy_extensions_filters_network_http_connection_manager_v3_HttpFilter, HttpFilter__Output as _envoy_extensions_filters_network_http_connection_manager_v3_HttpFilter__Output } from '../../../../../../envoy/extensions/filters/network/http_connection_manager/v3/HttpFilter.ts';
import type { BoolValue as _google_protobuf_BoolValue, BoolValue__Output as _google_protobuf_BoolValue__Output } from '../../../../../../google/protobuf/BoolValue.ts';
import type { Http1ProtocolOptions as _envoy_config_core_v3_Http1ProtocolOptions, Http1ProtocolOptions__Output as _envoy_config_core_v3_Http1ProtocolOptions__Output } from '../../../../../../envoy/config/core/v3/Http1ProtocolOptions.ts';
import type { Http2ProtocolOptions as _envoy_config_core_v3_Http2ProtocolOptions, Http2ProtocolOptions__Output as _envoy_config_core_v3_Http2ProtocolOptions__Output } from '../../../../../../envoy/config/core/v3/Http2ProtocolOptions.ts';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../../../../google/protobuf/Duration.ts';
import type { AccessLog as _envoy_config_accesslog_v3_AccessLog, AccessLog__Output as _envoy_config_accesslog_v3_AccessLog__Output } from '../../../../../../envoy/config/accesslog/v3/AccessLog.ts';
import type { UInt32Value as _google_protobuf_UInt32Value, UInt32Value__Output as _google_protobuf_UInt32Value__Output } from '../../../../../../google/protobuf/UInt32Value.ts';
import type { ScopedRoutes as _envoy_extensions_filters_network_http_connection_manager_v3_ScopedRoutes, ScopedRoutes__Output as _envoy_extensions_filters_network_http_connection_manager_v3_ScopedRoutes__Output } from '../../../../../../envoy/extensions/filters/network/http_connection_manager/v3/ScopedRoutes.ts';
import type { HttpProtocolOptions as _envoy_config_core_v3_HttpProtocolOptions, HttpProtocolOptions__Output as _envoy_config_core_v3_HttpProtocolOptions__Output } from '../../../../../../envoy/config/core/v3/HttpProtocolOptions.ts';
import type { RequestIDExtension as _envoy_extensions_filters_network_http_connection_manager_v3_RequestIDExtension, RequestIDExtension__Output as _envoy_extensions_filters_network_http_connection_manager_v3_RequestIDExtension__Output } from '../../../../../../envoy/extensions/filters/network/http_connection_manager/v3/RequestIDExtension.ts';
import type { LocalReplyConfig as _envoy_extensions_filters_network_http_connection_manager_v3_LocalReplyConfig, LocalReplyConfig__Output as _envoy_extensions_filters_network_http_connection_manager_v3_LocalReplyConfig__Output } from '../../../../../../envoy/extensions/filters/network/http_connection_manager/v3/LocalReplyConfig.ts';
import type { Http3ProtocolOptions as _envoy_config_core_v3_Http3ProtocolOptions, Http3ProtocolOptions__Output as _envoy_config_core_v3_Http3ProtocolOptions__Output } from '../../../../../../envoy/config/core/v3/Http3ProtocolOptions.ts';
import type { TypedExtensionConfig as _envoy_config_core_v3_TypedExtensionConfig, TypedExtensionConfig__Output as _envoy_config_core_v3_TypedExtensionConfig__Output } from '../../../../../../envoy/config/core/v3/TypedExtensionConfig.ts';
import type { SchemeHeaderTransformation as _envoy_config_core_v3_SchemeHeaderTransformation, SchemeHeaderTransformation__Output as _envoy_config_core_v3_SchemeHeaderTransformation__Output } from '../../../../../../envoy/config/core/v3/SchemeHeaderTransformation.ts';
import type { Percent as _envoy_type_v3_Percent, Percent__Output as _envoy_type_v3_Percent__Output } from '../../../../../../envoy/type/v3/Percent.ts';
import type { CustomTag as _envoy_type_tracing_v3_CustomTag, CustomTag__Output as _envoy_type_tracing_v3_CustomTag__Output } from '../../../../../../envoy/type/tracing/v3/CustomTag.ts';
import type { _envoy_config_trace_v3_Tracing_Http, _envoy_config_trace_v3_Tracing_Http__Output } from '../../../../../../envoy/config/trace/v3/Tracing.ts';
import type { CidrRange as _envoy_config_core_v3_CidrRange, CidrRange__Output as _envoy_config_core_v3_CidrRange__Output } from '../../../../../../envoy/config/core/v3/CidrRange.ts';
import type { PathTransformation as _envoy_type_http_v3_PathTransformation, PathTransformation__Output as _envoy_type_http_v3_PathTransformation__Output } from '../../../../../../envoy/type/http/v3/PathTransformation.ts';

// Original file: envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto

export const _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_CodecType = {
  AUTO: 'AUTO',
  HTTP1: 'HTTP1',
  HTTP2: 'HTTP2',
  HTTP3: 'HTTP3',
} as const;

export type _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_CodecType =
  | 'AUTO'
  | 0
  | 'HTTP1'
  | 1
  | 'HTTP2'
  | 2
  | 'HTTP3'
  | 3

export type _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_CodecType__Output = typeof _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_CodecType[keyof typeof _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_CodecType]

// Original file: envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto

export const _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_ForwardClientCertDetails = {
  SANITIZE: 'SANITIZE',
  FORWARD_ONLY: 'FORWARD_ONLY',
  APPEND_FORWARD: 'APPEND_FORWARD',
  SANITIZE_SET: 'SANITIZE_SET',
  ALWAYS_FORWARD_ONLY: 'ALWAYS_FORWARD_ONLY',
} as const;

export type _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_ForwardClientCertDetails =
  | 'SANITIZE'
  | 0
  | 'FORWARD_ONLY'
  | 1
  | 'APPEND_FORWARD'
  | 2
  | 'SANITIZE_SET'
  | 3
  | 'ALWAYS_FORWARD_ONLY'
  | 4

export type _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_ForwardClientCertDetails__Output = typeof _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_ForwardClientCertDetails[keyof typeof _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_ForwardClientCertDetails]

export interface _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_HcmAccessLogOptions {
  'accessLogFlushInterval'?: (_google_protobuf_Duration | null);
  'flushAccessLogOnNewRequest'?: (boolean);
  'flushLogOnTunnelSuccessfullyEstablished'?: (boolean);
}

export interface _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_HcmAccessLogOptions__Output {
  'accessLogFlushInterval'?: (_google_protobuf_Duration__Output);
  'flushAccessLogOnNewRequest'?: (boolean);
  'flushLogOnTunnelSuccessfullyEstablished'?: (boolean);
}

export interface _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_InternalAddressConfig {
  'unixSockets'?: (boolean);
  'cidrRanges'?: (_envoy_config_core_v3_CidrRange)[];
}

export interface _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_InternalAddressConfig__Output {
  'unixSockets'?: (boolean);
  'cidrRanges'?: (_envoy_config_core_v3_CidrRange__Output)[];
}

// Original file: envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto

export const _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_Tracing_OperationName = {
  INGRESS: 'INGRESS',
  EGRESS: 'EGRESS',
} as const;

export type _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_Tracing_OperationName =
  | 'INGRESS'
  | 0
  | 'EGRESS'
  | 1

export type _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_Tracing_OperationName__Output = typeof _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_Tracing_OperationName[keyof typeof _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_Tracing_OperationName]

export interface _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_PathNormalizationOptions {
  'forwardingTransformation'?: (_envoy_type_http_v3_PathTransformation | null);
  'httpFilterTransformation'?: (_envoy_type_http_v3_PathTransformation | null);
}

export interface _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_PathNormalizationOptions__Output {
  'forwardingTransformation'?: (_envoy_type_http_v3_PathTransformation__Output);
  'httpFilterTransformation'?: (_envoy_type_http_v3_PathTransformation__Output);
}

// Original file: envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto

export const _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_PathWithEscapedSlashesAction = {
  IMPLEMENTATION_SPECIFIC_DEFAULT: 'IMPLEMENTATION_SPECIFIC_DEFAULT',
  KEEP_UNCHANGED: 'KEEP_UNCHANGED',
  REJECT_REQUEST: 'REJECT_REQUEST',
  UNESCAPE_AND_REDIRECT: 'UNESCAPE_AND_REDIRECT',
  UNESCAPE_AND_FORWARD: 'UNESCAPE_AND_FORWARD',
} as const;

export type _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_PathWithEscapedSlashesAction =
  | 'IMPLEMENTATION_SPECIFIC_DEFAULT'
  | 0
  | 'KEEP_UNCHANGED'
  | 1
  | 'REJECT_REQUEST'
  | 2
  | 'UNESCAPE_AND_REDIRECT'
  | 3
  | 'UNESCAPE_AND_FORWARD'
  | 4

export type _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_PathWithEscapedSlashesAction__Output = typeof _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_PathWithEscapedSlashesAction[keyof typeof _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_PathWithEscapedSlashesAction]

export interface _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_ProxyStatusConfig {
  'removeDetails'?: (boolean);
  'removeConnectionTerminationDetails'?: (boolean);
  'removeResponseFlags'?: (boolean);
  'setRecommendedResponseCode'?: (boolean);
  'useNodeId'?: (boolean);
  'literalProxyName'?: (string);
  'proxyName'?: "useNodeId"|"literalProxyName";
}

export interface _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_ProxyStatusConfig__Output {
  'removeDetails'?: (boolean);
  'removeConnectionTerminationDetails'?: (boolean);
  'removeResponseFlags'?: (boolean);
  'setRecommendedResponseCode'?: (boolean);
  'useNodeId'?: (boolean);
  'literalProxyName'?: (string);
}

// Original file: envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto

export const _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_ServerHeaderTransformation = {
  OVERWRITE: 'OVERWRITE',
  APPEND_IF_ABSENT: 'APPEND_IF_ABSENT',
  PASS_THROUGH: 'PASS_THROUGH',
} as const;

export type _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_ServerHeaderTransformation =
  | 'OVERWRITE'
  | 0
  | 'APPEND_IF_ABSENT'
  | 1
  | 'PASS_THROUGH'
  | 2

export type _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_ServerHeaderTransformation__Output = typeof _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_ServerHeaderTransformation[keyof typeof _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_ServerHeaderTransformation]

export interface _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_SetCurrentClientCertDetails {
  'subject'?: (_google_protobuf_BoolValue | null);
  'cert'?: (boolean);
  'chain'?: (boolean);
  'dns'?: (boolean);
  'uri'?: (boolean);
}

export interface _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_SetCurrentClientCertDetails__Output {
  'subject'?: (_google_protobuf_BoolValue__Output);
  'cert'?: (boolean);
  'chain'?: (boolean);
  'dns'?: (boolean);
  'uri'?: (boolean);
}

export interface _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_Tracing {
  'clientSampling'?: (_envoy_type_v3_Percent | null);
  'randomSampling'?: (_envoy_type_v3_Percent | null);
  'overallSampling'?: (_envoy_type_v3_Percent | null);
  'verbose'?: (boolean);
  'maxPathTagLength'?: (_google_protobuf_UInt32Value | null);
  'customTags'?: (_envoy_type_tracing_v3_CustomTag)[];
  'provider'?: (_envoy_config_trace_v3_Tracing_Http | null);
  'spawnUpstreamSpan'?: (_google_protobuf_BoolValue | null);
}

export interface _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_Tracing__Output {
  'clientSampling'?: (_envoy_type_v3_Percent__Output);
  'randomSampling'?: (_envoy_type_v3_Percent__Output);
  'overallSampling'?: (_envoy_type_v3_Percent__Output);
  'verbose'?: (boolean);
  'maxPathTagLength'?: (_google_protobuf_UInt32Value__Output);
  'customTags'?: (_envoy_type_tracing_v3_CustomTag__Output)[];
  'provider'?: (_envoy_config_trace_v3_Tracing_Http__Output);
  'spawnUpstreamSpan'?: (_google_protobuf_BoolValue__Output);
}

export interface _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_UpgradeConfig {
  'upgradeType'?: (string);
  'filters'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpFilter)[];
  'enabled'?: (_google_protobuf_BoolValue | null);
}

export interface _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_UpgradeConfig__Output {
  'upgradeType'?: (string);
  'filters'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpFilter__Output)[];
  'enabled'?: (_google_protobuf_BoolValue__Output);
}

export interface HttpConnectionManager {
  'codecType'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_CodecType);
  'statPrefix'?: (string);
  'rds'?: (_envoy_extensions_filters_network_http_connection_manager_v3_Rds | null);
  'routeConfig'?: (_envoy_config_route_v3_RouteConfiguration | null);
  'httpFilters'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpFilter)[];
  'addUserAgent'?: (_google_protobuf_BoolValue | null);
  'tracing'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_Tracing | null);
  'httpProtocolOptions'?: (_envoy_config_core_v3_Http1ProtocolOptions | null);
  'http2ProtocolOptions'?: (_envoy_config_core_v3_Http2ProtocolOptions | null);
  'serverName'?: (string);
  'drainTimeout'?: (_google_protobuf_Duration | null);
  'accessLog'?: (_envoy_config_accesslog_v3_AccessLog)[];
  'useRemoteAddress'?: (_google_protobuf_BoolValue | null);
  'generateRequestId'?: (_google_protobuf_BoolValue | null);
  'forwardClientCertDetails'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_ForwardClientCertDetails);
  'setCurrentClientCertDetails'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_SetCurrentClientCertDetails | null);
  'proxy_100Continue'?: (boolean);
  'xffNumTrustedHops'?: (number);
  'representIpv4RemoteAddressAsIpv4MappedIpv6'?: (boolean);
  'skipXffAppend'?: (boolean);
  'via'?: (string);
  'upgradeConfigs'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_UpgradeConfig)[];
  'streamIdleTimeout'?: (_google_protobuf_Duration | null);
  'internalAddressConfig'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_InternalAddressConfig | null);
  'delayedCloseTimeout'?: (_google_protobuf_Duration | null);
  'requestTimeout'?: (_google_protobuf_Duration | null);
  'maxRequestHeadersKb'?: (_google_protobuf_UInt32Value | null);
  'normalizePath'?: (_google_protobuf_BoolValue | null);
  'scopedRoutes'?: (_envoy_extensions_filters_network_http_connection_manager_v3_ScopedRoutes | null);
  'preserveExternalRequestId'?: (boolean);
  'mergeSlashes'?: (boolean);
  'serverHeaderTransformation'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_ServerHeaderTransformation);
  'commonHttpProtocolOptions'?: (_envoy_config_core_v3_HttpProtocolOptions | null);
  'requestIdExtension'?: (_envoy_extensions_filters_network_http_connection_manager_v3_RequestIDExtension | null);
  'alwaysSetRequestIdInResponse'?: (boolean);
  'localReplyConfig'?: (_envoy_extensions_filters_network_http_connection_manager_v3_LocalReplyConfig | null);
  'stripMatchingHostPort'?: (boolean);
  'streamErrorOnInvalidHttpMessage'?: (_google_protobuf_BoolValue | null);
  'requestHeadersTimeout'?: (_google_protobuf_Duration | null);
  'stripAnyHostPort'?: (boolean);
  'pathNormalizationOptions'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_PathNormalizationOptions | null);
  'http3ProtocolOptions'?: (_envoy_config_core_v3_Http3ProtocolOptions | null);
  'pathWithEscapedSlashesAction'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_PathWithEscapedSlashesAction);
  'originalIpDetectionExtensions'?: (_envoy_config_core_v3_TypedExtensionConfig)[];
  'stripTrailingHostDot'?: (boolean);
  'schemeHeaderTransformation'?: (_envoy_config_core_v3_SchemeHeaderTransformation | null);
  'proxyStatusConfig'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_ProxyStatusConfig | null);
  'typedHeaderValidationConfig'?: (_envoy_config_core_v3_TypedExtensionConfig | null);
  'appendXForwardedPort'?: (boolean);
  'earlyHeaderMutationExtensions'?: (_envoy_config_core_v3_TypedExtensionConfig)[];
  'addProxyProtocolConnectionState'?: (_google_protobuf_BoolValue | null);
  'accessLogFlushInterval'?: (_google_protobuf_Duration | null);
  'flushAccessLogOnNewRequest'?: (boolean);
  'accessLogOptions'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_HcmAccessLogOptions | null);
  'appendLocalOverload'?: (boolean);
  'routeSpecifier'?: "rds"|"routeConfig"|"scopedRoutes";
  'stripPortMode'?: "stripAnyHostPort";
}

export interface HttpConnectionManager__Output {
  'codecType'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_CodecType__Output);
  'statPrefix'?: (string);
  'rds'?: (_envoy_extensions_filters_network_http_connection_manager_v3_Rds__Output);
  'routeConfig'?: (_envoy_config_route_v3_RouteConfiguration__Output);
  'httpFilters'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpFilter__Output)[];
  'addUserAgent'?: (_google_protobuf_BoolValue__Output);
  'tracing'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_Tracing__Output);
  'httpProtocolOptions'?: (_envoy_config_core_v3_Http1ProtocolOptions__Output);
  'http2ProtocolOptions'?: (_envoy_config_core_v3_Http2ProtocolOptions__Output);
  'serverName'?: (string);
  'drainTimeout'?: (_google_protobuf_Duration__Output);
  'accessLog'?: (_envoy_config_accesslog_v3_AccessLog__Output)[];
  'useRemoteAddress'?: (_google_protobuf_BoolValue__Output);
  'generateRequestId'?: (_google_protobuf_BoolValue__Output);
  'forwardClientCertDetails'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_ForwardClientCertDetails__Output);
  'setCurrentClientCertDetails'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_SetCurrentClientCertDetails__Output);
  'proxy_100Continue'?: (boolean);
  'xffNumTrustedHops'?: (number);
  'representIpv4RemoteAddressAsIpv4MappedIpv6'?: (boolean);
  'skipXffAppend'?: (boolean);
  'via'?: (string);
  'upgradeConfigs'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_UpgradeConfig__Output)[];
  'streamIdleTimeout'?: (_google_protobuf_Duration__Output);
  'internalAddressConfig'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_InternalAddressConfig__Output);
  'delayedCloseTimeout'?: (_google_protobuf_Duration__Output);
  'requestTimeout'?: (_google_protobuf_Duration__Output);
  'maxRequestHeadersKb'?: (_google_protobuf_UInt32Value__Output);
  'normalizePath'?: (_google_protobuf_BoolValue__Output);
  'scopedRoutes'?: (_envoy_extensions_filters_network_http_connection_manager_v3_ScopedRoutes__Output);
  'preserveExternalRequestId'?: (boolean);
  'mergeSlashes'?: (boolean);
  'serverHeaderTransformation'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_ServerHeaderTransformation__Output);
  'commonHttpProtocolOptions'?: (_envoy_config_core_v3_HttpProtocolOptions__Output);
  'requestIdExtension'?: (_envoy_extensions_filters_network_http_connection_manager_v3_RequestIDExtension__Output);
  'alwaysSetRequestIdInResponse'?: (boolean);
  'localReplyConfig'?: (_envoy_extensions_filters_network_http_connection_manager_v3_LocalReplyConfig__Output);
  'stripMatchingHostPort'?: (boolean);
  'streamErrorOnInvalidHttpMessage'?: (_google_protobuf_BoolValue__Output);
  'requestHeadersTimeout'?: (_google_protobuf_Duration__Output);
  'stripAnyHostPort'?: (boolean);
  'pathNormalizationOptions'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_PathNormalizationOptions__Output);
  'http3ProtocolOptions'?: (_envoy_config_core_v3_Http3ProtocolOptions__Output);
  'pathWithEscapedSlashesAction'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_PathWithEscapedSlashesAction__Output);
  'originalIpDetectionExtensions'?: (_envoy_config_core_v3_TypedExtensionConfig__Output)[];
  'stripTrailingHostDot'?: (boolean);
  'schemeHeaderTransformation'?: (_envoy_config_core_v3_SchemeHeaderTransformation__Output);
  'proxyStatusConfig'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_ProxyStatusConfig__Output);
  'typedHeaderValidationConfig'?: (_envoy_config_core_v3_TypedExtensionConfig__Output);
  'appendXForwardedPort'?: (boolean);
  'earlyHeaderMutationExtensions'?: (_envoy_config_core_v3_TypedExtensionConfig__Output)[];
  'addProxyProtocolConnectionState'?: (_google_protobuf_BoolValue__Output);
  'accessLogFlushInterval'?: (_google_protobuf_Duration__Output);
  'flushAccessLogOnNewRequest'?: (boolean);
  'accessLogOptions'?: (_envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager_HcmAccessLogOptions__Output);
  'appendLocalOverload'?: (boolean);
}
