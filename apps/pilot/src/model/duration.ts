// Istio durations are Go-style strings ("1s", "100ms", "1m30s", "1.5s");
// Envoy wants google.protobuf.Duration.
import { FieldError } from './errors.ts';

const UNITS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000_001 };

export function parseDurationMs(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new FieldError(field, 'expected a duration such as "5s" or "100ms"');
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value))) {
    total += Number(m[1]) * UNITS[m[2]];
    matched = re.lastIndex;
  }
  if (!value || matched !== value.length) throw new FieldError(field, `"${value}" is not a duration such as "5s" or "100ms"`);
  return total;
}

export function msToDuration(ms: number): { seconds: number; nanos?: number } {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1_000_000);
  return nanos ? { seconds, nanos } : { seconds };
}

export function toDuration(value: unknown, field: string): { seconds: number; nanos?: number } | undefined {
  const ms = parseDurationMs(value, field);
  return ms === undefined ? undefined : msToDuration(ms);
}
