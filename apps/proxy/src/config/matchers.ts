// Envoy's StringMatcher, HeaderMatcher and QueryParameterMatcher, compiled
// once per config into small predicate objects so the request path does no
// parsing, no regex construction and no closure allocation.
import type {
  HeaderMatcher__Output as HeaderMatcherMessage,
  QueryParameterMatcher__Output as QueryParameterMatcherMessage,
  RegexMatcher__Output,
  StringMatcher__Output,
} from '@mesh/xds';
import { compileFullMatch } from './regex.ts';
import { invalid } from './proto-values.ts';
import { checkFields, fieldTable } from './supported-fields.ts';

// What this proxy accepts of the matchers (see supported-fields.ts).
const STRING_MATCHER = fieldTable<StringMatcher__Output>('envoy.type.matcher.v3.StringMatcher', {
  implemented: ['exact', 'prefix', 'suffix', 'contains', 'safeRegex', 'ignoreCase'],
});
const REGEX_MATCHER = fieldTable<RegexMatcher__Output>('envoy.type.matcher.v3.RegexMatcher', { implemented: ['regex'] });
const HEADER_MATCHER = fieldTable<HeaderMatcherMessage>('envoy.config.route.v3.HeaderMatcher', {
  implemented: [
    'name',
    'exactMatch',
    'safeRegexMatch',
    'rangeMatch',
    'presentMatch',
    'prefixMatch',
    'suffixMatch',
    'containsMatch',
    'stringMatch',
    'invertMatch',
    'treatMissingHeaderAsEmpty',
  ],
});
const QUERY_PARAMETER_MATCHER = fieldTable<QueryParameterMatcherMessage>('envoy.config.route.v3.QueryParameterMatcher', {
  implemented: ['name', 'stringMatch', 'presentMatch'],
});

/** A RegexMatcher's pattern, compiled to match the whole input. */
export function compileRegexMatcher(m: RegexMatcher__Output | undefined, path: string): RegExp {
  checkFields(m, REGEX_MATCHER, path);
  return compileFullMatch(m?.regex ?? '', `${path}.regex`);
}

/** Checks a RegexMatcher (for callers that compile the pattern their own way). */
export function checkRegexMatcher(m: RegexMatcher__Output | undefined, path: string): void {
  checkFields(m, REGEX_MATCHER, path);
}

/** What a route or matcher may look at: the request's pseudo-headers and headers. */
export interface RequestHead {
  readonly method: string;
  /** Host header, or the authority of an absolute-form request URI. */
  readonly authority: string;
  /** The :path pseudo-header: path and query. */
  readonly path: string;
  readonly scheme: string;
  /** Node's header object: lower-case names, duplicates joined. */
  readonly headers: Record<string, string | string[] | undefined>;
}

/** envoy.type.matcher.v3.StringMatcher, as decoded. */
export type StringMatcherConfig = StringMatcher__Output;

const EXACT = 0;
const PREFIX = 1;
const SUFFIX = 2;
const CONTAINS = 3;
const REGEX = 4;

export class StringMatcher {
  readonly kind: number;
  readonly value: string;
  readonly ignoreCase: boolean;
  readonly regex: RegExp | undefined;

  constructor(config: StringMatcher__Output, path: string) {
    if (!config || typeof config !== 'object') invalid(path, 'expected a StringMatcher');
    checkFields(config, STRING_MATCHER, path);
    this.ignoreCase = config.ignoreCase === true;
    this.regex = undefined;
    if (config.exact !== undefined) {
      this.kind = EXACT;
      this.value = config.exact;
    } else if (config.prefix !== undefined) {
      this.kind = PREFIX;
      this.value = config.prefix;
    } else if (config.suffix !== undefined) {
      this.kind = SUFFIX;
      this.value = config.suffix;
    } else if (config.contains !== undefined) {
      this.kind = CONTAINS;
      this.value = config.contains;
    } else if (config.safeRegex !== undefined) {
      this.kind = REGEX;
      this.value = config.safeRegex.regex ?? '';
      // Envoy ignores ignore_case for safe_regex; so do we.
      this.regex = compileRegexMatcher(config.safeRegex, `${path}.safeRegex`);
    } else {
      // An empty StringMatcher (e.g. exact: '' dropped as a default) matches the empty string.
      this.kind = EXACT;
      this.value = '';
    }
    if (this.ignoreCase) this.value = this.value.toLowerCase();
  }

  matches(input: string): boolean {
    if (this.kind === REGEX) return this.regex!.test(input);
    const s = this.ignoreCase ? input.toLowerCase() : input;
    switch (this.kind) {
      case EXACT:
        return s === this.value;
      case PREFIX:
        return s.startsWith(this.value);
      case SUFFIX:
        return s.endsWith(this.value);
      default:
        return s.includes(this.value);
    }
  }
}

/** The value Envoy's header matchers see: pseudo-headers, or duplicates joined with ','. */
export function headerValue(req: RequestHead, name: string): string | undefined {
  if (name.charCodeAt(0) === 58 /* : */) {
    switch (name) {
      case ':authority':
        return req.authority;
      case ':path':
        return req.path;
      case ':method':
        return req.method;
      case ':scheme':
        return req.scheme;
      default:
        return undefined;
    }
  }
  if (name === 'host') return req.authority;
  const v = req.headers[name];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : v.join(',');
}

/** envoy.config.route.v3.HeaderMatcher, as decoded. */
export type HeaderMatcherConfig = HeaderMatcherMessage;

const H_STRING = 0;
const H_PRESENT = 1;
const H_RANGE = 2;
const H_ANY = 3;

export class HeaderMatcher {
  readonly name: string;
  readonly kind: number;
  readonly string: StringMatcher | undefined;
  readonly present: boolean;
  readonly rangeStart: number;
  readonly rangeEnd: number;
  readonly invert: boolean;
  readonly missingAsEmpty: boolean;

  constructor(config: HeaderMatcherMessage, path: string) {
    checkFields(config, HEADER_MATCHER, path);
    if (!config?.name) invalid(`${path}.name`, 'a header matcher needs a header name');
    this.name = config.name.toLowerCase();
    this.invert = config.invertMatch === true;
    this.missingAsEmpty = config.treatMissingHeaderAsEmpty === true;
    this.string = undefined;
    this.present = true;
    this.rangeStart = 0;
    this.rangeEnd = 0;
    if (config.exactMatch !== undefined) {
      this.kind = H_STRING;
      this.string = new StringMatcher({ exact: config.exactMatch }, path);
    } else if (config.safeRegexMatch !== undefined) {
      this.kind = H_STRING;
      checkFields(config.safeRegexMatch, REGEX_MATCHER, `${path}.safeRegexMatch`);
      this.string = new StringMatcher({ safeRegex: config.safeRegexMatch }, `${path}.safeRegexMatch`);
    } else if (config.prefixMatch !== undefined) {
      this.kind = H_STRING;
      this.string = new StringMatcher({ prefix: config.prefixMatch }, path);
    } else if (config.suffixMatch !== undefined) {
      this.kind = H_STRING;
      this.string = new StringMatcher({ suffix: config.suffixMatch }, path);
    } else if (config.containsMatch !== undefined) {
      this.kind = H_STRING;
      this.string = new StringMatcher({ contains: config.containsMatch }, path);
    } else if (config.stringMatch !== undefined) {
      this.kind = H_STRING;
      this.string = new StringMatcher(config.stringMatch, `${path}.stringMatch`);
    } else if (config.rangeMatch !== undefined) {
      this.kind = H_RANGE;
      this.rangeStart = Number(config.rangeMatch.start ?? 0);
      this.rangeEnd = Number(config.rangeMatch.end ?? 0);
      if (!(this.rangeStart < this.rangeEnd)) invalid(`${path}.rangeMatch`, 'start must be less than end');
    } else if (config.presentMatch !== undefined) {
      this.kind = H_PRESENT;
      this.present = config.presentMatch;
    } else {
      // No specifier: Envoy treats it as "header is present".
      this.kind = H_ANY;
    }
  }

  matches(req: RequestHead): boolean {
    let value = headerValue(req, this.name);
    if (value === undefined && this.missingAsEmpty) value = '';
    let result: boolean;
    if (value === undefined) {
      // A missing header never matches, not even inverted - except presence checks.
      if (this.kind === H_PRESENT) return this.present === this.invert;
      return false;
    }
    switch (this.kind) {
      case H_STRING:
        result = this.string!.matches(value);
        break;
      case H_PRESENT:
        result = this.present;
        break;
      case H_RANGE: {
        const n = /^-?\d+$/.test(value) ? Number(value) : NaN;
        result = n >= this.rangeStart && n < this.rangeEnd;
        break;
      }
      default:
        result = true;
    }
    return result !== this.invert;
  }
}

/** envoy.config.route.v3.QueryParameterMatcher, as decoded. */
export type QueryParameterMatcherConfig = QueryParameterMatcherMessage;

export class QueryParameterMatcher {
  readonly name: string;
  readonly string: StringMatcher | undefined;

  constructor(config: QueryParameterMatcherMessage, path: string) {
    checkFields(config, QUERY_PARAMETER_MATCHER, path);
    if (!config?.name) invalid(`${path}.name`, 'a query parameter matcher needs a name');
    this.name = config.name;
    this.string = config.stringMatch !== undefined ? new StringMatcher(config.stringMatch, `${path}.stringMatch`) : undefined;
  }

  /** `query` holds the first value of each parameter (as Envoy's matcher uses). */
  matches(query: Map<string, string>): boolean {
    const value = query.get(this.name);
    if (value === undefined) return false;
    return this.string === undefined || this.string.matches(value);
  }
}

/** Parses a query string (after '?') into first-value-per-name, percent-decoded. */
export function parseQuery(path: string): Map<string, string> {
  const out = new Map<string, string>();
  const q = path.indexOf('?');
  if (q < 0) return out;
  const end = path.indexOf('#', q);
  const text = end < 0 ? path.slice(q + 1) : path.slice(q + 1, end);
  for (const pair of text.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    const name = safeDecode(rawName);
    if (!out.has(name)) out.set(name, safeDecode(rawValue));
  }
  return out;
}

function safeDecode(s: string): string {
  if (!s.includes('%') && !s.includes('+')) return s;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}
