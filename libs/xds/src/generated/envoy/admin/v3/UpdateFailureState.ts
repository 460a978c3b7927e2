/* eslint-disable */
// Original file: envoy/admin/v3/config_dump_shared.proto

import type { Any as _google_protobuf_Any, Any__Output as _google_protobuf_Any__Output } from '../../../google/protobuf/Any.ts';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../../google/protobuf/Timestamp.ts';

export interface UpdateFailureState {
  'failedConfiguration'?: (_google_protobuf_Any | null);
  'lastUpdateAttempt'?: (_google_protobuf_Timestamp | null);
  'details'?: (string);
  'versionInfo'?: (string);
}

export interface UpdateFailureState__Output {
  'failedConfiguration'?: (_google_protobuf_Any__Output);
  'lastUpdateAttempt'?: (_google_protobuf_Timestamp__Output);
  'details'?: (string);
  'versionInfo'?: (string);
}
