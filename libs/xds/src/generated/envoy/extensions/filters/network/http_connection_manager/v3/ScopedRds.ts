/* eslint-disable */
// Original file: envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto

import type { ConfigSource as _envoy_config_core_v3_ConfigSource, ConfigSource__Output as _envoy_config_core_v3_ConfigSource__Output } from '../../../../../../envoy/config/core/v3/ConfigSource.ts';

export interface ScopedRds {
  'scopedRdsConfigSource'?: (_envoy_config_core_v3_ConfigSource | null);
  'srdsResourcesLocator'?: (string);
}

export interface ScopedRds__Output {
  'scopedRdsConfigSource'?: (_envoy_config_core_v3_ConfigSource__Output);
  'srdsResourcesLocator'?: (string);
}
