/* eslint-disable */
// Original file: envoy/extensions/transport_sockets/tls/v3/common.proto

import type { DataSource as _envoy_config_core_v3_DataSource, DataSource__Output as _envoy_config_core_v3_DataSource__Output } from '../../../../../envoy/config/core/v3/DataSource.ts';
import type { BoolValue as _google_protobuf_BoolValue, BoolValue__Output as _google_protobuf_BoolValue__Output } from '../../../../../google/protobuf/BoolValue.ts';
import type { StringMatcher as _envoy_type_matcher_v3_StringMatcher, StringMatcher__Output as _envoy_type_matcher_v3_StringMatcher__Output } from '../../../../../envoy/type/matcher/v3/StringMatcher.ts';
import type { WatchedDirectory as _envoy_config_core_v3_WatchedDirectory, WatchedDirectory__Output as _envoy_config_core_v3_WatchedDirectory__Output } from '../../../../../envoy/config/core/v3/WatchedDirectory.ts';
import type { TypedExtensionConfig as _envoy_config_core_v3_TypedExtensionConfig, TypedExtensionConfig__Output as _envoy_config_core_v3_TypedExtensionConfig__Output } from '../../../../../envoy/config/core/v3/TypedExtensionConfig.ts';
import type { CertificateProviderPluginInstance as _envoy_extensions_transport_sockets_tls_v3_CertificateProviderPluginInstance, CertificateProviderPluginInstance__Output as _envoy_extensions_transport_sockets_tls_v3_CertificateProviderPluginInstance__Output } from '../../../../../envoy/extensions/transport_sockets/tls/v3/CertificateProviderPluginInstance.ts';
import type { SubjectAltNameMatcher as _envoy_extensions_transport_sockets_tls_v3_SubjectAltNameMatcher, SubjectAltNameMatcher__Output as _envoy_extensions_transport_sockets_tls_v3_SubjectAltNameMatcher__Output } from '../../../../../envoy/extensions/transport_sockets/tls/v3/SubjectAltNameMatcher.ts';
import type { UInt32Value as _google_protobuf_UInt32Value, UInt32Value__Output as _google_protobuf_UInt32Value__Output } from '../../../../../google/protobuf/UInt32Value.ts';

export interface _envoy_extensions_transport_sockets_tls_v3_CertificateValidationContext_SystemRootCerts {
}

export interface _envoy_extensions_transport_sockets_tls_v3_CertificateValidationContext_SystemRootCerts__Output {
}

// Original file: envoy/extensions/transport_sockets/tls/v3/common.proto

export const _envoy_extensions_transport_sockets_tls_v3_CertificateValidationContext_TrustChainVerification = {
  VERIFY_TRUST_CHAIN: 'VERIFY_TRUST_CHAIN',
  ACCEPT_UNTRUSTED: 'ACCEPT_UNTRUSTED',
} as const;

export type _envoy_extensions_transport_sockets_tls_v3_CertificateValidationContext_TrustChainVerification =
  | 'VERIFY_TRUST_CHAIN'
  | 0
  | 'ACCEPT_UNTRUSTED'
  | 1

export type _envoy_extensions_transport_sockets_tls_v3_CertificateValidationContext_TrustChainVerification__Output = typeof _envoy_extensions_transport_sockets_tls_v3_CertificateValidationContext_TrustChainVerification[keyof typeof _envoy_extensions_transport_sockets_tls_v3_CertificateValidationContext_TrustChainVerification]

export interface CertificateValidationContext {
  'trustedCa'?: (_envoy_config_core_v3_DataSource | null);
  'verifyCertificateHash'?: (string)[];
  'verifyCertificateSpki'?: (string)[];
  'requireSignedCertificateTimestamp'?: (_google_protobuf_BoolValue | null);
  'crl'?: (_envoy_config_core_v3_DataSource | null);
  'allowExpiredCertificate'?: (boolean);
  'matchSubjectAltNames'?: (_envoy_type_matcher_v3_StringMatcher)[];
  'trustChainVerification'?: (_envoy_extensions_transport_sockets_tls_v3_CertificateValidationContext_TrustChainVerification);
  'watchedDirectory'?: (_envoy_config_core_v3_WatchedDirectory | null);
  'customValidatorConfig'?: (_envoy_config_core_v3_TypedExtensionConfig | null);
  'caCertificateProviderInstance'?: (_envoy_extensions_transport_sockets_tls_v3_CertificateProviderPluginInstance | null);
  'onlyVerifyLeafCertCrl'?: (boolean);
  'matchTypedSubjectAltNames'?: (_envoy_extensions_transport_sockets_tls_v3_SubjectAltNameMatcher)[];
  'maxVerifyDepth'?: (_google_protobuf_UInt32Value | null);
  'systemRootCerts'?: (_envoy_extensions_transport_sockets_tls_v3_CertificateValidationContext_SystemRootCerts | null);
}

export interface CertificateValidationContext__Output {
  'trustedCa'?: (_envoy_config_core_v3_DataSource__Output);
  'verifyCertificateHash'?: (string)[];
  'verifyCertificateSpki'?: (string)[];
  'requireSignedCertificateTimestamp'?: (_google_protobuf_BoolValue__Output);
  'crl'?: (_envoy_config_core_v3_DataSource__Output);
  'allowExpiredCertificate'?: (boolean);
  'matchSubjectAltNames'?: (_envoy_type_matcher_v3_StringMatcher__Output)[];
  'trustChainVerification'?: (_envoy_extensions_transport_sockets_tls_v3_CertificateValidationContext_TrustChainVerification__Output);
  'watchedDirectory'?: (_envoy_config_core_v3_WatchedDirectory__Output);
  'customValidatorConfig'?: (_envoy_config_core_v3_TypedExtensionConfig__Output);
  'caCertificateProviderInstance'?: (_envoy_extensions_transport_sockets_tls_v3_CertificateProviderPluginInstance__Output);
  'onlyVerifyLeafCertCrl'?: (boolean);
  'matchTypedSubjectAltNames'?: (_envoy_extensions_transport_sockets_tls_v3_SubjectAltNameMatcher__Output)[];
  'maxVerifyDepth'?: (_google_protobuf_UInt32Value__Output);
  'systemRootCerts'?: (_envoy_extensions_transport_sockets_tls_v3_CertificateValidationContext_SystemRootCerts__Output);
}
