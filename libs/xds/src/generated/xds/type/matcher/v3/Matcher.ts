/* eslint-disable */
// Original file: xds/type/matcher/v3/matcher.proto

import type { Matcher as _xds_type_matcher_v3_Matcher, Matcher__Output as _xds_type_matcher_v3_Matcher__Output } from '../../../../xds/type/matcher/v3/Matcher.ts';
import type { TypedExtensionConfig as _xds_core_v3_TypedExtensionConfig, TypedExtensionConfig__Output as _xds_core_v3_TypedExtensionConfig__Output } from '../../../../xds/core/v3/TypedExtensionConfig.ts';
import type { StringMatcher as _xds_type_matcher_v3_StringMatcher, StringMatcher__Output as _xds_type_matcher_v3_StringMatcher__Output } from '../../../../xds/type/matcher/v3/StringMatcher.ts';

export interface _xds_type_matcher_v3_Matcher_MatcherList_FieldMatcher {
  'predicate'?: (_xds_type_matcher_v3_Matcher_MatcherList_Predicate | null);
  'onMatch'?: (_xds_type_matcher_v3_Matcher_OnMatch | null);
}

export interface _xds_type_matcher_v3_Matcher_MatcherList_FieldMatcher__Output {
  'predicate'?: (_xds_type_matcher_v3_Matcher_MatcherList_Predicate__Output);
  'onMatch'?: (_xds_type_matcher_v3_Matcher_OnMatch__Output);
}

export interface _xds_type_matcher_v3_Matcher_MatcherTree_MatchMap {
  'map'?: ({[key: string]: _xds_type_matcher_v3_Matcher_OnMatch});
}

export interface _xds_type_matcher_v3_Matcher_MatcherTree_MatchMap__Output {
  'map'?: ({[key: string]: _xds_type_matcher_v3_Matcher_OnMatch__Output});
}

export interface _xds_type_matcher_v3_Matcher_MatcherList {
  'matchers'?: (_xds_type_matcher_v3_Matcher_MatcherList_FieldMatcher)[];
}

export interface _xds_type_matcher_v3_Matcher_MatcherList__Output {
  'matchers'?: (_xds_type_matcher_v3_Matcher_MatcherList_FieldMatcher__Output)[];
}

export interface _xds_type_matcher_v3_Matcher_MatcherTree {
  'input'?: (_xds_core_v3_TypedExtensionConfig | null);
  'exactMatchMap'?: (_xds_type_matcher_v3_Matcher_MatcherTree_MatchMap | null);
  'prefixMatchMap'?: (_xds_type_matcher_v3_Matcher_MatcherTree_MatchMap | null);
  'customMatch'?: (_xds_core_v3_TypedExtensionConfig | null);
  'treeType'?: "exactMatchMap"|"prefixMatchMap"|"customMatch";
}

export interface _xds_type_matcher_v3_Matcher_MatcherTree__Output {
  'input'?: (_xds_core_v3_TypedExtensionConfig__Output);
  'exactMatchMap'?: (_xds_type_matcher_v3_Matcher_MatcherTree_MatchMap__Output);
  'prefixMatchMap'?: (_xds_type_matcher_v3_Matcher_MatcherTree_MatchMap__Output);
  'customMatch'?: (_xds_core_v3_TypedExtensionConfig__Output);
}

export interface _xds_type_matcher_v3_Matcher_OnMatch {
  'matcher'?: (_xds_type_matcher_v3_Matcher | null);
  'action'?: (_xds_core_v3_TypedExtensionConfig | null);
  'onMatch'?: "matcher"|"action";
}

export interface _xds_type_matcher_v3_Matcher_OnMatch__Output {
  'matcher'?: (_xds_type_matcher_v3_Matcher__Output);
  'action'?: (_xds_core_v3_TypedExtensionConfig__Output);
}

export interface _xds_type_matcher_v3_Matcher_MatcherList_Predicate {
  'singlePredicate'?: (_xds_type_matcher_v3_Matcher_MatcherList_Predicate_SinglePredicate | null);
  'orMatcher'?: (_xds_type_matcher_v3_Matcher_MatcherList_Predicate_PredicateList | null);
  'andMatcher'?: (_xds_type_matcher_v3_Matcher_MatcherList_Predicate_PredicateList | null);
  'notMatcher'?: (_xds_type_matcher_v3_Matcher_MatcherList_Predicate | null);
  'matchType'?: "singlePredicate"|"orMatcher"|"andMatcher"|"notMatcher";
}

export interface _xds_type_matcher_v3_Matcher_MatcherList_Predicate__Output {
  'singlePredicate'?: (_xds_type_matcher_v3_Matcher_MatcherList_Predicate_SinglePredicate__Output);
  'orMatcher'?: (_xds_type_matcher_v3_Matcher_MatcherList_Predicate_PredicateList__Output);
  'andMatcher'?: (_xds_type_matcher_v3_Matcher_MatcherList_Predicate_PredicateList__Output);
  'notMatcher'?: (_xds_type_matcher_v3_Matcher_MatcherList_Predicate__Output);
}

export interface _xds_type_matcher_v3_Matcher_MatcherList_Predicate_PredicateList {
  'predicate'?: (_xds_type_matcher_v3_Matcher_MatcherList_Predicate)[];
}

export interface _xds_type_matcher_v3_Matcher_MatcherList_Predicate_PredicateList__Output {
  'predicate'?: (_xds_type_matcher_v3_Matcher_MatcherList_Predicate__Output)[];
}

export interface _xds_type_matcher_v3_Matcher_MatcherList_Predicate_SinglePredicate {
  'input'?: (_xds_core_v3_TypedExtensionConfig | null);
  'valueMatch'?: (_xds_type_matcher_v3_StringMatcher | null);
  'customMatch'?: (_xds_core_v3_TypedExtensionConfig | null);
  'matcher'?: "valueMatch"|"customMatch";
}

export interface _xds_type_matcher_v3_Matcher_MatcherList_Predicate_SinglePredicate__Output {
  'input'?: (_xds_core_v3_TypedExtensionConfig__Output);
  'valueMatch'?: (_xds_type_matcher_v3_StringMatcher__Output);
  'customMatch'?: (_xds_core_v3_TypedExtensionConfig__Output);
}

export interface Matcher {
  'matcherList'?: (_xds_type_matcher_v3_Matcher_MatcherList | null);
  'matcherTree'?: (_xds_type_matcher_v3_Matcher_MatcherTree | null);
  'onNoMatch'?: (_xds_type_matcher_v3_Matcher_OnMatch | null);
  'matcherType'?: "matcherList"|"matcherTree";
}

export interface Matcher__Output {
  'matcherList'?: (_xds_type_matcher_v3_Matcher_MatcherList__Output);
  'matcherTree'?: (_xds_type_matcher_v3_Matcher_MatcherTree__Output);
  'onNoMatch'?: (_xds_type_matcher_v3_Matcher_OnMatch__Output);
}
