/* eslint-disable */
// Original file: envoy/extensions/transport_sockets/tls/v3/common.proto

import type { Any as _google_protobuf_Any, Any__Output as _google_protobuf_Any__Output } from '../../../../../google/protobuf/Any.ts';

export interface PrivateKeyProvider {
  'providerName'?: (string);
  'typedConfig'?: (_google_protobuf_Any | null);
  'fallback'?: (boolean);
  'configType'?: "typedConfig";
}

export interface PrivateKeyProvider__Output {
  'providerName'?: (string);
  'typedConfig'?: (_google_protobuf_Any__Output);
  'fallback'?: (boolean);
}
