// Istio mutual TLS between workloads, in the shapes istiod generates
// (docs/pilot-sidecars.md, "Mutual TLS"): the client side (a cluster's
// ISTIO_MUTUAL UpstreamTlsContext, auto mutual TLS's transportSocketMatches,
// the endpoints' tlsMode metadata) and the server side (a sidecar's inbound
// filter chains per PeerAuthentication mode).
import {
  FILTER_NAMES,
  typedConfig,
  type Cluster,
  type ConfigSource,
  type FilterChain,
  type HttpConnectionManager,
  type Metadata,
  type TransportSocket,
  type TypedAny,
  type UpstreamTlsContext,
} from '@mesh/xds';
import type { MtlsMode } from '../model/peer-authentication.ts';

/** The workload label (set by the injector, and on local-mode WorkloadEntries) saying its sidecar terminates Istio mTLS. */
export const TLS_MODE_LABEL = 'security.istio.io/tlsMode';
/** Envoy's metadata namespace for transport_socket_matches. */
export const TRANSPORT_SOCKET_MATCH = 'envoy.transport_socket_match';

/** The proxy's agent serves the workload certificate ('default') and the trust bundle ('ROOTCA') over this SDS source. */
export const SDS_CONFIG: ConfigSource = {
  apiConfigSource: {
    apiType: 'GRPC',
    transportApiVersion: 'V3',
    grpcServices: [{ envoyGrpc: { clusterName: 'sds-grpc' } }],
    setNodeOnFirstMessageOnly: true,
  },
  initialFetchTimeout: { seconds: 0 },
  resourceApiVersion: 'V3',
};
export const WORKLOAD_CERT_SECRET = 'default';
export const ROOT_CA_SECRET = 'ROOTCA';

/** What a mesh client offers (Istio's ALPN for in-mesh TLS, with metadata exchange). */
export const MESH_CLIENT_ALPN = ['istio-peer-exchange', 'istio'];
/** The ALPN values Istio's clients put first for HTTP (istio.alpn), by which a sniffed port tells HTTP from TCP under mTLS. */
export const MTLS_HTTP_ALPN = ['istio-http/1.0', 'istio-http/1.1', 'istio-h2'];
/** Every ALPN value an Istio client offers: a PERMISSIVE port's mTLS chains match these, so other TLS passes through. */
export const ALL_MTLS_ALPN = [...MESH_CLIENT_ALPN, ...MTLS_HTTP_ALPN];

// @mesh/xds has no typedConfig kind for RawBuffer (an empty message); the Any is built here.
const RAW_BUFFER: TransportSocket = {
  name: 'envoy.transport_sockets.raw_buffer',
  typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer' } as TypedAny,
};

/** Istio's default SNI of a cluster's mTLS: `outbound_.<port>_.<subset>_.<host>`. */
export function istioSni(port: number, subset: string | undefined, host: string): string {
  return `outbound_.${port}_.${subset ?? ''}_.${host}`;
}

/** The ISTIO_MUTUAL client context: the workload certificate, the peer checked against the trust bundle and the given identities. */
export function istioMutualUpstream(subjectAltNames: readonly string[], sni: string): UpstreamTlsContext {
  return {
    commonTlsContext: {
      tlsCertificateSdsSecretConfigs: [{ name: WORKLOAD_CERT_SECRET, sdsConfig: SDS_CONFIG }],
      combinedValidationContext: {
        defaultValidationContext: subjectAltNames.length ? { matchSubjectAltNames: subjectAltNames.map((exact) => ({ exact })) } : {},
        validationContextSdsSecretConfig: { name: ROOT_CA_SECRET, sdsConfig: SDS_CONFIG },
      },
      alpnProtocols: [...MESH_CLIENT_ALPN],
    },
    sni,
  };
}

export function upstreamTlsSocket(ctx: UpstreamTlsContext): TransportSocket {
  return { name: FILTER_NAMES.tls, typedConfig: typedConfig('upstreamTlsContext', ctx) };
}

/**
 * Auto mutual TLS: endpoints whose metadata says tlsMode istio get the
 * ISTIO_MUTUAL context, every other endpoint plaintext.
 */
export function autoMtlsMatches(ctx: UpstreamTlsContext): NonNullable<Cluster['transportSocketMatches']> {
  return [
    { name: 'tlsMode-istio', match: { fields: { tlsMode: { stringValue: 'istio' } } }, transportSocket: upstreamTlsSocket(ctx) },
    { name: 'tlsMode-disabled', match: {}, transportSocket: RAW_BUFFER },
  ];
}

/** An endpoint's metadata for transport_socket_matches when its workload is labelled tlsMode istio. */
export function tlsModeMetadata(labels: Record<string, string>): Metadata | undefined {
  if (labels[TLS_MODE_LABEL] !== 'istio') return undefined;
  return { filterMetadata: { [TRANSPORT_SOCKET_MATCH]: { fields: { tlsMode: { stringValue: 'istio' } } } } };
}

/** The server side: the workload certificate, a client certificate required and verified against the trust bundle (any mesh identity). */
function downstreamTlsSocket(http: boolean): TransportSocket {
  return {
    name: FILTER_NAMES.tls,
    typedConfig: typedConfig('downstreamTlsContext', {
      commonTlsContext: {
        tlsCertificateSdsSecretConfigs: [{ name: WORKLOAD_CERT_SECRET, sdsConfig: SDS_CONFIG }],
        combinedValidationContext: { defaultValidationContext: {}, validationContextSdsSecretConfig: { name: ROOT_CA_SECRET, sdsConfig: SDS_CONFIG } },
        ...(http ? { alpnProtocols: ['h2', 'http/1.1'] } : {}),
      },
      requireClientCertificate: { value: true },
    }),
  };
}

/** What inbound HTTP connection managers add: the peer's identity (XFCC), appended to what the client forwarded. */
export const INBOUND_XFCC: Pick<HttpConnectionManager, 'forwardClientCertDetails' | 'setCurrentClientCertDetails'> = {
  forwardClientCertDetails: 'APPEND_FORWARD',
  setCurrentClientCertDetails: { subject: { value: true }, dns: true, uri: true },
};

const isHttpChain = (c: FilterChain) => (c.filters ?? []).some((f) => f.name === FILTER_NAMES.httpConnectionManager);

/**
 * One inbound port's filter chains under a PeerAuthentication mode, from the
 * plaintext chains the port has without mTLS: one HTTP chain, one TCP chain,
 * or (a sniffed port) an HTTP chain matched on the http_inspector's
 * protocols and a TCP chain. Chain names are kept unique by suffixes.
 *
 * - DISABLE: the plaintext chains, unchanged (no transport protocol condition).
 * - STRICT: only mTLS chains: { transportProtocol: tls } (a sniffed port's
 *   HTTP chain also on the istio-http ALPN values); plaintext finds no chain.
 * - PERMISSIVE: mTLS chains matched on the ALPN values mesh clients offer,
 *   the plaintext chains on raw_buffer, and for TCP ports a chain for other
 *   TLS (not terminated: the workload serves its own TLS).
 */
export function securedChains(plain: FilterChain[], mode: MtlsMode): { chains: FilterChain[]; needsTlsInspector: boolean } {
  if (mode === 'DISABLE' || plain.length === 0) return { chains: plain, needsTlsInspector: false };
  const sniffed = plain.length > 1;
  const out: FilterChain[] = [];
  const mtls = (c: FilterChain, alpn: string[] | undefined): FilterChain => {
    const { applicationProtocols: _sniffed, ...match } = c.filterChainMatch ?? {};
    return {
      ...c,
      // Own copies: a later per-chain change (e.g. a policy filter) must not leak into the plaintext chain.
      filters: structuredClone(c.filters),
      name: `${c.name ?? 'inbound'}-mtls`,
      filterChainMatch: { ...match, transportProtocol: 'tls', ...(alpn ? { applicationProtocols: alpn } : {}) },
      transportSocket: downstreamTlsSocket(isHttpChain(c)),
    };
  };
  for (const c of plain) {
    const http = isHttpChain(c);
    if (mode === 'STRICT') out.push(mtls(c, sniffed && http ? MTLS_HTTP_ALPN : undefined));
    else out.push(mtls(c, sniffed ? (http ? MTLS_HTTP_ALPN : MESH_CLIENT_ALPN) : ALL_MTLS_ALPN));
  }
  if (mode === 'PERMISSIVE') {
    for (const c of plain) {
      if (!isHttpChain(c)) {
        const { applicationProtocols: _none, ...match } = c.filterChainMatch ?? {};
        out.push({ ...c, filters: structuredClone(c.filters), name: `${c.name ?? 'inbound'}-tls-passthrough`, filterChainMatch: { ...match, transportProtocol: 'tls' } });
      }
    }
    for (const c of plain) out.push({ ...c, filterChainMatch: { ...c.filterChainMatch, transportProtocol: 'raw_buffer' } });
  }
  return { chains: out, needsTlsInspector: true };
}
