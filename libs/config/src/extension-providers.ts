// MeshConfig `extensionProviders` (Istio's MeshConfig.ExtensionProvider):
// named providers that other config refers to by name. The external
// authorizers (envoyExtAuthzHttp, envoyExtAuthzGrpc) are what
// AuthorizationPolicy CUSTOM uses; every other kind (tracing, metrics, access
// log providers) is read only for its name, so a mesh config written for
// Istio loads, and is reported as not implemented.
// https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig-ExtensionProvider
import type { FieldError } from '@mesh/contracts';
import { parseDurationNanos } from './duration.ts';

/** Envoy's ext_authz default when the provider sets no timeout (Istio: 600s). */
export const EXT_AUTHZ_DEFAULT_TIMEOUT_MS = 600_000;

export interface ExtAuthzRequestBody {
  maxRequestBytes: number;
  allowPartialMessage?: boolean;
  packAsBytes?: boolean;
}

interface ExtAuthzCommon {
  name: string;
  /** `[<namespace>/]<hostname>` as written. */
  service: string;
  /** The hostname part of `service`. */
  host: string;
  /** The namespace part of `service`, when given. */
  namespace?: string;
  port: number;
  /** Undefined: Istio's default (600s). */
  timeoutMs?: number;
  failOpen: boolean;
  /** HTTP status when the authorizer cannot be reached (403 unless set). */
  statusOnError: number;
  includeRequestBodyInCheck?: ExtAuthzRequestBody;
  /** Where the provider sits in the mesh config, e.g. `extensionProviders[0]`. */
  field: string;
}

export interface ExtAuthzHttpProvider extends ExtAuthzCommon {
  kind: 'envoyExtAuthzHttp';
  pathPrefix?: string;
  includeRequestHeadersInCheck: string[];
  includeAdditionalHeadersInCheck: Record<string, string>;
  headersToUpstreamOnAllow: string[];
  headersToDownstreamOnDeny: string[];
  headersToDownstreamOnAllow: string[];
}

export interface ExtAuthzGrpcProvider extends ExtAuthzCommon {
  kind: 'envoyExtAuthzGrpc';
}

/** A provider of a kind this mesh reads only the name of. */
export interface OtherExtensionProvider {
  kind: 'other';
  /** The provider field as written (zipkin, opentelemetry, prometheus, envoyFileAccessLog, ...). */
  type: string;
  name: string;
  field: string;
}

export type ExtensionProvider = ExtAuthzHttpProvider | ExtAuthzGrpcProvider | OtherExtensionProvider;

/** The provider kinds of Istio's ExtensionProvider oneof. */
export const EXTENSION_PROVIDER_KINDS = [
  'envoyExtAuthzHttp',
  'envoyExtAuthzGrpc',
  'zipkin',
  'lightstep',
  'datadog',
  'stackdriver',
  'opencensus',
  'skywalking',
  'opentelemetry',
  'prometheus',
  'envoyFileAccessLog',
  'envoyHttpAls',
  'envoyTcpAls',
  'envoyOtelAls',
] as const;

const HTTP_FIELDS = [
  'service',
  'port',
  'timeout',
  'pathPrefix',
  'failOpen',
  'statusOnError',
  'includeHeadersInCheck',
  'includeRequestHeadersInCheck',
  'includeAdditionalHeadersInCheck',
  'includeRequestBodyInCheck',
  'headersToUpstreamOnAllow',
  'headersToDownstreamOnDeny',
  'headersToDownstreamOnAllow',
];
const GRPC_FIELDS = ['service', 'port', 'timeout', 'failOpen', 'statusOnError', 'includeRequestBodyInCheck'];
const BODY_FIELDS = ['maxRequestBytes', 'allowPartialMessage', 'packAsBytes'];

export interface ExtensionProvidersResult {
  /** The readable providers, in order (a broken one is left out). */
  value: ExtensionProvider[];
  /** What makes the mesh config invalid (galley refuses it). */
  errors: FieldError[];
  /** Fields that are ignored: providers of kinds this mesh does not implement, unknown fields. */
  warnings: FieldError[];
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `extensionProviders` of a mesh config, strictly read (never throws). */
export function meshExtensionProviders(mesh: unknown): ExtensionProvidersResult {
  const out: ExtensionProvidersResult = { value: [], errors: [], warnings: [] };
  const list = isMap(mesh) ? mesh.extensionProviders : undefined;
  if (list === undefined || list === null) return out;
  if (!Array.isArray(list)) {
    out.errors.push({ path: 'extensionProviders', message: 'expected a list of providers such as [{name: my-ext-authz, envoyExtAuthzHttp: {service: ..., port: ...}}]' });
    return out;
  }
  const names = new Map<string, number>();
  list.forEach((item, i) => {
    const at = `extensionProviders[${i}]`;
    const errors: FieldError[] = [];
    const p = readProvider(item, at, errors, out.warnings);
    if (p) {
      const first = names.get(p.name);
      if (first !== undefined) errors.push({ path: `${at}.name`, message: `"${p.name}" is already the name of extensionProviders[${first}]; names must be unique` });
      else names.set(p.name, i);
    }
    out.errors.push(...errors);
    if (p && errors.length === 0) out.value.push(p);
  });
  return out;
}

function readProvider(item: unknown, at: string, errors: FieldError[], warnings: FieldError[]): ExtensionProvider | undefined {
  if (!isMap(item)) {
    errors.push({ path: at, message: 'expected a map with a name and one provider (e.g. envoyExtAuthzHttp)' });
    return undefined;
  }
  const name = item.name;
  if (typeof name !== 'string' || name === '') errors.push({ path: `${at}.name`, message: 'name is required (the name AuthorizationPolicy provider.name and Telemetry refer to)' });
  const kinds = Object.keys(item).filter((k) => k !== 'name' && item[k] !== undefined && item[k] !== null);
  const known = kinds.filter((k) => (EXTENSION_PROVIDER_KINDS as readonly string[]).includes(k));
  for (const k of kinds) if (!known.includes(k)) errors.push({ path: `${at}.${k}`, message: `unknown provider "${k}"; use one of ${EXTENSION_PROVIDER_KINDS.join(', ')}` });
  if (known.length === 0 && kinds.length === 0) errors.push({ path: at, message: `a provider needs one of ${EXTENSION_PROVIDER_KINDS.join(', ')}` });
  if (known.length > 1) errors.push({ path: at, message: `only one provider may be set, found ${known.join(' and ')}` });
  if (errors.length || typeof name !== 'string') return undefined;
  const kind = known[0];
  const body = item[kind];
  if (kind !== 'envoyExtAuthzHttp' && kind !== 'envoyExtAuthzGrpc') {
    warnings.push({ path: `${at}.${kind}`, message: `${kind} providers are not implemented by this mesh: what refers to "${name}" (Telemetry, defaultProviders) has no effect` });
    return { kind: 'other', type: kind, name, field: at };
  }
  return readExtAuthz(kind, name, body, `${at}.${kind}`, at, errors, warnings);
}

function readExtAuthz(
  kind: 'envoyExtAuthzHttp' | 'envoyExtAuthzGrpc',
  name: string,
  body: unknown,
  at: string,
  field: string,
  errors: FieldError[],
  warnings: FieldError[],
): ExtAuthzHttpProvider | ExtAuthzGrpcProvider | undefined {
  if (!isMap(body)) {
    errors.push({ path: at, message: 'expected a map with service and port' });
    return undefined;
  }
  const allowed = kind === 'envoyExtAuthzHttp' ? HTTP_FIELDS : GRPC_FIELDS;
  for (const k of Object.keys(body)) {
    if (!allowed.includes(k) && body[k] !== undefined && body[k] !== null) warnings.push({ path: `${at}.${k}`, message: `${k} is not a field of ${kind} known to this mesh and is ignored` });
  }
  const service = body.service;
  let host = '';
  let namespace: string | undefined;
  if (typeof service !== 'string' || service === '') errors.push({ path: `${at}.service`, message: 'service is required: [<namespace>/]<hostname> of a Kubernetes service or ServiceEntry, e.g. ext-authz.foo.svc.cluster.local' });
  else {
    const parts = service.split('/');
    if (parts.length > 2 || parts.some((x) => x === '')) errors.push({ path: `${at}.service`, message: `"${service}" is not [<namespace>/]<hostname>` });
    else if (parts.length === 2) [namespace, host] = parts;
    else host = parts[0];
    if (host && (host.includes('*') || !/^[A-Za-z0-9.-]+$/.test(host))) errors.push({ path: `${at}.service`, message: `"${host}" is not a host name` });
  }
  // Istio's own examples write the port as a string (`port: "9000"`), which its JSON decoding of the uint32 accepts.
  const port = typeof body.port === 'string' && /^[0-9]{1,5}$/.test(body.port) ? Number(body.port) : body.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) errors.push({ path: `${at}.port`, message: 'port is required: the service port, 1..65535' });
  let timeoutMs: number | undefined;
  if (body.timeout !== undefined && body.timeout !== null) {
    const d = typeof body.timeout === 'string' ? parseDurationNanos(body.timeout) : { error: 'expected a duration such as "2s"' };
    if ('error' in d) errors.push({ path: `${at}.timeout`, message: d.error });
    else timeoutMs = Number(d.nanos / 1_000_000n);
  }
  const failOpen = body.failOpen ?? false;
  if (typeof failOpen !== 'boolean') errors.push({ path: `${at}.failOpen`, message: 'expected true or false' });
  let statusOnError = 403;
  if (body.statusOnError !== undefined && body.statusOnError !== null && body.statusOnError !== '') {
    const s = String(body.statusOnError);
    const n = Number(s);
    if (!/^\d{3}$/.test(s) || n < 200 || n > 599) errors.push({ path: `${at}.statusOnError`, message: `${JSON.stringify(body.statusOnError)} is not an HTTP status code such as "403" or "503"` });
    else statusOnError = n;
  }
  let includeRequestBodyInCheck: ExtAuthzRequestBody | undefined;
  if (body.includeRequestBodyInCheck !== undefined && body.includeRequestBodyInCheck !== null) {
    const b = body.includeRequestBodyInCheck;
    const bat = `${at}.includeRequestBodyInCheck`;
    if (!isMap(b)) errors.push({ path: bat, message: 'expected a map such as {maxRequestBytes: 8192, allowPartialMessage: true}' });
    else {
      includeRequestBodyInCheck = { maxRequestBytes: 0 };
      for (const k of Object.keys(b)) if (!BODY_FIELDS.includes(k)) warnings.push({ path: `${bat}.${k}`, message: `${k} is not a field of includeRequestBodyInCheck and is ignored` });
      const max = b.maxRequestBytes;
      // Envoy requires a bound (BufferSettings.max_request_bytes > 0): without one the filter would be refused.
      if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 0xffffffff) {
        errors.push({ path: `${bat}.maxRequestBytes`, message: 'maxRequestBytes is required: how many body bytes the proxy holds for the check (1..4294967295)' });
      } else includeRequestBodyInCheck.maxRequestBytes = max;
      for (const k of ['allowPartialMessage', 'packAsBytes'] as const) {
        const v = b[k];
        if (v === undefined || v === null) continue;
        if (typeof v !== 'boolean') errors.push({ path: `${bat}.${k}`, message: 'expected true or false' });
        else includeRequestBodyInCheck[k] = v;
      }
    }
  }
  const common = { name, service: typeof service === 'string' ? service : '', host, ...(namespace ? { namespace } : {}), port: port as number, ...(timeoutMs !== undefined ? { timeoutMs } : {}), failOpen: failOpen === true, statusOnError, ...(includeRequestBodyInCheck ? { includeRequestBodyInCheck } : {}), field };
  if (kind === 'envoyExtAuthzGrpc') return errors.length ? undefined : { kind, ...common };

  let pathPrefix: string | undefined;
  if (body.pathPrefix !== undefined && body.pathPrefix !== null && body.pathPrefix !== '') {
    if (typeof body.pathPrefix !== 'string' || !body.pathPrefix.startsWith('/')) errors.push({ path: `${at}.pathPrefix`, message: `${JSON.stringify(body.pathPrefix)} must start with "/" (e.g. /check)` });
    else pathPrefix = body.pathPrefix;
  }
  const patterns = (f: string): string[] => {
    const v = body[f];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      errors.push({ path: `${at}.${f}`, message: 'expected a list of header names ("x-user", "x-*" or "*-id")' });
      return [];
    }
    const ok: string[] = [];
    v.forEach((h, i) => {
      if (typeof h !== 'string' || h === '' || h === '*') errors.push({ path: `${at}.${f}[${i}]`, message: `${JSON.stringify(h)} is not a header name, "prefix*" or "*suffix"` });
      else ok.push(h);
    });
    return ok;
  };
  const legacy = patterns('includeHeadersInCheck');
  const request = patterns('includeRequestHeadersInCheck');
  if (legacy.length && body.includeRequestHeadersInCheck === undefined) warnings.push({ path: `${at}.includeHeadersInCheck`, message: 'deprecated: use includeRequestHeadersInCheck (read as it here)' });
  const additional: Record<string, string> = {};
  const add = body.includeAdditionalHeadersInCheck;
  if (add !== undefined && add !== null) {
    if (!isMap(add)) errors.push({ path: `${at}.includeAdditionalHeadersInCheck`, message: 'expected a map of header name to value' });
    else {
      for (const [k, v] of Object.entries(add)) {
        if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k)) errors.push({ path: `${at}.includeAdditionalHeadersInCheck.${k}`, message: `"${k}" is not a header name` });
        else if (typeof v !== 'string') errors.push({ path: `${at}.includeAdditionalHeadersInCheck.${k}`, message: 'the value must be a string' });
        else additional[k] = v;
      }
    }
  }
  const provider: ExtAuthzHttpProvider = {
    kind,
    ...common,
    ...(pathPrefix ? { pathPrefix } : {}),
    // Istio reads the deprecated field only when the new one is absent.
    includeRequestHeadersInCheck: body.includeRequestHeadersInCheck === undefined ? legacy : request,
    includeAdditionalHeadersInCheck: additional,
    headersToUpstreamOnAllow: patterns('headersToUpstreamOnAllow'),
    headersToDownstreamOnDeny: patterns('headersToDownstreamOnDeny'),
    headersToDownstreamOnAllow: patterns('headersToDownstreamOnAllow'),
  };
  return errors.length ? undefined : provider;
}

/**
 * Errors of a resource's references into the mesh config: an
 * AuthorizationPolicy CUSTOM whose provider.name is not an external
 * authorizer (envoyExtAuthzHttp / envoyExtAuthzGrpc) of `extensionProviders`.
 * Galley refuses such a policy while the mesh config lacks the provider.
 */
export function meshReferenceErrors(r: { kind: string; spec?: unknown }, mesh: unknown): FieldError[] {
  if (r.kind !== 'AuthorizationPolicy' || !isMap(r.spec) || r.spec.action !== 'CUSTOM') return [];
  const name = isMap(r.spec.provider) ? r.spec.provider.name : undefined;
  if (typeof name !== 'string' || name === '') return [];
  const providers = meshExtensionProviders(mesh).value;
  const p = providers.find((x) => x.name === name);
  const authorizers = providers.filter((x) => x.kind !== 'other').map((x) => x.name);
  const known = authorizers.length ? `; the mesh config defines ${authorizers.join(', ')}` : '; the mesh config defines no envoyExtAuthzHttp or envoyExtAuthzGrpc provider';
  if (!p) return [{ path: 'spec.provider.name', message: `extension provider "${name}" is not defined in the mesh config (extensionProviders)${known}` }];
  if (p.kind === 'other') return [{ path: 'spec.provider.name', message: `extension provider "${name}" is a ${p.type} provider, not an external authorizer (envoyExtAuthzHttp or envoyExtAuthzGrpc)${known}` }];
  return [];
}
