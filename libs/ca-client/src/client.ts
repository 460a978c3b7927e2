// One certificate request to citadel: build a CSR for a key the caller holds
// in memory, send it over TLS with the caller's credentials, and check what
// comes back before handing it over.
import { X509Certificate, type KeyObject } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { createCsr, privateKeyToPem, readCertificate, splitCertificates, verifyChain } from '@mesh/pki';
import { createCaGrpcClient, type IstioCertificateResponse } from './service.ts';

export interface CaEndpoint {
  /** host:port of citadel's certificate service (15012). */
  address: string;
  /** PEM roots trusted to have signed citadel's serving certificate: the trust bundle. Called per request, so it can follow rotations. */
  roots: () => string[] | Promise<string[]>;
  /** The name citadel's serving certificate is checked against; the address's host by default. */
  serverName?: string;
  /** The bearer token (Kubernetes service-account token or citadel bootstrap token); called per request so a rotated token file is re-read. */
  token?: () => string | undefined | Promise<string | undefined>;
  timeoutMs?: number;
}

export interface IssuedCertificate {
  /** The key the certificate is for. It was generated in this process and is never sent anywhere. */
  privateKey: KeyObject;
  /** PEM chain from citadel: leaf first, root last. */
  chain: string[];
  certificatePem: string;
  spiffeId: string;
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  /** When this process received it; renewal is scheduled from here. */
  receivedAt: Date;
}

/** citadel answered with an error status; `code` is the gRPC status (grpc.status). */
export class CaRequestError extends Error {
  readonly code: grpc.status;
  readonly details: string;
  constructor(code: grpc.status, details: string) {
    super(`citadel refused the certificate request: ${grpc.status[code] ?? code}: ${details}`);
    this.code = code;
    this.details = details;
  }
}

export interface RequestCertificateOptions {
  endpoint: CaEndpoint;
  privateKey: KeyObject;
  spiffeId: string;
  /** Requested lifetime; citadel's default (24h) when omitted. */
  validitySeconds?: number;
  /** A still-valid certificate citadel issued earlier, presented as the TLS client certificate (renewal without a token). */
  clientCertificate?: { chain: string[]; privateKey: KeyObject };
  metadata?: Record<string, string>;
}

function structOf(values: Record<string, string>) {
  return { fields: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { stringValue: v }])) };
}

export async function requestCertificate(options: RequestCertificateOptions): Promise<IssuedCertificate> {
  const { endpoint } = options;
  const roots = await endpoint.roots();
  if (roots.length === 0) throw new Error('no trusted roots to verify citadel with: pass the trust bundle as endpoint.roots');
  const client = options.clientCertificate;
  const credentials = grpc.credentials.createSsl(
    Buffer.from(roots.join('\n')),
    client ? Buffer.from(privateKeyToPem(client.privateKey)) : null,
    client ? Buffer.from(client.chain.join('')) : null,
  );
  const channelOptions: grpc.ChannelOptions = endpoint.serverName ? { 'grpc.ssl_target_name_override': endpoint.serverName, 'grpc.default_authority': endpoint.serverName } : {};
  const grpcClient = createCaGrpcClient(endpoint.address, credentials, channelOptions);
  try {
    const metadata = new grpc.Metadata();
    const token = await endpoint.token?.();
    if (token) metadata.set('authorization', `Bearer ${token}`);
    const csr = createCsr({ privateKey: options.privateKey, uris: [options.spiffeId] });
    const response = await new Promise<IstioCertificateResponse>((resolve, reject) => {
      grpcClient.CreateCertificate(
        { csr, validityDuration: options.validitySeconds ?? 0, ...(options.metadata ? { metadata: structOf(options.metadata) } : {}) },
        metadata,
        { deadline: Date.now() + (endpoint.timeoutMs ?? 10_000) },
        (err, res) => (err ? reject(new CaRequestError(err.code, err.details)) : resolve(res!)),
      );
    });
    return checkResponse(response, options, roots);
  } finally {
    grpcClient.close();
  }
}

// Never install a certificate that does not fit the key we hold, name us, or chain to the bundle.
function checkResponse(response: IstioCertificateResponse, options: RequestCertificateOptions, roots: string[]): IssuedCertificate {
  const chain = response.certChain.flatMap((c) => splitCertificates(c));
  if (chain.length === 0) throw new Error('citadel returned an empty certificate chain');
  const leaf = new X509Certificate(chain[0]);
  if (!leaf.checkPrivateKey(options.privateKey)) throw new Error("citadel returned a certificate that is not for this workload's key");
  const fields = readCertificate(chain[0]);
  if (fields.sans.uris.length !== 1 || fields.sans.uris[0] !== options.spiffeId) {
    throw new Error(`citadel returned a certificate for ${fields.sans.uris.join(', ') || 'no URI'} instead of ${options.spiffeId}`);
  }
  const verdict = verifyChain(chain, [...roots, chain[chain.length - 1]]);
  if (!verdict.ok) throw new Error(`citadel returned a chain that does not verify: ${verdict.error}`);
  return {
    privateKey: options.privateKey,
    chain,
    certificatePem: chain[0],
    spiffeId: options.spiffeId,
    serialHex: fields.serialHex,
    notBefore: fields.notBefore,
    notAfter: fields.notAfter,
    receivedAt: new Date(),
  };
}
