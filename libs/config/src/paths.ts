// Field paths as users read them in error messages: `spec.http[0].route[1].weight`,
// `spec.selector.matchLabels["app.kubernetes.io/name"]`. Segments are kept as
// an array while validating and turned into text only at the end, and the text
// can be parsed back (to find the YAML line of a field).

export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (PLAIN_KEY.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** The inverse of formatPath; returns undefined for text that formatPath cannot have produced. */
export function parsePath(path: string): PathSegment[] | undefined {
  const out: PathSegment[] = [];
  let i = 0;
  while (i < path.length) {
    const c = path[i];
    if (c === '.') {
      i++;
      continue;
    }
    if (c === '[') {
      if (path[i + 1] === '"') {
        // A JSON string: find its closing quote, skipping escapes.
        let j = i + 2;
        while (j < path.length && path[j] !== '"') j += path[j] === '\\' ? 2 : 1;
        if (path[j + 1] !== ']') return undefined;
        try {
          out.push(JSON.parse(path.slice(i + 1, j + 1)) as string);
        } catch {
          return undefined;
        }
        i = j + 2;
      } else {
        const end = path.indexOf(']', i);
        if (end < 0) return undefined;
        const n = Number(path.slice(i + 1, end));
        if (!Number.isInteger(n)) return undefined;
        out.push(n);
        i = end + 1;
      }
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(path.slice(i));
    if (!m) return undefined;
    out.push(m[0]);
    i += m[0].length;
  }
  return out;
}
