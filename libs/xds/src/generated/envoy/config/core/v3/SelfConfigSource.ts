/* eslint-disable */
// Original file: envoy/config/core/v3/config_source.proto

import type { ApiVersion as _envoy_config_core_v3_ApiVersion, ApiVersion__Output as _envoy_config_core_v3_ApiVersion__Output } from '../../../../envoy/config/core/v3/ApiVersion.ts';

export interface SelfConfigSource {
  'transportApiVersion'?: (_envoy_config_core_v3_ApiVersion);
}

export interface SelfConfigSource__Output {
  'transportApiVersion'?: (_envoy_config_core_v3_ApiVersion__Output);
}
