/* eslint-disable */
// Original file: envoy/config/core/v3/proxy_protocol.proto


// Original file: envoy/config/core/v3/proxy_protocol.proto

export const _envoy_config_core_v3_ProxyProtocolPassThroughTLVs_PassTLVsMatchType = {
  INCLUDE_ALL: 'INCLUDE_ALL',
  INCLUDE: 'INCLUDE',
} as const;

export type _envoy_config_core_v3_ProxyProtocolPassThroughTLVs_PassTLVsMatchType =
  | 'INCLUDE_ALL'
  | 0
  | 'INCLUDE'
  | 1

export type _envoy_config_core_v3_ProxyProtocolPassThroughTLVs_PassTLVsMatchType__Output = typeof _envoy_config_core_v3_ProxyProtocolPassThroughTLVs_PassTLVsMatchType[keyof typeof _envoy_config_core_v3_ProxyProtocolPassThroughTLVs_PassTLVsMatchType]

export interface ProxyProtocolPassThroughTLVs {
  'matchType'?: (_envoy_config_core_v3_ProxyProtocolPassThroughTLVs_PassTLVsMatchType);
  'tlvType'?: (number)[];
}

export interface ProxyProtocolPassThroughTLVs__Output {
  'matchType'?: (_envoy_config_core_v3_ProxyProtocolPassThroughTLVs_PassTLVsMatchType__Output);
  'tlvType'?: (number)[];
}
