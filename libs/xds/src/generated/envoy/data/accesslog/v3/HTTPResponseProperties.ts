/* eslint-disable */
// Original file: envoy/data/accesslog/v3/accesslog.proto

import type { UInt32Value as _google_protobuf_UInt32Value, UInt32Value__Output as _google_protobuf_UInt32Value__Output } from '../../../../google/protobuf/UInt32Value.ts';
import type { Long } from '@grpc/proto-loader';

export interface HTTPResponseProperties {
  'responseCode'?: (_google_protobuf_UInt32Value | null);
  'responseHeadersBytes'?: (number | string | Long);
  'responseBodyBytes'?: (number | string | Long);
  'responseHeaders'?: ({[key: string]: string});
  'responseTrailers'?: ({[key: string]: string});
  'responseCodeDetails'?: (string);
  'upstreamHeaderBytesReceived'?: (number | string | Long);
  'downstreamHeaderBytesSent'?: (number | string | Long);
}

export interface HTTPResponseProperties__Output {
  'responseCode'?: (_google_protobuf_UInt32Value__Output);
  'responseHeadersBytes'?: (string);
  'responseBodyBytes'?: (string);
  'responseHeaders'?: ({[key: string]: string});
  'responseTrailers'?: ({[key: string]: string});
  'responseCodeDetails'?: (string);
  'upstreamHeaderBytesReceived'?: (string);
  'downstreamHeaderBytesSent'?: (string);
}
