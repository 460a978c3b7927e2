/* eslint-disable */
// Original file: envoy/config/endpoint/v3/endpoint_components.proto

import type { Address as _envoy_config_core_v3_Address, Address__Output as _envoy_config_core_v3_Address__Output } from '../../../../envoy/config/core/v3/Address.ts';

export interface _envoy_config_endpoint_v3_Endpoint_AdditionalAddress {
  'address'?: (_envoy_config_core_v3_Address | null);
}

export interface _envoy_config_endpoint_v3_Endpoint_AdditionalAddress__Output {
  'address'?: (_envoy_config_core_v3_Address__Output);
}

export interface _envoy_config_endpoint_v3_Endpoint_HealthCheckConfig {
  'portValue'?: (number);
  'hostname'?: (string);
  'address'?: (_envoy_config_core_v3_Address | null);
  'disableActiveHealthCheck'?: (boolean);
}

export interface _envoy_config_endpoint_v3_Endpoint_HealthCheckConfig__Output {
  'portValue'?: (number);
  'hostname'?: (string);
  'address'?: (_envoy_config_core_v3_Address__Output);
  'disableActiveHealthCheck'?: (boolean);
}

export interface Endpoint {
  'address'?: (_envoy_config_core_v3_Address | null);
  'healthCheckConfig'?: (_envoy_config_endpoint_v3_Endpoint_HealthCheckConfig | null);
  'hostname'?: (string);
  'additionalAddresses'?: (_envoy_config_endpoint_v3_Endpoint_AdditionalAddress)[];
}

export interface Endpoint__Output {
  'address'?: (_envoy_config_core_v3_Address__Output);
  'healthCheckConfig'?: (_envoy_config_endpoint_v3_Endpoint_HealthCheckConfig__Output);
  'hostname'?: (string);
  'additionalAddresses'?: (_envoy_config_endpoint_v3_Endpoint_AdditionalAddress__Output)[];
}
