// Envoy's TLS transport socket configs compiled: DownstreamTlsContext (a
// listener filter chain that terminates TLS) and UpstreamTlsContext (a
// cluster, or one of its transport_socket_matches, that originates it), with
// their CommonTlsContext. Certificates and trust come inline, from files, or
// as SDS secret references (resolved per connection through a SecretLookup:
// secrets arrive late and rotate, so nothing here holds their material).
// A field this proxy cannot enforce is NACKed: dropping a SAN matcher or a
// validation context would accept peers the configuration refuses.
import type {
  CertificateValidationContext__Output,
  CombinedCertificateValidationContext__Output,
  CommonTlsContext__Output,
  ConfigSource__Output,
  DownstreamTlsContext__Output,
  SdsSecretConfig__Output,
  StringMatcher__Output,
  SubjectAltNameMatcher__Output,
  TlsCertificate__Output,
  TransportSocket__Output,
  UpstreamTlsContext__Output,
} from '@mesh/xds';
import { createSecureContext } from 'node:tls';
import { StringMatcher } from './matchers.ts';
import { anyTypeName, dataSourceBytes, durationMs, invalid, wrapped } from './proto-values.ts';
import { DATA_SOURCE, checkFields, fieldTable } from './supported-fields.ts';
import type { SecretRef } from '../secrets/secret-lookup.ts';

export const TLS_TRANSPORT_SOCKET = 'envoy.transport_sockets.tls';
export const RAW_BUFFER_TRANSPORT_SOCKET = 'envoy.transport_sockets.raw_buffer';
const RAW_BUFFER_TYPE = 'envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer';
const UPSTREAM_TLS_TYPE = 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
const DOWNSTREAM_TLS_TYPE = 'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
/** Istio's SDS cluster: the agent's SDS server in Envoy's deployment, the in-process agent here. */
export const AGENT_SDS_CLUSTER = 'sds-grpc';

type TlsParams = NonNullable<CommonTlsContext__Output['tlsParams']>;
type ApiConfigSource = NonNullable<ConfigSource__Output['apiConfigSource']>;
type GrpcService = NonNullable<ApiConfigSource['grpcServices']>[number];
type EnvoyGrpc = NonNullable<GrpcService['envoyGrpc']>;

/** Which certificate SAN a matcher looks at: Envoy's SubjectAltNameMatcher.san_type, or 'URI_DNS' for the untyped form (URI and DNS SANs). */
export type SanType = 'URI_DNS' | 'URI' | 'DNS' | 'EMAIL' | 'IP_ADDRESS';

export interface SanMatcherSpec {
  readonly type: SanType;
  readonly matcher: StringMatcher;
}

export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/** What Common/Upstream/DownstreamTlsContext say, the secrets still unresolved. */
export interface TlsContextSpec {
  /** Our certificate: inline PEM (chain + key), or an SDS secret. Undefined: none (a client without a certificate). */
  readonly certificate: { readonly cert: string; readonly key: string } | SecretRef | undefined;
  /** Trusted CAs: inline PEM, or an SDS secret (a validation context). */
  readonly ca: string | SecretRef | undefined;
  /** Any one must match one of the peer certificate's SANs; empty: no SAN check. */
  readonly sanMatchers: readonly SanMatcherSpec[];
  /** Whether the peer certificate is verified at all (a validation context is configured). */
  readonly verify: boolean;
  readonly alpn: readonly string[];
  readonly minVersion: TlsVersion | undefined;
  readonly maxVersion: TlsVersion | undefined;
  readonly cipherSuites: readonly string[];
  readonly ecdhCurves: readonly string[];
}

export interface UpstreamTlsSpec extends TlsContextSpec {
  readonly sni: string | undefined;
}

export interface DownstreamTlsSpec extends TlsContextSpec {
  readonly requireClientCertificate: boolean;
  /** Envoy's DownstreamTlsContext has no handshake timeout of its own; the transport_socket_connect_timeout of the chain bounds it (default DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS). */
  readonly handshakeTimeoutMs: number;
}

/** How long a downstream TLS handshake may take when the chain does not say (Envoy's transport_socket_connect_timeout is unbounded by default; this proxy bounds it). */
export const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

export function isSecretRef(v: unknown): v is SecretRef {
  return typeof v === 'object' && v !== null && 'source' in v && 'name' in v;
}

// ---------------------------------------------------------------------------
// What this proxy accepts (see supported-fields.ts).

const TRANSPORT_SOCKET = fieldTable<TransportSocket__Output>('envoy.config.core.v3.TransportSocket', { implemented: ['name', 'typedConfig'] });
const UPSTREAM_TLS = fieldTable<UpstreamTlsContext__Output>(UPSTREAM_TLS_TYPE, { implemented: ['commonTlsContext', 'sni'] });
const DOWNSTREAM_TLS = fieldTable<DownstreamTlsContext__Output>(DOWNSTREAM_TLS_TYPE, {
  implemented: ['commonTlsContext', 'requireClientCertificate'],
  // Session resumption is an optimisation; this proxy issues no tickets and keeps no session cache, so disabling it changes nothing.
  noEffect: ['disableStatelessSessionResumption', 'disableStatefulSessionResumption'],
});
const COMMON_TLS = fieldTable<CommonTlsContext__Output>('envoy.extensions.transport_sockets.tls.v3.CommonTlsContext', {
  implemented: ['tlsParams', 'tlsCertificates', 'tlsCertificateSdsSecretConfigs', 'validationContext', 'validationContextSdsSecretConfig', 'combinedValidationContext', 'alpnProtocols'],
});
const TLS_PARAMS = fieldTable<TlsParams>('envoy.extensions.transport_sockets.tls.v3.TlsParameters', {
  implemented: ['tlsMinimumProtocolVersion', 'tlsMaximumProtocolVersion', 'cipherSuites', 'ecdhCurves'],
});
const VALIDATION_CONTEXT = fieldTable<CertificateValidationContext__Output>('envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext', {
  implemented: ['trustedCa', 'matchTypedSubjectAltNames', 'matchSubjectAltNames'],
});
const COMBINED_VALIDATION = fieldTable<CombinedCertificateValidationContext__Output>(
  'envoy.extensions.transport_sockets.tls.v3.CommonTlsContext.CombinedCertificateValidationContext',
  { implemented: ['defaultValidationContext', 'validationContextSdsSecretConfig'] },
);
const SAN_MATCHER = fieldTable<SubjectAltNameMatcher__Output>('envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher', { implemented: ['sanType', 'matcher'] });
const TLS_CERTIFICATE = fieldTable<TlsCertificate__Output>('envoy.extensions.transport_sockets.tls.v3.TlsCertificate', { implemented: ['certificateChain', 'privateKey'] });
const SDS_SECRET_CONFIG = fieldTable<SdsSecretConfig__Output>('envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig', { implemented: ['name', 'sdsConfig'] });
const SDS_CONFIG_SOURCE = fieldTable<ConfigSource__Output>('envoy.config.core.v3.ConfigSource', {
  implemented: ['ads', 'apiConfigSource', 'resourceApiVersion'],
  // Istio sets 0 (wait for the secret forever); a connection that needs a secret not there yet is refused either way.
  noEffect: ['initialFetchTimeout'],
});
const API_CONFIG_SOURCE = fieldTable<ApiConfigSource>('envoy.config.core.v3.ApiConfigSource', {
  implemented: ['apiType', 'transportApiVersion', 'grpcServices'],
  // The agent's SDS server is in process: there is no stream whose first message would carry the node.
  noEffect: ['setNodeOnFirstMessageOnly'],
});
const GRPC_SERVICE = fieldTable<GrpcService>('envoy.config.core.v3.GrpcService', { implemented: ['envoyGrpc'] });
const ENVOY_GRPC = fieldTable<EnvoyGrpc>('envoy.config.core.v3.GrpcService.EnvoyGrpc', { implemented: ['clusterName'] });

const TLS_VERSIONS: Record<string, TlsVersion | 'auto'> = { TLS_AUTO: 'auto', TLSv1_0: 'TLSv1', TLSv1_1: 'TLSv1.1', TLSv1_2: 'TLSv1.2', TLSv1_3: 'TLSv1.3' };
const SAN_TYPES: Record<string, SanType> = { DNS: 'DNS', URI: 'URI', EMAIL: 'EMAIL', IP_ADDRESS: 'IP_ADDRESS' };

// ---------------------------------------------------------------------------

/** Where an SDS secret comes from: pilot over ADS, or the agent (Istio's `sds-grpc` cluster). */
export function compileSecretRef(s: SdsSecretConfig__Output, path: string): SecretRef {
  checkFields(s, SDS_SECRET_CONFIG, path);
  if (!s.name) invalid(`${path}.name`, 'an SDS secret needs a name');
  const src = s.sdsConfig;
  const sp = `${path}.sdsConfig`;
  if (!src) invalid(sp, 'an SDS secret needs its sdsConfig (this proxy has no static secrets)');
  checkFields(src, SDS_CONFIG_SOURCE, sp);
  const version = src.resourceApiVersion;
  if (version !== undefined && version !== 'V3' && version !== 'AUTO') invalid(`${sp}.resourceApiVersion`, `only V3 is supported, got ${version}`);
  if (src.ads) return { name: s.name, source: 'ads' };
  const api = src.apiConfigSource;
  if (!api) invalid(sp, 'must be ads, or an apiConfigSource naming the sds-grpc cluster');
  const ap = `${sp}.apiConfigSource`;
  checkFields(api, API_CONFIG_SOURCE, ap);
  if (api.transportApiVersion !== undefined && api.transportApiVersion !== 'V3' && api.transportApiVersion !== 'AUTO') invalid(`${ap}.transportApiVersion`, `only V3 is supported, got ${api.transportApiVersion}`);
  const type: string = api.apiType ?? 'LEGACY';
  if (type === 'AGGREGATED_GRPC' || type === 'AGGREGATED_DELTA_GRPC') {
    if (api.grpcServices?.length) invalid(`${ap}.grpcServices`, 'an aggregated source takes no gRPC services of its own');
    return { name: s.name, source: 'ads' };
  }
  if (type !== 'GRPC' && type !== 'DELTA_GRPC') invalid(`${ap}.apiType`, `only GRPC (the sds-grpc cluster) or AGGREGATED_GRPC are supported, got ${type}`);
  const services = api.grpcServices ?? [];
  if (services.length !== 1) invalid(`${ap}.grpcServices`, `needs exactly one gRPC service (envoyGrpc clusterName ${AGENT_SDS_CLUSTER}), got ${services.length}`);
  checkFields(services[0], GRPC_SERVICE, `${ap}.grpcServices[0]`);
  const eg = services[0].envoyGrpc;
  checkFields(eg, ENVOY_GRPC, `${ap}.grpcServices[0].envoyGrpc`);
  if (eg?.clusterName !== AGENT_SDS_CLUSTER) {
    invalid(`${ap}.grpcServices[0].envoyGrpc.clusterName`, `only the agent's SDS cluster ${AGENT_SDS_CLUSTER} serves secrets here, got ${JSON.stringify(eg?.clusterName ?? '')}`);
  }
  return { name: s.name, source: 'agent' };
}

function compileSanMatchers(vc: CertificateValidationContext__Output | undefined, path: string): SanMatcherSpec[] {
  const out: SanMatcherSpec[] = [];
  (vc?.matchTypedSubjectAltNames ?? []).forEach((m, i) => {
    const mp = `${path}.matchTypedSubjectAltNames[${i}]`;
    checkFields(m, SAN_MATCHER, mp);
    const type = SAN_TYPES[m.sanType ?? ''];
    if (type === undefined) invalid(`${mp}.sanType`, `must be DNS, URI, EMAIL or IP_ADDRESS, got ${m.sanType ?? 'SAN_TYPE_UNSPECIFIED'}`);
    if (!m.matcher) invalid(`${mp}.matcher`, 'a SAN matcher needs its string matcher');
    out.push({ type, matcher: new StringMatcher(m.matcher as StringMatcher__Output, `${mp}.matcher`) });
  });
  (vc?.matchSubjectAltNames ?? []).forEach((m, i) => {
    out.push({ type: 'URI_DNS', matcher: new StringMatcher(m, `${path}.matchSubjectAltNames[${i}]`) });
  });
  return out;
}

function compileTlsParams(p: TlsParams | undefined, path: string): Pick<TlsContextSpec, 'minVersion' | 'maxVersion' | 'cipherSuites' | 'ecdhCurves'> {
  checkFields(p, TLS_PARAMS, path);
  const version = (v: string | undefined, field: string): TlsVersion | undefined => {
    if (v === undefined) return undefined;
    const t = TLS_VERSIONS[v];
    if (t === undefined) invalid(`${path}.${field}`, `unknown TLS version ${v}`);
    if (t === 'TLSv1' || t === 'TLSv1.1') invalid(`${path}.${field}`, `${v} is not supported by this proxy (TLS 1.2 and 1.3 only)`);
    return t === 'auto' ? undefined : t;
  };
  const minVersion = version(p?.tlsMinimumProtocolVersion, 'tlsMinimumProtocolVersion');
  const maxVersion = version(p?.tlsMaximumProtocolVersion, 'tlsMaximumProtocolVersion');
  if (minVersion !== undefined && maxVersion !== undefined && minVersion > maxVersion) invalid(path, `the minimum version ${minVersion} is above the maximum ${maxVersion}`);
  // OpenSSL names (Envoy's BoringSSL names are the same for the suites both support); a bracketed equal-preference group is BoringSSL-only.
  const cipherSuites = (p?.cipherSuites ?? []).map((c, i) => {
    if (!/^[A-Za-z0-9_-]+$/.test(c)) invalid(`${path}.cipherSuites[${i}]`, `not a cipher suite name this proxy can apply: ${JSON.stringify(c)}`);
    return c;
  });
  const ecdhCurves = (p?.ecdhCurves ?? []).map((c, i) => {
    if (!/^[A-Za-z0-9_-]+$/.test(c)) invalid(`${path}.ecdhCurves[${i}]`, `not a curve name: ${JSON.stringify(c)}`);
    return c;
  });
  // Whether OpenSSL knows them is checked now, so a typo is a NACK rather than every connection failing.
  try {
    if (cipherSuites.length) createSecureContext({ ciphers: cipherSuites.join(':') });
  } catch (err) {
    invalid(`${path}.cipherSuites`, `OpenSSL accepts none of them: ${(err as Error).message}`);
  }
  try {
    if (ecdhCurves.length) createSecureContext({ ecdhCurve: ecdhCurves.join(':') });
  } catch (err) {
    invalid(`${path}.ecdhCurves`, `OpenSSL refuses them: ${(err as Error).message}`);
  }
  return { minVersion, maxVersion, cipherSuites, ecdhCurves };
}

function compileCommon(common: CommonTlsContext__Output, path: string): TlsContextSpec {
  checkFields(common, COMMON_TLS, path);
  if (common.validationContext && (common.validationContextSdsSecretConfig || common.combinedValidationContext)) {
    invalid(path, 'only one of validationContext, validationContextSdsSecretConfig and combinedValidationContext may be set');
  }
  if (common.validationContextSdsSecretConfig && common.combinedValidationContext) invalid(path, 'only one of validationContextSdsSecretConfig and combinedValidationContext may be set');
  const combined = common.combinedValidationContext;
  checkFields(combined, COMBINED_VALIDATION, `${path}.combinedValidationContext`);
  if (combined && !combined.validationContextSdsSecretConfig) invalid(`${path}.combinedValidationContext.validationContextSdsSecretConfig`, 'a combined validation context needs its SDS secret');
  const vcPath = common.validationContext ? `${path}.validationContext` : `${path}.combinedValidationContext.defaultValidationContext`;
  const vc = common.validationContext ?? combined?.defaultValidationContext;
  checkFields(vc, VALIDATION_CONTEXT, vcPath);
  checkFields(vc?.trustedCa, DATA_SOURCE, `${vcPath}.trustedCa`);
  const sanMatchers = compileSanMatchers(vc, vcPath);
  const sdsCa = common.validationContextSdsSecretConfig ?? combined?.validationContextSdsSecretConfig;
  const sdsCaPath = common.validationContextSdsSecretConfig ? `${path}.validationContextSdsSecretConfig` : `${path}.combinedValidationContext.validationContextSdsSecretConfig`;
  const inlineCa = dataSourceBytes(vc?.trustedCa, `${vcPath}.trustedCa`)?.toString();
  const ca: string | SecretRef | undefined = sdsCa ? compileSecretRef(sdsCa, sdsCaPath) : inlineCa;
  const verify = ca !== undefined;
  // Envoy refuses this too: checking names on a certificate nobody vouches for proves nothing.
  if (!verify && sanMatchers.length > 0) invalid(vcPath, 'SAN matchers need trusted CAs (trustedCa or an SDS validation context) to verify the certificate against');
  if (common.validationContext && !verify) invalid(`${vcPath}.trustedCa`, 'a validation context needs trusted CAs');

  const certs = common.tlsCertificates ?? [];
  const sdsCerts = common.tlsCertificateSdsSecretConfigs ?? [];
  if (certs.length + sdsCerts.length > 1) invalid(path, 'at most one certificate (tlsCertificates or tlsCertificateSdsSecretConfigs) is supported');
  let certificate: TlsContextSpec['certificate'];
  if (certs.length === 1) {
    const cp = `${path}.tlsCertificates[0]`;
    checkFields(certs[0], TLS_CERTIFICATE, cp);
    checkFields(certs[0].certificateChain, DATA_SOURCE, `${cp}.certificateChain`);
    checkFields(certs[0].privateKey, DATA_SOURCE, `${cp}.privateKey`);
    const cert = dataSourceBytes(certs[0].certificateChain, `${cp}.certificateChain`)?.toString();
    const key = dataSourceBytes(certs[0].privateKey, `${cp}.privateKey`)?.toString();
    if (!cert) invalid(`${cp}.certificateChain`, 'a certificate needs its chain');
    if (!key) invalid(`${cp}.privateKey`, 'a certificate needs its private key');
    certificate = { cert, key };
  } else if (sdsCerts.length === 1) {
    certificate = compileSecretRef(sdsCerts[0], `${path}.tlsCertificateSdsSecretConfigs[0]`);
  }
  const alpn = (common.alpnProtocols ?? []).map((p, i) => {
    if (!p || Buffer.byteLength(p) > 255) invalid(`${path}.alpnProtocols[${i}]`, 'an ALPN protocol is 1 to 255 bytes');
    return p;
  });
  return { certificate, ca, sanMatchers, verify, alpn, ...compileTlsParams(common.tlsParams, `${path}.tlsParams`) };
}

/** Whether a transport socket is plaintext (none, or raw_buffer). */
export function isRawBuffer(ts: TransportSocket__Output | undefined | null): boolean {
  if (!ts) return true;
  const type = anyTypeName(ts.typedConfig);
  return type === RAW_BUFFER_TYPE || (!type && ts.name === RAW_BUFFER_TRANSPORT_SOCKET);
}

/** A transport socket's TLS context of the expected type; undefined for plaintext (none, or raw_buffer). */
function tlsContextOf<T>(ts: TransportSocket__Output | undefined | null, path: string, type: string, what: string): T | undefined {
  if (!ts) return undefined;
  checkFields(ts, TRANSPORT_SOCKET, path);
  if (isRawBuffer(ts)) {
    checkNoFields(ts.typedConfig, `${path}.typedConfig`);
    return undefined;
  }
  const actual = anyTypeName(ts.typedConfig);
  if (actual !== type) {
    if (!actual && ts.name === TLS_TRANSPORT_SOCKET) invalid(`${path}.typedConfig`, `a TLS transport socket needs its ${what}`);
    invalid(path, `unsupported transport socket ${actual || ts.name}`);
  }
  return ts.typedConfig as unknown as T;
}

/** A cluster's (or transport socket match's) transport socket: undefined for plaintext. */
export function compileUpstreamTransportSocket(ts: TransportSocket__Output | undefined | null, path: string): UpstreamTlsSpec | undefined {
  const ctx = tlsContextOf<UpstreamTlsContext__Output>(ts, path, UPSTREAM_TLS_TYPE, 'UpstreamTlsContext');
  if (ctx === undefined) return undefined;
  const cp = `${path}.typedConfig`;
  checkFields(ctx, UPSTREAM_TLS, cp);
  const common = compileCommon(ctx.commonTlsContext ?? {}, `${cp}.commonTlsContext`);
  if (ctx.sni !== undefined && Buffer.byteLength(ctx.sni) > 255) invalid(`${cp}.sni`, 'must be at most 255 bytes');
  return { ...common, sni: ctx.sni || undefined };
}

/** A filter chain's transport socket: undefined for plaintext. */
export function compileDownstreamTransportSocket(
  ts: TransportSocket__Output | undefined | null,
  path: string,
  connectTimeout: { seconds?: string | number; nanos?: number } | undefined | null,
): DownstreamTlsSpec | undefined {
  const ctx = tlsContextOf<DownstreamTlsContext__Output>(ts, path, DOWNSTREAM_TLS_TYPE, 'DownstreamTlsContext');
  if (ctx === undefined) return undefined;
  const cp = `${path}.typedConfig`;
  checkFields(ctx, DOWNSTREAM_TLS, cp);
  const common = compileCommon(ctx.commonTlsContext ?? {}, `${cp}.commonTlsContext`);
  if (common.certificate === undefined) invalid(`${cp}.commonTlsContext`, 'a server needs a certificate (tlsCertificates or tlsCertificateSdsSecretConfigs)');
  const requireClientCertificate = wrapped(ctx.requireClientCertificate, false);
  if (requireClientCertificate && !common.verify) invalid(`${cp}.requireClientCertificate`, 'requiring a client certificate needs a validation context to verify it against');
  const timeout = durationMs(connectTimeout, `${path}.transportSocketConnectTimeout`, DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS);
  return { ...common, requireClientCertificate, handshakeTimeoutMs: timeout > 0 ? timeout : DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS };
}

/** raw_buffer's RawBuffer has no fields. */
function checkNoFields(any: object | undefined | null, path: string): void {
  if (!any) return;
  for (const [key, v] of Object.entries(any)) {
    if (key !== '@type' && key !== 'typeUrl' && key !== 'type_url' && v !== undefined && v !== null) invalid(path, `field ${key} is not supported by this proxy`);
  }
}
