// Reading the protobufjs plain-object forms of well-known types
// (docs/xds-representation.md): Durations as { seconds, nanos } with 64-bit
// seconds as strings, wrappers as { value }, FractionalPercent with an enum
// denominator. Every reader takes the field path so errors name it.
import { readFileSync } from 'node:fs';
import type {
  HttpCorsPolicy__Output,
  Cors__Output,
  DataSource__Output,
  ExtAuthz__Output,
  FileAccessLog__Output,
  HttpConnectionManager__Output,
  HttpFault__Output,
  JwtAuthentication__Output,
  NetworkExtAuthz__Output,
  NetworkRbac__Output,
  Rbac__Output,
  Router__Output,
  StderrAccessLog__Output,
  StdoutAccessLog__Output,
  TcpProxy__Output,
  UpstreamHttpProtocolOptions__Output,
  UpstreamTlsContext__Output,
} from '@mesh/xds';

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

/**
 * A google.protobuf.Any in memory (docs/xds-representation.md): `{ '@type', ...fields }`
 * when its type is among the loaded protos, else `{ typeUrl, value }` (still encoded).
 */
export interface AnyLike {
  readonly '@type'?: string;
  readonly typeUrl?: string;
  readonly type_url?: string;
}

/** The message type name of an Any (after the last '/'), whether it was decoded or not. */
export function anyTypeName(any: object | undefined | null): string {
  const a = any as AnyLike | undefined | null;
  const url = a?.['@type'] ?? a?.typeUrl ?? a?.type_url ?? '';
  return url.slice(url.lastIndexOf('/') + 1);
}

/** The typed configs this proxy reads, by message type name, as their generated decoded types. */
export interface TypedConfigs {
  'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager': HttpConnectionManager__Output;
  'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy': TcpProxy__Output;
  'envoy.extensions.filters.http.router.v3.Router': Router__Output;
  'envoy.extensions.filters.http.fault.v3.HTTPFault': HttpFault__Output;
  'envoy.extensions.filters.http.cors.v3.Cors': Cors__Output;
  'envoy.extensions.filters.http.cors.v3.CorsPolicy': HttpCorsPolicy__Output;
  'envoy.extensions.filters.http.rbac.v3.RBAC': Rbac__Output;
  'envoy.extensions.filters.network.rbac.v3.RBAC': NetworkRbac__Output;
  'envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication': JwtAuthentication__Output;
  'envoy.extensions.filters.http.ext_authz.v3.ExtAuthz': ExtAuthz__Output;
  'envoy.extensions.filters.network.ext_authz.v3.ExtAuthz': NetworkExtAuthz__Output;
  'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext': UpstreamTlsContext__Output;
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': UpstreamHttpProtocolOptions__Output;
  'envoy.extensions.access_loggers.file.v3.FileAccessLog': FileAccessLog__Output;
  'envoy.extensions.access_loggers.stream.v3.StdoutAccessLog': StdoutAccessLog__Output;
  'envoy.extensions.access_loggers.stream.v3.StderrAccessLog': StderrAccessLog__Output;
}

export type TypedConfigName = keyof TypedConfigs;

/**
 * The one place an Any is narrowed to a generated message type: its contents
 * when its '@type' names `type` (and it was decoded), else undefined.
 */
export function unpackAs<K extends TypedConfigName>(any: object | undefined | null, type: K): TypedConfigs[K] | undefined {
  if (any === undefined || any === null || (any as AnyLike)['@type'] === undefined) return undefined;
  return anyTypeName(any) === type ? (any as TypedConfigs[K]) : undefined;
}

/** The contents of a DataSource (inline or from a file), or undefined when none of its fields is set. */
export function dataSourceBytes(d: DataSource__Output | undefined | null, path: string): Buffer | undefined {
  if (d === undefined || d === null) return undefined;
  if (d.inlineString !== undefined) return Buffer.from(d.inlineString);
  if (d.inlineBytes !== undefined) {
    // protobufjs' JSON form gives bytes as base64; a Buffer is taken as is.
    const b: unknown = d.inlineBytes;
    return typeof b === 'string' ? Buffer.from(b, 'base64') : Buffer.from(b as Uint8Array);
  }
  if (d.filename !== undefined) {
    try {
      return readFileSync(d.filename);
    } catch (err) {
      invalid(`${path}.filename`, `cannot read ${d.filename}: ${(err as Error).message}`);
    }
  }
  return undefined;
}
