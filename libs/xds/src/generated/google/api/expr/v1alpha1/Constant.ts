/* eslint-disable */
// Original file: google/api/expr/v1alpha1/syntax.proto

import type { NullValue as _google_protobuf_NullValue, NullValue__Output as _google_protobuf_NullValue__Output } from '../../../../google/protobuf/NullValue.ts';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../../google/protobuf/Duration.ts';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../../../google/protobuf/Timestamp.ts';
import type { Long } from '@grpc/proto-loader';

export interface Constant {
  'nullValue'?: (_google_protobuf_NullValue);
  'boolValue'?: (boolean);
  'int64Value'?: (number | string | Long);
  'uint64Value'?: (number | string | Long);
  'doubleValue'?: (number | string);
  'stringValue'?: (string);
  'bytesValue'?: (Buffer | Uint8Array | string);
  'durationValue'?: (_google_protobuf_Duration | null);
  'timestampValue'?: (_google_protobuf_Timestamp | null);
  'constantKind'?: "nullValue"|"boolValue"|"int64Value"|"uint64Value"|"doubleValue"|"stringValue"|"bytesValue"|"durationValue"|"timestampValue";
}

export interface Constant__Output {
  'nullValue'?: (_google_protobuf_NullValue__Output);
  'boolValue'?: (boolean);
  'int64Value'?: (string);
  'uint64Value'?: (string);
  'doubleValue'?: (number | string);
  'stringValue'?: (string);
  'bytesValue'?: (Buffer);
  'durationValue'?: (_google_protobuf_Duration__Output);
  'timestampValue'?: (_google_protobuf_Timestamp__Output);
}
