/* eslint-disable */
// Original file: udpa/type/v1/typed_struct.proto

import type { Struct as _google_protobuf_Struct, Struct__Output as _google_protobuf_Struct__Output } from '../../../google/protobuf/Struct.ts';

export interface TypedStruct {
  'typeUrl'?: (string);
  'value'?: (_google_protobuf_Struct | null);
}

export interface TypedStruct__Output {
  'typeUrl'?: (string);
  'value'?: (_google_protobuf_Struct__Output);
}
