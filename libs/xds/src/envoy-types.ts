// Envoy message types for pilot and the proxy: generated from Envoy's protos
// (envoy-messages.ts), never hand-written, plus the well-known filter names
// and typed-config URLs, and `typedConfig()`, which builds a google.protobuf.Any
// in the in-memory shape (docs/xds-representation.md) with its contents
// type-checked against the message its URL names.
import type { AnyExtension } from '@grpc/proto-loader';
import type * as M from './envoy-messages.ts';

export type * from './envoy-messages.ts';

/** An Any in memory: `{ '@type': URL, ...fields of that message }`. */
export type TypedAny = AnyExtension & { [field: string]: unknown };

/** Well-known filter and extension names, as Envoy spells them. */
export const FILTER_NAMES = {
  httpConnectionManager: 'envoy.filters.network.http_connection_manager',
  tcpProxy: 'envoy.filters.network.tcp_proxy',
  router: 'envoy.filters.http.router',
  fault: 'envoy.filters.http.fault',
  cors: 'envoy.filters.http.cors',
  rbac: 'envoy.filters.http.rbac',
  networkRbac: 'envoy.filters.network.rbac',
  jwtAuthn: 'envoy.filters.http.jwt_authn',
  extAuthz: 'envoy.filters.http.ext_authz',
  networkExtAuthz: 'envoy.filters.network.ext_authz',
  tls: 'envoy.transport_sockets.tls',
  tlsInspector: 'envoy.filters.listener.tls_inspector',
  httpInspector: 'envoy.filters.listener.http_inspector',
  originalDst: 'envoy.filters.listener.original_dst',
  httpProtocolOptions: 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
} as const;

/** `@type` URLs of the typed configs pilot emits. */
export const CONFIG_TYPE_URLS = {
  httpConnectionManager: 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  tcpProxy: 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  router: 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
  fault: 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
  cors: 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors',
  corsPolicy: 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy',
  rbac: 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC',
  rbacPerRoute: 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute',
  networkRbac: 'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC',
  jwtAuthn: 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication',
  extAuthz: 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz',
  networkExtAuthz: 'type.googleapis.com/envoy.extensions.filters.network.ext_authz.v3.ExtAuthz',
  upstreamTlsContext: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
  downstreamTlsContext: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
  httpProtocolOptions: 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
  tlsInspector: 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
  originalDst: 'type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst',
} as const;

/** The message each CONFIG_TYPE_URLS entry names. */
export interface TypedConfigMessages {
  httpConnectionManager: M.HttpConnectionManager;
  tcpProxy: M.TcpProxy;
  router: M.Router;
  fault: M.HttpFault;
  cors: M.Cors;
  corsPolicy: M.HttpCorsPolicy;
  rbac: M.Rbac;
  rbacPerRoute: M.RbacPerRoute;
  networkRbac: M.NetworkRbac;
  jwtAuthn: M.JwtAuthentication;
  extAuthz: M.ExtAuthz;
  networkExtAuthz: M.NetworkExtAuthz;
  upstreamTlsContext: M.UpstreamTlsContext;
  downstreamTlsContext: M.DownstreamTlsContext;
  httpProtocolOptions: M.UpstreamHttpProtocolOptions;
  tlsInspector: M.TlsInspector;
  originalDst: M.OriginalDst;
}

/** A typed config (google.protobuf.Any) whose fields are checked against the message `kind` names. */
export function typedConfig<K extends keyof TypedConfigMessages>(kind: K, message: TypedConfigMessages[K]): TypedAny {
  return { '@type': CONFIG_TYPE_URLS[kind], ...(message as object) };
}
