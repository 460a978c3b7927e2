/* eslint-disable */
// Original file: envoy/extensions/transport_sockets/tls/v3/common.proto


export interface CertificateProviderPluginInstance {
  'instanceName'?: (string);
  'certificateName'?: (string);
}

export interface CertificateProviderPluginInstance__Output {
  'instanceName'?: (string);
  'certificateName'?: (string);
}
