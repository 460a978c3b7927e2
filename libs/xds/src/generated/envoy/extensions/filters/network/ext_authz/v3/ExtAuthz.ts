/* eslint-disable */
// Original file: envoy/extensions/filters/network/ext_authz/v3/ext_authz.proto

import type { GrpcService as _envoy_config_core_v3_GrpcService, GrpcService__Output as _envoy_config_core_v3_GrpcService__Output } from '../../../../../../envoy/config/core/v3/GrpcService.ts';
import type { ApiVersion as _envoy_config_core_v3_ApiVersion, ApiVersion__Output as _envoy_config_core_v3_ApiVersion__Output } from '../../../../../../envoy/config/core/v3/ApiVersion.ts';
import type { MetadataMatcher as _envoy_type_matcher_v3_MetadataMatcher, MetadataMatcher__Output as _envoy_type_matcher_v3_MetadataMatcher__Output } from '../../../../../../envoy/type/matcher/v3/MetadataMatcher.ts';

export interface ExtAuthz {
  'statPrefix'?: (string);
  'grpcService'?: (_envoy_config_core_v3_GrpcService | null);
  'failureModeAllow'?: (boolean);
  'includePeerCertificate'?: (boolean);
  'transportApiVersion'?: (_envoy_config_core_v3_ApiVersion);
  'filterEnabledMetadata'?: (_envoy_type_matcher_v3_MetadataMatcher | null);
  'bootstrapMetadataLabelsKey'?: (string);
  'includeTlsSession'?: (boolean);
}

export interface ExtAuthz__Output {
  'statPrefix'?: (string);
  'grpcService'?: (_envoy_config_core_v3_GrpcService__Output);
  'failureModeAllow'?: (boolean);
  'includePeerCertificate'?: (boolean);
  'transportApiVersion'?: (_envoy_config_core_v3_ApiVersion__Output);
  'filterEnabledMetadata'?: (_envoy_type_matcher_v3_MetadataMatcher__Output);
  'bootstrapMetadataLabelsKey'?: (string);
  'includeTlsSession'?: (boolean);
}
