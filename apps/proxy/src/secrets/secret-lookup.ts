// The contract between where secrets come from (pilot over ADS, or the
// in-process agent that holds the workload certificate from citadel) and the
// TLS contexts that use them (upstream clusters, downstream filter chains).
// An SdsSecretConfig names its source: `ads` for pilot, `agent` for Istio's
// `sds-grpc` cluster (the agent's SDS server in Envoy's deployment).

export type SecretSource = 'ads' | 'agent';

export interface SecretRef {
  name: string;
  source: SecretSource;
}

/** PEM material of one SDS secret: a TlsCertificate (cert + key) or a validation context (ca). */
export interface SecretMaterial {
  cert?: string;
  key?: string;
  ca?: string;
  /** Changes whenever the material does, so a TLS context built from it can be cached until then. */
  version: string;
}

export interface SecretLookup {
  /** The secret as it is now, or undefined while it has not arrived (a TLS context that needs it must refuse, never fall back to plaintext). */
  secret(ref: SecretRef): SecretMaterial | undefined;
  /** Called after a secret changes (rotation, first arrival); returns a function that unsubscribes. */
  onChange(listener: (ref: SecretRef) => void): () => void;
}
