/* eslint-disable */
// Original file: envoy/admin/v3/config_dump_shared.proto

import type { Any as _google_protobuf_Any, Any__Output as _google_protobuf_Any__Output } from '../../../google/protobuf/Any.ts';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../../google/protobuf/Timestamp.ts';
import type { UpdateFailureState as _envoy_admin_v3_UpdateFailureState, UpdateFailureState__Output as _envoy_admin_v3_UpdateFailureState__Output } from '../../../envoy/admin/v3/UpdateFailureState.ts';
import type { ClientResourceStatus as _envoy_admin_v3_ClientResourceStatus, ClientResourceStatus__Output as _envoy_admin_v3_ClientResourceStatus__Output } from '../../../envoy/admin/v3/ClientResourceStatus.ts';

export interface _envoy_admin_v3_RoutesConfigDump_DynamicRouteConfig {
  'versionInfo'?: (string);
  'routeConfig'?: (_google_protobuf_Any | null);
  'lastUpdated'?: (_google_protobuf_Timestamp | null);
  'errorState'?: (_envoy_admin_v3_UpdateFailureState | null);
  'clientStatus'?: (_envoy_admin_v3_ClientResourceStatus);
}

export interface _envoy_admin_v3_RoutesConfigDump_DynamicRouteConfig__Output {
  'versionInfo'?: (string);
  'routeConfig'?: (_google_protobuf_Any__Output);
  'lastUpdated'?: (_google_protobuf_Timestamp__Output);
  'errorState'?: (_envoy_admin_v3_UpdateFailureState__Output);
  'clientStatus'?: (_envoy_admin_v3_ClientResourceStatus__Output);
}

export interface _envoy_admin_v3_RoutesConfigDump_StaticRouteConfig {
  'routeConfig'?: (_google_protobuf_Any | null);
  'lastUpdated'?: (_google_protobuf_Timestamp | null);
}

export interface _envoy_admin_v3_RoutesConfigDump_StaticRouteConfig__Output {
  'routeConfig'?: (_google_protobuf_Any__Output);
  'lastUpdated'?: (_google_protobuf_Timestamp__Output);
}

export interface RoutesConfigDump {
  'staticRouteConfigs'?: (_envoy_admin_v3_RoutesConfigDump_StaticRouteConfig)[];
  'dynamicRouteConfigs'?: (_envoy_admin_v3_RoutesConfigDump_DynamicRouteConfig)[];
}

export interface RoutesConfigDump__Output {
  'staticRouteConfigs'?: (_envoy_admin_v3_RoutesConfigDump_StaticRouteConfig__Output)[];
  'dynamicRouteConfigs'?: (_envoy_admin_v3_RoutesConfigDump_DynamicRouteConfig__Output)[];
}
