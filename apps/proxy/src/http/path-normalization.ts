// Envoy's request path normalization, applied by the connection manager
// before route matching (and so before anything that authorizes by path).
// Istio sets it from mesh config `pathNormalization` (default BASE):
//   NONE                      nothing
//   BASE                      normalize_path
//   MERGE_SLASHES             normalize_path + merge_slashes
//   DECODE_AND_MERGE_SLASHES  normalize_path + merge_slashes + UNESCAPE_AND_FORWARD
//
// The order is Envoy's (ConnectionManagerUtility::maybeNormalizePath):
// 1. escaped slashes (%2F, %5C, any case) per path_with_escaped_slashes_action:
//    kept, rejected (400), or unescaped (then forwarded, or redirected with
//    307 to the resulting path);
// 2. normalize_path (RFC 3986 §6.2.2, as Envoy's canonicalizer does it):
//    percent-encoded unreserved characters decoded, other percent-encodings
//    upper-cased, `\` read as `/` (as Envoy's URL canonicalizer does), bytes
//    that may not appear in a path percent-encoded, `.` and `..` segments
//    removed (RFC 3986 §5.2.4, never above the root); %00 is refused;
// 3. merge_slashes: runs of `/` collapsed.
// The query string is never touched. The result is what routes match and
// what the upstream receives.

export type EscapedSlashesAction = 'KEEP_UNCHANGED' | 'REJECT_REQUEST' | 'UNESCAPE_AND_REDIRECT' | 'UNESCAPE_AND_FORWARD';

export interface PathNormalizationOptions {
  /** RFC 3986 normalization: decode unreserved %XX, resolve `.` and `..` segments. */
  readonly normalizePath: boolean;
  /** Collapse runs of `/` into one. */
  readonly mergeSlashes: boolean;
  /** What to do with %2F / %5C (and lower-case forms) in the path. */
  readonly escapedSlashes: EscapedSlashesAction;
}

/** The request must be refused with 400 (an escaped slash under REJECT_REQUEST, or a path that cannot be normalized). */
export const PATH_REJECTED: { readonly rejected: true } = Object.freeze({ rejected: true as const });

/** The client must be redirected (307) to this target (UNESCAPE_AND_REDIRECT found escaped slashes). */
export interface PathRedirect {
  readonly redirect: string;
}

/** The target to route and forward (possibly the same string), a redirect, or a rejection. */
export type NormalizedPath = string | PathRedirect | typeof PATH_REJECTED;

/** Whether any normalization is configured (the caller skips the call otherwise). */
export function normalizationEnabled(o: PathNormalizationOptions): boolean {
  return o.normalizePath || o.mergeSlashes || o.escapedSlashes !== 'KEEP_UNCHANGED';
}

const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) HEX_VALUE[65 + i] = HEX_VALUE[97 + i] = 10 + i;
const HEX_UPPER = '0123456789ABCDEF';

/** RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~". */
const UNRESERVED = new Uint8Array(128);
for (const c of '-._~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ') UNRESERVED[c.charCodeAt(0)] = 1;
/** Printable ASCII the URL canonicalizer percent-encodes in a path. */
const ESCAPE = new Uint8Array(128);
for (const c of '"<>`{}') ESCAPE[c.charCodeAt(0)] = 1;

const ESCAPED_SLASH = /%(?:2f|5c)/i;
const ESCAPED_SLASHES = /%(?:2f|5c)/gi;
const SLASH_RUNS = /\/{2,}/g;

function hexValue(code: number): number {
  return code < 128 ? HEX_VALUE[code] : -1;
}

function unescapeSlash(m: string): string {
  return m.charCodeAt(1) === 50 /* 2 */ ? '/' : '\\';
}

/** Whether the path part [0, end) may change under the given options (the common case: no). */
function mayChange(target: string, end: number, o: PathNormalizationOptions): boolean {
  let prev = 0;
  for (let i = 0; i < end; i++) {
    const c = target.charCodeAt(i);
    if (c === 37 /* % */ || c >= 128) return true;
    if (c === 47 /* / */) {
      if (prev === 47 && o.mergeSlashes) return true;
    } else if (o.normalizePath && (c === 92 /* \ */ || ESCAPE[c] === 1 || (c === 46 /* . */ && (prev === 47 || prev === 92)))) return true;
    prev = c;
  }
  return false;
}

/** Step 2: RFC 3986 §6.2.2 normalization of a path starting with `/`; null when it cannot be normalized. */
function canonicalize(path: string): string | null {
  let out = '';
  const n = path.length;
  for (let i = 0; i < n; i++) {
    const c = path.charCodeAt(i);
    if (c === 92) out += '/';
    else if (c === 37) {
      const h = hexValue(path.charCodeAt(i + 1));
      const l = h < 0 ? -1 : hexValue(path.charCodeAt(i + 2));
      if (l < 0) {
        out += '%'; // not an escape: a literal '%' stays as it came
        continue;
      }
      const b = h * 16 + l;
      if (b === 0) return null; // a NUL in a path is never valid
      out += b < 128 && UNRESERVED[b] === 1 ? String.fromCharCode(b) : '%' + HEX_UPPER[h] + HEX_UPPER[l];
      i += 2;
    } else if (c >= 128 || ESCAPE[c] === 1) out += '%' + HEX_UPPER[(c >> 4) & 15] + HEX_UPPER[c & 15];
    else out += path[i];
  }
  return removeDotSegments(out);
}

/** RFC 3986 §5.2.4 for an absolute path: `.` dropped, `..` removes the previous segment, never above the root. */
export function removeDotSegments(path: string): string {
  const segs = path.split('/');
  const out: string[] = [];
  const last = segs.length - 1;
  for (let i = 1; i <= last; i++) {
    const s = segs[i];
    if (s === '.' || s === '..') {
      if (s === '..') out.pop();
      if (i === last) out.push('');
      continue;
    }
    out.push(s);
  }
  return '/' + out.join('/');
}

/**
 * Normalizes a request target (origin-form, `/path?query`) as Envoy's
 * connection manager does before routing. Returns the same string when
 * nothing changes (no allocation on the common path).
 */
export function normalizePath(target: string, o: PathNormalizationOptions): NormalizedPath {
  if (target.charCodeAt(0) !== 47) return target; // `*` or authority-form: not a path
  const q = target.indexOf('?');
  const end = q < 0 ? target.length : q;
  if (!mayChange(target, end, o)) return target;
  let path = q < 0 ? target : target.slice(0, q);
  let redirect = false;
  if (o.escapedSlashes !== 'KEEP_UNCHANGED' && ESCAPED_SLASH.test(path)) {
    if (o.escapedSlashes === 'REJECT_REQUEST') return PATH_REJECTED;
    path = path.replace(ESCAPED_SLASHES, unescapeSlash);
    redirect = o.escapedSlashes === 'UNESCAPE_AND_REDIRECT';
  }
  if (o.normalizePath) {
    const canonical = canonicalize(path);
    if (canonical === null) return PATH_REJECTED;
    path = canonical;
  }
  if (o.mergeSlashes) path = path.replace(SLASH_RUNS, '/');
  const result = q < 0 ? path : path + target.slice(q);
  return redirect ? { redirect: result } : result;
}
