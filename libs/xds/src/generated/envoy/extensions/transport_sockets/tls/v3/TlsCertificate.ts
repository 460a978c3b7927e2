/* eslint-disable */
// Original file: envoy/extensions/transport_sockets/tls/v3/common.proto

import type { DataSource as _envoy_config_core_v3_DataSource, DataSource__Output as _envoy_config_core_v3_DataSource__Output } from '../../../../../envoy/config/core/v3/DataSource.ts';
import type { PrivateKeyProvider as _envoy_extensions_transport_sockets_tls_v3_PrivateKeyProvider, PrivateKeyProvider__Output as _envoy_extensions_transport_sockets_tls_v3_PrivateKeyProvider__Output } from '../../../../../envoy/extensions/transport_sockets/tls/v3/PrivateKeyProvider.ts';
import type { WatchedDirectory as _envoy_config_core_v3_WatchedDirectory, WatchedDirectory__Output as _envoy_config_core_v3_WatchedDirectory__Output } from '../../../../../envoy/config/core/v3/WatchedDirectory.ts';

export interface TlsCertificate {
  'certificateChain'?: (_envoy_config_core_v3_DataSource | null);
  'privateKey'?: (_envoy_config_core_v3_DataSource | null);
  'password'?: (_envoy_config_core_v3_DataSource | null);
  'ocspStaple'?: (_envoy_config_core_v3_DataSource | null);
  'signedCertificateTimestamp'?: (_envoy_config_core_v3_DataSource)[];
  'privateKeyProvider'?: (_envoy_extensions_transport_sockets_tls_v3_PrivateKeyProvider | null);
  'watchedDirectory'?: (_envoy_config_core_v3_WatchedDirectory | null);
  'pkcs12'?: (_envoy_config_core_v3_DataSource | null);
}

export interface TlsCertificate__Output {
  'certificateChain'?: (_envoy_config_core_v3_DataSource__Output);
  'privateKey'?: (_envoy_config_core_v3_DataSource__Output);
  'password'?: (_envoy_config_core_v3_DataSource__Output);
  'ocspStaple'?: (_envoy_config_core_v3_DataSource__Output);
  'signedCertificateTimestamp'?: (_envoy_config_core_v3_DataSource__Output)[];
  'privateKeyProvider'?: (_envoy_extensions_transport_sockets_tls_v3_PrivateKeyProvider__Output);
  'watchedDirectory'?: (_envoy_config_core_v3_WatchedDirectory__Output);
  'pkcs12'?: (_envoy_config_core_v3_DataSource__Output);
}
