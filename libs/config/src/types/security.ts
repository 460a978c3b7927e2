// Specs of security.istio.io resources (v1beta1 and v1 share one schema).
// Reference: https://istio.io/latest/docs/reference/config/security/
import type { Duration, Labels } from './networking.ts';

/** istio.type.v1beta1.WorkloadSelector: note `matchLabels`, unlike networking's `labels`. */
export interface SecurityWorkloadSelector {
  matchLabels?: Labels;
}

/** Binds a policy to a Gateway API Gateway or a Service instead of workload labels. */
export interface PolicyTargetReference {
  group?: string;
  kind: string;
  name: string;
  namespace?: string;
}

export type MutualTLSMode = 'UNSET' | 'DISABLE' | 'PERMISSIVE' | 'STRICT';

export interface PeerAuthenticationSpec {
  selector?: SecurityWorkloadSelector;
  mtls?: { mode?: MutualTLSMode };
  /** Keyed by workload port number (as a string in YAML/JSON). Needs a selector. */
  portLevelMtls?: Record<string, { mode?: MutualTLSMode }>;
}

export interface JWTHeader {
  name: string;
  prefix?: string;
}

export interface ClaimToHeader {
  header: string;
  claim: string;
}

export interface JWTRule {
  issuer: string;
  audiences?: string[];
  jwksUri?: string;
  /** Inline JWKS (JSON). */
  jwks?: string;
  fromHeaders?: JWTHeader[];
  fromParams?: string[];
  fromCookies?: string[];
  outputPayloadToHeader?: string;
  forwardOriginalToken?: boolean;
  outputClaimToHeaders?: ClaimToHeader[];
  timeout?: Duration;
}

export interface RequestAuthenticationSpec {
  selector?: SecurityWorkloadSelector;
  targetRef?: PolicyTargetReference;
  targetRefs?: PolicyTargetReference[];
  jwtRules?: JWTRule[];
}

export interface AuthorizationSource {
  principals?: string[];
  notPrincipals?: string[];
  requestPrincipals?: string[];
  notRequestPrincipals?: string[];
  namespaces?: string[];
  notNamespaces?: string[];
  ipBlocks?: string[];
  notIpBlocks?: string[];
  remoteIpBlocks?: string[];
  notRemoteIpBlocks?: string[];
  serviceAccounts?: string[];
  notServiceAccounts?: string[];
}

export interface AuthorizationOperation {
  hosts?: string[];
  notHosts?: string[];
  ports?: string[];
  notPorts?: string[];
  methods?: string[];
  notMethods?: string[];
  paths?: string[];
  notPaths?: string[];
}

export interface AuthorizationCondition {
  key: string;
  values?: string[];
  notValues?: string[];
}

export interface AuthorizationRule {
  from?: Array<{ source: AuthorizationSource }>;
  to?: Array<{ operation: AuthorizationOperation }>;
  when?: AuthorizationCondition[];
}

export type AuthorizationAction = 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';

export interface AuthorizationPolicySpec {
  selector?: SecurityWorkloadSelector;
  targetRef?: PolicyTargetReference;
  targetRefs?: PolicyTargetReference[];
  rules?: AuthorizationRule[];
  /** ALLOW when absent. */
  action?: AuthorizationAction;
  /** Only with action CUSTOM: the extension provider defined in MeshConfig. */
  provider?: { name: string };
}
