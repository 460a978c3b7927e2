/* eslint-disable */
// Original file: envoy/extensions/access_loggers/file/v3/file.proto

import type { Struct as _google_protobuf_Struct, Struct__Output as _google_protobuf_Struct__Output } from '../../../../../google/protobuf/Struct.ts';
import type { SubstitutionFormatString as _envoy_config_core_v3_SubstitutionFormatString, SubstitutionFormatString__Output as _envoy_config_core_v3_SubstitutionFormatString__Output } from '../../../../../envoy/config/core/v3/SubstitutionFormatString.ts';

export interface FileAccessLog {
  'path'?: (string);
  'format'?: (string);
  'jsonFormat'?: (_google_protobuf_Struct | null);
  'typedJsonFormat'?: (_google_protobuf_Struct | null);
  'logFormat'?: (_envoy_config_core_v3_SubstitutionFormatString | null);
  'accessLogFormat'?: "format"|"jsonFormat"|"typedJsonFormat"|"logFormat";
}

export interface FileAccessLog__Output {
  'path'?: (string);
  'format'?: (string);
  'jsonFormat'?: (_google_protobuf_Struct__Output);
  'typedJsonFormat'?: (_google_protobuf_Struct__Output);
  'logFormat'?: (_envoy_config_core_v3_SubstitutionFormatString__Output);
}
