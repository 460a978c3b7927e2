/* eslint-disable */
// Original file: envoy/config/cluster/v3/outlier_detection.proto

import type { UInt32Value as _google_protobuf_UInt32Value, UInt32Value__Output as _google_protobuf_UInt32Value__Output } from '../../../../google/protobuf/UInt32Value.ts';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../../google/protobuf/Duration.ts';
import type { BoolValue as _google_protobuf_BoolValue, BoolValue__Output as _google_protobuf_BoolValue__Output } from '../../../../google/protobuf/BoolValue.ts';
import type { TypedExtensionConfig as _envoy_config_core_v3_TypedExtensionConfig, TypedExtensionConfig__Output as _envoy_config_core_v3_TypedExtensionConfig__Output } from '../../../../envoy/config/core/v3/TypedExtensionConfig.ts';

export interface OutlierDetection {
  'consecutive_5xx'?: (_google_protobuf_UInt32Value | null);
  'interval'?: (_google_protobuf_Duration | null);
  'baseEjectionTime'?: (_google_protobuf_Duration | null);
  'maxEjectionPercent'?: (_google_protobuf_UInt32Value | null);
  'enforcingConsecutive_5xx'?: (_google_protobuf_UInt32Value | null);
  'enforcingSuccessRate'?: (_google_protobuf_UInt32Value | null);
  'successRateMinimumHosts'?: (_google_protobuf_UInt32Value | null);
  'successRateRequestVolume'?: (_google_protobuf_UInt32Value | null);
  'successRateStdevFactor'?: (_google_protobuf_UInt32Value | null);
  'consecutiveGatewayFailure'?: (_google_protobuf_UInt32Value | null);
  'enforcingConsecutiveGatewayFailure'?: (_google_protobuf_UInt32Value | null);
  'splitExternalLocalOriginErrors'?: (boolean);
  'consecutiveLocalOriginFailure'?: (_google_protobuf_UInt32Value | null);
  'enforcingConsecutiveLocalOriginFailure'?: (_google_protobuf_UInt32Value | null);
  'enforcingLocalOriginSuccessRate'?: (_google_protobuf_UInt32Value | null);
  'failurePercentageThreshold'?: (_google_protobuf_UInt32Value | null);
  'enforcingFailurePercentage'?: (_google_protobuf_UInt32Value | null);
  'enforcingFailurePercentageLocalOrigin'?: (_google_protobuf_UInt32Value | null);
  'failurePercentageMinimumHosts'?: (_google_protobuf_UInt32Value | null);
  'failurePercentageRequestVolume'?: (_google_protobuf_UInt32Value | null);
  'maxEjectionTime'?: (_google_protobuf_Duration | null);
  'maxEjectionTimeJitter'?: (_google_protobuf_Duration | null);
  'successfulActiveHealthCheckUnejectHost'?: (_google_protobuf_BoolValue | null);
  'monitors'?: (_envoy_config_core_v3_TypedExtensionConfig)[];
  'alwaysEjectOneHost'?: (_google_protobuf_BoolValue | null);
}

export interface OutlierDetection__Output {
  'consecutive_5xx'?: (_google_protobuf_UInt32Value__Output);
  'interval'?: (_google_protobuf_Duration__Output);
  'baseEjectionTime'?: (_google_protobuf_Duration__Output);
  'maxEjectionPercent'?: (_google_protobuf_UInt32Value__Output);
  'enforcingConsecutive_5xx'?: (_google_protobuf_UInt32Value__Output);
  'enforcingSuccessRate'?: (_google_protobuf_UInt32Value__Output);
  'successRateMinimumHosts'?: (_google_protobuf_UInt32Value__Output);
  'successRateRequestVolume'?: (_google_protobuf_UInt32Value__Output);
  'successRateStdevFactor'?: (_google_protobuf_UInt32Value__Output);
  'consecutiveGatewayFailure'?: (_google_protobuf_UInt32Value__Output);
  'enforcingConsecutiveGatewayFailure'?: (_google_protobuf_UInt32Value__Output);
  'splitExternalLocalOriginErrors'?: (boolean);
  'consecutiveLocalOriginFailure'?: (_google_protobuf_UInt32Value__Output);
  'enforcingConsecutiveLocalOriginFailure'?: (_google_protobuf_UInt32Value__Output);
  'enforcingLocalOriginSuccessRate'?: (_google_protobuf_UInt32Value__Output);
  'failurePercentageThreshold'?: (_google_protobuf_UInt32Value__Output);
  'enforcingFailurePercentage'?: (_google_protobuf_UInt32Value__Output);
  'enforcingFailurePercentageLocalOrigin'?: (_google_protobuf_UInt32Value__Output);
  'failurePercentageMinimumHosts'?: (_google_protobuf_UInt32Value__Output);
  'failurePercentageRequestVolume'?: (_google_protobuf_UInt32Value__Output);
  'maxEjectionTime'?: (_google_protobuf_Duration__Output);
  'maxEjectionTimeJitter'?: (_google_protobuf_Duration__Output);
  'successfulActiveHealthCheckUnejectHost'?: (_google_protobuf_BoolValue__Output);
  'monitors'?: (_envoy_config_core_v3_TypedExtensionConfig__Output)[];
  'alwaysEjectOneHost'?: (_google_protobuf_BoolValue__Output);
}
