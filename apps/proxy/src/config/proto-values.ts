// Reading the protobufjs plain-object forms of well-known types
// (docs/xds-representation.md): Durations as { seconds, nanos } with 64-bit
// seconds as strings, wrappers as { value }, FractionalPercent with an enum
// denominator. Every reader takes the field path so errors name it.

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Throws a ConfigError that names the resource and the field path. */
export function invalid(path: string, message: string): never {
  throw new ConfigError(`${path}: ${message}`);
}

export interface DurationLike {
  seconds?: string | number;
  nanos?: number;
}

/** Milliseconds of a google.protobuf.Duration, or `fallback` when unset. */
export function durationMs(value: DurationLike | undefined | null, path: string, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'object') invalid(path, `expected a Duration { seconds, nanos }, got ${JSON.stringify(value)}`);
  const seconds = Number(value.seconds ?? 0);
  const nanos = Number(value.nanos ?? 0);
  if (!Number.isFinite(seconds) || !Number.isFinite(nanos) || seconds < 0 || nanos < 0) {
    invalid(path, `expected a non-negative Duration, got ${JSON.stringify(value)}`);
  }
  return seconds * 1000 + nanos / 1e6;
}

/** The value of a wrapper type ({ value }) or `fallback` when the wrapper is absent. */
export function wrapped<T>(wrapper: { value?: T } | undefined | null, fallback: T): T {
  if (wrapper === undefined || wrapper === null) return fallback;
  return wrapper.value ?? fallback;
}

export interface FractionalPercentLike {
  numerator?: number;
  denominator?: string;
}

const DENOMINATORS: Record<string, number> = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 };

/** A FractionalPercent as a probability in [0, 1]; absent means `fallback`. */
export function fractionalPercent(value: FractionalPercentLike | undefined | null, path: string, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  const denominator = DENOMINATORS[value.denominator ?? 'HUNDRED'];
  if (denominator === undefined) invalid(`${path}.denominator`, `expected HUNDRED, TEN_THOUSAND or MILLION, got ${JSON.stringify(value.denominator)}`);
  const numerator = Number(value.numerator ?? 0);
  if (!Number.isFinite(numerator) || numerator < 0) invalid(`${path}.numerator`, `expected a non-negative number, got ${JSON.stringify(value.numerator)}`);
  return Math.min(1, numerator / denominator);
}

/** The message type name of an Any's '@type' (after the last '/'). */
export function anyTypeName(any: { '@type'?: string } | undefined | null): string {
  const url = any?.['@type'] ?? '';
  return url.slice(url.lastIndexOf('/') + 1);
}
