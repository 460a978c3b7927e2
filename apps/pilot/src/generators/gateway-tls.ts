// TLS at the gateways (Istio's Gateway `tls` and DestinationRule TLS
// origination with credentialName), in the shapes istiod generates: a
// credential is served to the gateway as the ADS secret `kubernetes://<name>`
// (tls.crt + tls.key) and its CA as `kubernetes://<name>-cacert` (the
// credential's own ca.crt, else the ca.crt of the credential `<name>-cacert`).
// What cannot be built safely is never served as less TLS: the caller gets a
// problem and builds a chain (or cluster) that refuses every connection.
import type { Credential } from '@mesh/contracts';
import { FILTER_NAMES, typedConfig, type CommonTlsContext, type ConfigSource, type DownstreamTlsContext, type TransportSocket, type UpstreamTlsContext } from '@mesh/xds';
import type { ServerTlsModel } from '../model/gateways.ts';
import { ROOT_CA_SECRET, SDS_CONFIG, WORKLOAD_CERT_SECRET } from './mtls.ts';

/** Istio's SDS resource names for Kubernetes Secrets. */
export const CREDENTIAL_PREFIX = 'kubernetes://';
export const CA_SUFFIX = '-cacert';
const ADS: ConfigSource = { ads: {}, resourceApiVersion: 'V3' };

export const credentialSecretName = (name: string) => `${CREDENTIAL_PREFIX}${name}`;
export const caSecretName = (name: string) => `${CREDENTIAL_PREFIX}${name}${CA_SUFFIX}`;

/** Looks up a credential of the proxy's namespace (Istio: the Secret lives where the gateway workload runs). */
export type CredentialLookup = (name: string) => Credential | undefined;

/** The CA a credential name provides: its own ca.crt, else that of `<name>-cacert` (Istio's two layouts). */
export function credentialCa(lookup: CredentialLookup, name: string): string | undefined {
  return lookup(name)?.ca ?? lookup(`${name}${CA_SUFFIX}`)?.ca;
}

export interface TlsProblem {
  /** Field of the Istio resource (relative to the server or the tls block's path given by the caller). */
  field: string;
  message: string;
}

const TLS_VERSIONS: Record<string, 'TLSv1_2' | 'TLSv1_3' | undefined> = { TLS_AUTO: undefined, TLSV1_2: 'TLSv1_2', TLSV1_3: 'TLSv1_3' };

/**
 * The TlsParameters of a server: at least TLS 1.2 (the proxy speaks nothing
 * older; Istio's gateways default to 1.2 as well), its max and cipher suites.
 */
function tlsParams(tls: ServerTlsModel, warn: (p: TlsProblem) => void): { params: NonNullable<CommonTlsContext['tlsParams']>; problem?: TlsProblem } {
  const params: NonNullable<CommonTlsContext['tlsParams']> = { tlsMinimumProtocolVersion: 'TLSv1_2' };
  const min = tls.minProtocolVersion;
  if (min === 'TLSV1_0' || min === 'TLSV1_1') warn({ field: 'tls.minProtocolVersion', message: `${min} is below what this proxy speaks; TLS 1.2 is the minimum` });
  else if (min && min in TLS_VERSIONS) params.tlsMinimumProtocolVersion = TLS_VERSIONS[min] ?? 'TLSv1_2';
  const max = tls.maxProtocolVersion;
  if (max === 'TLSV1_0' || max === 'TLSV1_1') {
    return { params, problem: { field: 'tls.maxProtocolVersion', message: `${max} is below what this proxy speaks (TLS 1.2 and 1.3): no client could connect; the server refuses every connection` } };
  }
  if (max && TLS_VERSIONS[max]) params.tlsMaximumProtocolVersion = TLS_VERSIONS[max];
  if (tls.cipherSuites.length) params.cipherSuites = [...tls.cipherSuites];
  return { params };
}

/**
 * A gateway server's DownstreamTlsContext (modes SIMPLE, MUTUAL,
 * OPTIONAL_MUTUAL, ISTIO_MUTUAL), or the problem that keeps it from being served.
 * `alpn`: the protocols an HTTPS server offers (h2, http/1.1); none for TLS servers.
 */
export function serverTlsSocket(
  tls: ServerTlsModel,
  lookup: CredentialLookup,
  alpn: string[] | undefined,
  warn: (p: TlsProblem) => void,
): { socket: TransportSocket; secrets: string[] } | { problem: TlsProblem } {
  const { params, problem } = tlsParams(tls, warn);
  if (problem) return { problem };
  const common: CommonTlsContext = { tlsParams: params, ...(alpn ? { alpnProtocols: alpn } : {}) };
  const sans = tls.subjectAltNames.length ? { matchSubjectAltNames: tls.subjectAltNames.map((exact) => ({ exact })) } : {};
  const secrets: string[] = [];
  let requireClient = false;
  switch (tls.mode) {
    case 'ISTIO_MUTUAL':
      // The gateway's own workload certificate; clients must present a mesh certificate.
      common.tlsCertificateSdsSecretConfigs = [{ name: WORKLOAD_CERT_SECRET, sdsConfig: SDS_CONFIG }];
      common.combinedValidationContext = { defaultValidationContext: sans, validationContextSdsSecretConfig: { name: ROOT_CA_SECRET, sdsConfig: SDS_CONFIG } };
      requireClient = true;
      break;
    case 'SIMPLE':
    case 'MUTUAL':
    case 'OPTIONAL_MUTUAL': {
      if (tls.credentialName) {
        const c = lookup(tls.credentialName);
        if (!c?.cert || !c.key) {
          return {
            problem: {
              field: 'tls.credentialName',
              message: `no credential ${tls.credentialName} with tls.crt and tls.key in the gateway's namespace: this server refuses every connection until it exists`,
            },
          };
        }
        common.tlsCertificateSdsSecretConfigs = [{ name: credentialSecretName(tls.credentialName), sdsConfig: ADS }];
        secrets.push(credentialSecretName(tls.credentialName));
      } else if (tls.serverCertificate && tls.privateKey) {
        common.tlsCertificates = [{ certificateChain: { filename: tls.serverCertificate }, privateKey: { filename: tls.privateKey } }];
      } else {
        return { problem: { field: 'tls', message: `${tls.mode} needs credentialName, or serverCertificate and privateKey: this server refuses every connection` } };
      }
      if (tls.mode !== 'SIMPLE') {
        // OPTIONAL_MUTUAL: a client certificate is verified when presented, not required.
        requireClient = tls.mode === 'MUTUAL';
        if (tls.credentialName) {
          if (!credentialCa(lookup, tls.credentialName)) {
            return {
              problem: {
                field: 'tls.credentialName',
                message: `${tls.mode} needs a CA for client certificates: neither credential ${tls.credentialName} nor ${tls.credentialName}${CA_SUFFIX} holds ca.crt; this server refuses every connection until one does`,
              },
            };
          }
          common.combinedValidationContext = { defaultValidationContext: sans, validationContextSdsSecretConfig: { name: caSecretName(tls.credentialName), sdsConfig: ADS } };
          secrets.push(caSecretName(tls.credentialName));
        } else if (tls.caCertificates) {
          common.validationContext = { trustedCa: { filename: tls.caCertificates }, ...sans };
        } else {
          return { problem: { field: 'tls.caCertificates', message: `${tls.mode} needs caCertificates (or a credentialName with ca.crt) to verify client certificates: this server refuses every connection` } };
        }
      }
      break;
    }
    default:
      return { problem: { field: 'tls.mode', message: `${tls.mode} is not a TLS termination mode` } };
  }
  const ctx: DownstreamTlsContext = { commonTlsContext: common, ...(requireClient ? { requireClientCertificate: { value: true } } : {}) };
  return { socket: { name: FILTER_NAMES.tls, typedConfig: typedConfig('downstreamTlsContext', ctx) }, secrets };
}

/** DestinationRule TLS with credentialName, as the cluster builder reads it. */
export interface CredentialOrigination {
  mode: 'SIMPLE' | 'MUTUAL';
  credentialName: string;
  sni?: string;
  subjectAltNames?: string[];
  insecureSkipVerify?: boolean;
}

/**
 * Egress TLS origination at a gateway: the client certificate (MUTUAL) from
 * `kubernetes://<name>`, the server verified against `kubernetes://<name>-cacert`
 * and the rule's subjectAltNames. A server that would go unverified is refused
 * unless the rule says insecureSkipVerify (the mesh never falls back to a system trust store).
 */
export function credentialUpstreamTls(o: CredentialOrigination, lookup: CredentialLookup): { context: UpstreamTlsContext; secrets: string[] } | { problem: string } {
  const common: CommonTlsContext = {};
  const secrets: string[] = [];
  if (o.mode === 'MUTUAL') {
    const c = lookup(o.credentialName);
    if (!c?.cert || !c.key) return { problem: `no credential ${o.credentialName} with tls.crt and tls.key in the gateway's namespace` };
    common.tlsCertificateSdsSecretConfigs = [{ name: credentialSecretName(o.credentialName), sdsConfig: ADS }];
    secrets.push(credentialSecretName(o.credentialName));
  }
  if (o.insecureSkipVerify !== true) {
    if (!credentialCa(lookup, o.credentialName)) {
      return { problem: `neither credential ${o.credentialName} nor ${o.credentialName}${CA_SUFFIX} in the gateway's namespace holds ca.crt, so the server could not be verified (set insecureSkipVerify: true to accept any server)` };
    }
    const sans = o.subjectAltNames?.length ? { matchSubjectAltNames: o.subjectAltNames.map((exact) => ({ exact })) } : {};
    common.combinedValidationContext = { defaultValidationContext: sans, validationContextSdsSecretConfig: { name: caSecretName(o.credentialName), sdsConfig: ADS } };
    secrets.push(caSecretName(o.credentialName));
  }
  return { context: { commonTlsContext: common, ...(o.sni ? { sni: o.sni } : {}) }, secrets };
}
