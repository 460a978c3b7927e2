/* eslint-disable */
// Original file: envoy/type/http/v3/path_transformation.proto


export interface _envoy_type_http_v3_PathTransformation_Operation_MergeSlashes {
}

export interface _envoy_type_http_v3_PathTransformation_Operation_MergeSlashes__Output {
}

export interface _envoy_type_http_v3_PathTransformation_Operation_NormalizePathRFC3986 {
}

export interface _envoy_type_http_v3_PathTransformation_Operation_NormalizePathRFC3986__Output {
}

export interface _envoy_type_http_v3_PathTransformation_Operation {
  'normalizePathRfc_3986'?: (_envoy_type_http_v3_PathTransformation_Operation_NormalizePathRFC3986 | null);
  'mergeSlashes'?: (_envoy_type_http_v3_PathTransformation_Operation_MergeSlashes | null);
  'operationSpecifier'?: "normalizePathRfc_3986"|"mergeSlashes";
}

export interface _envoy_type_http_v3_PathTransformation_Operation__Output {
  'normalizePathRfc_3986'?: (_envoy_type_http_v3_PathTransformation_Operation_NormalizePathRFC3986__Output);
  'mergeSlashes'?: (_envoy_type_http_v3_PathTransformation_Operation_MergeSlashes__Output);
}

export interface PathTransformation {
  'operations'?: (_envoy_type_http_v3_PathTransformation_Operation)[];
}

export interface PathTransformation__Output {
  'operations'?: (_envoy_type_http_v3_PathTransformation_Operation__Output)[];
}
