/* eslint-disable */
// Original file: envoy/service/status/v3/csds.proto

import type { ConfigStatus as _envoy_service_status_v3_ConfigStatus, ConfigStatus__Output as _envoy_service_status_v3_ConfigStatus__Output } from '../../../../envoy/service/status/v3/ConfigStatus.ts';
import type { ListenersConfigDump as _envoy_admin_v3_ListenersConfigDump, ListenersConfigDump__Output as _envoy_admin_v3_ListenersConfigDump__Output } from '../../../../envoy/admin/v3/ListenersConfigDump.ts';
import type { ClustersConfigDump as _envoy_admin_v3_ClustersConfigDump, ClustersConfigDump__Output as _envoy_admin_v3_ClustersConfigDump__Output } from '../../../../envoy/admin/v3/ClustersConfigDump.ts';
import type { RoutesConfigDump as _envoy_admin_v3_RoutesConfigDump, RoutesConfigDump__Output as _envoy_admin_v3_RoutesConfigDump__Output } from '../../../../envoy/admin/v3/RoutesConfigDump.ts';
import type { ScopedRoutesConfigDump as _envoy_admin_v3_ScopedRoutesConfigDump, ScopedRoutesConfigDump__Output as _envoy_admin_v3_ScopedRoutesConfigDump__Output } from '../../../../envoy/admin/v3/ScopedRoutesConfigDump.ts';
import type { EndpointsConfigDump as _envoy_admin_v3_EndpointsConfigDump, EndpointsConfigDump__Output as _envoy_admin_v3_EndpointsConfigDump__Output } from '../../../../envoy/admin/v3/EndpointsConfigDump.ts';
import type { ClientConfigStatus as _envoy_service_status_v3_ClientConfigStatus, ClientConfigStatus__Output as _envoy_service_status_v3_ClientConfigStatus__Output } from '../../../../envoy/service/status/v3/ClientConfigStatus.ts';

export interface PerXdsConfig {
  'status'?: (_envoy_service_status_v3_ConfigStatus);
  'listenerConfig'?: (_envoy_admin_v3_ListenersConfigDump | null);
  'clusterConfig'?: (_envoy_admin_v3_ClustersConfigDump | null);
  'routeConfig'?: (_envoy_admin_v3_RoutesConfigDump | null);
  'scopedRouteConfig'?: (_envoy_admin_v3_ScopedRoutesConfigDump | null);
  'endpointConfig'?: (_envoy_admin_v3_EndpointsConfigDump | null);
  'clientStatus'?: (_envoy_service_status_v3_ClientConfigStatus);
  'perXdsConfig'?: "listenerConfig"|"clusterConfig"|"routeConfig"|"scopedRouteConfig"|"endpointConfig";
}

export interface PerXdsConfig__Output {
  'status'?: (_envoy_service_status_v3_ConfigStatus__Output);
  'listenerConfig'?: (_envoy_admin_v3_ListenersConfigDump__Output);
  'clusterConfig'?: (_envoy_admin_v3_ClustersConfigDump__Output);
  'routeConfig'?: (_envoy_admin_v3_RoutesConfigDump__Output);
  'scopedRouteConfig'?: (_envoy_admin_v3_ScopedRoutesConfigDump__Output);
  'endpointConfig'?: (_envoy_admin_v3_EndpointsConfigDump__Output);
  'clientStatus'?: (_envoy_service_status_v3_ClientConfigStatus__Output);
}
