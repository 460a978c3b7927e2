/* eslint-disable */
// Original file: envoy/extensions/access_loggers/stream/v3/stream.proto

import type { SubstitutionFormatString as _envoy_config_core_v3_SubstitutionFormatString, SubstitutionFormatString__Output as _envoy_config_core_v3_SubstitutionFormatString__Output } from '../../../../../envoy/config/core/v3/SubstitutionFormatString.ts';

export interface StdoutAccessLog {
  'logFormat'?: (_envoy_config_core_v3_SubstitutionFormatString | null);
  'accessLogFormat'?: "logFormat";
}

export interface StdoutAccessLog__Output {
  'logFormat'?: (_envoy_config_core_v3_SubstitutionFormatString__Output);
}
