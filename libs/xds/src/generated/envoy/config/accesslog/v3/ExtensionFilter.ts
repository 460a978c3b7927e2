/* eslint-disable */
// Original file: envoy/config/accesslog/v3/accesslog.proto

import type { Any as _google_protobuf_Any, Any__Output as _google_protobuf_Any__Output } from '../../../../google/protobuf/Any.ts';

export interface ExtensionFilter {
  'name'?: (string);
  'typedConfig'?: (_google_protobuf_Any | null);
  'configType'?: "typedConfig";
}

export interface ExtensionFilter__Output {
  'name'?: (string);
  'typedConfig'?: (_google_protobuf_Any__Output);
}
