/* eslint-disable */
// Original file: envoy/config/endpoint/v3/endpoint.proto

import type { LocalityLbEndpoints as _envoy_config_endpoint_v3_LocalityLbEndpoints, LocalityLbEndpoints__Output as _envoy_config_endpoint_v3_LocalityLbEndpoints__Output } from '../../../../envoy/config/endpoint/v3/LocalityLbEndpoints.ts';
import type { Endpoint as _envoy_config_endpoint_v3_Endpoint, Endpoint__Output as _envoy_config_endpoint_v3_Endpoint__Output } from '../../../../envoy/config/endpoint/v3/Endpoint.ts';
import type { UInt32Value as _google_protobuf_UInt32Value, UInt32Value__Output as _google_protobuf_UInt32Value__Output } from '../../../../google/protobuf/UInt32Value.ts';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../../google/protobuf/Duration.ts';
import type { FractionalPercent as _envoy_type_v3_FractionalPercent, FractionalPercent__Output as _envoy_type_v3_FractionalPercent__Output } from '../../../../envoy/type/v3/FractionalPercent.ts';

export interface _envoy_config_endpoint_v3_ClusterLoadAssignment_Policy_DropOverload {
  'category'?: (string);
  'dropPercentage'?: (_envoy_type_v3_FractionalPercent | null);
}

export interface _envoy_config_endpoint_v3_ClusterLoadAssignment_Policy_DropOverload__Output {
  'category'?: (string);
  'dropPercentage'?: (_envoy_type_v3_FractionalPercent__Output);
}

export interface _envoy_config_endpoint_v3_ClusterLoadAssignment_Policy {
  'dropOverloads'?: (_envoy_config_endpoint_v3_ClusterLoadAssignment_Policy_DropOverload)[];
  'overprovisioningFactor'?: (_google_protobuf_UInt32Value | null);
  'endpointStaleAfter'?: (_google_protobuf_Duration | null);
  'weightedPriorityHealth'?: (boolean);
}

export interface _envoy_config_endpoint_v3_ClusterLoadAssignment_Policy__Output {
  'dropOverloads'?: (_envoy_config_endpoint_v3_ClusterLoadAssignment_Policy_DropOverload__Output)[];
  'overprovisioningFactor'?: (_google_protobuf_UInt32Value__Output);
  'endpointStaleAfter'?: (_google_protobuf_Duration__Output);
  'weightedPriorityHealth'?: (boolean);
}

export interface ClusterLoadAssignment {
  'clusterName'?: (string);
  'endpoints'?: (_envoy_config_endpoint_v3_LocalityLbEndpoints)[];
  'policy'?: (_envoy_config_endpoint_v3_ClusterLoadAssignment_Policy | null);
  'namedEndpoints'?: ({[key: string]: _envoy_config_endpoint_v3_Endpoint});
}

export interface ClusterLoadAssignment__Output {
  'clusterName'?: (string);
  'endpoints'?: (_envoy_config_endpoint_v3_LocalityLbEndpoints__Output)[];
  'policy'?: (_envoy_config_endpoint_v3_ClusterLoadAssignment_Policy__Output);
  'namedEndpoints'?: ({[key: string]: _envoy_config_endpoint_v3_Endpoint__Output});
}
