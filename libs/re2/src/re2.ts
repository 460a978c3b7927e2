// Istio's regex fields are evaluated by Envoy with Google RE2, and the whole
// value must match (not a substring). RE2 and JavaScript differ: RE2 has no
// lookaround or backreferences (Envoy rejects such a config), while RE2-only
// syntax such as `(?P<name>...)`, `\A`, `\z`, `[[:alpha:]]` or `\Q...\E` is not
// JavaScript. This module rejects what RE2 would reject and translates RE2
// syntax to an equivalent JavaScript RegExp where one exists, so that a
// regex that passes validation also compiles in a JavaScript data plane.

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

interface Translation {
  source: string;
  flags: string;
  problems: string[];
}

function escapeLiteral(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

function translate(pattern: string): Translation {
  const problems: string[] = [];
  let flags = '';
  let i = 0;
  // RE2's leading flag group, e.g. (?i) or (?is): becomes JavaScript flags.
  const lead = /^\(\?([imsU]+)\)/.exec(pattern);
  if (lead) {
    for (const f of lead[1]) {
      if (f === 'U') problems.push('the ungreedy flag (?U) has no JavaScript equivalent');
      else if (!flags.includes(f)) flags += f;
    }
    i = lead[0].length;
  }
  let out = '';
  let inClass = false;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '\\') {
      const n = pattern[i + 1];
      if (n === undefined) {
        problems.push('trailing backslash');
        break;
      }
      if (!inClass && /[1-9]/.test(n)) problems.push(`backreference \\${n} is not supported by RE2`);
      if (!inClass && n === 'k' && pattern[i + 2] === '<') problems.push('named backreference \\k<...> is not supported by RE2');
      if (n === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const literal = end < 0 ? pattern.slice(i + 2) : pattern.slice(i + 2, end);
        out += escapeLiteral(literal);
        i = end < 0 ? pattern.length : end + 2;
        continue;
      }
      if (n === 'A' && !inClass) {
        out += '^';
        i += 2;
        continue;
      }
      if (n === 'z' && !inClass) {
        out += '$';
        i += 2;
        continue;
      }
      if (n === 'C') problems.push('\\C (any byte) is not supported');
      if ((n === 'p' || n === 'P') && pattern[i + 2] !== '{' && pattern[i + 2] !== undefined) {
        out += `\\${n}{${pattern[i + 2]}}`;
        i += 3;
        continue;
      }
      if (n === 'x' && pattern[i + 2] === '{') {
        const end = pattern.indexOf('}', i);
        out += `\\u{${pattern.slice(i + 3, end < 0 ? undefined : end)}}`;
        i = end < 0 ? pattern.length : end + 1;
        continue;
      }
      out += c + n;
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === '[' && pattern[i + 1] === ':') {
        const end = pattern.indexOf(':]', i + 2);
        if (end > 0) {
          const name = pattern.slice(i + 2, end);
          const negated = name.startsWith('^');
          const cls = POSIX_CLASSES[negated ? name.slice(1) : name];
          if (!cls) problems.push(`unknown POSIX class [:${name}:]`);
          else if (negated) problems.push(`negated POSIX class [:${name}:] inside a bracket has no JavaScript equivalent`);
          else out += cls;
          i = end + 2;
          continue;
        }
      }
      if (c === ']') inClass = false;
      out += c;
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      i++;
      // A ']' right after '[' or '[^' is a literal in RE2.
      if (pattern[i] === '^') {
        out += '^';
        i++;
      }
      if (pattern[i] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2);
      if (rest.startsWith('=') || rest.startsWith('!')) problems.push('lookahead (?=...) / (?!...) is not supported by RE2');
      else if (rest.startsWith('<=') || rest.startsWith('<!')) problems.push('lookbehind (?<=...) / (?<!...) is not supported by RE2');
      else if (rest.startsWith('>')) problems.push('atomic groups (?>...) are not supported by RE2');
      else if (rest.startsWith('P<')) {
        out += '(?<';
        i += 4;
        continue;
      } else if (/^[imsU-]+\)/.test(rest)) {
        problems.push('inline flags such as (?i) are only supported at the start of the pattern');
      }
    }
    out += c;
    i++;
  }
  return { source: out, flags, problems };
}

function compile(source: string, flags: string): RegExp | Error {
  try {
    return new RegExp(source, flags + 'u');
  } catch (err) {
    // Unicode mode is stricter about escapes than RE2 (e.g. `\-` outside a
    // class); fall back to legacy mode unless the pattern needs Unicode.
    if (/\\[pPu]\{|\\u\{/.test(source)) return err as Error;
    try {
      return new RegExp(source, flags);
    } catch {
      return err as Error;
    }
  }
}

/** Undefined when the pattern is valid RE2 and usable from JavaScript; otherwise what is wrong. */
export function checkRegex(pattern: string): string | undefined {
  const t = translate(pattern);
  if (t.problems.length) return `regex "${pattern}" is not valid RE2 (Envoy's regex engine): ${t.problems[0]}`;
  const r = compile(t.source, t.flags);
  if (r instanceof Error) return `regex "${pattern}" does not compile: ${r.message.replace(/^Invalid regular expression: /, '')}`;
  return undefined;
}

/**
 * A JavaScript RegExp equivalent to an RE2 pattern from Istio or Envoy config.
 * With `fullMatch` (the default, Envoy's semantics for `safe_regex` matchers) it
 * is anchored so that it must match the whole input; without it, it searches
 * (as `regex_rewrite` does). `extraFlags` adds JavaScript flags such as `g`.
 * Throws when the pattern is not valid (checkRegex says why).
 */
export function toJsRegExp(pattern: string, options: { fullMatch?: boolean; extraFlags?: string } = {}): RegExp {
  const problem = checkRegex(pattern);
  if (problem) throw new Error(problem);
  const t = translate(pattern);
  const source = options.fullMatch === false ? t.source : `^(?:${t.source})$`;
  const r = compile(source, [...new Set(t.flags + (options.extraFlags ?? ''))].join(''));
  if (r instanceof Error) throw r;
  return r;
}

/** RE2 substitutions (`regex_rewrite.substitution`) write capture groups as \1; JavaScript as $1 (a literal $ as $$). */
export function toJsSubstitution(substitution: string): string {
  return substitution.replace(/\$/g, '$$$$').replace(/\\(\d)/g, '$$$1').replace(/\\\\/g, '\\');
}
