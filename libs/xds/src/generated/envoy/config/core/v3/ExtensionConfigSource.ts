/* eslint-disable */
// Original file: envoy/config/core/v3/config_source.proto

import type { ConfigSource as _envoy_config_core_v3_ConfigSource, ConfigSource__Output as _envoy_config_core_v3_ConfigSource__Output } from '../../../../envoy/config/core/v3/ConfigSource.ts';
import type { Any as _google_protobuf_Any, Any__Output as _google_protobuf_Any__Output } from '../../../../google/protobuf/Any.ts';

export interface ExtensionConfigSource {
  'configSource'?: (_envoy_config_core_v3_ConfigSource | null);
  'defaultConfig'?: (_google_protobuf_Any | null);
  'applyDefaultConfigWithoutWarming'?: (boolean);
  'typeUrls'?: (string)[];
}

export interface ExtensionConfigSource__Output {
  'configSource'?: (_envoy_config_core_v3_ConfigSource__Output);
  'defaultConfig'?: (_google_protobuf_Any__Output);
  'applyDefaultConfigWithoutWarming'?: (boolean);
  'typeUrls'?: (string)[];
}
