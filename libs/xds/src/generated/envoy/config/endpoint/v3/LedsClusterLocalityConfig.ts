/* eslint-disable */
// Original file: envoy/config/endpoint/v3/endpoint_components.proto

import type { ConfigSource as _envoy_config_core_v3_ConfigSource, ConfigSource__Output as _envoy_config_core_v3_ConfigSource__Output } from '../../../../envoy/config/core/v3/ConfigSource.ts';

export interface LedsClusterLocalityConfig {
  'ledsConfig'?: (_envoy_config_core_v3_ConfigSource | null);
  'ledsCollectionName'?: (string);
}

export interface LedsClusterLocalityConfig__Output {
  'ledsConfig'?: (_envoy_config_core_v3_ConfigSource__Output);
  'ledsCollectionName'?: (string);
}
