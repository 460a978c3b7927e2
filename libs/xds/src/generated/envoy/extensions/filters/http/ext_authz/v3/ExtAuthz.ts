/* eslint-disable */
// Original file: envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto

import type { GrpcService as _envoy_config_core_v3_GrpcService, GrpcService__Output as _envoy_config_core_v3_GrpcService__Output } from '../../../../../../envoy/config/core/v3/GrpcService.ts';
import type { HttpService as _envoy_extensions_filters_http_ext_authz_v3_HttpService, HttpService__Output as _envoy_extensions_filters_http_ext_authz_v3_HttpService__Output } from '../../../../../../envoy/extensions/filters/http/ext_authz/v3/HttpService.ts';
import type { BufferSettings as _envoy_extensions_filters_http_ext_authz_v3_BufferSettings, BufferSettings__Output as _envoy_extensions_filters_http_ext_authz_v3_BufferSettings__Output } from '../../../../../../envoy/extensions/filters/http/ext_authz/v3/BufferSettings.ts';
import type { HttpStatus as _envoy_type_v3_HttpStatus, HttpStatus__Output as _envoy_type_v3_HttpStatus__Output } from '../../../../../../envoy/type/v3/HttpStatus.ts';
import type { RuntimeFractionalPercent as _envoy_config_core_v3_RuntimeFractionalPercent, RuntimeFractionalPercent__Output as _envoy_config_core_v3_RuntimeFractionalPercent__Output } from '../../../../../../envoy/config/core/v3/RuntimeFractionalPercent.ts';
import type { RuntimeFeatureFlag as _envoy_config_core_v3_RuntimeFeatureFlag, RuntimeFeatureFlag__Output as _envoy_config_core_v3_RuntimeFeatureFlag__Output } from '../../../../../../envoy/config/core/v3/RuntimeFeatureFlag.ts';
import type { ApiVersion as _envoy_config_core_v3_ApiVersion, ApiVersion__Output as _envoy_config_core_v3_ApiVersion__Output } from '../../../../../../envoy/config/core/v3/ApiVersion.ts';
import type { MetadataMatcher as _envoy_type_matcher_v3_MetadataMatcher, MetadataMatcher__Output as _envoy_type_matcher_v3_MetadataMatcher__Output } from '../../../../../../envoy/type/matcher/v3/MetadataMatcher.ts';
import type { ListStringMatcher as _envoy_type_matcher_v3_ListStringMatcher, ListStringMatcher__Output as _envoy_type_matcher_v3_ListStringMatcher__Output } from '../../../../../../envoy/type/matcher/v3/ListStringMatcher.ts';
import type { BoolValue as _google_protobuf_BoolValue, BoolValue__Output as _google_protobuf_BoolValue__Output } from '../../../../../../google/protobuf/BoolValue.ts';
import type { HeaderMutationRules as _envoy_config_common_mutation_rules_v3_HeaderMutationRules, HeaderMutationRules__Output as _envoy_config_common_mutation_rules_v3_HeaderMutationRules__Output } from '../../../../../../envoy/config/common/mutation_rules/v3/HeaderMutationRules.ts';

export interface ExtAuthz {
  'grpcService'?: (_envoy_config_core_v3_GrpcService | null);
  'failureModeAllow'?: (boolean);
  'httpService'?: (_envoy_extensions_filters_http_ext_authz_v3_HttpService | null);
  'withRequestBody'?: (_envoy_extensions_filters_http_ext_authz_v3_BufferSettings | null);
  'clearRouteCache'?: (boolean);
  'statusOnError'?: (_envoy_type_v3_HttpStatus | null);
  'metadataContextNamespaces'?: (string)[];
  'filterEnabled'?: (_envoy_config_core_v3_RuntimeFractionalPercent | null);
  'includePeerCertificate'?: (boolean);
  'denyAtDisable'?: (_envoy_config_core_v3_RuntimeFeatureFlag | null);
  'transportApiVersion'?: (_envoy_config_core_v3_ApiVersion);
  'statPrefix'?: (string);
  'filterEnabledMetadata'?: (_envoy_type_matcher_v3_MetadataMatcher | null);
  'bootstrapMetadataLabelsKey'?: (string);
  'typedMetadataContextNamespaces'?: (string)[];
  'allowedHeaders'?: (_envoy_type_matcher_v3_ListStringMatcher | null);
  'includeTlsSession'?: (boolean);
  'failureModeAllowHeaderAdd'?: (boolean);
  'chargeClusterResponseStats'?: (_google_protobuf_BoolValue | null);
  'routeMetadataContextNamespaces'?: (string)[];
  'routeTypedMetadataContextNamespaces'?: (string)[];
  'encodeRawHeaders'?: (boolean);
  'validateMutations'?: (boolean);
  'disallowedHeaders'?: (_envoy_type_matcher_v3_ListStringMatcher | null);
  'decoderHeaderMutationRules'?: (_envoy_config_common_mutation_rules_v3_HeaderMutationRules | null);
  'enableDynamicMetadataIngestion'?: (_google_protobuf_BoolValue | null);
  'services'?: "grpcService"|"httpService";
}

export interface ExtAuthz__Output {
  'grpcService'?: (_envoy_config_core_v3_GrpcService__Output);
  'failureModeAllow'?: (boolean);
  'httpService'?: (_envoy_extensions_filters_http_ext_authz_v3_HttpService__Output);
  'withRequestBody'?: (_envoy_extensions_filters_http_ext_authz_v3_BufferSettings__Output);
  'clearRouteCache'?: (boolean);
  'statusOnError'?: (_envoy_type_v3_HttpStatus__Output);
  'metadataContextNamespaces'?: (string)[];
  'filterEnabled'?: (_envoy_config_core_v3_RuntimeFractionalPercent__Output);
  'includePeerCertificate'?: (boolean);
  'denyAtDisable'?: (_envoy_config_core_v3_RuntimeFeatureFlag__Output);
  'transportApiVersion'?: (_envoy_config_core_v3_ApiVersion__Output);
  'statPrefix'?: (string);
  'filterEnabledMetadata'?: (_envoy_type_matcher_v3_MetadataMatcher__Output);
  'bootstrapMetadataLabelsKey'?: (string);
  'typedMetadataContextNamespaces'?: (string)[];
  'allowedHeaders'?: (_envoy_type_matcher_v3_ListStringMatcher__Output);
  'includeTlsSession'?: (boolean);
  'failureModeAllowHeaderAdd'?: (boolean);
  'chargeClusterResponseStats'?: (_google_protobuf_BoolValue__Output);
  'routeMetadataContextNamespaces'?: (string)[];
  'routeTypedMetadataContextNamespaces'?: (string)[];
  'encodeRawHeaders'?: (boolean);
  'validateMutations'?: (boolean);
  'disallowedHeaders'?: (_envoy_type_matcher_v3_ListStringMatcher__Output);
  'decoderHeaderMutationRules'?: (_envoy_config_common_mutation_rules_v3_HeaderMutationRules__Output);
  'enableDynamicMetadataIngestion'?: (_google_protobuf_BoolValue__Output);
}
