/* eslint-disable */
// Original file: envoy/config/route/v3/route_components.proto

import type { Route as _envoy_config_route_v3_Route, Route__Output as _envoy_config_route_v3_Route__Output } from '../../../../envoy/config/route/v3/Route.ts';
import type { VirtualCluster as _envoy_config_route_v3_VirtualCluster, VirtualCluster__Output as _envoy_config_route_v3_VirtualCluster__Output } from '../../../../envoy/config/route/v3/VirtualCluster.ts';
import type { RateLimit as _envoy_config_route_v3_RateLimit, RateLimit__Output as _envoy_config_route_v3_RateLimit__Output } from '../../../../envoy/config/route/v3/RateLimit.ts';
import type { HeaderValueOption as _envoy_config_core_v3_HeaderValueOption, HeaderValueOption__Output as _envoy_config_core_v3_HeaderValueOption__Output } from '../../../../envoy/config/core/v3/HeaderValueOption.ts';
import type { CorsPolicy as _envoy_config_route_v3_CorsPolicy, CorsPolicy__Output as _envoy_config_route_v3_CorsPolicy__Output } from '../../../../envoy/config/route/v3/CorsPolicy.ts';
import type { Any as _google_protobuf_Any, Any__Output as _google_protobuf_Any__Output } from '../../../../google/protobuf/Any.ts';
import type { RetryPolicy as _envoy_config_route_v3_RetryPolicy, RetryPolicy__Output as _envoy_config_route_v3_RetryPolicy__Output } from '../../../../envoy/config/route/v3/RetryPolicy.ts';
import type { HedgePolicy as _envoy_config_route_v3_HedgePolicy, HedgePolicy__Output as _envoy_config_route_v3_HedgePolicy__Output } from '../../../../envoy/config/route/v3/HedgePolicy.ts';
import type { UInt32Value as _google_protobuf_UInt32Value, UInt32Value__Output as _google_protobuf_UInt32Value__Output } from '../../../../google/protobuf/UInt32Value.ts';
import type { Matcher as _xds_type_matcher_v3_Matcher, Matcher__Output as _xds_type_matcher_v3_Matcher__Output } from '../../../../xds/type/matcher/v3/Matcher.ts';
import type { _envoy_config_route_v3_RouteAction_RequestMirrorPolicy, _envoy_config_route_v3_RouteAction_RequestMirrorPolicy__Output } from '../../../../envoy/config/route/v3/RouteAction.ts';
import type { Metadata as _envoy_config_core_v3_Metadata, Metadata__Output as _envoy_config_core_v3_Metadata__Output } from '../../../../envoy/config/core/v3/Metadata.ts';

// Original file: envoy/config/route/v3/route_components.proto

export const _envoy_config_route_v3_VirtualHost_TlsRequirementType = {
  NONE: 'NONE',
  EXTERNAL_ONLY: 'EXTERNAL_ONLY',
  ALL: 'ALL',
} as const;

export type _envoy_config_route_v3_VirtualHost_TlsRequirementType =
  | 'NONE'
  | 0
  | 'EXTERNAL_ONLY'
  | 1
  | 'ALL'
  | 2

export type _envoy_config_route_v3_VirtualHost_TlsRequirementType__Output = typeof _envoy_config_route_v3_VirtualHost_TlsRequirementType[keyof typeof _envoy_config_route_v3_VirtualHost_TlsRequirementType]

export interface VirtualHost {
  'name'?: (string);
  'domains'?: (string)[];
  'routes'?: (_envoy_config_route_v3_Route)[];
  'requireTls'?: (_envoy_config_route_v3_VirtualHost_TlsRequirementType);
  'virtualClusters'?: (_envoy_config_route_v3_VirtualCluster)[];
  'rateLimits'?: (_envoy_config_route_v3_RateLimit)[];
  'requestHeadersToAdd'?: (_envoy_config_core_v3_HeaderValueOption)[];
  'cors'?: (_envoy_config_route_v3_CorsPolicy | null);
  'responseHeadersToAdd'?: (_envoy_config_core_v3_HeaderValueOption)[];
  'responseHeadersToRemove'?: (string)[];
  'requestHeadersToRemove'?: (string)[];
  'includeRequestAttemptCount'?: (boolean);
  'typedPerFilterConfig'?: ({[key: string]: _google_protobuf_Any});
  'retryPolicy'?: (_envoy_config_route_v3_RetryPolicy | null);
  'hedgePolicy'?: (_envoy_config_route_v3_HedgePolicy | null);
  'perRequestBufferLimitBytes'?: (_google_protobuf_UInt32Value | null);
  'includeAttemptCountInResponse'?: (boolean);
  'retryPolicyTypedConfig'?: (_google_protobuf_Any | null);
  'matcher'?: (_xds_type_matcher_v3_Matcher | null);
  'requestMirrorPolicies'?: (_envoy_config_route_v3_RouteAction_RequestMirrorPolicy)[];
  'includeIsTimeoutRetryHeader'?: (boolean);
  'metadata'?: (_envoy_config_core_v3_Metadata | null);
}

export interface VirtualHost__Output {
  'name'?: (string);
  'domains'?: (string)[];
  'routes'?: (_envoy_config_route_v3_Route__Output)[];
  'requireTls'?: (_envoy_config_route_v3_VirtualHost_TlsRequirementType__Output);
  'virtualClusters'?: (_envoy_config_route_v3_VirtualCluster__Output)[];
  'rateLimits'?: (_envoy_config_route_v3_RateLimit__Output)[];
  'requestHeadersToAdd'?: (_envoy_config_core_v3_HeaderValueOption__Output)[];
  'cors'?: (_envoy_config_route_v3_CorsPolicy__Output);
  'responseHeadersToAdd'?: (_envoy_config_core_v3_HeaderValueOption__Output)[];
  'responseHeadersToRemove'?: (string)[];
  'requestHeadersToRemove'?: (string)[];
  'includeRequestAttemptCount'?: (boolean);
  'typedPerFilterConfig'?: ({[key: string]: _google_protobuf_Any__Output});
  'retryPolicy'?: (_envoy_config_route_v3_RetryPolicy__Output);
  'hedgePolicy'?: (_envoy_config_route_v3_HedgePolicy__Output);
  'perRequestBufferLimitBytes'?: (_google_protobuf_UInt32Value__Output);
  'includeAttemptCountInResponse'?: (boolean);
  'retryPolicyTypedConfig'?: (_google_protobuf_Any__Output);
  'matcher'?: (_xds_type_matcher_v3_Matcher__Output);
  'requestMirrorPolicies'?: (_envoy_config_route_v3_RouteAction_RequestMirrorPolicy__Output)[];
  'includeIsTimeoutRetryHeader'?: (boolean);
  'metadata'?: (_envoy_config_core_v3_Metadata__Output);
}
