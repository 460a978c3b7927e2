// Message and KV value schemas. Every value crossing NATS is validated with
// these on the way in; see bus.ts for what happens to one that does not fit.
import { z } from 'zod';

export const CONFIG_KINDS = [
  'VirtualService',
  'DestinationRule',
  'Gateway',
  'ServiceEntry',
  'WorkloadEntry',
  'Sidecar',
  'PeerAuthentication',
  'RequestAuthentication',
  'AuthorizationPolicy',
] as const;
export type ConfigKind = (typeof CONFIG_KINDS)[number];

const name = z.string().min(1).max(253);
export const ObjectMetaSchema = z.object({
  name,
  namespace: z.string().min(1).max(63),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  generation: z.number().int().optional(),
  resourceVersion: z.string().optional(),
  creationTimestamp: z.string().optional(),
});

/** An accepted Istio resource as galley stores it. `spec` was validated by galley against the kind's schema. */
export const ConfigResourceSchema = z.object({
  apiVersion: z.string().min(1),
  kind: z.enum(CONFIG_KINDS),
  metadata: ObjectMetaSchema,
  spec: z.record(z.string(), z.unknown()),
  /** Where it came from: a file path or `kubernetes`. */
  source: z.string().optional(),
});
export type ConfigResource = z.infer<typeof ConfigResourceSchema>;

export const ConfigChangedSchema = z.object({
  op: z.enum(['put', 'delete']),
  kind: z.enum(CONFIG_KINDS),
  namespace: z.string(),
  name: z.string(),
  /** KV revision of the write this event follows. */
  revision: z.number().int().nonnegative(),
});
export type ConfigChanged = z.infer<typeof ConfigChangedSchema>;

export const FieldErrorSchema = z.object({ path: z.string(), message: z.string() });
export type FieldError = z.infer<typeof FieldErrorSchema>;

export const ConfigRejectedSchema = z.object({
  kind: z.string(),
  namespace: z.string(),
  name: z.string(),
  source: z.string().optional(),
  errors: z.array(FieldErrorSchema).min(1),
  time: z.string(),
});
export type ConfigRejected = z.infer<typeof ConfigRejectedSchema>;

export const TrustBundleSchema = z.object({
  /** PEM roots, every one currently trusted (more than one during a rotation). */
  roots: z.array(z.string().startsWith('-----BEGIN CERTIFICATE-----')).min(1),
  trustDomain: z.string().min(1),
  updatedAt: z.string(),
});
export type TrustBundle = z.infer<typeof TrustBundleSchema>;

export const TrustBundleChangedSchema = z.object({ revision: z.number().int().nonnegative(), roots: z.number().int() });
export type TrustBundleChanged = z.infer<typeof TrustBundleChangedSchema>;

/** Mesh-wide settings (Istio's MeshConfig subset we use). Unknown fields are kept for forward compatibility. */
export const MeshConfigSchema = z
  .object({
    trustDomain: z.string().default('cluster.local'),
    meshId: z.string().optional(),
    clusterId: z.string().optional(),
    outboundTrafficPolicy: z.object({ mode: z.enum(['ALLOW_ANY', 'REGISTRY_ONLY']) }).optional(),
  })
  .passthrough();
export type MeshConfig = z.infer<typeof MeshConfigSchema>;

export const TypeSyncSchema = z.object({
  sentVersion: z.string().optional(),
  sentNonce: z.string().optional(),
  ackedVersion: z.string().optional(),
  /** The nonce of the last ACKed response: equal to sentNonce when the proxy has ACKed the latest. */
  ackedNonce: z.string().optional(),
  /** Last NACK's error detail, cleared by the next ACK. */
  lastError: z.string().optional(),
  resources: z.number().int().nonnegative().optional(),
});

/** What one pilot replica knows about one connected proxy, for proxy-status. */
export const ProxyStatusSchema = z.object({
  proxyId: z.string(),
  pilot: z.string(),
  connectedAt: z.string(),
  updatedAt: z.string(),
  clusterId: z.string().optional(),
  /** The proxy's version (node metadata ISTIO_VERSION, or its xDS user agent). */
  version: z.string().optional(),
  /** Its admin port (node metadata PROXY_CONFIG.proxyAdminPort), where istioctl proxy-config reads it. */
  proxyAdminPort: z.number().int().positive().optional(),
  types: z.record(z.string(), TypeSyncSchema),
});
export type ProxyStatus = z.infer<typeof ProxyStatusSchema>;

// The messages never quote the value: it may be a private key.
const pem = (label: string, what: string) =>
  z
    .string()
    .max(1024 * 1024)
    .refine((v) => v.includes(`-----BEGIN ${label}`), { message: `must hold a PEM ${what}` });

/**
 * A TLS credential as Istio's `credentialName` names it: a kubernetes.io/tls
 * Secret (tls.crt, tls.key) or a generic one that may also hold ca.crt, or
 * only ca.crt (the `<name>-cacert` Secret of a MUTUAL server). Never logged.
 */
export const CredentialSchema = z
  .object({
    namespace: z.string().min(1).max(63),
    name,
    /** tls.crt: the certificate chain, leaf first. */
    cert: pem('CERTIFICATE', 'certificate').optional(),
    /** tls.key: its private key. */
    key: pem('', 'private key').optional(),
    /** ca.crt: the CAs that client certificates (MUTUAL) or servers (origination) are verified against. */
    ca: pem('CERTIFICATE', 'certificate').optional(),
    /** Where it came from: a directory, or `kubernetes`. */
    source: z.string().optional(),
  })
  .refine((c) => !!c.cert === !!c.key, { message: 'tls.crt and tls.key come together' })
  .refine((c) => !!c.cert || !!c.ca, { message: 'needs tls.crt and tls.key, or ca.crt' });
export type Credential = z.infer<typeof CredentialSchema>;
