/* eslint-disable */
// Original file: google/api/expr/v1alpha1/checked.proto

import type { Reference as _google_api_expr_v1alpha1_Reference, Reference__Output as _google_api_expr_v1alpha1_Reference__Output } from '../../../../google/api/expr/v1alpha1/Reference.ts';
import type { Type as _google_api_expr_v1alpha1_Type, Type__Output as _google_api_expr_v1alpha1_Type__Output } from '../../../../google/api/expr/v1alpha1/Type.ts';
import type { Expr as _google_api_expr_v1alpha1_Expr, Expr__Output as _google_api_expr_v1alpha1_Expr__Output } from '../../../../google/api/expr/v1alpha1/Expr.ts';
import type { SourceInfo as _google_api_expr_v1alpha1_SourceInfo, SourceInfo__Output as _google_api_expr_v1alpha1_SourceInfo__Output } from '../../../../google/api/expr/v1alpha1/SourceInfo.ts';

export interface CheckedExpr {
  'referenceMap'?: ({[key: number]: _google_api_expr_v1alpha1_Reference});
  'typeMap'?: ({[key: number]: _google_api_expr_v1alpha1_Type});
  'expr'?: (_google_api_expr_v1alpha1_Expr | null);
  'sourceInfo'?: (_google_api_expr_v1alpha1_SourceInfo | null);
}

export interface CheckedExpr__Output {
  'referenceMap'?: ({[key: number]: _google_api_expr_v1alpha1_Reference__Output});
  'typeMap'?: ({[key: number]: _google_api_expr_v1alpha1_Type__Output});
  'expr'?: (_google_api_expr_v1alpha1_Expr__Output);
  'sourceInfo'?: (_google_api_expr_v1alpha1_SourceInfo__Output);
}
