/* eslint-disable */
// Original file: envoy/extensions/transport_sockets/tls/v3/tls.proto

import type { CidrRange as _envoy_config_core_v3_CidrRange, CidrRange__Output as _envoy_config_core_v3_CidrRange__Output } from '../../../../../envoy/config/core/v3/CidrRange.ts';

export interface TlsKeyLog {
  'path'?: (string);
  'localAddressRange'?: (_envoy_config_core_v3_CidrRange)[];
  'remoteAddressRange'?: (_envoy_config_core_v3_CidrRange)[];
}

export interface TlsKeyLog__Output {
  'path'?: (string);
  'localAddressRange'?: (_envoy_config_core_v3_CidrRange__Output)[];
  'remoteAddressRange'?: (_envoy_config_core_v3_CidrRange__Output)[];
}
