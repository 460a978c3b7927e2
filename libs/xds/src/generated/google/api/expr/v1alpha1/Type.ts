/* eslint-disable */
// Original file: google/api/expr/v1alpha1/checked.proto

import type { Empty as _google_protobuf_Empty, Empty__Output as _google_protobuf_Empty__Output } from '../../../../google/protobuf/Empty.ts';
import type { NullValue as _google_protobuf_NullValue, NullValue__Output as _google_protobuf_NullValue__Output } from '../../../../google/protobuf/NullValue.ts';
import type { Type as _google_api_expr_v1alpha1_Type, Type__Output as _google_api_expr_v1alpha1_Type__Output } from '../../../../google/api/expr/v1alpha1/Type.ts';

export interface _google_api_expr_v1alpha1_Type_AbstractType {
  'name'?: (string);
  'parameterTypes'?: (_google_api_expr_v1alpha1_Type)[];
}

export interface _google_api_expr_v1alpha1_Type_AbstractType__Output {
  'name'?: (string);
  'parameterTypes'?: (_google_api_expr_v1alpha1_Type__Output)[];
}

export interface _google_api_expr_v1alpha1_Type_FunctionType {
  'resultType'?: (_google_api_expr_v1alpha1_Type | null);
  'argTypes'?: (_google_api_expr_v1alpha1_Type)[];
}

export interface _google_api_expr_v1alpha1_Type_FunctionType__Output {
  'resultType'?: (_google_api_expr_v1alpha1_Type__Output);
  'argTypes'?: (_google_api_expr_v1alpha1_Type__Output)[];
}

export interface _google_api_expr_v1alpha1_Type_ListType {
  'elemType'?: (_google_api_expr_v1alpha1_Type | null);
}

export interface _google_api_expr_v1alpha1_Type_ListType__Output {
  'elemType'?: (_google_api_expr_v1alpha1_Type__Output);
}

export interface _google_api_expr_v1alpha1_Type_MapType {
  'keyType'?: (_google_api_expr_v1alpha1_Type | null);
  'valueType'?: (_google_api_expr_v1alpha1_Type | null);
}

export interface _google_api_expr_v1alpha1_Type_MapType__Output {
  'keyType'?: (_google_api_expr_v1alpha1_Type__Output);
  'valueType'?: (_google_api_expr_v1alpha1_Type__Output);
}

// Original file: google/api/expr/v1alpha1/checked.proto

export const _google_api_expr_v1alpha1_Type_PrimitiveType = {
  PRIMITIVE_TYPE_UNSPECIFIED: 'PRIMITIVE_TYPE_UNSPECIFIED',
  BOOL: 'BOOL',
  INT64: 'INT64',
  UINT64: 'UINT64',
  DOUBLE: 'DOUBLE',
  STRING: 'STRING',
  BYTES: 'BYTES',
} as const;

export type _google_api_expr_v1alpha1_Type_PrimitiveType =
  | 'PRIMITIVE_TYPE_UNSPECIFIED'
  | 0
  | 'BOOL'
  | 1
  | 'INT64'
  | 2
  | 'UINT64'
  | 3
  | 'DOUBLE'
  | 4
  | 'STRING'
  | 5
  | 'BYTES'
  | 6

export type _google_api_expr_v1alpha1_Type_PrimitiveType__Output = typeof _google_api_expr_v1alpha1_Type_PrimitiveType[keyof typeof _google_api_expr_v1alpha1_Type_PrimitiveType]

// Original file: google/api/expr/v1alpha1/checked.proto

export const _google_api_expr_v1alpha1_Type_WellKnownType = {
  WELL_KNOWN_TYPE_UNSPECIFIED: 'WELL_KNOWN_TYPE_UNSPECIFIED',
  ANY: 'ANY',
  TIMESTAMP: 'TIMESTAMP',
  DURATION: 'DURATION',
} as const;

export type _google_api_expr_v1alpha1_Type_WellKnownType =
  | 'WELL_KNOWN_TYPE_UNSPECIFIED'
  | 0
  | 'ANY'
  | 1
  | 'TIMESTAMP'
  | 2
  | 'DURATION'
  | 3

export type _google_api_expr_v1alpha1_Type_WellKnownType__Output = typeof _google_api_expr_v1alpha1_Type_WellKnownType[keyof typeof _google_api_expr_v1alpha1_Type_WellKnownType]

export interface Type {
  'dyn'?: (_google_protobuf_Empty | null);
  'null'?: (_google_protobuf_NullValue);
  'primitive'?: (_google_api_expr_v1alpha1_Type_PrimitiveType);
  'wrapper'?: (_google_api_expr_v1alpha1_Type_PrimitiveType);
  'wellKnown'?: (_google_api_expr_v1alpha1_Type_WellKnownType);
  'listType'?: (_google_api_expr_v1alpha1_Type_ListType | null);
  'mapType'?: (_google_api_expr_v1alpha1_Type_MapType | null);
  'function'?: (_google_api_expr_v1alpha1_Type_FunctionType | null);
  'messageType'?: (string);
  'typeParam'?: (string);
  'type'?: (_google_api_expr_v1alpha1_Type | null);
  'error'?: (_google_protobuf_Empty | null);
  'abstractType'?: (_google_api_expr_v1alpha1_Type_AbstractType | null);
  'typeKind'?: "dyn"|"null"|"primitive"|"wrapper"|"wellKnown"|"listType"|"mapType"|"function"|"messageType"|"typeParam"|"type"|"error"|"abstractType";
}

export interface Type__Output {
  'dyn'?: (_google_protobuf_Empty__Output);
  'null'?: (_google_protobuf_NullValue__Output);
  'primitive'?: (_google_api_expr_v1alpha1_Type_PrimitiveType__Output);
  'wrapper'?: (_google_api_expr_v1alpha1_Type_PrimitiveType__Output);
  'wellKnown'?: (_google_api_expr_v1alpha1_Type_WellKnownType__Output);
  'listType'?: (_google_api_expr_v1alpha1_Type_ListType__Output);
  'mapType'?: (_google_api_expr_v1alpha1_Type_MapType__Output);
  'function'?: (_google_api_expr_v1alpha1_Type_FunctionType__Output);
  'messageType'?: (string);
  'typeParam'?: (string);
  'type'?: (_google_api_expr_v1alpha1_Type__Output);
  'error'?: (_google_protobuf_Empty__Output);
  'abstractType'?: (_google_api_expr_v1alpha1_Type_AbstractType__Output);
}
