// Test helpers for TLS: a CA that issues SPIFFE workload certificates (@mesh/pki),
// an in-memory SecretLookup whose secrets a test sets, rotates and removes, and
// the Envoy resources Istio's mTLS uses (the pilot<->proxy contract's shapes).
import { X509Certificate } from 'node:crypto';
import { buildCertificate, createCa, createIssuer, generateKeyPair, privateKeyToPem, spkiOf, type Issuer } from '@mesh/pki';
import { toStruct } from '@mesh/xds';
import type { SecretLookup, SecretMaterial, SecretRef } from '../../secrets/secret-lookup.ts';

export interface Leaf {
  readonly cert: string;
  readonly key: string;
  readonly serial: string;
}

export interface TestCa {
  readonly certPem: string;
  /** A workload certificate for `uri` (and DNS SANs), signed by this CA. */
  leaf(uri: string, opts?: { dns?: string[]; commonName?: string }): Leaf;
}

export function testCa(name = 'test root'): TestCa {
  const ca = createCa({ subject: { organization: name, commonName: name }, ttlMs: 3_600_000 });
  const issuer: Issuer = createIssuer(ca.certPem, ca.privateKey);
  return {
    certPem: ca.certPem,
    leaf(uri, opts = {}) {
      const { privateKey } = generateKeyPair('ec-p256');
      const cert = buildCertificate(
        {
          spki: spkiOf(privateKey),
          subject: opts.commonName ? { organization: 'mesh', commonName: opts.commonName } : {},
          sans: { uris: [uri], dnsNames: opts.dns ?? [] },
          notBefore: new Date(Date.now() - 60_000),
          notAfter: new Date(Date.now() + 3_600_000),
          keyUsage: ['digitalSignature', 'keyEncipherment'],
          extKeyUsage: ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'],
        },
        issuer,
      );
      return { cert, key: privateKeyToPem(privateKey), serial: new X509Certificate(cert).serialNumber };
    },
  };
}

/** A SecretLookup a test drives: set() is a first arrival or a rotation (onChange fires), remove() takes a secret away. */
export class TestSecrets implements SecretLookup {
  readonly #secrets = new Map<string, SecretMaterial>();
  readonly #listeners = new Set<(ref: SecretRef) => void>();
  #version = 0;

  secret(ref: SecretRef): SecretMaterial | undefined {
    return this.#secrets.get(`${ref.source}/${ref.name}`);
  }

  onChange(listener: (ref: SecretRef) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  set(ref: SecretRef, material: Omit<SecretMaterial, 'version'>): void {
    this.#secrets.set(`${ref.source}/${ref.name}`, { ...material, version: String(++this.#version) });
    for (const l of this.#listeners) l(ref);
  }

  remove(ref: SecretRef): void {
    this.#secrets.delete(`${ref.source}/${ref.name}`);
  }

  /** The agent's two secrets: the workload certificate ('default') and the trust bundle ('ROOTCA'). */
  setWorkload(leaf: Leaf, ca: string): void {
    this.set(DEFAULT_SECRET, { cert: leaf.cert, key: leaf.key });
    this.set(ROOTCA_SECRET, { ca });
  }
}

export const DEFAULT_SECRET: SecretRef = { name: 'default', source: 'agent' };
export const ROOTCA_SECRET: SecretRef = { name: 'ROOTCA', source: 'agent' };

/** The contract's SDS config source: the agent's sds-grpc cluster. */
export const SDS_CONFIG = {
  apiConfigSource: { apiType: 'GRPC', transportApiVersion: 'V3', grpcServices: [{ envoyGrpc: { clusterName: 'sds-grpc' } }], setNodeOnFirstMessageOnly: true },
  initialFetchTimeout: { seconds: 0 },
  resourceApiVersion: 'V3',
};

export const ISTIO_ALPN = ['istio-peer-exchange', 'istio', 'istio-http/1.0', 'istio-http/1.1', 'istio-h2'];

/** The server side of Istio's mTLS: a DownstreamTlsContext from the agent's secrets, requiring a client certificate. */
export function downstreamTls(opts: { alpn?: string[]; sanExact?: string[] } = {}): object {
  return {
    name: 'envoy.transport_sockets.tls',
    typedConfig: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
      commonTlsContext: {
        tlsCertificateSdsSecretConfigs: [{ name: 'default', sdsConfig: SDS_CONFIG }],
        combinedValidationContext: {
          defaultValidationContext: opts.sanExact ? { matchSubjectAltNames: opts.sanExact.map((exact) => ({ exact })) } : {},
          validationContextSdsSecretConfig: { name: 'ROOTCA', sdsConfig: SDS_CONFIG },
        },
        ...(opts.alpn ? { alpnProtocols: opts.alpn } : {}),
      },
      requireClientCertificate: { value: true },
    },
  };
}

/** Istio's ISTIO_MUTUAL UpstreamTlsContext as a transport socket. */
export function istioMutual(opts: { sans: string[]; sni?: string }): object {
  return {
    name: 'envoy.transport_sockets.tls',
    typedConfig: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
      commonTlsContext: {
        tlsCertificateSdsSecretConfigs: [{ name: 'default', sdsConfig: SDS_CONFIG }],
        combinedValidationContext: {
          defaultValidationContext: { matchSubjectAltNames: opts.sans.map((exact) => ({ exact })) },
          validationContextSdsSecretConfig: { name: 'ROOTCA', sdsConfig: SDS_CONFIG },
        },
        alpnProtocols: ['istio-peer-exchange', 'istio'],
      },
      ...(opts.sni ? { sni: opts.sni } : {}),
    },
  };
}

/** Istio's auto-mTLS transport socket matches. */
export function autoMtlsMatches(sans: string[]): object[] {
  return [
    { name: 'tlsMode-istio', match: toStruct({ tlsMode: 'istio' }), transportSocket: istioMutual({ sans, sni: 'outbound_.9080_._.reviews.default.svc.cluster.local' }) },
    {
      name: 'tlsMode-disabled',
      match: toStruct({}),
      transportSocket: { name: 'envoy.transport_sockets.raw_buffer', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer' } },
    },
  ];
}

/** An EDS endpoint, with Istio's tlsMode label in its transport socket match metadata when `istio`. */
export function lbEndpoint(port: number, istio: boolean): object {
  return {
    endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: port } } },
    ...(istio ? { metadata: { filterMetadata: { 'envoy.transport_socket_match': toStruct({ tlsMode: 'istio' }) } } } : {}),
  };
}
