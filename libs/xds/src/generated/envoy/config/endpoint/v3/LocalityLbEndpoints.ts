/* eslint-disable */
// Original file: envoy/config/endpoint/v3/endpoint_components.proto

import type { Locality as _envoy_config_core_v3_Locality, Locality__Output as _envoy_config_core_v3_Locality__Output } from '../../../../envoy/config/core/v3/Locality.ts';
import type { LbEndpoint as _envoy_config_endpoint_v3_LbEndpoint, LbEndpoint__Output as _envoy_config_endpoint_v3_LbEndpoint__Output } from '../../../../envoy/config/endpoint/v3/LbEndpoint.ts';
import type { UInt32Value as _google_protobuf_UInt32Value, UInt32Value__Output as _google_protobuf_UInt32Value__Output } from '../../../../google/protobuf/UInt32Value.ts';
import type { LedsClusterLocalityConfig as _envoy_config_endpoint_v3_LedsClusterLocalityConfig, LedsClusterLocalityConfig__Output as _envoy_config_endpoint_v3_LedsClusterLocalityConfig__Output } from '../../../../envoy/config/endpoint/v3/LedsClusterLocalityConfig.ts';
import type { Metadata as _envoy_config_core_v3_Metadata, Metadata__Output as _envoy_config_core_v3_Metadata__Output } from '../../../../envoy/config/core/v3/Metadata.ts';

export interface _envoy_config_endpoint_v3_LocalityLbEndpoints_LbEndpointList {
  'lbEndpoints'?: (_envoy_config_endpoint_v3_LbEndpoint)[];
}

export interface _envoy_config_endpoint_v3_LocalityLbEndpoints_LbEndpointList__Output {
  'lbEndpoints'?: (_envoy_config_endpoint_v3_LbEndpoint__Output)[];
}

export interface LocalityLbEndpoints {
  'locality'?: (_envoy_config_core_v3_Locality | null);
  'lbEndpoints'?: (_envoy_config_endpoint_v3_LbEndpoint)[];
  'loadBalancingWeight'?: (_google_protobuf_UInt32Value | null);
  'priority'?: (number);
  'proximity'?: (_google_protobuf_UInt32Value | null);
  'loadBalancerEndpoints'?: (_envoy_config_endpoint_v3_LocalityLbEndpoints_LbEndpointList | null);
  'ledsClusterLocalityConfig'?: (_envoy_config_endpoint_v3_LedsClusterLocalityConfig | null);
  'metadata'?: (_envoy_config_core_v3_Metadata | null);
  'lbConfig'?: "loadBalancerEndpoints"|"ledsClusterLocalityConfig";
}

export interface LocalityLbEndpoints__Output {
  'locality'?: (_envoy_config_core_v3_Locality__Output);
  'lbEndpoints'?: (_envoy_config_endpoint_v3_LbEndpoint__Output)[];
  'loadBalancingWeight'?: (_google_protobuf_UInt32Value__Output);
  'priority'?: (number);
  'proximity'?: (_google_protobuf_UInt32Value__Output);
  'loadBalancerEndpoints'?: (_envoy_config_endpoint_v3_LocalityLbEndpoints_LbEndpointList__Output);
  'ledsClusterLocalityConfig'?: (_envoy_config_endpoint_v3_LedsClusterLocalityConfig__Output);
  'metadata'?: (_envoy_config_core_v3_Metadata__Output);
}
