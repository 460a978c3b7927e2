/* eslint-disable */
// Original file: envoy/config/route/v3/route_components.proto

import type { UInt32Value as _google_protobuf_UInt32Value, UInt32Value__Output as _google_protobuf_UInt32Value__Output } from '../../../../google/protobuf/UInt32Value.ts';
import type { FractionalPercent as _envoy_type_v3_FractionalPercent, FractionalPercent__Output as _envoy_type_v3_FractionalPercent__Output } from '../../../../envoy/type/v3/FractionalPercent.ts';

export interface HedgePolicy {
  'initialRequests'?: (_google_protobuf_UInt32Value | null);
  'additionalRequestChance'?: (_envoy_type_v3_FractionalPercent | null);
  'hedgeOnPerTryTimeout'?: (boolean);
}

export interface HedgePolicy__Output {
  'initialRequests'?: (_google_protobuf_UInt32Value__Output);
  'additionalRequestChance'?: (_envoy_type_v3_FractionalPercent__Output);
  'hedgeOnPerTryTimeout'?: (boolean);
}
