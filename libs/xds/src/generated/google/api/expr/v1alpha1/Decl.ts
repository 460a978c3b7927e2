/* eslint-disable */
// Original file: google/api/expr/v1alpha1/checked.proto

import type { Type as _google_api_expr_v1alpha1_Type, Type__Output as _google_api_expr_v1alpha1_Type__Output } from '../../../../google/api/expr/v1alpha1/Type.ts';
import type { Constant as _google_api_expr_v1alpha1_Constant, Constant__Output as _google_api_expr_v1alpha1_Constant__Output } from '../../../../google/api/expr/v1alpha1/Constant.ts';

export interface _google_api_expr_v1alpha1_Decl_FunctionDecl {
  'overloads'?: (_google_api_expr_v1alpha1_Decl_FunctionDecl_Overload)[];
}

export interface _google_api_expr_v1alpha1_Decl_FunctionDecl__Output {
  'overloads'?: (_google_api_expr_v1alpha1_Decl_FunctionDecl_Overload__Output)[];
}

export interface _google_api_expr_v1alpha1_Decl_IdentDecl {
  'type'?: (_google_api_expr_v1alpha1_Type | null);
  'value'?: (_google_api_expr_v1alpha1_Constant | null);
  'doc'?: (string);
}

export interface _google_api_expr_v1alpha1_Decl_IdentDecl__Output {
  'type'?: (_google_api_expr_v1alpha1_Type__Output);
  'value'?: (_google_api_expr_v1alpha1_Constant__Output);
  'doc'?: (string);
}

export interface _google_api_expr_v1alpha1_Decl_FunctionDecl_Overload {
  'overloadId'?: (string);
  'params'?: (_google_api_expr_v1alpha1_Type)[];
  'typeParams'?: (string)[];
  'resultType'?: (_google_api_expr_v1alpha1_Type | null);
  'isInstanceFunction'?: (boolean);
  'doc'?: (string);
}

export interface _google_api_expr_v1alpha1_Decl_FunctionDecl_Overload__Output {
  'overloadId'?: (string);
  'params'?: (_google_api_expr_v1alpha1_Type__Output)[];
  'typeParams'?: (string)[];
  'resultType'?: (_google_api_expr_v1alpha1_Type__Output);
  'isInstanceFunction'?: (boolean);
  'doc'?: (string);
}

export interface Decl {
  'name'?: (string);
  'ident'?: (_google_api_expr_v1alpha1_Decl_IdentDecl | null);
  'function'?: (_google_api_expr_v1alpha1_Decl_FunctionDecl | null);
  'declKind'?: "ident"|"function";
}

export interface Decl__Output {
  'name'?: (string);
  'ident'?: (_google_api_expr_v1alpha1_Decl_IdentDecl__Output);
  'function'?: (_google_api_expr_v1alpha1_Decl_FunctionDecl__Output);
}
