// The Aggregated Discovery Service as grpc-js method definitions, serialized
// with our protobufjs Root (no proto-loader objects on the hot path: resources
// are encoded once per snapshot and reused for every stream).
import type * as grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { messageType } from './protos.ts';
import { TO_OBJECT_OPTIONS, fromStruct, toStruct } from './codec.ts';

const SERVICE = 'envoy.service.discovery.v3.AggregatedDiscoveryService';
export const ADS_METHODS = {
  sotw: `/${SERVICE}/StreamAggregatedResources`,
  delta: `/${SERVICE}/DeltaAggregatedResources`,
} as const;

/** The node a proxy identifies itself with, metadata as a JavaScript object. */
export interface XdsNode {
  id: string;
  cluster?: string;
  metadata?: Record<string, unknown>;
  locality?: { region?: string; zone?: string; subZone?: string };
  userAgentName?: string;
  userAgentVersion?: string;
}

/** An encoded resource ready to go on the wire (google.protobuf.Any). */
export interface WireAny {
  type_url: string;
  value: Uint8Array;
}

export interface RpcStatus {
  code?: number;
  message?: string;
}

export interface DiscoveryRequest {
  versionInfo?: string;
  node?: XdsNode;
  resourceNames?: string[];
  typeUrl?: string;
  responseNonce?: string;
  errorDetail?: RpcStatus;
}

export interface DiscoveryResponse {
  versionInfo?: string;
  resources?: WireAny[];
  typeUrl?: string;
  nonce?: string;
  controlPlane?: { identifier?: string };
}

export interface DeltaDiscoveryRequest {
  node?: XdsNode;
  typeUrl?: string;
  resourceNamesSubscribe?: string[];
  resourceNamesUnsubscribe?: string[];
  initialResourceVersions?: Record<string, string>;
  responseNonce?: string;
  errorDetail?: RpcStatus;
}

export interface DeltaResource {
  name: string;
  version?: string;
  resource?: WireAny;
}

export interface DeltaDiscoveryResponse {
  systemVersionInfo?: string;
  resources?: DeltaResource[];
  typeUrl?: string;
  removedResources?: string[];
  nonce?: string;
  controlPlane?: { identifier?: string };
}

function nodeToWire(node: XdsNode | undefined): Record<string, unknown> | undefined {
  if (!node) return undefined;
  const { metadata, ...rest } = node;
  return { ...rest, ...(metadata ? { metadata: toStruct(metadata) } : {}) };
}

function nodeFromWire(node: Record<string, any> | undefined): XdsNode | undefined {
  if (!node) return undefined;
  const { metadata, ...rest } = node;
  return { id: '', ...rest, metadata: fromStruct(metadata) } as XdsNode;
}

function encoder(typeName: string, prepare: (m: any) => any = (m) => m) {
  let type: protobuf.Type | undefined;
  return (message: any): Buffer => {
    type ??= messageType(typeName);
    // Responses are plain objects whose Anys are already encoded; encode()
    // accepts plain objects directly, so no fromObject pass over resources.
    return Buffer.from(type.encode(prepare(message)).finish());
  };
}

/** Requests are small: they go through fromObject (camelCase names, node metadata as Struct). */
function requestEncoder(typeName: string) {
  let type: protobuf.Type | undefined;
  return (message: any): Buffer => {
    type ??= messageType(typeName);
    return Buffer.from(type.encode(type.fromObject({ ...message, node: nodeToWire(message.node) })).finish());
  };
}

function requestDecoder<T>(typeName: string) {
  let type: protobuf.Type | undefined;
  return (bytes: Buffer): T => {
    type ??= messageType(typeName);
    const obj = type.toObject(type.decode(bytes), TO_OBJECT_OPTIONS) as any;
    if (obj.node) obj.node = nodeFromWire(obj.node);
    return obj as T;
  };
}

/** Responses decode to protobufjs messages: resources stay `{ type_url, value }` until the client unpacks each one. */
function responseDecoder<T>(typeName: string) {
  let type: protobuf.Type | undefined;
  return (bytes: Buffer): T => {
    type ??= messageType(typeName);
    return type.decode(bytes) as unknown as T;
  };
}

export const codecs = {
  encodeRequest: requestEncoder('envoy.service.discovery.v3.DiscoveryRequest'),
  decodeRequest: requestDecoder<DiscoveryRequest>('envoy.service.discovery.v3.DiscoveryRequest'),
  encodeResponse: encoder('envoy.service.discovery.v3.DiscoveryResponse'),
  decodeResponse: responseDecoder<DiscoveryResponse>('envoy.service.discovery.v3.DiscoveryResponse'),
  encodeDeltaRequest: requestEncoder('envoy.service.discovery.v3.DeltaDiscoveryRequest'),
  decodeDeltaRequest: requestDecoder<DeltaDiscoveryRequest>('envoy.service.discovery.v3.DeltaDiscoveryRequest'),
  encodeDeltaResponse: encoder('envoy.service.discovery.v3.DeltaDiscoveryResponse'),
  decodeDeltaResponse: responseDecoder<DeltaDiscoveryResponse>('envoy.service.discovery.v3.DeltaDiscoveryResponse'),
};

/** grpc-js service definition of AggregatedDiscoveryService (both methods). */
export function adsServiceDefinition(): grpc.ServiceDefinition {
  return {
    StreamAggregatedResources: {
      path: ADS_METHODS.sotw,
      requestStream: true,
      responseStream: true,
      requestSerialize: codecs.encodeRequest,
      requestDeserialize: codecs.decodeRequest,
      responseSerialize: codecs.encodeResponse,
      responseDeserialize: codecs.decodeResponse,
      originalName: 'streamAggregatedResources',
    },
    DeltaAggregatedResources: {
      path: ADS_METHODS.delta,
      requestStream: true,
      responseStream: true,
      requestSerialize: codecs.encodeDeltaRequest,
      requestDeserialize: codecs.decodeDeltaRequest,
      responseSerialize: codecs.encodeDeltaResponse,
      responseDeserialize: codecs.decodeDeltaResponse,
      originalName: 'deltaAggregatedResources',
    },
  } as grpc.ServiceDefinition;
}

/** gRPC status codes used in error_detail. */
export const GRPC_INVALID_ARGUMENT = 3;
