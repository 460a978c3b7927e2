// Field shapes of the security.istio.io messages, typed against types/security.ts.
import type * as S from '../types/security.ts';
import { bool, duration, enumOf, labels, list, map, message, str, strings, type MessageShape } from '../shape.ts';

const SelectorShape: MessageShape<S.SecurityWorkloadSelector> = { name: 'WorkloadSelector', fields: { matchLabels: labels } };
const TargetRefShape: MessageShape<S.PolicyTargetReference> = {
  name: 'PolicyTargetReference',
  fields: { group: str, kind: str, name: str, namespace: str },
};
const MTLS_MODES = ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'];
type MutualTLS = NonNullable<S.PeerAuthenticationSpec['mtls']>;
const MutualTLSShape: MessageShape<MutualTLS> = { name: 'PeerAuthentication.MutualTLS', fields: { mode: enumOf(MTLS_MODES) } };

export const PeerAuthenticationShape: MessageShape<S.PeerAuthenticationSpec> = {
  name: 'PeerAuthentication',
  fields: {
    selector: message(() => SelectorShape),
    mtls: message(() => MutualTLSShape),
    portLevelMtls: map(message(() => MutualTLSShape), 'uint32'),
  },
};

const JWTHeaderShape: MessageShape<S.JWTHeader> = { name: 'JWTHeader', fields: { name: str, prefix: str } };
const ClaimToHeaderShape: MessageShape<S.ClaimToHeader> = { name: 'ClaimToHeader', fields: { header: str, claim: str } };
const JWTRuleShape: MessageShape<S.JWTRule> = {
  name: 'JWTRule',
  fields: {
    issuer: str,
    audiences: strings,
    jwksUri: str,
    jwks: str,
    fromHeaders: list(message(() => JWTHeaderShape)),
    fromParams: strings,
    fromCookies: strings,
    outputPayloadToHeader: str,
    forwardOriginalToken: bool,
    outputClaimToHeaders: list(message(() => ClaimToHeaderShape)),
    timeout: duration,
  },
};

export const RequestAuthenticationShape: MessageShape<S.RequestAuthenticationSpec> = {
  name: 'RequestAuthentication',
  fields: {
    selector: message(() => SelectorShape),
    targetRef: message(() => TargetRefShape),
    targetRefs: list(message(() => TargetRefShape)),
    jwtRules: list(message(() => JWTRuleShape)),
  },
};

const SourceShape: MessageShape<S.AuthorizationSource> = {
  name: 'Source',
  fields: {
    principals: strings,
    notPrincipals: strings,
    requestPrincipals: strings,
    notRequestPrincipals: strings,
    namespaces: strings,
    notNamespaces: strings,
    ipBlocks: strings,
    notIpBlocks: strings,
    remoteIpBlocks: strings,
    notRemoteIpBlocks: strings,
    serviceAccounts: strings,
    notServiceAccounts: strings,
  },
};
const OperationShape: MessageShape<S.AuthorizationOperation> = {
  name: 'Operation',
  fields: { hosts: strings, notHosts: strings, ports: strings, notPorts: strings, methods: strings, notMethods: strings, paths: strings, notPaths: strings },
};
const ConditionShape: MessageShape<S.AuthorizationCondition> = { name: 'Condition', fields: { key: str, values: strings, notValues: strings } };
type From = NonNullable<S.AuthorizationRule['from']>[number];
type To = NonNullable<S.AuthorizationRule['to']>[number];
const FromShape: MessageShape<From> = { name: 'Rule.From', fields: { source: message(() => SourceShape) } };
const ToShape: MessageShape<To> = { name: 'Rule.To', fields: { operation: message(() => OperationShape) } };
const RuleShape: MessageShape<S.AuthorizationRule> = {
  name: 'Rule',
  fields: { from: list(message(() => FromShape)), to: list(message(() => ToShape)), when: list(message(() => ConditionShape)) },
};
const ProviderShape: MessageShape<NonNullable<S.AuthorizationPolicySpec['provider']>> = {
  name: 'AuthorizationPolicy.ExtensionProvider',
  fields: { name: str },
};

export const AuthorizationPolicyShape: MessageShape<S.AuthorizationPolicySpec> = {
  name: 'AuthorizationPolicy',
  fields: {
    selector: message(() => SelectorShape),
    targetRef: message(() => TargetRefShape),
    targetRefs: list(message(() => TargetRefShape)),
    rules: list(message(() => RuleShape)),
    action: enumOf(['ALLOW', 'DENY', 'AUDIT', 'CUSTOM']),
    provider: message(() => ProviderShape),
  },
};
