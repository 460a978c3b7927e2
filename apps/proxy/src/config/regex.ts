// Envoy's regexes are RE2. JavaScript's RegExp accepts nearly the same
// syntax; this translates the RE2-only spellings and rejects what RE2 would
// reject (backreferences, lookaround), so a pattern means the same thing here
// as in Envoy or is refused with a clear error.
import { invalid } from './proto-values.ts';

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

function escapeLiteral(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** Translates an RE2 pattern to JavaScript RegExp source and flags. */
export function translateRe2(pattern: string, path: string): { source: string; flags: string } {
  let src = pattern;
  let flags = '';
  // Leading flag group (?i), (?s), (?is)... applies to the whole pattern.
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    if (lead[1].includes('U')) invalid(path, `regex ${JSON.stringify(pattern)}: the U (ungreedy) flag is not supported`);
    flags = [...new Set(lead[1])].join('');
    src = src.slice(lead[0].length);
  }
  let out = '';
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) invalid(path, `regex ${JSON.stringify(pattern)}: trailing backslash`);
      if (n === 'Q') {
        const end = src.indexOf('\\E', i + 2);
        const literal = end < 0 ? src.slice(i + 2) : src.slice(i + 2, end);
        out += escapeLiteral(literal);
        i = end < 0 ? src.length : end + 1;
        continue;
      }
      if (n === 'A') {
        out += '^';
        i++;
        continue;
      }
      if (n === 'z') {
        out += '$';
        i++;
        continue;
      }
      if (n >= '1' && n <= '9') invalid(path, `regex ${JSON.stringify(pattern)}: backreferences are not supported by RE2`);
      if (n === 'p' || n === 'P') invalid(path, `regex ${JSON.stringify(pattern)}: Unicode classes (\\p) are not supported`);
      if (n === 'C') invalid(path, `regex ${JSON.stringify(pattern)}: \\C is not supported`);
      out += c + n;
      i++;
      continue;
    }
    if (c === '(' && src[i + 1] === '?') {
      const rest = src.slice(i + 2);
      if (rest.startsWith('P<')) {
        out += '(?<';
        i += 3;
        continue;
      }
      if (rest.startsWith('=') || rest.startsWith('!') || rest.startsWith('<=') || rest.startsWith('<!')) {
        invalid(path, `regex ${JSON.stringify(pattern)}: lookaround assertions are not supported by RE2`);
      }
    }
    if (c === '[' && src[i + 1] === '[' && src[i + 2] === ':') {
      // [[:alpha:]] as a whole class
      const m = /^\[\[:(\^?)([a-z]+):\]\]/.exec(src.slice(i));
      if (m && POSIX_CLASSES[m[2]]) {
        out += `[${m[1]}${POSIX_CLASSES[m[2]]}]`;
        i += m[0].length - 1;
        continue;
      }
    }
    if (c === '[' ) {
      // Copy a bracket expression, translating POSIX classes inside it.
      let j = i + 1;
      let body = '';
      if (src[j] === '^') {
        body += '^';
        j++;
      }
      if (src[j] === ']') {
        body += '\\]';
        j++;
      }
      let closed = false;
      while (j < src.length) {
        const d = src[j];
        if (d === '\\') {
          body += d + (src[j + 1] ?? '');
          j += 2;
          continue;
        }
        if (d === '[' && src[j + 1] === ':') {
          const m = /^\[:([a-z]+):\]/.exec(src.slice(j));
          if (m && POSIX_CLASSES[m[1]]) {
            body += POSIX_CLASSES[m[1]];
            j += m[0].length;
            continue;
          }
        }
        if (d === '[') {
          body += '\\[';
          j++;
          continue;
        }
        if (d === ']') {
          closed = true;
          break;
        }
        body += d;
        j++;
      }
      if (!closed) invalid(path, `regex ${JSON.stringify(pattern)}: missing ]`);
      out += `[${body}]`;
      i = j;
      continue;
    }
    out += c;
  }
  return { source: out, flags };
}

/** A RegExp that must match the whole input, as Envoy's safe_regex matchers do. */
export function compileFullMatch(pattern: string, path: string, extraFlags = ''): RegExp {
  const { source, flags } = translateRe2(pattern, path);
  try {
    return new RegExp(`^(?:${source})$`, [...new Set(flags + extraFlags)].join(''));
  } catch (err) {
    invalid(path, `invalid regex ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
}

/** A global RegExp for search-and-replace (regex_rewrite): every match is replaced. */
export function compileSearch(pattern: string, path: string): RegExp {
  const { source, flags } = translateRe2(pattern, path);
  try {
    return new RegExp(source, [...new Set(flags + 'g')].join(''));
  } catch (err) {
    invalid(path, `invalid regex ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
}

/** RE2 substitutions write capture groups as \1; JavaScript as $1 (and a literal $ as $$). */
export function translateSubstitution(substitution: string): string {
  return substitution.replace(/\$/g, '$$$$').replace(/\\(\d)/g, '$$$1').replace(/\\\\/g, '\\');
}
