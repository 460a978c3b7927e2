/* eslint-disable */
// Original file: envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto

import type { BufferSettings as _envoy_extensions_filters_http_ext_authz_v3_BufferSettings, BufferSettings__Output as _envoy_extensions_filters_http_ext_authz_v3_BufferSettings__Output } from '../../../../../../envoy/extensions/filters/http/ext_authz/v3/BufferSettings.ts';

export interface CheckSettings {
  'contextExtensions'?: ({[key: string]: string});
  'disableRequestBodyBuffering'?: (boolean);
  'withRequestBody'?: (_envoy_extensions_filters_http_ext_authz_v3_BufferSettings | null);
}

export interface CheckSettings__Output {
  'contextExtensions'?: ({[key: string]: string});
  'disableRequestBodyBuffering'?: (boolean);
  'withRequestBody'?: (_envoy_extensions_filters_http_ext_authz_v3_BufferSettings__Output);
}
