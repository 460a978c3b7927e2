// Every NATS subject and JetStream KV bucket the mesh uses. Nothing outside
// this file spells one of these strings.

/** JetStream KV buckets: the durable state a late or reconnecting consumer rebuilds from. */
export const BUCKETS = {
  /** Validated Istio resources written by galley. Key: configKey(kind, namespace, name). */
  config: 'mesh-config',
  /** Service registry from platform discovery (Kubernetes Services/Endpoints) written by galley. */
  registry: 'mesh-registry',
  /** Roots every workload must trust, written by citadel. Key: TRUST_BUNDLE_KEY. */
  trustBundle: 'mesh-trust-bundle',
  /** Mesh-wide settings (trust domain, injection defaults, images). Key: MESH_CONFIG_KEY. */
  meshConfig: 'mesh-meshconfig',
  /** Per-proxy xDS sync status written by pilot replicas. Key: proxyStatusKey(proxyId). */
  proxyStatus: 'mesh-proxy-status',
  /**
   * TLS credentials Gateways and DestinationRules name by `credentialName` (Istio's kubernetes.io/tls Secrets),
   * written by galley. Key: credentialKey(namespace, name). Holds private keys: read by pilot only.
   */
  credentials: 'mesh-credentials',
} as const;
export type BucketName = (typeof BUCKETS)[keyof typeof BUCKETS];

export const TRUST_BUNDLE_KEY = 'bundle';
export const MESH_CONFIG_KEY = 'mesh';

/** Core NATS subjects for events. Events carry the KV revision they follow, so a consumer can tell it missed one. */
export const SUBJECTS = {
  /** A resource was accepted or removed by galley (after the KV write). */
  configChanged: 'mesh.config.changed',
  /** A resource galley rejected, with the reasons; the last accepted version stays in effect. */
  configRejected: 'mesh.config.rejected',
  /** Citadel changed the trust bundle. */
  trustBundleChanged: 'mesh.ca.trust-bundle.changed',
} as const;
export type SubjectName = (typeof SUBJECTS)[keyof typeof SUBJECTS];

// KV keys allow [-/_=.a-zA-Z0-9]; Kubernetes names are DNS labels/subdomains, so
// only the separator needs care: '.' separates parts and names may contain '.',
// which is why the name comes last and is the remainder.
export function configKey(kind: string, namespace: string, name: string): string {
  return `${kind}.${namespace}.${name}`;
}

export function parseConfigKey(key: string): { kind: string; namespace: string; name: string } | undefined {
  const m = /^([A-Za-z]+)\.([a-z0-9-]+)\.(.+)$/.exec(key);
  return m ? { kind: m[1], namespace: m[2], name: m[3] } : undefined;
}

/** A credential's KV key: namespaces are DNS labels (no '.'), so the name is the remainder after the first '.'. */
export function credentialKey(namespace: string, name: string): string {
  return `${namespace}.${name}`;
}

export function parseCredentialKey(key: string): { namespace: string; name: string } | undefined {
  const m = /^([a-z0-9-]+)\.(.+)$/.exec(key);
  return m ? { namespace: m[1], name: m[2] } : undefined;
}

/** Proxy ids look like `sidecar~10.0.0.1~reviews-v1.default~default.svc.cluster.local`; '~' is not a KV key character. */
export function proxyStatusKey(proxyId: string): string {
  return proxyId.replace(/[^-/_=.a-zA-Z0-9]/g, (c) => '_' + c.charCodeAt(0).toString(16).padStart(2, '0'));
}
