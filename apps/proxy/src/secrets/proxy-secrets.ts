// The proxy's SecretLookup: source 'agent' is the in-process agent (Istio's
// sds-grpc): 'default' is the workload certificate, 'ROOTCA' the trust
// bundle; source 'ads' is what pilot sent as Secret resources. It also
// renders both for /config_dump (keys redacted) and /certs.
import { createHash, X509Certificate } from 'node:crypto';
import type { Secret__Output } from '@mesh/xds';
import type { Logger } from '@mesh/telemetry';
import { readCertificate, splitCertificates } from '@mesh/pki';
import type { TrustBundle } from '../agent/trust-bundle.ts';
import type { WorkloadIdentity } from '../agent/workload-identity.ts';
import type { SecretLookup, SecretMaterial, SecretRef } from './secret-lookup.ts';

/** Istio's names for the agent's two secrets. */
export const WORKLOAD_CERT = 'default';
export const ROOT_CA = 'ROOTCA';

export interface AgentSources {
  identity: WorkloadIdentity;
  bundle: TrustBundle;
}

const SECRET_TYPE = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';
const REDACTED = '[redacted]';

type DataSource = { inlineString?: string; inlineBytes?: Buffer | string } | null | undefined;

function text(d: DataSource): string | undefined {
  if (!d) return undefined;
  if (d.inlineString) return d.inlineString;
  if (d.inlineBytes && d.inlineBytes.length > 0) return typeof d.inlineBytes === 'string' ? Buffer.from(d.inlineBytes, 'base64').toString() : d.inlineBytes.toString();
  return undefined;
}

function digest(...parts: Array<string | undefined>): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p ?? '').update('\0');
  return h.digest('hex').slice(0, 16);
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

interface AdsEntry {
  material: SecretMaterial;
  secret: Secret__Output;
  lastUpdated: Date;
}

/** One certificate as Envoy's /certs describes it (admin.v3.CertificateDetails). */
export interface CertificateDetails {
  path: string;
  serial_number: string;
  subject_alt_names: Array<{ uri?: string; dns?: string; ip_address?: string }>;
  days_until_expiration: string;
  valid_from: string;
  expiration_time: string;
}

export function certificateDetails(pem: string, where: string, now = new Date()): CertificateDetails {
  const fields = readCertificate(pem);
  const x = new X509Certificate(pem);
  return {
    path: where,
    serial_number: x.serialNumber.toLowerCase(),
    subject_alt_names: [
      ...fields.sans.uris.map((uri) => ({ uri })),
      ...fields.sans.dnsNames.map((dns) => ({ dns })),
      ...fields.sans.ipAddresses.map((ip_address) => ({ ip_address })),
    ],
    days_until_expiration: String(Math.max(0, Math.floor((fields.notAfter.getTime() - now.getTime()) / 86_400_000))),
    valid_from: fields.notBefore.toISOString(),
    expiration_time: fields.notAfter.toISOString(),
  };
}

export class ProxySecrets implements SecretLookup {
  readonly agent: AgentSources | undefined;
  readonly #listeners = new Set<(ref: SecretRef) => void>();
  #ads = new Map<string, AdsEntry>();
  #adsVersion = '';
  #default: { serial: string; material: SecretMaterial } | undefined;
  #rootca: { roots: string[]; material: SecretMaterial; lastUpdated: Date } | undefined;

  readonly #log: Logger | undefined;

  constructor(options: { agent?: AgentSources; log?: Logger } = {}) {
    const agent = options.agent;
    this.agent = agent;
    this.#log = options.log;
    if (agent) {
      agent.identity.on('certificate', () => this.#fire({ name: WORKLOAD_CERT, source: 'agent' }));
      agent.bundle.on('change', () => {
        this.#rootMaterial(); // stamps lastUpdated with the time of the change
        this.#fire({ name: ROOT_CA, source: 'agent' });
      });
      this.#rootMaterial();
    }
  }

  secret(ref: SecretRef): SecretMaterial | undefined {
    if (ref.source === 'ads') return this.#ads.get(ref.name)?.material;
    if (!this.agent) return undefined;
    if (ref.name === WORKLOAD_CERT) {
      const cert = this.agent.identity.current();
      if (!cert) return undefined;
      if (this.#default?.serial !== cert.serialHex) {
        this.#default = { serial: cert.serialHex, material: { cert: cert.servedChain.join(''), key: cert.keyPem, version: cert.serialHex } };
      }
      return this.#default.material;
    }
    if (ref.name === ROOT_CA) return this.#rootMaterial();
    return undefined;
  }

  onChange(listener: (ref: SecretRef) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Pilot's Secret resources of a newly applied snapshot; every one whose material changed (or left) is announced. */
  setAdsSecrets(secrets: ReadonlyMap<string, Secret__Output>, version: string): void {
    const next = new Map<string, AdsEntry>();
    const changed: string[] = [];
    for (const [name, s] of secrets) {
      const cert = text(s.tlsCertificate?.certificateChain);
      const key = text(s.tlsCertificate?.privateKey);
      const ca = text(s.validationContext?.trustedCa);
      const v = digest(cert, key, ca);
      const old = this.#ads.get(name);
      if (old?.material.version === v) {
        next.set(name, { ...old, secret: s });
        continue;
      }
      next.set(name, { material: { cert, key, ca, version: v }, secret: s, lastUpdated: new Date() });
      changed.push(name);
    }
    for (const name of this.#ads.keys()) if (!next.has(name)) changed.push(name);
    this.#ads = next;
    this.#adsVersion = version;
    for (const name of changed) this.#fire({ name, source: 'ads' });
  }

  /** Envoy's SecretsConfigDump: what is served, private keys as `[redacted]`; secrets still awaited are warming. */
  configDump(): unknown {
    const active: unknown[] = [];
    const warming: unknown[] = [];
    if (this.agent) {
      const cert = this.agent.identity.current();
      if (cert) {
        active.push({
          name: WORKLOAD_CERT,
          versionInfo: cert.serialHex,
          lastUpdated: cert.installedAt.toISOString(),
          secret: {
            '@type': SECRET_TYPE,
            name: WORKLOAD_CERT,
            tlsCertificate: { certificateChain: { inlineBytes: b64(cert.servedChain.join('')) }, privateKey: { inlineString: REDACTED } },
          },
        });
      } else {
        warming.push({ name: WORKLOAD_CERT, versionInfo: '', secret: { '@type': SECRET_TYPE, name: WORKLOAD_CERT } });
      }
      const roots = this.#rootMaterial();
      if (roots?.ca) {
        active.push({
          name: ROOT_CA,
          versionInfo: roots.version,
          lastUpdated: this.#rootca!.lastUpdated.toISOString(),
          secret: { '@type': SECRET_TYPE, name: ROOT_CA, validationContext: { trustedCa: { inlineBytes: b64(roots.ca) } } },
        });
      } else {
        warming.push({ name: ROOT_CA, versionInfo: '', secret: { '@type': SECRET_TYPE, name: ROOT_CA } });
      }
    }
    for (const [name, e] of this.#ads) {
      const s = e.secret;
      const secret: Record<string, unknown> = { '@type': SECRET_TYPE, name };
      if (s.tlsCertificate) {
        secret.tlsCertificate = {
          ...(e.material.cert ? { certificateChain: { inlineBytes: b64(e.material.cert) } } : {}),
          ...(e.material.key ? { privateKey: { inlineString: REDACTED } } : {}),
        };
      }
      if (s.validationContext) secret.validationContext = e.material.ca ? { trustedCa: { inlineBytes: b64(e.material.ca) } } : {};
      active.push({ name, versionInfo: this.#adsVersion, lastUpdated: e.lastUpdated.toISOString(), secret });
    }
    return { '@type': 'type.googleapis.com/envoy.admin.v3.SecretsConfigDump', dynamicActiveSecrets: active, dynamicWarmingSecrets: warming };
  }

  /** Envoy's /certs: per certificate source, its CA certificates and its certificate chain. */
  certs(now = new Date()): { certificates: Array<{ ca_cert: CertificateDetails[]; cert_chain: CertificateDetails[] }> } {
    const certificates: Array<{ ca_cert: CertificateDetails[]; cert_chain: CertificateDetails[] }> = [];
    const details = (pem: string | undefined, where: string) => {
      try {
        return splitCertificates(pem ?? '').map((c) => certificateDetails(c, where, now));
      } catch {
        return [];
      }
    };
    if (this.agent) {
      const cert = this.agent.identity.current();
      const ca = this.#rootMaterial()?.ca;
      if (cert || ca) {
        certificates.push({
          ca_cert: details(ca, `<inline> (sds ${ROOT_CA})`),
          cert_chain: cert ? details(cert.servedChain.join(''), `<inline> (sds ${WORKLOAD_CERT})`) : [],
        });
      }
    }
    for (const [name, e] of this.#ads) {
      certificates.push({ ca_cert: details(e.material.ca, `<inline> (ads ${name})`), cert_chain: details(e.material.cert, `<inline> (ads ${name})`) });
    }
    return { certificates };
  }

  #rootMaterial(): SecretMaterial | undefined {
    const roots = this.agent?.bundle.roots() ?? [];
    if (roots.length === 0) return undefined;
    if (this.#rootca?.roots !== roots) {
      const ca = roots.join('');
      const version = digest(ca);
      this.#rootca = this.#rootca?.material.version === version ? { ...this.#rootca, roots } : { roots, material: { ca, version }, lastUpdated: new Date() };
    }
    return this.#rootca.material;
  }

  #fire(ref: SecretRef): void {
    for (const l of [...this.#listeners]) {
      try {
        l(ref);
      } catch (err) {
        // One listener's failure must not keep the others on the old secret.
        this.#log?.error('a secret change listener failed', { secret: ref.name, source: ref.source, err });
      }
    }
  }
}
