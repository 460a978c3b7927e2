// Istio's AuthorizationPolicy (security.istio.io/v1): what a policy says, read
// strictly from the spec galley accepted, and which policies apply to a
// workload (Istio's rules): a policy in the root namespace without selector
// applies mesh-wide, one in another namespace without selector to that
// namespace, one with `selector.matchLabels` to the matching workloads of
// its namespace (of every namespace when it is in the root namespace);
// gateways are workloads like any other (selector istio=ingressgateway).
// https://istio.io/latest/docs/reference/config/security/authorization-policy/
import type { ConfigResource } from '@mesh/contracts';
import { FieldError, asArray, asLabels, asObject, asString, refOf, type ResourceRef } from './errors.ts';
import { labelsMatch } from './services.ts';

export type AuthorizationAction = 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';

export interface SourceModel {
  principals: string[];
  notPrincipals: string[];
  requestPrincipals: string[];
  notRequestPrincipals: string[];
  namespaces: string[];
  notNamespaces: string[];
  ipBlocks: string[];
  notIpBlocks: string[];
  remoteIpBlocks: string[];
  notRemoteIpBlocks: string[];
  serviceAccounts: string[];
  notServiceAccounts: string[];
}

export interface OperationModel {
  hosts: string[];
  notHosts: string[];
  ports: string[];
  notPorts: string[];
  methods: string[];
  notMethods: string[];
  paths: string[];
  notPaths: string[];
}

export interface ConditionModel {
  key: string;
  values: string[];
  notValues: string[];
}

export interface RuleModel {
  /** Why the rule could not be read (field path, message); its other fields are then empty. */
  error?: { field: string; message: string };
  /** OR of sources; empty: any source. */
  from: SourceModel[];
  /** OR of operations; empty: any operation. */
  to: OperationModel[];
  /** AND of conditions. */
  when: ConditionModel[];
  field: string;
}

export interface AuthorizationPolicyModel {
  namespace: string;
  name: string;
  ref: ResourceRef;
  action: AuthorizationAction;
  /** CUSTOM: provider.name, an extensionProviders entry of the mesh config. */
  provider?: string;
  /** selector.matchLabels; undefined: every workload of the namespace (mesh-wide in the root namespace). */
  selector?: Record<string, string>;
  /** targetRef / targetRefs are set (Gateway API attachment), which this mesh does not implement. */
  targeted: boolean;
  rules: RuleModel[];
  /** `istio.io/dry-run: "true"`: evaluated and counted only (Envoy's shadow rules). */
  dryRun: boolean;
  /**
   * Why the policy itself (action, selector) could not be read: it is then
   * applied to its whole namespace as a policy that denies everything, since
   * pilot cannot tell what it would have allowed or whom it selects.
   */
  broken?: { field: string; message: string };
  creation: string;
}

const SOURCE_FIELDS = [
  'principals',
  'notPrincipals',
  'requestPrincipals',
  'notRequestPrincipals',
  'namespaces',
  'notNamespaces',
  'ipBlocks',
  'notIpBlocks',
  'remoteIpBlocks',
  'notRemoteIpBlocks',
  'serviceAccounts',
  'notServiceAccounts',
] as const;
const OPERATION_FIELDS = ['hosts', 'notHosts', 'ports', 'notPorts', 'methods', 'notMethods', 'paths', 'notPaths'] as const;
const ACTIONS: readonly AuthorizationAction[] = ['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'];

function strings(v: unknown, field: string): string[] {
  return asArray(v, field).map((s, i) => {
    const str = asString(s, `${field}[${i}]`);
    if (str === undefined || str === '') throw new FieldError(`${field}[${i}]`, 'must be a non-empty string');
    return str;
  });
}

function readFields<K extends string>(v: unknown, field: string, names: readonly K[]): Record<K, string[]> {
  const o = asObject(v, field) ?? {};
  for (const k of Object.keys(o)) if (!(names as readonly string[]).includes(k)) throw new FieldError(`${field}.${k}`, 'is not a field of this message');
  const out = {} as Record<K, string[]>;
  for (const n of names) out[n] = strings(o[n], `${field}.${n}`);
  return out;
}

function readRule(v: unknown, field: string): RuleModel {
  try {
    return readRuleFields(v, field);
  } catch (err) {
    const e = err instanceof FieldError ? { field: err.field, message: err.message.slice(err.field.length + 2) } : { field, message: (err as Error).message };
    return { error: e, from: [], to: [], when: [], field };
  }
}

function readRuleFields(v: unknown, field: string): RuleModel {
  const r = asObject(v, field) ?? {};
  return {
    from: asArray(r.from, `${field}.from`).map((f, i) => readFields(asObject(f, `${field}.from[${i}]`)?.source, `${field}.from[${i}].source`, SOURCE_FIELDS)),
    to: asArray(r.to, `${field}.to`).map((t, i) => readFields(asObject(t, `${field}.to[${i}]`)?.operation, `${field}.to[${i}].operation`, OPERATION_FIELDS)),
    when: asArray(r.when, `${field}.when`).map((c, i) => {
      const o = asObject(c, `${field}.when[${i}]`) ?? {};
      const key = asString(o.key, `${field}.when[${i}].key`);
      if (!key) throw new FieldError(`${field}.when[${i}].key`, 'is required');
      return { key, values: strings(o.values, `${field}.when[${i}].values`), notValues: strings(o.notValues, `${field}.when[${i}].notValues`) };
    }),
    field,
  };
}

/** Never throws: what cannot be read is recorded on the model (rule.error, broken) for the generator to turn into denials. */
export function readAuthorizationPolicy(r: ConfigResource): AuthorizationPolicyModel {
  try {
    return readPolicy(r);
  } catch (err) {
    const broken = err instanceof FieldError ? { field: err.field, message: err.message.slice(err.field.length + 2) } : { field: 'spec', message: (err as Error).message };
    return {
      namespace: r.metadata.namespace,
      name: r.metadata.name,
      ref: refOf(r),
      action: 'DENY',
      targeted: false,
      rules: [],
      dryRun: false,
      broken,
      creation: r.metadata.creationTimestamp ?? '',
    };
  }
}

function readPolicy(r: ConfigResource): AuthorizationPolicyModel {
  const spec = r.spec as Record<string, unknown>;
  const actionText = asString(spec.action, 'spec.action') ?? 'ALLOW';
  if (!(ACTIONS as readonly string[]).includes(actionText)) throw new FieldError('spec.action', `must be one of ${ACTIONS.join(', ')}`);
  const selector = asObject(spec.selector, 'spec.selector');
  const provider = asString(asObject(spec.provider, 'spec.provider')?.name, 'spec.provider.name');
  if (actionText === 'CUSTOM' && !provider) throw new FieldError('spec.provider.name', 'is required with action CUSTOM');
  return {
    namespace: r.metadata.namespace,
    name: r.metadata.name,
    ref: refOf(r),
    action: actionText as AuthorizationAction,
    ...(actionText === 'CUSTOM' ? { provider } : {}),
    selector: selector ? asLabels(selector.matchLabels, 'spec.selector.matchLabels') : undefined,
    targeted: spec.targetRef !== undefined || asArray(spec.targetRefs, 'spec.targetRefs').length > 0,
    rules: asArray(spec.rules, 'spec.rules').map((x, i) => readRule(x, `spec.rules[${i}]`)),
    dryRun: r.metadata.annotations?.['istio.io/dry-run'] === 'true',
    creation: r.metadata.creationTimestamp ?? '',
  };
}

/** The workload a policy is matched against. */
export interface WorkloadRef {
  namespace: string;
  labels: Record<string, string>;
}

/**
 * Whether `p` applies to the workload. A policy with targetRef(s) is matched
 * as if it had no selector (its whole namespace): pilot cannot tell which
 * workloads it targets, and the generator turns it into something more
 * restrictive than the policy (see generators/authorization.ts).
 */
export function policyApplies(p: AuthorizationPolicyModel, w: WorkloadRef, rootNamespace: string): boolean {
  const inScope = p.namespace === rootNamespace || p.namespace === w.namespace;
  if (!inScope) return false;
  if (p.targeted || p.selector === undefined) return true;
  // An empty matchLabels selects every workload (as Istio's label selector does).
  return labelsMatch(p.selector, w.labels);
}

/** The policies that apply to a workload, oldest first (the Envoy policies are keyed by name, so order only affects reports). */
export function policiesFor(policies: readonly AuthorizationPolicyModel[], w: WorkloadRef, rootNamespace: string): AuthorizationPolicyModel[] {
  return policies.filter((p) => policyApplies(p, w, rootNamespace));
}
