/* eslint-disable */
// Original file: envoy/config/core/v3/resolver.proto


export interface DnsResolverOptions {
  'useTcpForDnsLookups'?: (boolean);
  'noDefaultSearchDomain'?: (boolean);
}

export interface DnsResolverOptions__Output {
  'useTcpForDnsLookups'?: (boolean);
  'noDefaultSearchDomain'?: (boolean);
}
