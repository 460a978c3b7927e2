// Durations as Istio's YAML spells them: Go's duration syntax ("1s", "100ms",
// "1m30s", "1.5h", "0"), which is what Istio's CRD validation and its YAML
// reader accept for every google.protobuf.Duration field. Negative durations
// never make sense in Istio's API and are rejected.

const UNIT_NANOS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const COMPONENT = /^(\d*)(?:\.(\d*))?([a-zµμ]+)/;

/** Nanoseconds, or a message saying what is wrong with the text. */
export function parseDurationNanos(text: string): { nanos: bigint } | { error: string } {
  const bad = { error: `"${text}" is not a duration; use a number with a unit such as "5s", "100ms", "1m30s" or "1h"` };
  if (typeof text !== 'string' || text.length === 0) return bad;
  if (text === '0') return { nanos: 0n };
  if (text.startsWith('-')) return { error: `"${text}": durations must not be negative` };
  let rest = text.startsWith('+') ? text.slice(1) : text;
  if (!rest) return bad;
  let total = 0n;
  while (rest) {
    const m = COMPONENT.exec(rest);
    if (!m) return bad;
    const [whole, int, frac = '', unit] = m;
    if (!int && !frac) return bad;
    const scale = UNIT_NANOS[unit];
    if (scale === undefined) return { error: `"${text}": unknown unit "${unit}"; valid units are h, m, s, ms, us, ns` };
    total += BigInt(int || '0') * scale;
    if (frac) total += (BigInt(frac) * scale) / 10n ** BigInt(frac.length);
    rest = rest.slice(whole.length);
  }
  return { nanos: total };
}

/** Milliseconds (fractional below 1 ms), or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const r = parseDurationNanos(text);
  return 'nanos' in r ? Number(r.nanos) / 1e6 : undefined;
}

/**
 * A duration string as google.protobuf.Duration in protobufjs plain-object form
 * (`{ seconds: '5', nanos: 0 }`), the shape xDS resources carry.
 */
export function durationToProto(text: string): { seconds: string; nanos: number } | undefined {
  const r = parseDurationNanos(text);
  if (!('nanos' in r)) return undefined;
  return { seconds: String(r.nanos / 1_000_000_000n), nanos: Number(r.nanos % 1_000_000_000n) };
}
