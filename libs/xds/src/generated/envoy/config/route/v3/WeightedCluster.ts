/* eslint-disable */
// Original file: envoy/config/route/v3/route_components.proto

import type { UInt32Value as _google_protobuf_UInt32Value, UInt32Value__Output as _google_protobuf_UInt32Value__Output } from '../../../../google/protobuf/UInt32Value.ts';
import type { Metadata as _envoy_config_core_v3_Metadata, Metadata__Output as _envoy_config_core_v3_Metadata__Output } from '../../../../envoy/config/core/v3/Metadata.ts';
import type { HeaderValueOption as _envoy_config_core_v3_HeaderValueOption, HeaderValueOption__Output as _envoy_config_core_v3_HeaderValueOption__Output } from '../../../../envoy/config/core/v3/HeaderValueOption.ts';
import type { Any as _google_protobuf_Any, Any__Output as _google_protobuf_Any__Output } from '../../../../google/protobuf/Any.ts';

export interface _envoy_config_route_v3_WeightedCluster_ClusterWeight {
  'name'?: (string);
  'clusterHeader'?: (string);
  'weight'?: (_google_protobuf_UInt32Value | null);
  'metadataMatch'?: (_envoy_config_core_v3_Metadata | null);
  'requestHeadersToAdd'?: (_envoy_config_core_v3_HeaderValueOption)[];
  'requestHeadersToRemove'?: (string)[];
  'responseHeadersToAdd'?: (_envoy_config_core_v3_HeaderValueOption)[];
  'responseHeadersToRemove'?: (string)[];
  'typedPerFilterConfig'?: ({[key: string]: _google_protobuf_Any});
  'hostRewriteLiteral'?: (string);
  'hostRewriteSpecifier'?: "hostRewriteLiteral";
}

export interface _envoy_config_route_v3_WeightedCluster_ClusterWeight__Output {
  'name'?: (string);
  'clusterHeader'?: (string);
  'weight'?: (_google_protobuf_UInt32Value__Output);
  'metadataMatch'?: (_envoy_config_core_v3_Metadata__Output);
  'requestHeadersToAdd'?: (_envoy_config_core_v3_HeaderValueOption__Output)[];
  'requestHeadersToRemove'?: (string)[];
  'responseHeadersToAdd'?: (_envoy_config_core_v3_HeaderValueOption__Output)[];
  'responseHeadersToRemove'?: (string)[];
  'typedPerFilterConfig'?: ({[key: string]: _google_protobuf_Any__Output});
  'hostRewriteLiteral'?: (string);
}

export interface WeightedCluster {
  'clusters'?: (_envoy_config_route_v3_WeightedCluster_ClusterWeight)[];
  'runtimeKeyPrefix'?: (string);
  'totalWeight'?: (_google_protobuf_UInt32Value | null);
  'headerName'?: (string);
  'randomValueSpecifier'?: "headerName";
}

export interface WeightedCluster__Output {
  'clusters'?: (_envoy_config_route_v3_WeightedCluster_ClusterWeight__Output)[];
  'runtimeKeyPrefix'?: (string);
  'totalWeight'?: (_google_protobuf_UInt32Value__Output);
  'headerName'?: (string);
}
