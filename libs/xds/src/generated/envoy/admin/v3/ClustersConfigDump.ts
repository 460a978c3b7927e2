/* eslint-disable */
// Original file: envoy/admin/v3/config_dump_shared.proto

import type { Any as _google_protobuf_Any, Any__Output as _google_protobuf_Any__Output } from '../../../google/protobuf/Any.ts';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../../google/protobuf/Timestamp.ts';
import type { UpdateFailureState as _envoy_admin_v3_UpdateFailureState, UpdateFailureState__Output as _envoy_admin_v3_UpdateFailureState__Output } from '../../../envoy/admin/v3/UpdateFailureState.ts';
import type { ClientResourceStatus as _envoy_admin_v3_ClientResourceStatus, ClientResourceStatus__Output as _envoy_admin_v3_ClientResourceStatus__Output } from '../../../envoy/admin/v3/ClientResourceStatus.ts';

export interface _envoy_admin_v3_ClustersConfigDump_DynamicCluster {
  'versionInfo'?: (string);
  'cluster'?: (_google_protobuf_Any | null);
  'lastUpdated'?: (_google_protobuf_Timestamp | null);
  'errorState'?: (_envoy_admin_v3_UpdateFailureState | null);
  'clientStatus'?: (_envoy_admin_v3_ClientResourceStatus);
}

export interface _envoy_admin_v3_ClustersConfigDump_DynamicCluster__Output {
  'versionInfo'?: (string);
  'cluster'?: (_google_protobuf_Any__Output);
  'lastUpdated'?: (_google_protobuf_Timestamp__Output);
  'errorState'?: (_envoy_admin_v3_UpdateFailureState__Output);
  'clientStatus'?: (_envoy_admin_v3_ClientResourceStatus__Output);
}

export interface _envoy_admin_v3_ClustersConfigDump_StaticCluster {
  'cluster'?: (_google_protobuf_Any | null);
  'lastUpdated'?: (_google_protobuf_Timestamp | null);
}

export interface _envoy_admin_v3_ClustersConfigDump_StaticCluster__Output {
  'cluster'?: (_google_protobuf_Any__Output);
  'lastUpdated'?: (_google_protobuf_Timestamp__Output);
}

export interface ClustersConfigDump {
  'versionInfo'?: (string);
  'staticClusters'?: (_envoy_admin_v3_ClustersConfigDump_StaticCluster)[];
  'dynamicActiveClusters'?: (_envoy_admin_v3_ClustersConfigDump_DynamicCluster)[];
  'dynamicWarmingClusters'?: (_envoy_admin_v3_ClustersConfigDump_DynamicCluster)[];
}

export interface ClustersConfigDump__Output {
  'versionInfo'?: (string);
  'staticClusters'?: (_envoy_admin_v3_ClustersConfigDump_StaticCluster__Output)[];
  'dynamicActiveClusters'?: (_envoy_admin_v3_ClustersConfigDump_DynamicCluster__Output)[];
  'dynamicWarmingClusters'?: (_envoy_admin_v3_ClustersConfigDump_DynamicCluster__Output)[];
}
