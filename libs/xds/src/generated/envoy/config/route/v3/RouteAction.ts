/* eslint-disable */
// Original file: envoy/config/route/v3/route_components.proto

import type { WeightedCluster as _envoy_config_route_v3_WeightedCluster, WeightedCluster__Output as _envoy_config_route_v3_WeightedCluster__Output } from '../../../../envoy/config/route/v3/WeightedCluster.ts';
import type { Metadata as _envoy_config_core_v3_Metadata, Metadata__Output as _envoy_config_core_v3_Metadata__Output } from '../../../../envoy/config/core/v3/Metadata.ts';
import type { BoolValue as _google_protobuf_BoolValue, BoolValue__Output as _google_protobuf_BoolValue__Output } from '../../../../google/protobuf/BoolValue.ts';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../../google/protobuf/Duration.ts';
import type { RetryPolicy as _envoy_config_route_v3_RetryPolicy, RetryPolicy__Output as _envoy_config_route_v3_RetryPolicy__Output } from '../../../../envoy/config/route/v3/RetryPolicy.ts';
import type { RoutingPriority as _envoy_config_core_v3_RoutingPriority, RoutingPriority__Output as _envoy_config_core_v3_RoutingPriority__Output } from '../../../../envoy/config/core/v3/RoutingPriority.ts';
import type { RateLimit as _envoy_config_route_v3_RateLimit, RateLimit__Output as _envoy_config_route_v3_RateLimit__Output } from '../../../../envoy/config/route/v3/RateLimit.ts';
import type { CorsPolicy as _envoy_config_route_v3_CorsPolicy, CorsPolicy__Output as _envoy_config_route_v3_CorsPolicy__Output } from '../../../../envoy/config/route/v3/CorsPolicy.ts';
import type { HedgePolicy as _envoy_config_route_v3_HedgePolicy, HedgePolicy__Output as _envoy_config_route_v3_HedgePolicy__Output } from '../../../../envoy/config/route/v3/HedgePolicy.ts';
import type { UInt32Value as _google_protobuf_UInt32Value, UInt32Value__Output as _google_protobuf_UInt32Value__Output } from '../../../../google/protobuf/UInt32Value.ts';
import type { RegexMatchAndSubstitute as _envoy_type_matcher_v3_RegexMatchAndSubstitute, RegexMatchAndSubstitute__Output as _envoy_type_matcher_v3_RegexMatchAndSubstitute__Output } from '../../../../envoy/type/matcher/v3/RegexMatchAndSubstitute.ts';
import type { Any as _google_protobuf_Any, Any__Output as _google_protobuf_Any__Output } from '../../../../google/protobuf/Any.ts';
import type { InternalRedirectPolicy as _envoy_config_route_v3_InternalRedirectPolicy, InternalRedirectPolicy__Output as _envoy_config_route_v3_InternalRedirectPolicy__Output } from '../../../../envoy/config/route/v3/InternalRedirectPolicy.ts';
import type { ClusterSpecifierPlugin as _envoy_config_route_v3_ClusterSpecifierPlugin, ClusterSpecifierPlugin__Output as _envoy_config_route_v3_ClusterSpecifierPlugin__Output } from '../../../../envoy/config/route/v3/ClusterSpecifierPlugin.ts';
import type { TypedExtensionConfig as _envoy_config_core_v3_TypedExtensionConfig, TypedExtensionConfig__Output as _envoy_config_core_v3_TypedExtensionConfig__Output } from '../../../../envoy/config/core/v3/TypedExtensionConfig.ts';
import type { RuntimeFractionalPercent as _envoy_config_core_v3_RuntimeFractionalPercent, RuntimeFractionalPercent__Output as _envoy_config_core_v3_RuntimeFractionalPercent__Output } from '../../../../envoy/config/core/v3/RuntimeFractionalPercent.ts';
import type { ProxyProtocolConfig as _envoy_config_core_v3_ProxyProtocolConfig, ProxyProtocolConfig__Output as _envoy_config_core_v3_ProxyProtocolConfig__Output } from '../../../../envoy/config/core/v3/ProxyProtocolConfig.ts';

// Original file: envoy/config/route/v3/route_components.proto

export const _envoy_config_route_v3_RouteAction_ClusterNotFoundResponseCode = {
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  NOT_FOUND: 'NOT_FOUND',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

export type _envoy_config_route_v3_RouteAction_ClusterNotFoundResponseCode =
  | 'SERVICE_UNAVAILABLE'
  | 0
  | 'NOT_FOUND'
  | 1
  | 'INTERNAL_SERVER_ERROR'
  | 2

export type _envoy_config_route_v3_RouteAction_ClusterNotFoundResponseCode__Output = typeof _envoy_config_route_v3_RouteAction_ClusterNotFoundResponseCode[keyof typeof _envoy_config_route_v3_RouteAction_ClusterNotFoundResponseCode]

export interface _envoy_config_route_v3_RouteAction_UpgradeConfig_ConnectConfig {
  'proxyProtocolConfig'?: (_envoy_config_core_v3_ProxyProtocolConfig | null);
  'allowPost'?: (boolean);
}

export interface _envoy_config_route_v3_RouteAction_UpgradeConfig_ConnectConfig__Output {
  'proxyProtocolConfig'?: (_envoy_config_core_v3_ProxyProtocolConfig__Output);
  'allowPost'?: (boolean);
}

export interface _envoy_config_route_v3_RouteAction_HashPolicy_ConnectionProperties {
  'sourceIp'?: (boolean);
}

export interface _envoy_config_route_v3_RouteAction_HashPolicy_ConnectionProperties__Output {
  'sourceIp'?: (boolean);
}

export interface _envoy_config_route_v3_RouteAction_HashPolicy_Cookie {
  'name'?: (string);
  'ttl'?: (_google_protobuf_Duration | null);
  'path'?: (string);
  'attributes'?: (_envoy_config_route_v3_RouteAction_HashPolicy_CookieAttribute)[];
}

export interface _envoy_config_route_v3_RouteAction_HashPolicy_Cookie__Output {
  'name'?: (string);
  'ttl'?: (_google_protobuf_Duration__Output);
  'path'?: (string);
  'attributes'?: (_envoy_config_route_v3_RouteAction_HashPolicy_CookieAttribute__Output)[];
}

export interface _envoy_config_route_v3_RouteAction_HashPolicy_CookieAttribute {
  'name'?: (string);
  'value'?: (string);
}

export interface _envoy_config_route_v3_RouteAction_HashPolicy_CookieAttribute__Output {
  'name'?: (string);
  'value'?: (string);
}

export interface _envoy_config_route_v3_RouteAction_HashPolicy_FilterState {
  'key'?: (string);
}

export interface _envoy_config_route_v3_RouteAction_HashPolicy_FilterState__Output {
  'key'?: (string);
}

export interface _envoy_config_route_v3_RouteAction_HashPolicy {
  'header'?: (_envoy_config_route_v3_RouteAction_HashPolicy_Header | null);
  'cookie'?: (_envoy_config_route_v3_RouteAction_HashPolicy_Cookie | null);
  'connectionProperties'?: (_envoy_config_route_v3_RouteAction_HashPolicy_ConnectionProperties | null);
  'queryParameter'?: (_envoy_config_route_v3_RouteAction_HashPolicy_QueryParameter | null);
  'filterState'?: (_envoy_config_route_v3_RouteAction_HashPolicy_FilterState | null);
  'terminal'?: (boolean);
  'policySpecifier'?: "header"|"cookie"|"connectionProperties"|"queryParameter"|"filterState";
}

export interface _envoy_config_route_v3_RouteAction_HashPolicy__Output {
  'header'?: (_envoy_config_route_v3_RouteAction_HashPolicy_Header__Output);
  'cookie'?: (_envoy_config_route_v3_RouteAction_HashPolicy_Cookie__Output);
  'connectionProperties'?: (_envoy_config_route_v3_RouteAction_HashPolicy_ConnectionProperties__Output);
  'queryParameter'?: (_envoy_config_route_v3_RouteAction_HashPolicy_QueryParameter__Output);
  'filterState'?: (_envoy_config_route_v3_RouteAction_HashPolicy_FilterState__Output);
  'terminal'?: (boolean);
}

export interface _envoy_config_route_v3_RouteAction_HashPolicy_Header {
  'headerName'?: (string);
  'regexRewrite'?: (_envoy_type_matcher_v3_RegexMatchAndSubstitute | null);
}

export interface _envoy_config_route_v3_RouteAction_HashPolicy_Header__Output {
  'headerName'?: (string);
  'regexRewrite'?: (_envoy_type_matcher_v3_RegexMatchAndSubstitute__Output);
}

// Original file: envoy/config/route/v3/route_components.proto

export const _envoy_config_route_v3_RouteAction_InternalRedirectAction = {
  PASS_THROUGH_INTERNAL_REDIRECT: 'PASS_THROUGH_INTERNAL_REDIRECT',
  HANDLE_INTERNAL_REDIRECT: 'HANDLE_INTERNAL_REDIRECT',
} as const;

export type _envoy_config_route_v3_RouteAction_InternalRedirectAction =
  | 'PASS_THROUGH_INTERNAL_REDIRECT'
  | 0
  | 'HANDLE_INTERNAL_REDIRECT'
  | 1

export type _envoy_config_route_v3_RouteAction_InternalRedirectAction__Output = typeof _envoy_config_route_v3_RouteAction_InternalRedirectAction[keyof typeof _envoy_config_route_v3_RouteAction_InternalRedirectAction]

export interface _envoy_config_route_v3_RouteAction_MaxStreamDuration {
  'maxStreamDuration'?: (_google_protobuf_Duration | null);
  'grpcTimeoutHeaderMax'?: (_google_protobuf_Duration | null);
  'grpcTimeoutHeaderOffset'?: (_google_protobuf_Duration | null);
}

export interface _envoy_config_route_v3_RouteAction_MaxStreamDuration__Output {
  'maxStreamDuration'?: (_google_protobuf_Duration__Output);
  'grpcTimeoutHeaderMax'?: (_google_protobuf_Duration__Output);
  'grpcTimeoutHeaderOffset'?: (_google_protobuf_Duration__Output);
}

export interface _envoy_config_route_v3_RouteAction_HashPolicy_QueryParameter {
  'name'?: (string);
}

export interface _envoy_config_route_v3_RouteAction_HashPolicy_QueryParameter__Output {
  'name'?: (string);
}

export interface _envoy_config_route_v3_RouteAction_RequestMirrorPolicy {
  'cluster'?: (string);
  'clusterHeader'?: (string);
  'runtimeFraction'?: (_envoy_config_core_v3_RuntimeFractionalPercent | null);
  'traceSampled'?: (_google_protobuf_BoolValue | null);
  'disableShadowHostSuffixAppend'?: (boolean);
}

export interface _envoy_config_route_v3_RouteAction_RequestMirrorPolicy__Output {
  'cluster'?: (string);
  'clusterHeader'?: (string);
  'runtimeFraction'?: (_envoy_config_core_v3_RuntimeFractionalPercent__Output);
  'traceSampled'?: (_google_protobuf_BoolValue__Output);
  'disableShadowHostSuffixAppend'?: (boolean);
}

export interface _envoy_config_route_v3_RouteAction_UpgradeConfig {
  'upgradeType'?: (string);
  'enabled'?: (_google_protobuf_BoolValue | null);
  'connectConfig'?: (_envoy_config_route_v3_RouteAction_UpgradeConfig_ConnectConfig | null);
}

export interface _envoy_config_route_v3_RouteAction_UpgradeConfig__Output {
  'upgradeType'?: (string);
  'enabled'?: (_google_protobuf_BoolValue__Output);
  'connectConfig'?: (_envoy_config_route_v3_RouteAction_UpgradeConfig_ConnectConfig__Output);
}

export interface RouteAction {
  'cluster'?: (string);
  'clusterHeader'?: (string);
  'weightedClusters'?: (_envoy_config_route_v3_WeightedCluster | null);
  'metadataMatch'?: (_envoy_config_core_v3_Metadata | null);
  'prefixRewrite'?: (string);
  'hostRewriteLiteral'?: (string);
  'autoHostRewrite'?: (_google_protobuf_BoolValue | null);
  'timeout'?: (_google_protobuf_Duration | null);
  'retryPolicy'?: (_envoy_config_route_v3_RetryPolicy | null);
  'priority'?: (_envoy_config_core_v3_RoutingPriority);
  'rateLimits'?: (_envoy_config_route_v3_RateLimit)[];
  'includeVhRateLimits'?: (_google_protobuf_BoolValue | null);
  'hashPolicy'?: (_envoy_config_route_v3_RouteAction_HashPolicy)[];
  'cors'?: (_envoy_config_route_v3_CorsPolicy | null);
  'clusterNotFoundResponseCode'?: (_envoy_config_route_v3_RouteAction_ClusterNotFoundResponseCode);
  'maxGrpcTimeout'?: (_google_protobuf_Duration | null);
  'idleTimeout'?: (_google_protobuf_Duration | null);
  'upgradeConfigs'?: (_envoy_config_route_v3_RouteAction_UpgradeConfig)[];
  'internalRedirectAction'?: (_envoy_config_route_v3_RouteAction_InternalRedirectAction);
  'hedgePolicy'?: (_envoy_config_route_v3_HedgePolicy | null);
  'grpcTimeoutOffset'?: (_google_protobuf_Duration | null);
  'hostRewriteHeader'?: (string);
  'requestMirrorPolicies'?: (_envoy_config_route_v3_RouteAction_RequestMirrorPolicy)[];
  'maxInternalRedirects'?: (_google_protobuf_UInt32Value | null);
  'regexRewrite'?: (_envoy_type_matcher_v3_RegexMatchAndSubstitute | null);
  'retryPolicyTypedConfig'?: (_google_protobuf_Any | null);
  'internalRedirectPolicy'?: (_envoy_config_route_v3_InternalRedirectPolicy | null);
  'hostRewritePathRegex'?: (_envoy_type_matcher_v3_RegexMatchAndSubstitute | null);
  'maxStreamDuration'?: (_envoy_config_route_v3_RouteAction_MaxStreamDuration | null);
  'clusterSpecifierPlugin'?: (string);
  'appendXForwardedHost'?: (boolean);
  'inlineClusterSpecifierPlugin'?: (_envoy_config_route_v3_ClusterSpecifierPlugin | null);
  'earlyDataPolicy'?: (_envoy_config_core_v3_TypedExtensionConfig | null);
  'pathRewritePolicy'?: (_envoy_config_core_v3_TypedExtensionConfig | null);
  'clusterSpecifier'?: "cluster"|"clusterHeader"|"weightedClusters"|"clusterSpecifierPlugin"|"inlineClusterSpecifierPlugin";
  'hostRewriteSpecifier'?: "hostRewriteLiteral"|"autoHostRewrite"|"hostRewriteHeader"|"hostRewritePathRegex";
}

export interface RouteAction__Output {
  'cluster'?: (string);
  'clusterHeader'?: (string);
  'weightedClusters'?: (_envoy_config_route_v3_WeightedCluster__Output);
  'metadataMatch'?: (_envoy_config_core_v3_Metadata__Output);
  'prefixRewrite'?: (string);
  'hostRewriteLiteral'?: (string);
  'autoHostRewrite'?: (_google_protobuf_BoolValue__Output);
  'timeout'?: (_google_protobuf_Duration__Output);
  'retryPolicy'?: (_envoy_config_route_v3_RetryPolicy__Output);
  'priority'?: (_envoy_config_core_v3_RoutingPriority__Output);
  'rateLimits'?: (_envoy_config_route_v3_RateLimit__Output)[];
  'includeVhRateLimits'?: (_google_protobuf_BoolValue__Output);
  'hashPolicy'?: (_envoy_config_route_v3_RouteAction_HashPolicy__Output)[];
  'cors'?: (_envoy_config_route_v3_CorsPolicy__Output);
  'clusterNotFoundResponseCode'?: (_envoy_config_route_v3_RouteAction_ClusterNotFoundResponseCode__Output);
  'maxGrpcTimeout'?: (_google_protobuf_Duration__Output);
  'idleTimeout'?: (_google_protobuf_Duration__Output);
  'upgradeConfigs'?: (_envoy_config_route_v3_RouteAction_UpgradeConfig__Output)[];
  'internalRedirectAction'?: (_envoy_config_route_v3_RouteAction_InternalRedirectAction__Output);
  'hedgePolicy'?: (_envoy_config_route_v3_HedgePolicy__Output);
  'grpcTimeoutOffset'?: (_google_protobuf_Duration__Output);
  'hostRewriteHeader'?: (string);
  'requestMirrorPolicies'?: (_envoy_config_route_v3_RouteAction_RequestMirrorPolicy__Output)[];
  'maxInternalRedirects'?: (_google_protobuf_UInt32Value__Output);
  'regexRewrite'?: (_envoy_type_matcher_v3_RegexMatchAndSubstitute__Output);
  'retryPolicyTypedConfig'?: (_google_protobuf_Any__Output);
  'internalRedirectPolicy'?: (_envoy_config_route_v3_InternalRedirectPolicy__Output);
  'hostRewritePathRegex'?: (_envoy_type_matcher_v3_RegexMatchAndSubstitute__Output);
  'maxStreamDuration'?: (_envoy_config_route_v3_RouteAction_MaxStreamDuration__Output);
  'clusterSpecifierPlugin'?: (string);
  'appendXForwardedHost'?: (boolean);
  'inlineClusterSpecifierPlugin'?: (_envoy_config_route_v3_ClusterSpecifierPlugin__Output);
  'earlyDataPolicy'?: (_envoy_config_core_v3_TypedExtensionConfig__Output);
  'pathRewritePolicy'?: (_envoy_config_core_v3_TypedExtensionConfig__Output);
}
