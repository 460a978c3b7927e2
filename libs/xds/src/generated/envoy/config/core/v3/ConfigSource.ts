/* eslint-disable */
// Original file: envoy/config/core/v3/config_source.proto

import type { ApiConfigSource as _envoy_config_core_v3_ApiConfigSource, ApiConfigSource__Output as _envoy_config_core_v3_ApiConfigSource__Output } from '../../../../envoy/config/core/v3/ApiConfigSource.ts';
import type { AggregatedConfigSource as _envoy_config_core_v3_AggregatedConfigSource, AggregatedConfigSource__Output as _envoy_config_core_v3_AggregatedConfigSource__Output } from '../../../../envoy/config/core/v3/AggregatedConfigSource.ts';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../../google/protobuf/Duration.ts';
import type { SelfConfigSource as _envoy_config_core_v3_SelfConfigSource, SelfConfigSource__Output as _envoy_config_core_v3_SelfConfigSource__Output } from '../../../../envoy/config/core/v3/SelfConfigSource.ts';
import type { ApiVersion as _envoy_config_core_v3_ApiVersion, ApiVersion__Output as _envoy_config_core_v3_ApiVersion__Output } from '../../../../envoy/config/core/v3/ApiVersion.ts';
import type { Authority as _xds_core_v3_Authority, Authority__Output as _xds_core_v3_Authority__Output } from '../../../../xds/core/v3/Authority.ts';
import type { PathConfigSource as _envoy_config_core_v3_PathConfigSource, PathConfigSource__Output as _envoy_config_core_v3_PathConfigSource__Output } from '../../../../envoy/config/core/v3/PathConfigSource.ts';

export interface ConfigSource {
  'path'?: (string);
  'apiConfigSource'?: (_envoy_config_core_v3_ApiConfigSource | null);
  'ads'?: (_envoy_config_core_v3_AggregatedConfigSource | null);
  'initialFetchTimeout'?: (_google_protobuf_Duration | null);
  'self'?: (_envoy_config_core_v3_SelfConfigSource | null);
  'resourceApiVersion'?: (_envoy_config_core_v3_ApiVersion);
  'authorities'?: (_xds_core_v3_Authority)[];
  'pathConfigSource'?: (_envoy_config_core_v3_PathConfigSource | null);
  'configSourceSpecifier'?: "path"|"pathConfigSource"|"apiConfigSource"|"ads"|"self";
}

export interface ConfigSource__Output {
  'path'?: (string);
  'apiConfigSource'?: (_envoy_config_core_v3_ApiConfigSource__Output);
  'ads'?: (_envoy_config_core_v3_AggregatedConfigSource__Output);
  'initialFetchTimeout'?: (_google_protobuf_Duration__Output);
  'self'?: (_envoy_config_core_v3_SelfConfigSource__Output);
  'resourceApiVersion'?: (_envoy_config_core_v3_ApiVersion__Output);
  'authorities'?: (_xds_core_v3_Authority__Output)[];
  'pathConfigSource'?: (_envoy_config_core_v3_PathConfigSource__Output);
}
