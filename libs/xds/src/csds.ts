// Client Status Discovery Service: what the ADS server sent to each connected
// client and whether it was ACKed (SYNCED), is awaiting an ACK (STALE) or was
// rejected (ERROR). What `istioctl proxy-status` and grpcdebug read.
import * as grpc from '@grpc/grpc-js';
import { messageType } from './protos.ts';
import { TO_OBJECT_OPTIONS, TYPE_URLS, toStruct } from './codec.ts';
import type { AdsServer, StreamInfo } from './ads-server.ts';

const SERVICE = 'envoy.service.status.v3.ClientStatusDiscoveryService';
export const CSDS_METHODS = {
  fetch: `/${SERVICE}/FetchClientStatus`,
  stream: `/${SERVICE}/StreamClientStatus`,
} as const;

interface StringMatcherLike {
  exact?: string;
  prefix?: string;
  suffix?: string;
  contains?: string;
  safeRegex?: { regex?: string };
  ignoreCase?: boolean;
}

function matches(m: StringMatcherLike | undefined, value: string): boolean {
  if (!m) return true;
  const v = m.ignoreCase ? value.toLowerCase() : value;
  const c = (s: string) => (m.ignoreCase ? s.toLowerCase() : s);
  if (m.exact !== undefined) return v === c(m.exact);
  if (m.prefix !== undefined) return v.startsWith(c(m.prefix));
  if (m.suffix !== undefined) return v.endsWith(c(m.suffix));
  if (m.contains !== undefined) return v.includes(c(m.contains));
  if (m.safeRegex?.regex !== undefined) return new RegExp(`^(?:${m.safeRegex.regex})$`).test(value);
  return true;
}

function timestamp(iso: string | undefined): { seconds: number; nanos: number } | undefined {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

/** One ClientConfig (plain object) per stream matching the request's node matchers. */
export function clientStatus(server: AdsServer, request: Record<string, any>): Record<string, unknown> {
  const matchers: Array<{ nodeId?: StringMatcherLike }> = request.nodeMatchers ?? [];
  const exclude = request.excludeResourceContents === true;
  const config = server
    .streams()
    .filter((s) => matchers.length === 0 || matchers.some((m) => matches(m.nodeId, s.node.id)))
    .map((s) => clientConfig(server, s, exclude));
  return { config };
}

function clientConfig(server: AdsServer, s: StreamInfo, exclude: boolean): Record<string, unknown> {
  const snapshot = server.cache.get(s.nodeKey);
  const generic: Record<string, unknown>[] = [];
  for (const [typeUrl, t] of s.types) {
    const resources = snapshot?.type(typeUrl).resources;
    const names = t.wildcard ? [...(resources?.keys() ?? [])] : t.names;
    const status = t.lastError ? 'ERROR' : t.sentVersion === undefined ? 'NOT_SENT' : t.ackedVersion === t.sentVersion ? 'SYNCED' : 'STALE';
    for (const name of names) {
      const r = resources?.get(name);
      generic.push({
        typeUrl,
        name,
        versionInfo: t.ackedVersion ?? '',
        // Secrets (gateway credentials hold private keys) are listed by name and status only, never dumped.
        ...(r && !exclude && typeUrl !== TYPE_URLS.secret ? { xdsConfig: { typeUrl, value: r.wire.value } } : {}),
        ...(t.sentAt ? { lastUpdated: timestamp(t.sentAt) } : {}),
        configStatus: r ? status : 'NOT_SENT',
        clientStatus: t.lastError ? 'NACKED' : r && t.ackedVersion === t.sentVersion ? 'ACKED' : 'REQUESTED',
        ...(t.lastError ? { errorState: { details: t.lastError, ...(t.nackedAt ? { lastUpdateAttempt: timestamp(t.nackedAt) } : {}), versionInfo: t.nackedVersion ?? '' } } : {}),
      });
    }
  }
  const { metadata, ...node } = s.node;
  return { node: { ...node, ...(metadata ? { metadata: toStruct(metadata) } : {}) }, genericXdsConfigs: generic };
}

function encoder(name: string) {
  return (obj: Record<string, unknown>) => {
    const type = messageType(name);
    return Buffer.from(type.encode(type.fromObject(obj)).finish());
  };
}

function decoder(name: string) {
  return (bytes: Buffer) => {
    const type = messageType(name);
    return type.toObject(type.decode(bytes), TO_OBJECT_OPTIONS);
  };
}

export function csdsServiceDefinition(): grpc.ServiceDefinition {
  const req = 'envoy.service.status.v3.ClientStatusRequest';
  const res = 'envoy.service.status.v3.ClientStatusResponse';
  const common = { requestSerialize: encoder(req), requestDeserialize: decoder(req), responseSerialize: encoder(res), responseDeserialize: decoder(res) };
  return {
    FetchClientStatus: { path: CSDS_METHODS.fetch, requestStream: false, responseStream: false, originalName: 'fetchClientStatus', ...common },
    StreamClientStatus: { path: CSDS_METHODS.stream, requestStream: true, responseStream: true, originalName: 'streamClientStatus', ...common },
  } as grpc.ServiceDefinition;
}

/** Adds CSDS (answering from `ads`'s streams and cache) to a grpc-js server. */
export function registerCsds(grpcServer: grpc.Server, ads: AdsServer): void {
  grpcServer.addService(csdsServiceDefinition(), {
    FetchClientStatus: (call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) => {
      try {
        cb(null, clientStatus(ads, call.request));
      } catch (err) {
        cb({ code: grpc.status.INVALID_ARGUMENT, details: (err as Error).message });
      }
    },
    StreamClientStatus: (call: grpc.ServerDuplexStream<any, any>) => {
      call.on('data', (req) => {
        try {
          call.write(clientStatus(ads, req));
        } catch (err) {
          call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: (err as Error).message });
        }
      });
      call.on('end', () => call.end());
    },
  });
}
