// The gRPC definition of the certificate service, loaded from proto/ca.proto.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** proto/ca.proto beside this library; found through the package name when this code is bundled into an app. */
export const CA_PROTO_PATH = ((): string => {
  const beside = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../proto/ca.proto');
  if (existsSync(beside)) return beside;
  try {
    return fileURLToPath(import.meta.resolve('@mesh/ca-client/proto/ca.proto'));
  } catch {
    return beside;
  }
})();
export const CA_SERVICE_NAME = 'istio.v1.auth.IstioCertificateService';

export interface IstioCertificateRequest {
  csr: string;
  /** Seconds; int64 on the wire, read as a JavaScript number. */
  validityDuration: number;
  metadata?: { fields?: Record<string, unknown> } | null;
}

export interface IstioCertificateResponse {
  certChain: string[];
}

export interface IstioCertificateServiceClient extends grpc.Client {
  CreateCertificate(
    request: Partial<IstioCertificateRequest>,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (err: grpc.ServiceError | null, response?: IstioCertificateResponse) => void,
  ): grpc.ClientUnaryCall;
}

let loaded: { service: grpc.ServiceDefinition; Client: grpc.ServiceClientConstructor } | undefined;

function load() {
  if (!loaded) {
    const def = protoLoader.loadSync(CA_PROTO_PATH, { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as { istio: { v1: { auth: { IstioCertificateService: grpc.ServiceClientConstructor } } } };
    const Client = pkg.istio.v1.auth.IstioCertificateService;
    loaded = { service: Client.service, Client };
  }
  return loaded;
}

/** The service definition a server registers handlers for. */
export function caServiceDefinition(): grpc.ServiceDefinition {
  return load().service;
}

/** A raw client for the service (most callers want requestCertificate or CertificateManager instead). */
export function createCaGrpcClient(address: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions): IstioCertificateServiceClient {
  const { Client } = load();
  return new Client(address, credentials, options) as unknown as IstioCertificateServiceClient;
}
