/* eslint-disable */
// Original file: xds/core/v3/extension.proto

import type { Any as _google_protobuf_Any, Any__Output as _google_protobuf_Any__Output } from '../../../google/protobuf/Any.ts';

export interface TypedExtensionConfig {
  'name'?: (string);
  'typedConfig'?: (_google_protobuf_Any | null);
}

export interface TypedExtensionConfig__Output {
  'name'?: (string);
  'typedConfig'?: (_google_protobuf_Any__Output);
}
