/* eslint-disable */
// Original file: envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto

import type { BoolValue as _google_protobuf_BoolValue, BoolValue__Output as _google_protobuf_BoolValue__Output } from '../../../../../../google/protobuf/BoolValue.ts';
import type { UInt32Value as _google_protobuf_UInt32Value, UInt32Value__Output as _google_protobuf_UInt32Value__Output } from '../../../../../../google/protobuf/UInt32Value.ts';

export interface TlsInspector {
  'enableJa3Fingerprinting'?: (_google_protobuf_BoolValue | null);
  'initialReadBufferSize'?: (_google_protobuf_UInt32Value | null);
}

export interface TlsInspector__Output {
  'enableJa3Fingerprinting'?: (_google_protobuf_BoolValue__Output);
  'initialReadBufferSize'?: (_google_protobuf_UInt32Value__Output);
}
