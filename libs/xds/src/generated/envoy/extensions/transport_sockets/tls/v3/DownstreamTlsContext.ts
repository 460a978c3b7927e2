/* eslint-disable */
// Original file: envoy/extensions/transport_sockets/tls/v3/tls.proto

import type { CommonTlsContext as _envoy_extensions_transport_sockets_tls_v3_CommonTlsContext, CommonTlsContext__Output as _envoy_extensions_transport_sockets_tls_v3_CommonTlsContext__Output } from '../../../../../envoy/extensions/transport_sockets/tls/v3/CommonTlsContext.ts';
import type { BoolValue as _google_protobuf_BoolValue, BoolValue__Output as _google_protobuf_BoolValue__Output } from '../../../../../google/protobuf/BoolValue.ts';
import type { TlsSessionTicketKeys as _envoy_extensions_transport_sockets_tls_v3_TlsSessionTicketKeys, TlsSessionTicketKeys__Output as _envoy_extensions_transport_sockets_tls_v3_TlsSessionTicketKeys__Output } from '../../../../../envoy/extensions/transport_sockets/tls/v3/TlsSessionTicketKeys.ts';
import type { SdsSecretConfig as _envoy_extensions_transport_sockets_tls_v3_SdsSecretConfig, SdsSecretConfig__Output as _envoy_extensions_transport_sockets_tls_v3_SdsSecretConfig__Output } from '../../../../../envoy/extensions/transport_sockets/tls/v3/SdsSecretConfig.ts';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../../../google/protobuf/Duration.ts';

// Original file: envoy/extensions/transport_sockets/tls/v3/tls.proto

export const _envoy_extensions_transport_sockets_tls_v3_DownstreamTlsContext_OcspStaplePolicy = {
  LENIENT_STAPLING: 'LENIENT_STAPLING',
  STRICT_STAPLING: 'STRICT_STAPLING',
  MUST_STAPLE: 'MUST_STAPLE',
} as const;

export type _envoy_extensions_transport_sockets_tls_v3_DownstreamTlsContext_OcspStaplePolicy =
  | 'LENIENT_STAPLING'
  | 0
  | 'STRICT_STAPLING'
  | 1
  | 'MUST_STAPLE'
  | 2

export type _envoy_extensions_transport_sockets_tls_v3_DownstreamTlsContext_OcspStaplePolicy__Output = typeof _envoy_extensions_transport_sockets_tls_v3_DownstreamTlsContext_OcspStaplePolicy[keyof typeof _envoy_extensions_transport_sockets_tls_v3_DownstreamTlsContext_OcspStaplePolicy]

export interface DownstreamTlsContext {
  'commonTlsContext'?: (_envoy_extensions_transport_sockets_tls_v3_CommonTlsContext | null);
  'requireClientCertificate'?: (_google_protobuf_BoolValue | null);
  'requireSni'?: (_google_protobuf_BoolValue | null);
  'sessionTicketKeys'?: (_envoy_extensions_transport_sockets_tls_v3_TlsSessionTicketKeys | null);
  'sessionTicketKeysSdsSecretConfig'?: (_envoy_extensions_transport_sockets_tls_v3_SdsSecretConfig | null);
  'sessionTimeout'?: (_google_protobuf_Duration | null);
  'disableStatelessSessionResumption'?: (boolean);
  'ocspStaplePolicy'?: (_envoy_extensions_transport_sockets_tls_v3_DownstreamTlsContext_OcspStaplePolicy);
  'fullScanCertsOnSniMismatch'?: (_google_protobuf_BoolValue | null);
  'disableStatefulSessionResumption'?: (boolean);
  'sessionTicketKeysType'?: "sessionTicketKeys"|"sessionTicketKeysSdsSecretConfig"|"disableStatelessSessionResumption";
}

export interface DownstreamTlsContext__Output {
  'commonTlsContext'?: (_envoy_extensions_transport_sockets_tls_v3_CommonTlsContext__Output);
  'requireClientCertificate'?: (_google_protobuf_BoolValue__Output);
  'requireSni'?: (_google_protobuf_BoolValue__Output);
  'sessionTicketKeys'?: (_envoy_extensions_transport_sockets_tls_v3_TlsSessionTicketKeys__Output);
  'sessionTicketKeysSdsSecretConfig'?: (_envoy_extensions_transport_sockets_tls_v3_SdsSecretConfig__Output);
  'sessionTimeout'?: (_google_protobuf_Duration__Output);
  'disableStatelessSessionResumption'?: (boolean);
  'ocspStaplePolicy'?: (_envoy_extensions_transport_sockets_tls_v3_DownstreamTlsContext_OcspStaplePolicy__Output);
  'fullScanCertsOnSniMismatch'?: (_google_protobuf_BoolValue__Output);
  'disableStatefulSessionResumption'?: (boolean);
}
