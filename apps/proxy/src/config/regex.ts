// Envoy's regexes are RE2. The translation to JavaScript lives in @mesh/re2,
// shared with galley's validation, so a pattern galley accepts is one this
// proxy compiles (and one it refuses, galley refuses too). Here a bad pattern
// becomes a config error naming the field, which NACKs the update.
import { toJsRegExp, toJsSubstitution } from '@mesh/re2';
import { invalid } from './proto-values.ts';

/** A RegExp that must match the whole input, as Envoy's safe_regex matchers do. */
export function compileFullMatch(pattern: string, path: string, extraFlags = ''): RegExp {
  try {
    return toJsRegExp(pattern, { fullMatch: true, extraFlags });
  } catch (err) {
    invalid(path, (err as Error).message);
  }
}

/** A global RegExp for search-and-replace (regex_rewrite): every match is replaced. */
export function compileSearch(pattern: string, path: string): RegExp {
  try {
    return toJsRegExp(pattern, { fullMatch: false, extraFlags: 'g' });
  } catch (err) {
    invalid(path, (err as Error).message);
  }
}

export const translateSubstitution = toJsSubstitution;
