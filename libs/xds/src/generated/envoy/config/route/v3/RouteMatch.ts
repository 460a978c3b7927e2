/* eslint-disable */
// Original file: envoy/config/route/v3/route_components.proto

import type { BoolValue as _google_protobuf_BoolValue, BoolValue__Output as _google_protobuf_BoolValue__Output } from '../../../../google/protobuf/BoolValue.ts';
import type { HeaderMatcher as _envoy_config_route_v3_HeaderMatcher, HeaderMatcher__Output as _envoy_config_route_v3_HeaderMatcher__Output } from '../../../../envoy/config/route/v3/HeaderMatcher.ts';
import type { QueryParameterMatcher as _envoy_config_route_v3_QueryParameterMatcher, QueryParameterMatcher__Output as _envoy_config_route_v3_QueryParameterMatcher__Output } from '../../../../envoy/config/route/v3/QueryParameterMatcher.ts';
import type { RuntimeFractionalPercent as _envoy_config_core_v3_RuntimeFractionalPercent, RuntimeFractionalPercent__Output as _envoy_config_core_v3_RuntimeFractionalPercent__Output } from '../../../../envoy/config/core/v3/RuntimeFractionalPercent.ts';
import type { RegexMatcher as _envoy_type_matcher_v3_RegexMatcher, RegexMatcher__Output as _envoy_type_matcher_v3_RegexMatcher__Output } from '../../../../envoy/type/matcher/v3/RegexMatcher.ts';
import type { MetadataMatcher as _envoy_type_matcher_v3_MetadataMatcher, MetadataMatcher__Output as _envoy_type_matcher_v3_MetadataMatcher__Output } from '../../../../envoy/type/matcher/v3/MetadataMatcher.ts';
import type { TypedExtensionConfig as _envoy_config_core_v3_TypedExtensionConfig, TypedExtensionConfig__Output as _envoy_config_core_v3_TypedExtensionConfig__Output } from '../../../../envoy/config/core/v3/TypedExtensionConfig.ts';

export interface _envoy_config_route_v3_RouteMatch_ConnectMatcher {
}

export interface _envoy_config_route_v3_RouteMatch_ConnectMatcher__Output {
}

export interface _envoy_config_route_v3_RouteMatch_GrpcRouteMatchOptions {
}

export interface _envoy_config_route_v3_RouteMatch_GrpcRouteMatchOptions__Output {
}

export interface _envoy_config_route_v3_RouteMatch_TlsContextMatchOptions {
  'presented'?: (_google_protobuf_BoolValue | null);
  'validated'?: (_google_protobuf_BoolValue | null);
}

export interface _envoy_config_route_v3_RouteMatch_TlsContextMatchOptions__Output {
  'presented'?: (_google_protobuf_BoolValue__Output);
  'validated'?: (_google_protobuf_BoolValue__Output);
}

export interface RouteMatch {
  'prefix'?: (string);
  'path'?: (string);
  'caseSensitive'?: (_google_protobuf_BoolValue | null);
  'headers'?: (_envoy_config_route_v3_HeaderMatcher)[];
  'queryParameters'?: (_envoy_config_route_v3_QueryParameterMatcher)[];
  'grpc'?: (_envoy_config_route_v3_RouteMatch_GrpcRouteMatchOptions | null);
  'runtimeFraction'?: (_envoy_config_core_v3_RuntimeFractionalPercent | null);
  'safeRegex'?: (_envoy_type_matcher_v3_RegexMatcher | null);
  'tlsContext'?: (_envoy_config_route_v3_RouteMatch_TlsContextMatchOptions | null);
  'connectMatcher'?: (_envoy_config_route_v3_RouteMatch_ConnectMatcher | null);
  'dynamicMetadata'?: (_envoy_type_matcher_v3_MetadataMatcher)[];
  'pathSeparatedPrefix'?: (string);
  'pathMatchPolicy'?: (_envoy_config_core_v3_TypedExtensionConfig | null);
  'pathSpecifier'?: "prefix"|"path"|"safeRegex"|"connectMatcher"|"pathSeparatedPrefix"|"pathMatchPolicy";
}

export interface RouteMatch__Output {
  'prefix'?: (string);
  'path'?: (string);
  'caseSensitive'?: (_google_protobuf_BoolValue__Output);
  'headers'?: (_envoy_config_route_v3_HeaderMatcher__Output)[];
  'queryParameters'?: (_envoy_config_route_v3_QueryParameterMatcher__Output)[];
  'grpc'?: (_envoy_config_route_v3_RouteMatch_GrpcRouteMatchOptions__Output);
  'runtimeFraction'?: (_envoy_config_core_v3_RuntimeFractionalPercent__Output);
  'safeRegex'?: (_envoy_type_matcher_v3_RegexMatcher__Output);
  'tlsContext'?: (_envoy_config_route_v3_RouteMatch_TlsContextMatchOptions__Output);
  'connectMatcher'?: (_envoy_config_route_v3_RouteMatch_ConnectMatcher__Output);
  'dynamicMetadata'?: (_envoy_type_matcher_v3_MetadataMatcher__Output)[];
  'pathSeparatedPrefix'?: (string);
  'pathMatchPolicy'?: (_envoy_config_core_v3_TypedExtensionConfig__Output);
}
