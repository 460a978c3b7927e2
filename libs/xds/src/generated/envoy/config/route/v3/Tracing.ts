/* eslint-disable */
// Original file: envoy/config/route/v3/route_components.proto

import type { FractionalPercent as _envoy_type_v3_FractionalPercent, FractionalPercent__Output as _envoy_type_v3_FractionalPercent__Output } from '../../../../envoy/type/v3/FractionalPercent.ts';
import type { CustomTag as _envoy_type_tracing_v3_CustomTag, CustomTag__Output as _envoy_type_tracing_v3_CustomTag__Output } from '../../../../envoy/type/tracing/v3/CustomTag.ts';

export interface Tracing {
  'clientSampling'?: (_envoy_type_v3_FractionalPercent | null);
  'randomSampling'?: (_envoy_type_v3_FractionalPercent | null);
  'overallSampling'?: (_envoy_type_v3_FractionalPercent | null);
  'customTags'?: (_envoy_type_tracing_v3_CustomTag)[];
}

export interface Tracing__Output {
  'clientSampling'?: (_envoy_type_v3_FractionalPercent__Output);
  'randomSampling'?: (_envoy_type_v3_FractionalPercent__Output);
  'overallSampling'?: (_envoy_type_v3_FractionalPercent__Output);
  'customTags'?: (_envoy_type_tracing_v3_CustomTag__Output)[];
}
