/* eslint-disable */
// Original file: envoy/service/status/v3/csds.proto

import type { Node as _envoy_config_core_v3_Node, Node__Output as _envoy_config_core_v3_Node__Output } from '../../../../envoy/config/core/v3/Node.ts';
import type { PerXdsConfig as _envoy_service_status_v3_PerXdsConfig, PerXdsConfig__Output as _envoy_service_status_v3_PerXdsConfig__Output } from '../../../../envoy/service/status/v3/PerXdsConfig.ts';
import type { Any as _google_protobuf_Any, Any__Output as _google_protobuf_Any__Output } from '../../../../google/protobuf/Any.ts';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../../../google/protobuf/Timestamp.ts';
import type { ConfigStatus as _envoy_service_status_v3_ConfigStatus, ConfigStatus__Output as _envoy_service_status_v3_ConfigStatus__Output } from '../../../../envoy/service/status/v3/ConfigStatus.ts';
import type { ClientResourceStatus as _envoy_admin_v3_ClientResourceStatus, ClientResourceStatus__Output as _envoy_admin_v3_ClientResourceStatus__Output } from '../../../../envoy/admin/v3/ClientResourceStatus.ts';
import type { UpdateFailureState as _envoy_admin_v3_UpdateFailureState, UpdateFailureState__Output as _envoy_admin_v3_UpdateFailureState__Output } from '../../../../envoy/admin/v3/UpdateFailureState.ts';

export interface _envoy_service_status_v3_ClientConfig_GenericXdsConfig {
  'typeUrl'?: (string);
  'name'?: (string);
  'versionInfo'?: (string);
  'xdsConfig'?: (_google_protobuf_Any | null);
  'lastUpdated'?: (_google_protobuf_Timestamp | null);
  'configStatus'?: (_envoy_service_status_v3_ConfigStatus);
  'clientStatus'?: (_envoy_admin_v3_ClientResourceStatus);
  'errorState'?: (_envoy_admin_v3_UpdateFailureState | null);
  'isStaticResource'?: (boolean);
}

export interface _envoy_service_status_v3_ClientConfig_GenericXdsConfig__Output {
  'typeUrl'?: (string);
  'name'?: (string);
  'versionInfo'?: (string);
  'xdsConfig'?: (_google_protobuf_Any__Output);
  'lastUpdated'?: (_google_protobuf_Timestamp__Output);
  'configStatus'?: (_envoy_service_status_v3_ConfigStatus__Output);
  'clientStatus'?: (_envoy_admin_v3_ClientResourceStatus__Output);
  'errorState'?: (_envoy_admin_v3_UpdateFailureState__Output);
  'isStaticResource'?: (boolean);
}

export interface ClientConfig {
  'node'?: (_envoy_config_core_v3_Node | null);
  'xdsConfig'?: (_envoy_service_status_v3_PerXdsConfig)[];
  'genericXdsConfigs'?: (_envoy_service_status_v3_ClientConfig_GenericXdsConfig)[];
  'clientScope'?: (string);
}

export interface ClientConfig__Output {
  'node'?: (_envoy_config_core_v3_Node__Output);
  'xdsConfig'?: (_envoy_service_status_v3_PerXdsConfig__Output)[];
  'genericXdsConfigs'?: (_envoy_service_status_v3_ClientConfig_GenericXdsConfig__Output)[];
  'clientScope'?: (string);
}
