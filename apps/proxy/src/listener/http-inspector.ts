// What Envoy's http_inspector listener filter learns from the first bytes of
// a plaintext connection: an HTTP/1.x request line (→ application protocol
// "http/1.0" or "http/1.1") or the HTTP/2 connection preface (→ "h2c").
// Strict and bounded: the request line must be complete within
// MAX_HTTP_INSPECT_BYTES (Envoy's 8 KiB), made of a token method, a target of
// visible ASCII and `HTTP/1.0` or `HTTP/1.1` ended by CRLF. Never throws.

export const MAX_HTTP_INSPECT_BYTES = 8 * 1024;

export type HttpInspection =
  | { readonly kind: 'need-more' }
  | { readonly kind: 'http'; readonly protocol: 'http/1.0' | 'http/1.1' | 'h2c' }
  | { readonly kind: 'not-http' };

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const NEED_MORE: HttpInspection = { kind: 'need-more' };
const NOT_HTTP: HttpInspection = { kind: 'not-http' };

// RFC 9110 tchar.
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

const VERSION = 'HTTP/1.';

export function inspectHttp(data: Uint8Array): HttpInspection {
  const n = Math.min(data.length, MAX_HTTP_INSPECT_BYTES);
  if (n === 0) return NEED_MORE;
  // The HTTP/2 preface (RFC 9113 §3.4), which is also a syntactically odd request line: checked first.
  let preface = true;
  for (let i = 0; i < Math.min(n, PREFACE.length); i++) {
    if (data[i] !== PREFACE[i]) {
      preface = false;
      break;
    }
  }
  if (preface) return n >= PREFACE.length ? { kind: 'http', protocol: 'h2c' } : NEED_MORE;
  let i = 0;
  // method
  while (i < n && TCHAR[data[i]] === 1) i++;
  if (i === n) return n < MAX_HTTP_INSPECT_BYTES ? NEED_MORE : NOT_HTTP;
  if (i === 0 || data[i] !== 0x20) return NOT_HTTP;
  i++;
  // request-target: visible ASCII
  const targetStart = i;
  while (i < n && data[i] > 0x20 && data[i] < 0x7f) i++;
  if (i === n) return n < MAX_HTTP_INSPECT_BYTES ? NEED_MORE : NOT_HTTP;
  if (i === targetStart || data[i] !== 0x20) return NOT_HTTP;
  i++;
  // HTTP-version CRLF
  for (let k = 0; k < VERSION.length; k++, i++) {
    if (i === n) return NEED_MORE;
    if (data[i] !== VERSION.charCodeAt(k)) return NOT_HTTP;
  }
  if (i === n) return NEED_MORE;
  const minor = data[i++];
  if (minor !== 0x30 && minor !== 0x31) return NOT_HTTP;
  if (i === n) return NEED_MORE;
  if (data[i++] !== 0x0d) return NOT_HTTP;
  if (i === n) return NEED_MORE;
  if (data[i] !== 0x0a) return NOT_HTTP;
  return { kind: 'http', protocol: minor === 0x30 ? 'http/1.0' : 'http/1.1' };
}
