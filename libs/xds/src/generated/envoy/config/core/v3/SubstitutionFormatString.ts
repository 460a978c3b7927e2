/* eslint-disable */
// Original file: envoy/config/core/v3/substitution_format_string.proto

import type { Struct as _google_protobuf_Struct, Struct__Output as _google_protobuf_Struct__Output } from '../../../../google/protobuf/Struct.ts';
import type { DataSource as _envoy_config_core_v3_DataSource, DataSource__Output as _envoy_config_core_v3_DataSource__Output } from '../../../../envoy/config/core/v3/DataSource.ts';
import type { TypedExtensionConfig as _envoy_config_core_v3_TypedExtensionConfig, TypedExtensionConfig__Output as _envoy_config_core_v3_TypedExtensionConfig__Output } from '../../../../envoy/config/core/v3/TypedExtensionConfig.ts';
import type { JsonFormatOptions as _envoy_config_core_v3_JsonFormatOptions, JsonFormatOptions__Output as _envoy_config_core_v3_JsonFormatOptions__Output } from '../../../../envoy/config/core/v3/JsonFormatOptions.ts';

export interface SubstitutionFormatString {
  'textFormat'?: (string);
  'jsonFormat'?: (_google_protobuf_Struct | null);
  'omitEmptyValues'?: (boolean);
  'contentType'?: (string);
  'textFormatSource'?: (_envoy_config_core_v3_DataSource | null);
  'formatters'?: (_envoy_config_core_v3_TypedExtensionConfig)[];
  'jsonFormatOptions'?: (_envoy_config_core_v3_JsonFormatOptions | null);
  'format'?: "textFormat"|"jsonFormat"|"textFormatSource";
}

export interface SubstitutionFormatString__Output {
  'textFormat'?: (string);
  'jsonFormat'?: (_google_protobuf_Struct__Output);
  'omitEmptyValues'?: (boolean);
  'contentType'?: (string);
  'textFormatSource'?: (_envoy_config_core_v3_DataSource__Output);
  'formatters'?: (_envoy_config_core_v3_TypedExtensionConfig__Output)[];
  'jsonFormatOptions'?: (_envoy_config_core_v3_JsonFormatOptions__Output);
}
