/* eslint-disable */
// Original file: envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto

import type { Any as _google_protobuf_Any, Any__Output as _google_protobuf_Any__Output } from '../../../../../../google/protobuf/Any.ts';
import type { ExtensionConfigSource as _envoy_config_core_v3_ExtensionConfigSource, ExtensionConfigSource__Output as _envoy_config_core_v3_ExtensionConfigSource__Output } from '../../../../../../envoy/config/core/v3/ExtensionConfigSource.ts';

export interface HttpFilter {
  'name'?: (string);
  'typedConfig'?: (_google_protobuf_Any | null);
  'configDiscovery'?: (_envoy_config_core_v3_ExtensionConfigSource | null);
  'isOptional'?: (boolean);
  'disabled'?: (boolean);
  'configType'?: "typedConfig"|"configDiscovery";
}

export interface HttpFilter__Output {
  'name'?: (string);
  'typedConfig'?: (_google_protobuf_Any__Output);
  'configDiscovery'?: (_envoy_config_core_v3_ExtensionConfigSource__Output);
  'isOptional'?: (boolean);
  'disabled'?: (boolean);
}
