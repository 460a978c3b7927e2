// Nothing the proxy receives is silently ignored (the design's rule): for every
// Envoy message it reads there is a table of the fields it implements, typed
// against the message's generated `__Output` type so a misspelt name fails
// `tsc`, plus the fields it accepts knowing they change nothing it does. Any
// other field present in a decoded resource is a ConfigError naming the
// resource and the field, which the AdsClient turns into a NACK (the previous
// config stays in effect).
//
// The tables live next to the code that reads each message (cluster-config.ts,
// listener-config.ts, hcm-config.ts, route-table.ts, ...), so adding a field
// means reading it and listing it in one place.
import type {
  ConfigSource__Output,
  DataSource__Output,
  RuntimeFractionalPercent__Output,
} from '@mesh/xds';
import { invalid } from './proto-values.ts';

/** Which fields of one message (in one place where the proxy reads it) are accepted. */
export interface FieldTable<T> {
  /** For messages: the proto message the table is about. */
  readonly message: string;
  /** Read and acted on. */
  readonly implemented: ReadonlySet<string>;
  /** Accepted with no effect on traffic (telemetry, naming, things with no equivalent here); each with its reason at the table. */
  readonly noEffect: ReadonlySet<string>;
  /**
   * Accepted although NOT implemented, only because our own pilot sends them
   * today; each is a known gap, reported in `ClusterSpec.unimplemented` /
   * `RouteTable.unimplemented` (and so in CompiledConfig.unimplemented) rather
   * than NACKed, so that pilot's configuration still applies.
   */
  readonly gaps: ReadonlySet<string>;
  /** Carries T so `checkFields` only accepts the table of the message it is given. */
  readonly __message?: (value: T) => void;
}

type Names<T> = ReadonlyArray<keyof T & string>;

export function fieldTable<T extends object>(
  message: string,
  fields: { implemented: Names<T>; noEffect?: Names<T>; gaps?: Names<T> },
): FieldTable<T> {
  return {
    message,
    implemented: new Set(fields.implemented),
    noEffect: new Set(fields.noEffect ?? []),
    gaps: new Set(fields.gaps ?? []),
  };
}

/**
 * Throws a ConfigError for the first field of `value` the table does not
 * accept: `<path>: field <name> is not supported by this proxy`. Fields in the
 * table's `gaps` are appended (as `<path>.<name>`) to `gapSink`.
 * `value` is the decoded message (absent fields are simply not there; `null`
 * and `undefined` count as absent, as do the '@type' of an Any).
 */
export function checkFields<T extends object>(value: T | null | undefined, table: FieldTable<T>, path: string, gapSink?: string[]): void {
  if (value === null || value === undefined) return;
  if (typeof value !== 'object' || Array.isArray(value)) invalid(path, `expected a ${table.message} message, got ${JSON.stringify(value)}`);
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined || v === null || key === '@type') continue;
    if (table.implemented.has(key) || table.noEffect.has(key)) continue;
    if (table.gaps.has(key)) {
      gapSink?.push(`${path}.${key}`);
      continue;
    }
    invalid(path, `field ${key} is not supported by this proxy`);
  }
}

/** Checks each element of a repeated message field. */
export function checkEach<T extends object>(values: readonly T[] | null | undefined, table: FieldTable<T>, path: string, gapSink?: string[]): void {
  values?.forEach((v, i) => checkFields(v, table, `${path}[${i}]`, gapSink));
}

// ---------------------------------------------------------------------------
// Tables of small messages read in several places.

/** Where a resource comes from: this proxy takes everything over its one ADS stream. */
export const CONFIG_SOURCE = fieldTable<ConfigSource__Output>('envoy.config.core.v3.ConfigSource', {
  // `self` means "the server that sent this resource", which is the ADS server.
  implemented: ['ads', 'self', 'resourceApiVersion'],
});

/** Checks a ConfigSource: ADS (or self) only, API version V3. */
export function checkConfigSource(source: ConfigSource__Output | null | undefined, path: string): void {
  if (!source) return;
  checkFields(source, CONFIG_SOURCE, path);
  if (!source.ads && !source.self) invalid(path, 'only ads (or self) config sources are supported: this proxy takes every resource over its ADS stream');
  const version = source.resourceApiVersion;
  if (version !== undefined && version !== 'V3' && version !== 'AUTO') invalid(`${path}.resourceApiVersion`, `only V3 is supported, got ${version}`);
}

export const DATA_SOURCE = fieldTable<DataSource__Output>('envoy.config.core.v3.DataSource', {
  implemented: ['filename', 'inlineBytes', 'inlineString'],
});

export const RUNTIME_FRACTIONAL_PERCENT = fieldTable<RuntimeFractionalPercent__Output>('envoy.config.core.v3.RuntimeFractionalPercent', {
  implemented: ['defaultValue'],
  // This proxy has no runtime layer; Envoy with no value under the key uses defaultValue, as this proxy does.
  noEffect: ['runtimeKey'],
});
