/* eslint-disable */
// Original file: envoy/config/route/v3/scoped_route.proto

import type { RouteConfiguration as _envoy_config_route_v3_RouteConfiguration, RouteConfiguration__Output as _envoy_config_route_v3_RouteConfiguration__Output } from '../../../../envoy/config/route/v3/RouteConfiguration.ts';

export interface _envoy_config_route_v3_ScopedRouteConfiguration_Key_Fragment {
  'stringKey'?: (string);
  'type'?: "stringKey";
}

export interface _envoy_config_route_v3_ScopedRouteConfiguration_Key_Fragment__Output {
  'stringKey'?: (string);
}

export interface _envoy_config_route_v3_ScopedRouteConfiguration_Key {
  'fragments'?: (_envoy_config_route_v3_ScopedRouteConfiguration_Key_Fragment)[];
}

export interface _envoy_config_route_v3_ScopedRouteConfiguration_Key__Output {
  'fragments'?: (_envoy_config_route_v3_ScopedRouteConfiguration_Key_Fragment__Output)[];
}

export interface ScopedRouteConfiguration {
  'name'?: (string);
  'routeConfigurationName'?: (string);
  'key'?: (_envoy_config_route_v3_ScopedRouteConfiguration_Key | null);
  'onDemand'?: (boolean);
  'routeConfiguration'?: (_envoy_config_route_v3_RouteConfiguration | null);
}

export interface ScopedRouteConfiguration__Output {
  'name'?: (string);
  'routeConfigurationName'?: (string);
  'key'?: (_envoy_config_route_v3_ScopedRouteConfiguration_Key__Output);
  'onDemand'?: (boolean);
  'routeConfiguration'?: (_envoy_config_route_v3_RouteConfiguration__Output);
}
