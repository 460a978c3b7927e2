/* eslint-disable */
// Original file: envoy/extensions/transport_sockets/tls/v3/secret.proto

import type { TlsCertificate as _envoy_extensions_transport_sockets_tls_v3_TlsCertificate, TlsCertificate__Output as _envoy_extensions_transport_sockets_tls_v3_TlsCertificate__Output } from '../../../../../envoy/extensions/transport_sockets/tls/v3/TlsCertificate.ts';
import type { TlsSessionTicketKeys as _envoy_extensions_transport_sockets_tls_v3_TlsSessionTicketKeys, TlsSessionTicketKeys__Output as _envoy_extensions_transport_sockets_tls_v3_TlsSessionTicketKeys__Output } from '../../../../../envoy/extensions/transport_sockets/tls/v3/TlsSessionTicketKeys.ts';
import type { CertificateValidationContext as _envoy_extensions_transport_sockets_tls_v3_CertificateValidationContext, CertificateValidationContext__Output as _envoy_extensions_transport_sockets_tls_v3_CertificateValidationContext__Output } from '../../../../../envoy/extensions/transport_sockets/tls/v3/CertificateValidationContext.ts';
import type { GenericSecret as _envoy_extensions_transport_sockets_tls_v3_GenericSecret, GenericSecret__Output as _envoy_extensions_transport_sockets_tls_v3_GenericSecret__Output } from '../../../../../envoy/extensions/transport_sockets/tls/v3/GenericSecret.ts';

export interface Secret {
  'name'?: (string);
  'tlsCertificate'?: (_envoy_extensions_transport_sockets_tls_v3_TlsCertificate | null);
  'sessionTicketKeys'?: (_envoy_extensions_transport_sockets_tls_v3_TlsSessionTicketKeys | null);
  'validationContext'?: (_envoy_extensions_transport_sockets_tls_v3_CertificateValidationContext | null);
  'genericSecret'?: (_envoy_extensions_transport_sockets_tls_v3_GenericSecret | null);
  'type'?: "tlsCertificate"|"sessionTicketKeys"|"validationContext"|"genericSecret";
}

export interface Secret__Output {
  'name'?: (string);
  'tlsCertificate'?: (_envoy_extensions_transport_sockets_tls_v3_TlsCertificate__Output);
  'sessionTicketKeys'?: (_envoy_extensions_transport_sockets_tls_v3_TlsSessionTicketKeys__Output);
  'validationContext'?: (_envoy_extensions_transport_sockets_tls_v3_CertificateValidationContext__Output);
  'genericSecret'?: (_envoy_extensions_transport_sockets_tls_v3_GenericSecret__Output);
}
