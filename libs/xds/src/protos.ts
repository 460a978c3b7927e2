// Envoy's v3 protos, loaded once into a protobufjs Root from the proto trees
// that @grpc/grpc-js-xds ships (envoy-api, xds, googleapis,
// protoc-gen-validate). Nothing here hand-writes an Envoy message.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import type { Logger } from '@mesh/telemetry';

const require = createRequire(import.meta.url);

/** Directories searched for imports, in order. */
function includeDirs(): string[] {
  const xdsPkg = path.dirname(require.resolve('@grpc/grpc-js-xds/package.json'));
  const deps = path.join(xdsPkg, 'deps');
  // descriptor.proto (imported by validate.proto and the annotations) is not
  // among protobufjs' bundled "common" files, but protobufjs ships it.
  const protobufjsDir = path.dirname(require.resolve('protobufjs/package.json'));
  return [
    path.join(deps, 'envoy-api'),
    path.join(deps, 'xds'),
    path.join(deps, 'googleapis'),
    path.join(deps, 'protoc-gen-validate'),
    protobufjsDir,
  ];
}

/**
 * Everything pilot builds and the proxy reads. Adding a filter or extension
 * means adding its proto here; `Any` values of a type that is not loaded stay
 * as `{ typeUrl, value }` instead of being expanded. This is the one list: a
 * process that needs less loads a subset of it (selectProtoFiles,
 * xdsClientProtoFiles).
 */
export const PROTO_FILES = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/discovery/v3/discovery.proto',
  'envoy/service/secret/v3/sds.proto',
  'envoy/service/status/v3/csds.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/network/rbac/v3/rbac.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/http/cors/v3/cors.proto',
  'envoy/extensions/filters/http/rbac/v3/rbac.proto',
  'envoy/extensions/filters/http/jwt_authn/v3/config.proto',
  'envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto',
  'envoy/extensions/filters/network/ext_authz/v3/ext_authz.proto',
  // The proxy is the gRPC client of Authorization/Check: CheckRequest/CheckResponse are needed at run time.
  'envoy/service/auth/v3/external_auth.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/filters/listener/http_inspector/v3/http_inspector.proto',
  'envoy/extensions/filters/listener/original_dst/v3/original_dst.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto',
  'envoy/extensions/access_loggers/file/v3/file.proto',
  'envoy/extensions/access_loggers/stream/v3/stream.proto',
  'xds/type/v3/typed_struct.proto',
  'udpa/type/v1/typed_struct.proto',
  'google/rpc/status.proto',
];

/**
 * Files of PROTO_FILES only the control plane needs: the service definitions
 * (the ADS methods are named in ads-protocol.ts, their messages live in
 * discovery.proto) and the CSDS admin API pilot serves. A file appended to
 * PROTO_FILES is loaded by every process unless it is listed here too.
 */
export const CONTROL_PLANE_ONLY_PROTO_FILES: readonly string[] = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/secret/v3/sds.proto',
  'envoy/service/status/v3/csds.proto',
];

/**
 * What an xDS client (the proxy) loads: PROTO_FILES without the control
 * plane's own files. Every resource type and every typed config inside them
 * stay, so NACK messages and config_dump show the same decoded Anys.
 */
export function xdsClientProtoFiles(): string[] {
  return PROTO_FILES.filter((f) => !CONTROL_PLANE_ONLY_PROTO_FILES.includes(f));
}

let root: protobuf.Root | undefined;
let loadMs = 0;
let selected: readonly string[] | undefined;

/**
 * Chooses the subset of PROTO_FILES the shared Root loads (all of them by
 * default). A process calls it once, before anything uses the protos; returns
 * false (and changes nothing) when the Root is already loaded.
 */
export function selectProtoFiles(files: readonly string[]): boolean {
  const unknown = files.filter((f) => !PROTO_FILES.includes(f));
  if (unknown.length > 0) throw new Error(`selectProtoFiles: not in PROTO_FILES: ${unknown.join(', ')}`);
  if (root) return false;
  selected = [...files];
  return true;
}

/** The files the Root loads (or will load). */
export function loadedProtoFiles(): readonly string[] {
  return selected ?? PROTO_FILES;
}

/** How long the first `protoRoot()` call took, in milliseconds (0 before it). */
export function protoLoadMs(): number {
  return loadMs;
}

/**
 * The shared Root, built on first use (synchronously; a few hundred ms) from
 * PROTO_FILES, or the subset chosen with selectProtoFiles().
 * Pass a logger to have the load time logged the first time.
 */
export function protoRoot(log?: Logger): protobuf.Root {
  if (root) return root;
  const started = performance.now();
  const dirs = includeDirs();
  const r = new protobuf.Root();
  r.resolvePath = (origin, target) => {
    if (path.isAbsolute(target)) return target;
    for (const dir of dirs) {
      const candidate = path.join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    // Unknown to every include dir: let protobufjs report it against the origin.
    return protobuf.util.path.resolve(origin, target);
  };
  const files = loadedProtoFiles();
  r.loadSync([...files], { keepCase: false, alternateCommentMode: false });
  r.resolveAll();
  installAnyConverters(r);
  root = r;
  loadMs = Math.round(performance.now() - started);
  log?.info('loaded Envoy protos', { files: files.length, ms: loadMs });
  return r;
}

/** The message type for a type URL (`type.googleapis.com/envoy.config.listener.v3.Listener`) or a full name. */
// Root.lookup walks namespaces on every call; resources are encoded by the
// thousand, so resolved types are remembered.
const typeCache = new Map<string, protobuf.Type | null>();

function lookupType(typeUrlOrName: string): protobuf.Type | null {
  let type = typeCache.get(typeUrlOrName);
  if (type === undefined) {
    const found = protoRoot().lookup(typeUrlOrName.slice(typeUrlOrName.lastIndexOf('/') + 1));
    type = found instanceof protobuf.Type ? found : null;
    typeCache.set(typeUrlOrName, type);
  }
  return type;
}

export function messageType(typeUrlOrName: string): protobuf.Type {
  const type = lookupType(typeUrlOrName);
  if (!type) throw new Error(`unknown protobuf message type ${typeUrlOrName}`);
  return type;
}

/** True when the Root holds a message type for this type URL. */
export function hasMessageType(typeUrlOrName: string): boolean {
  return lookupType(typeUrlOrName) !== null;
}

/**
 * protobufjs' bundled Any names its field `type_url` (keepCase does not apply
 * to bundled types) and its built-in wrapper cannot see the rest of our Root
 * the way we need. This Root's Any gets converters that speak the documented
 * shape: `{ '@type': url, ...fields }` both ways, recursively, and
 * `{ typeUrl, value }` (bytes) for types we did not load.
 */
function installAnyConverters(r: protobuf.Root): void {
  const any = r.lookupType('google.protobuf.Any');
  any.setup();
  const lookup = (url: string) => {
    const type = r.lookup(url.slice(url.lastIndexOf('/') + 1));
    return type instanceof protobuf.Type ? type : undefined;
  };
  any.fromObject = (object: Record<string, any>): protobuf.Message => {
    if (object instanceof any.ctor) return object as protobuf.Message;
    const url = object?.['@type'];
    if (typeof url === 'string') {
      const type = lookup(url);
      if (!type) throw new Error(`Any: unknown @type ${url}`);
      const typeUrl = url.includes('/') ? url : `type.googleapis.com/${url}`;
      return any.create({ type_url: typeUrl, value: type.encode(type.fromObject(object)).finish() });
    }
    const value = object?.value;
    return any.create({
      type_url: String(object?.typeUrl ?? object?.type_url ?? ''),
      value: typeof value === 'string' ? Buffer.from(value, 'base64') : (value ?? new Uint8Array()),
    });
  };
  any.toObject = (message: protobuf.Message & { type_url?: string; value?: Uint8Array }, options?: protobuf.IConversionOptions) => {
    const url = message.type_url ?? '';
    const type = options?.json && url ? lookup(url) : undefined;
    if (type) return { '@type': url, ...type.toObject(type.decode(message.value ?? new Uint8Array()), options) };
    return { typeUrl: url, value: message.value };
  };
}
