// AuthorizationPolicy CUSTOM → Envoy's ext_authz, as istiod builds it: the
// CUSTOM policies' rules become the shadow rules of an RBAC filter (which
// never denies; a match only writes `istio_ext_authz_shadow_effective_policy_id`
// into the filter's dynamic metadata), and the ext_authz filter after it runs
// only when that metadata names one of those policies (filterEnabledMetadata).
// So the external authorizer sees exactly the requests the rules match. On
// TCP chains the same with the network filters, for gRPC providers only.
//
// Fail closed, never open: whatever keeps pilot from using the provider (a
// name the mesh config does not define, a provider that is not an external
// authorizer, several providers for one workload - Istio allows one, an HTTP
// provider on a TCP chain) turns the CUSTOM rules into an RBAC filter that
// DENIES what they match, in the ext_authz filter's place; a rule that cannot
// be translated sends every request to the authorizer (or denies every
// request). Each case is a translation issue of the policy.
import type { ExtAuthzGrpcProvider, ExtAuthzHttpProvider } from '@mesh/config';
import { EXT_AUTHZ_DEFAULT_TIMEOUT_MS } from '@mesh/config';
import {
  FILTER_NAMES,
  protoRoot,
  typedConfig,
  type ExtAuthz,
  type Filter,
  type GrpcService,
  type HttpFilter,
  type ListStringMatcher,
  type MetadataMatcher,
  type RbacPolicy,
  type StringMatcher,
} from '@mesh/xds';
import { FieldError } from '../model/errors.ts';
import { msToDuration } from '../model/duration.ts';
import type { AuthorizationPolicyModel } from '../model/authorization-policies.ts';
import type { PushContext } from '../model/push-context.ts';
import { clusterName } from '../model/virtual-services.ts';
import { translateRule, type ChainKind } from './authorization.ts';

/** Istio's names: shadow policies start with the prefix the ext_authz filter's filterEnabledMetadata looks for. */
export const EXT_AUTHZ_POLICY_PREFIX = 'istio-ext-authz';
export const EXT_AUTHZ_SHADOW_STAT_PREFIX = 'istio_ext_authz_';
const TCP_STAT_PREFIX = 'tcp.';
const ANY = { any: true };
const EVERYTHING: RbacPolicy = { permissions: [ANY], principals: [ANY] };

type Authorizer = ExtAuthzHttpProvider | ExtAuthzGrpcProvider;

export interface CustomFilters {
  /** In the HCM after jwt_authn and before the DENY/ALLOW RBAC filters. */
  http: HttpFilter[];
  /** On TCP chains before the DENY/ALLOW network RBAC filters. */
  tcp: Filter[];
}

function enabledWhen(rbacFilter: string): MetadataMatcher {
  return { filter: rbacFilter, path: [{ key: `${EXT_AUTHZ_SHADOW_STAT_PREFIX}shadow_effective_policy_id` }], value: { stringMatch: { prefix: EXT_AUTHZ_POLICY_PREFIX } } };
}

/** Istio's header patterns: `abc` exact, `abc*` prefix, `*abc` suffix, all case-insensitive. */
function headerPatterns(list: readonly string[]): ListStringMatcher | undefined {
  if (list.length === 0) return undefined;
  const one = (h: string): StringMatcher => (h.endsWith('*') ? { prefix: h.slice(0, -1), ignoreCase: true } : h.startsWith('*') ? { suffix: h.slice(1), ignoreCase: true } : { exact: h, ignoreCase: true });
  return { patterns: list.map(one) };
}

/** Envoy's StatusCode enum name of an HTTP status; undefined when Envoy has no name for it. */
function statusName(code: number): string | undefined {
  const e = protoRoot().lookupEnum('envoy.type.v3.StatusCode');
  return e.valuesById[code];
}

interface Resolved {
  cluster: string;
  host: string;
}

/** The provider's service as a cluster `outbound|<port>||<host>`; an unknown service or port is reported (the cluster then has no endpoints: every check fails). */
function resolveService(push: PushContext, p: Authorizer, report: (message: string, severity: 'error' | 'warning') => void): Resolved {
  const candidates = push.services.filter((s) => s.hostname === p.host && (p.namespace === undefined || s.namespace === p.namespace));
  const consequence = p.failOpen ? 'failOpen is set, so the requests it should check pass unchecked' : `every check fails and is answered ${p.statusOnError}`;
  if (candidates.length === 0) {
    report(`extension provider "${p.name}": no service ${p.service} is registered (Kubernetes Service or ServiceEntry): ${consequence}`, p.failOpen ? 'error' : 'warning');
  } else if (!candidates.some((s) => s.ports.some((sp) => sp.number === p.port))) {
    report(`extension provider "${p.name}": service ${p.service} has no port ${p.port}: ${consequence}`, p.failOpen ? 'error' : 'warning');
  }
  return { cluster: clusterName(p.port, undefined, p.host), host: p.host };
}

function grpcService(p: Authorizer, r: Resolved): GrpcService {
  return { envoyGrpc: { clusterName: r.cluster, authority: r.host }, timeout: msToDuration(p.timeoutMs ?? EXT_AUTHZ_DEFAULT_TIMEOUT_MS) };
}

function httpExtAuthz(p: Authorizer, r: Resolved, status: string): ExtAuthz {
  const config: ExtAuthz = {
    transportApiVersion: 'V3',
    filterEnabledMetadata: enabledWhen(FILTER_NAMES.rbac),
    failureModeAllow: p.failOpen,
    statusOnError: { code: status as NonNullable<ExtAuthz['statusOnError']>['code'] },
  };
  if (p.includeRequestBodyInCheck) config.withRequestBody = { ...p.includeRequestBodyInCheck };
  if (p.kind === 'envoyExtAuthzGrpc') {
    config.grpcService = grpcService(p, r);
    return config;
  }
  const added = Object.entries(p.includeAdditionalHeadersInCheck).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const allowed = headerPatterns(p.includeRequestHeadersInCheck);
  const upstream = headerPatterns(p.headersToUpstreamOnAllow);
  const deny = headerPatterns(p.headersToDownstreamOnDeny);
  const success = headerPatterns(p.headersToDownstreamOnAllow);
  config.httpService = {
    serverUri: { uri: `http://${r.host}${p.pathPrefix ?? ''}`, cluster: r.cluster, timeout: msToDuration(p.timeoutMs ?? EXT_AUTHZ_DEFAULT_TIMEOUT_MS) },
    ...(p.pathPrefix ? { pathPrefix: p.pathPrefix } : {}),
    ...(allowed || added.length ? { authorizationRequest: { ...(allowed ? { allowedHeaders: allowed } : {}), ...(added.length ? { headersToAdd: added.map(([key, value]) => ({ key, value })) } : {}) } } : {}),
    ...(upstream || deny || success
      ? { authorizationResponse: { ...(upstream ? { allowedUpstreamHeaders: upstream } : {}), ...(deny ? { allowedClientHeaders: deny } : {}), ...(success ? { allowedClientHeadersOnSuccess: success } : {}) } }
      : {}),
  };
  return config;
}

/**
 * The CUSTOM policies' rules as RBAC policies named with `prefix`
 * (`istio-ext-authz-ns[..]-policy[..]-rule[i]` for the shadow rules). A rule
 * that cannot be translated matches everything: every request goes to the
 * authorizer, or is denied when failing closed - never fewer.
 */
function rulePolicies(push: PushContext, policies: readonly AuthorizationPolicyModel[], kind: ChainKind, issuers: readonly string[], prefix: string): Record<string, RbacPolicy> {
  const out: Record<string, RbacPolicy> = {};
  for (const p of policies) {
    p.rules.forEach((rule, i) => {
      const name = `${prefix}ns[${p.namespace}]-policy[${p.name}]-rule[${i}]`;
      try {
        out[name] = translateRule(rule, kind, issuers);
      } catch (err) {
        const e = err instanceof FieldError ? err : new FieldError(rule.field, (err as Error).message);
        push.report({ ...p.ref, field: e.field, message: `${e.message.slice(e.field.length + 2)}: this CUSTOM rule cannot be translated, so it applies to every request`, severity: 'error', category: 'invalid' });
        out[name] = EVERYTHING;
      }
    });
  }
  return out;
}

function denyFilters(push: PushContext, policies: readonly AuthorizationPolicyModel[], issuers: readonly string[], kinds: readonly ChainKind[]): CustomFilters {
  const out: CustomFilters = { http: [], tcp: [] };
  if (kinds.includes('http')) out.http.push({ name: FILTER_NAMES.rbac, typedConfig: typedConfig('rbac', { rules: { action: 'DENY', policies: rulePolicies(push, policies, 'http', issuers, '') } }) });
  if (kinds.includes('tcp')) out.tcp.push(networkDeny(push, policies, issuers));
  return out;
}

function networkDeny(push: PushContext, policies: readonly AuthorizationPolicyModel[], issuers: readonly string[]): Filter {
  return { name: FILTER_NAMES.networkRbac, typedConfig: typedConfig('networkRbac', { statPrefix: TCP_STAT_PREFIX, rules: { action: 'DENY', policies: rulePolicies(push, policies, 'tcp', issuers, '') } }) };
}

/**
 * The ext_authz filters for the CUSTOM policies that apply to a workload
 * (already filtered to readable, untargeted CUSTOM policies), or the RBAC
 * filters that deny what they match when the provider cannot be used.
 */
export function customFilters(push: PushContext, policies: readonly AuthorizationPolicyModel[], issuers: readonly string[]): CustomFilters {
  if (policies.length === 0) return { http: [], tcp: [] };
  const report = (p: AuthorizationPolicyModel, field: string, message: string, severity: 'error' | 'warning', category: 'invalid' | 'unsupported' | 'unresolved') =>
    push.report({ ...p.ref, field, message, severity, category });
  for (const p of policies) {
    if (p.dryRun) report(p, 'metadata.annotations["istio.io/dry-run"]', 'dry-run is not supported for action CUSTOM (as in Istio): the policy is enforced', 'warning', 'unsupported');
  }
  const names = [...new Set(policies.map((p) => p.provider!))];
  if (names.length > 1) {
    for (const p of policies) {
      report(p, 'spec.provider.name', `a workload this policy selects is also selected by CUSTOM policies of other providers (${names.join(', ')}); Istio allows one provider per workload, so there the requests these rules match are denied`, 'error', 'invalid');
    }
    return denyFilters(push, policies, issuers, ['http', 'tcp']);
  }
  const provider = push.extensionProviders.get(names[0]);
  if (!provider || provider.kind === 'other') {
    const why = !provider ? `extension provider "${names[0]}" is not defined in the mesh config (extensionProviders)` : `extension provider "${names[0]}" is a ${provider.type} provider, not envoyExtAuthzHttp or envoyExtAuthzGrpc`;
    for (const p of policies) report(p, 'spec.provider.name', `${why}: the requests this policy's rules match are denied`, 'error', 'unresolved');
    return denyFilters(push, policies, issuers, ['http', 'tcp']);
  }

  const first = policies[0];
  const resolved = resolveService(push, provider, (message, severity) => report(first, 'spec.provider.name', message, severity, 'unresolved'));
  let status = statusName(provider.statusOnError);
  if (status === undefined) {
    report(first, 'spec.provider.name', `extension provider "${provider.name}": statusOnError ${provider.statusOnError} is not a status Envoy can send; using 403`, 'warning', 'invalid');
    status = 'Forbidden';
  }
  const out: CustomFilters = { http: [], tcp: [] };
  out.http.push({
    name: FILTER_NAMES.rbac,
    typedConfig: typedConfig('rbac', {
      shadowRules: { action: 'DENY', policies: rulePolicies(push, policies, 'http', issuers, `${EXT_AUTHZ_POLICY_PREFIX}-`) },
      shadowRulesStatPrefix: EXT_AUTHZ_SHADOW_STAT_PREFIX,
    }),
  });
  out.http.push({ name: FILTER_NAMES.extAuthz, typedConfig: typedConfig('extAuthz', httpExtAuthz(provider, resolved, status)) });

  if (provider.kind === 'envoyExtAuthzHttp') {
    // Istio leaves such a policy out of TCP chains (an HTTP authorizer cannot check a connection); here those chains deny what it matches.
    for (const p of policies) {
      report(p, 'spec.provider.name', `extension provider "${provider.name}" is an HTTP authorizer: on TCP ports the connections this policy's rules match are denied (Istio would not check them)`, 'warning', 'unsupported');
    }
    out.tcp.push(networkDeny(push, policies, issuers));
    return out;
  }
  out.tcp.push({
    name: FILTER_NAMES.networkRbac,
    typedConfig: typedConfig('networkRbac', {
      statPrefix: TCP_STAT_PREFIX,
      shadowRules: { action: 'DENY', policies: rulePolicies(push, policies, 'tcp', issuers, `${EXT_AUTHZ_POLICY_PREFIX}-`) },
      shadowRulesStatPrefix: EXT_AUTHZ_SHADOW_STAT_PREFIX,
    }),
  });
  out.tcp.push({
    name: FILTER_NAMES.networkExtAuthz,
    typedConfig: typedConfig('networkExtAuthz', {
      statPrefix: TCP_STAT_PREFIX,
      transportApiVersion: 'V3',
      grpcService: grpcService(provider, resolved),
      failureModeAllow: provider.failOpen,
      filterEnabledMetadata: enabledWhen(FILTER_NAMES.networkRbac),
    }),
  });
  return out;
}
