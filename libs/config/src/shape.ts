// The structural layer of validation: what fields each Istio message has and
// what type each holds, the way Istio's protobuf/JSON reader sees a spec.
// conform() walks a spec against a message shape and returns a normalized
// copy (camelCase keys, unknown fields dropped, numbers from quoted strings)
// while reporting type errors, unknown fields and oneof conflicts with their
// paths. Semantic rules (ranges, cross-field constraints) live in validate/.
import type { Reporter } from './issues.ts';
import { parseDurationNanos } from './duration.ts';

export type FieldShape =
  | { kind: 'string' }
  | { kind: 'bool' }
  | { kind: 'int'; type: 'int32' | 'uint32' | 'uint64' }
  | { kind: 'double' }
  | { kind: 'duration' }
  | { kind: 'bytes' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'message'; shape: () => MessageShape<any> }
  | { kind: 'list'; of: FieldShape }
  | { kind: 'map'; keys: 'string' | 'uint32'; of: FieldShape };

export interface MessageShape<T> {
  /** The message's name in Istio's API reference, used in messages. */
  name: string;
  fields: { [K in keyof T]-?: FieldShape };
  /** Groups of fields of which at most one may be set (protobuf oneofs). */
  oneofs?: ReadonlyArray<ReadonlyArray<keyof T & string>>;
  /** Deprecated fields and what to use instead. */
  deprecated?: Partial<Record<keyof T & string, string>>;
}

export const str: FieldShape = { kind: 'string' };
export const bool: FieldShape = { kind: 'bool' };
export const int32: FieldShape = { kind: 'int', type: 'int32' };
export const uint32: FieldShape = { kind: 'int', type: 'uint32' };
export const uint64: FieldShape = { kind: 'int', type: 'uint64' };
export const double: FieldShape = { kind: 'double' };
export const duration: FieldShape = { kind: 'duration' };
export const bytes: FieldShape = { kind: 'bytes' };
export const strings: FieldShape = { kind: 'list', of: str };
export const labels: FieldShape = { kind: 'map', keys: 'string', of: str };
export const enumOf = (values: readonly string[]): FieldShape => ({ kind: 'enum', values });
export const message = (shape: () => MessageShape<any>): FieldShape => ({ kind: 'message', shape });
export const list = (of: FieldShape): FieldShape => ({ kind: 'list', of });
export const map = (of: FieldShape, keys: 'string' | 'uint32' = 'string'): FieldShape => ({ kind: 'map', keys, of });

export interface ConformOptions {
  /** Unknown fields are errors (Istio's strict mode) or warnings (ignored, as the Kubernetes API server prunes them). */
  unknownFields: 'error' | 'warn';
}

/** Counts of what conform() found, so callers can tell type errors apart from unknown fields. */
export interface ConformStats {
  typeErrors: number;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 60 ? value.slice(0, 57) + '...' : value)}`;
  return `${typeof value} ${String(value)}`;
}

const INT_RANGE = {
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  uint64: [0, Number.MAX_SAFE_INTEGER],
} as const;

function snakeToCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Levenshtein distance, for "did you mean" on misspelled field names. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

function suggest(key: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(key, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(key.length / 4)) ? best : undefined;
}

function typeError(rep: Reporter, stats: ConformStats, message: string): undefined {
  stats.typeErrors++;
  rep.error(message);
  return undefined;
}

/** Returns the normalized value, or undefined when the value is absent or unusable (an error was reported). */
export function conform(value: unknown, shape: FieldShape, rep: Reporter, options: ConformOptions, stats: ConformStats): unknown {
  if (value === null || value === undefined) return undefined;
  switch (shape.kind) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') {
        // YAML turns `true`, `1`, `1.0` into non-strings; Istio expects a string here.
        rep.warn(`expected a string, got ${describe(value)}; using "${String(value)}" (quote the value in YAML to make it a string)`);
        return String(value);
      }
      return typeError(rep, stats, `expected a string, got ${describe(value)}`);
    case 'bool':
      if (typeof value === 'boolean') return value;
      return typeError(rep, stats, `expected true or false, got ${describe(value)}`);
    case 'int': {
      let n: number | undefined;
      if (typeof value === 'number') n = value;
      else if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) n = Number(value.trim());
      const [min, max] = INT_RANGE[shape.type];
      if (n === undefined || !Number.isInteger(n)) return typeError(rep, stats, `expected an integer, got ${describe(value)}`);
      if (n < min) return typeError(rep, stats, min === 0 ? `must not be negative, got ${n}` : `${n} is below the minimum ${min}`);
      if (n > max) return typeError(rep, stats, `${n} is above the maximum ${max}`);
      return n;
    }
    case 'double': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (!Number.isFinite(n)) return typeError(rep, stats, `expected a number, got ${describe(value)}`);
      return n;
    }
    case 'duration': {
      if (typeof value !== 'string') {
        return typeError(rep, stats, `expected a duration such as "5s" or "100ms", got ${describe(value)}`);
      }
      const parsed = parseDurationNanos(value);
      if ('error' in parsed) return typeError(rep, stats, parsed.error);
      return value;
    }
    case 'bytes':
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) {
        return typeError(rep, stats, `expected base64-encoded bytes, got ${describe(value)}`);
      }
      return value;
    case 'enum':
      if (typeof value === 'string' && shape.values.includes(value)) return value;
      if (typeof value === 'string' && shape.values.includes(value.toUpperCase())) {
        return typeError(rep, stats, `"${value}" is not valid (values are case-sensitive); did you mean "${value.toUpperCase()}"?`);
      }
      return typeError(rep, stats, `${describe(value)} is not valid; use one of ${shape.values.join(', ')}`);
    case 'list': {
      if (!Array.isArray(value)) return typeError(rep, stats, `expected a list, got ${describe(value)}`);
      return value.map((item, i) => {
        if (item === null || item === undefined) return typeError(rep.at(i), stats, 'list item must not be empty');
        return conform(item, shape.of, rep.at(i), options, stats);
      });
    }
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) return typeError(rep, stats, `expected a map, got ${describe(value)}`);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (shape.keys === 'uint32' && (!/^\d+$/.test(k) || Number(k) > 4294967295)) {
          typeError(rep.at(k), stats, `map key "${k}" must be a non-negative integer`);
          continue;
        }
        if (v === null || v === undefined) {
          // An empty StringMatch in `headers` means "present"; elsewhere an empty value is an error.
          if (shape.of.kind === 'message') out[k] = {};
          else typeError(rep.at(k), stats, 'value must not be empty');
          continue;
        }
        const c = conform(v, shape.of, rep.at(k), options, stats);
        if (c !== undefined) out[k] = c;
      }
      return out;
    }
    case 'message':
      return conformMessage(value, shape.shape(), rep, options, stats);
  }
}

export function conformMessage<T>(
  value: unknown,
  shape: MessageShape<T>,
  rep: Reporter,
  options: ConformOptions,
  stats: ConformStats,
): Partial<T> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return typeError(rep, stats, `expected an object (${shape.name}), got ${describe(value)}`);
  }
  const fields = shape.fields as Record<string, FieldShape>;
  const known = Object.keys(fields);
  const out: Record<string, unknown> = {};
  const seen = new Map<string, string>();
  for (const [rawKey, v] of Object.entries(value as Record<string, unknown>)) {
    let key = rawKey;
    if (!(key in fields) && key.includes('_') && snakeToCamel(key) in fields) key = snakeToCamel(key);
    if (!(key in fields)) {
      const hint = suggest(rawKey, known);
      const tail = hint ? `did you mean "${hint}"?` : `known fields: ${known.join(', ')}`;
      const msg = `unknown field "${rawKey}" in ${shape.name}; ${tail}`;
      if (options.unknownFields === 'error') rep.at(rawKey).error(msg);
      else rep.at(rawKey).warn(`${msg} (ignored)`);
      continue;
    }
    if (seen.has(key)) {
      typeError(rep.at(rawKey), stats, `"${rawKey}" and "${seen.get(key)}" are the same field; set it once`);
      continue;
    }
    seen.set(key, rawKey);
    const deprecation = shape.deprecated?.[key as keyof T & string];
    if (deprecation && v !== null && v !== undefined) rep.at(key).warn(`"${key}" is deprecated; ${deprecation}`);
    const c = conform(v, fields[key], rep.at(key), options, stats);
    if (c !== undefined) out[key] = c;
  }
  for (const group of shape.oneofs ?? []) {
    const set = group.filter((f) => out[f] !== undefined);
    if (set.length > 1) typeError(rep, stats, `only one of ${group.join(', ')} may be set, found ${set.join(' and ')}`);
  }
  return out as Partial<T>;
}
