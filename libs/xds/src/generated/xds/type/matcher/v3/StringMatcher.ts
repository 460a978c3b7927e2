/* eslint-disable */
// Original file: xds/type/matcher/v3/string.proto

import type { RegexMatcher as _xds_type_matcher_v3_RegexMatcher, RegexMatcher__Output as _xds_type_matcher_v3_RegexMatcher__Output } from '../../../../xds/type/matcher/v3/RegexMatcher.ts';

export interface StringMatcher {
  'exact'?: (string);
  'prefix'?: (string);
  'suffix'?: (string);
  'safeRegex'?: (_xds_type_matcher_v3_RegexMatcher | null);
  'ignoreCase'?: (boolean);
  'contains'?: (string);
  'matchPattern'?: "exact"|"prefix"|"suffix"|"safeRegex"|"contains";
}

export interface StringMatcher__Output {
  'exact'?: (string);
  'prefix'?: (string);
  'suffix'?: (string);
  'safeRegex'?: (_xds_type_matcher_v3_RegexMatcher__Output);
  'ignoreCase'?: (boolean);
  'contains'?: (string);
}
