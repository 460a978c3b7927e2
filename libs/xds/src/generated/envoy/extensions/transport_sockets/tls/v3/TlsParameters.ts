/* eslint-disable */
// Original file: envoy/extensions/transport_sockets/tls/v3/common.proto


// Original file: envoy/extensions/transport_sockets/tls/v3/common.proto

export const _envoy_extensions_transport_sockets_tls_v3_TlsParameters_TlsProtocol = {
  TLS_AUTO: 'TLS_AUTO',
  TLSv1_0: 'TLSv1_0',
  TLSv1_1: 'TLSv1_1',
  TLSv1_2: 'TLSv1_2',
  TLSv1_3: 'TLSv1_3',
} as const;

export type _envoy_extensions_transport_sockets_tls_v3_TlsParameters_TlsProtocol =
  | 'TLS_AUTO'
  | 0
  | 'TLSv1_0'
  | 1
  | 'TLSv1_1'
  | 2
  | 'TLSv1_2'
  | 3
  | 'TLSv1_3'
  | 4

export type _envoy_extensions_transport_sockets_tls_v3_TlsParameters_TlsProtocol__Output = typeof _envoy_extensions_transport_sockets_tls_v3_TlsParameters_TlsProtocol[keyof typeof _envoy_extensions_transport_sockets_tls_v3_TlsParameters_TlsProtocol]

export interface TlsParameters {
  'tlsMinimumProtocolVersion'?: (_envoy_extensions_transport_sockets_tls_v3_TlsParameters_TlsProtocol);
  'tlsMaximumProtocolVersion'?: (_envoy_extensions_transport_sockets_tls_v3_TlsParameters_TlsProtocol);
  'cipherSuites'?: (string)[];
  'ecdhCurves'?: (string)[];
  'signatureAlgorithms'?: (string)[];
}

export interface TlsParameters__Output {
  'tlsMinimumProtocolVersion'?: (_envoy_extensions_transport_sockets_tls_v3_TlsParameters_TlsProtocol__Output);
  'tlsMaximumProtocolVersion'?: (_envoy_extensions_transport_sockets_tls_v3_TlsParameters_TlsProtocol__Output);
  'cipherSuites'?: (string)[];
  'ecdhCurves'?: (string)[];
  'signatureAlgorithms'?: (string)[];
}
