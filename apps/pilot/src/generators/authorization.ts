// AuthorizationPolicy → Envoy RBAC filters, as Istio translates them: for the
// workload's HTTP connection managers one envoy.filters.http.rbac filter per
// action, in the order DENY, ALLOW, AUDIT (action LOG), placed before the
// fault filter and the router; for its TCP chains the same as
// envoy.filters.network.rbac filters before the tcp_proxy.
//
// A rule becomes one Envoy policy `ns[<ns>]-policy[<name>]-rule[<i>]`: its
// `to` entries are the policy's permissions (OR), each the AND of its
// operation's fields and the rule's destination conditions; its `from`
// entries are the principals (OR), each the AND of its source's fields and
// the rule's source conditions. Values of one field are OR'ed, `notX` fields
// are negated.
//
// On TCP chains (Istio's "Authorization for TCP traffic"), fields only HTTP
// has (methods, paths, hosts, requestPrincipals, request.* conditions) make an
// ALLOW rule be left out, and are removed from a DENY (or AUDIT) rule, whose
// other fields still apply: both more restrictive.
//
// What pilot cannot translate never makes the result less restrictive: an
// ALLOW rule that cannot be translated is left out (it allows nothing), a
// DENY rule that cannot be translated denies every request, and a policy with
// targetRef(s) applies to its whole namespace as an ALLOW that allows nothing
// more, or a DENY of everything. Each is a translation issue of the policy.
// CUSTOM policies become Envoy's ext_authz filters, first (ext-authz.ts):
// Istio's evaluation order is CUSTOM, DENY, ALLOW.
import { FILTER_NAMES, typedConfig, type Filter, type HttpFilter, type RbacPermission, type RbacPolicy, type RbacPrincipal, type RbacRules, type StringMatcher } from '@mesh/xds';
import { isIP } from 'node:net';
import { FieldError } from '../model/errors.ts';
import { policiesFor, type AuthorizationPolicyModel, type ConditionModel, type OperationModel, type RuleModel, type SourceModel, type WorkloadRef } from '../model/authorization-policies.ts';
import type { PushContext } from '../model/push-context.ts';
import { JWT_AUTHN_METADATA, requestAuthentication } from './request-authentication.ts';
import { customFilters } from './ext-authz.ts';

export type ChainKind = 'http' | 'tcp';

export interface AuthorizationFilters {
  /** For the workload's HTTP connection managers, before the fault filter: jwt_authn (RequestAuthentication), then RBAC. */
  http: HttpFilter[];
  /** For the workload's TCP chains, before the tcp_proxy. */
  tcp: Filter[];
}

/** Istio's stat prefix of the network RBAC filter: the counters are `tcp.rbac.allowed` / `tcp.rbac.denied`. */
const TCP_STAT_PREFIX = 'tcp.';
const DRY_RUN_PREFIX = { DENY: 'istio_dry_run_deny_', ALLOW: 'istio_dry_run_allow_', LOG: 'istio_dry_run_log_' } as const;

const ANY_PERMISSION: RbacPermission = { any: true };
const ANY_PRINCIPAL: RbacPrincipal = { any: true };
/** What a rule that cannot be translated becomes in a DENY filter. */
const EVERYTHING: RbacPolicy = { permissions: [ANY_PERMISSION], principals: [ANY_PRINCIPAL] };

// ---------------------------------------------------------------------------
// Values

function regexEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Istio's value matching: `*` alone (anything), `prefix*`, `*suffix`, else exact; `prefix` and `exact` get `addPrefix` in front. */
function wildcard(v: string, addPrefix = ''): StringMatcher {
  if (v === '*') return { safeRegex: { regex: '.+' } };
  if (v.endsWith('*')) return { prefix: addPrefix + v.slice(0, -1) };
  if (v.startsWith('*')) return { suffix: v.slice(1) };
  return { exact: addPrefix + v };
}

function cidr(v: string, field: string): { addressPrefix: string; prefixLen: { value: number } } {
  const [ip, len, ...rest] = v.split('/');
  const family = isIP(ip);
  const max = family === 4 ? 32 : 128;
  const n = len === undefined ? max : Number(len);
  if (family === 0 || rest.length || !(Number.isInteger(n) && n >= 0 && n <= max) || (len !== undefined && !/^\d+$/.test(len))) {
    throw new FieldError(field, `"${v}" is not an IP address or CIDR range`);
  }
  return { addressPrefix: ip, prefixLen: { value: n } };
}

function port(v: string, field: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new FieldError(field, `"${v}" is not a port`);
  return Number(v);
}

function orIds(ids: RbacPrincipal[]): RbacPrincipal {
  return ids.length === 1 ? ids[0] : { orIds: { ids } };
}

function orRules(rules: RbacPermission[]): RbacPermission {
  return rules.length === 1 ? rules[0] : { orRules: { rules } };
}

const authenticated = (m: StringMatcher): RbacPrincipal => ({ authenticated: { principalName: m } });

/** source.principals: `cluster.local/ns/foo/sa/sleep` is the SPIFFE id spiffe://cluster.local/ns/foo/sa/sleep. */
function principalId(v: string): RbacPrincipal {
  return authenticated(wildcard(v, 'spiffe://'));
}

/** source.namespaces: any SPIFFE id of the namespace. */
function namespaceId(v: string): RbacPrincipal {
  const ns = v === '*' ? '.+' : v.startsWith('*') ? `.*${regexEscape(v.slice(1))}` : v.endsWith('*') ? `${regexEscape(v.slice(0, -1))}.*` : regexEscape(v);
  return authenticated({ safeRegex: { regex: `.*/ns/${ns}/.*` } });
}

/** source.serviceAccounts: `<namespace>/<serviceaccount>`, any trust domain. */
function serviceAccountId(v: string, field: string): RbacPrincipal {
  const parts = v.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw new FieldError(field, `"${v}" is not <namespace>/<serviceaccount>`);
  return authenticated({ safeRegex: { regex: `spiffe://[^/]+/ns/${regexEscape(parts[0])}/sa/${regexEscape(parts[1])}` } });
}

// Request authentication (JWT): jwt_authn writes each verified payload into its
// dynamic metadata under the token's issuer (payload_in_metadata, see
// request-authentication.ts). A request's principal is `<iss>/<sub>`, so its
// conditions become, for each issuer the workload's RequestAuthentications
// accept, matchers on that issuer's payload; with no such issuer they match
// nothing (no token can be verified there).

/** What matches no request (an Envoy principal must not be an empty OR). */
const NOBODY: RbacPrincipal = { notId: ANY_PRINCIPAL };

function anyOf(ids: RbacPrincipal[]): RbacPrincipal {
  return ids.length === 0 ? NOBODY : orIds(ids);
}

function claimMatcher(issuer: string, claim: string[], value: object): RbacPrincipal {
  return { metadata: { filter: JWT_AUTHN_METADATA, path: [issuer, ...claim].map((key) => ({ key })), value } };
}

/** A claim (string, or a list of strings such as aud, groups or a space-delimited scope) matched by `m` in any accepted issuer's payload. */
function claimId(issuers: readonly string[], claim: string[], m: StringMatcher): RbacPrincipal {
  return anyOf(issuers.flatMap((iss) => [claimMatcher(iss, claim, { stringMatch: m }), claimMatcher(iss, claim, { listMatch: { oneOf: { stringMatch: m } } })]));
}

/** requestPrincipals / request.auth.principal: `<iss>/<sub>` with Istio's wildcards, split at each accepted issuer. */
function requestPrincipalId(v: string, issuers: readonly string[]): RbacPrincipal {
  const sub = (iss: string, m: StringMatcher) => claimMatcher(iss, ['sub'], { stringMatch: m });
  const present: StringMatcher = { safeRegex: { regex: '.+' } };
  const ids: RbacPrincipal[] = [];
  for (const iss of issuers) {
    const head = `${iss}/`;
    if (v === '*') ids.push(sub(iss, present));
    else if (v.endsWith('*')) {
      const prefix = v.slice(0, -1);
      if (head.startsWith(prefix)) ids.push(sub(iss, present));
      else if (prefix.startsWith(head)) ids.push(sub(iss, { prefix: prefix.slice(head.length) }));
    } else if (v.startsWith('*')) {
      const suffix = v.slice(1);
      ids.push(sub(iss, { suffix }));
      // A suffix reaching into the issuer: `<tail of iss>/<sub>`, with the sub exact.
      for (let k = suffix.indexOf('/'); k >= 0; k = suffix.indexOf('/', k + 1)) {
        if (iss.endsWith(suffix.slice(0, k))) ids.push(sub(iss, { exact: suffix.slice(k + 1) }));
      }
    } else if (v.startsWith(head)) ids.push(sub(iss, { exact: v.slice(head.length) }));
  }
  return anyOf(ids);
}

/** Upper/lower case alternatives for each letter, so a regex matches a host in any case (RE2 flags are not portable here). */
function caseless(s: string): string {
  return [...s].map((c) => (/[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : regexEscape(c))).join('');
}

/** operation.hosts: the :authority, case-insensitive and with or without a port (Istio). */
function hostPermission(v: string): RbacPermission {
  const header = (m: StringMatcher): RbacPermission => ({ header: { name: ':authority', stringMatch: m } });
  if (v === '*') return { header: { name: ':authority', presentMatch: true } };
  if (v.startsWith('*')) {
    const suffix = v.slice(1);
    return orRules([header({ suffix, ignoreCase: true }), header({ safeRegex: { regex: `.*${caseless(suffix)}:[0-9]+` } })]);
  }
  if (v.endsWith('*')) return header({ prefix: v.slice(0, -1), ignoreCase: true });
  return orRules([header({ exact: v, ignoreCase: true }), header({ prefix: `${v}:`, ignoreCase: true })]);
}

function pathPermission(v: string, field: string): RbacPermission {
  if (v.includes('{')) throw new FieldError(field, `path templates ("${v}") are not implemented`);
  if (v === '*') return { urlPath: { path: { safeRegex: { regex: '.*' } } } };
  return { urlPath: { path: wildcard(v) } };
}

function headerValue(name: string, v: string): RbacPrincipal {
  if (v === '*') return { header: { name, presentMatch: true } };
  return { header: { name, stringMatch: wildcard(v) } };
}

// ---------------------------------------------------------------------------
// Rules

/** Collects one field's values as an OR, and its notX values as a negated OR. */
class Conjunction<T> {
  readonly items: T[] = [];
  readonly #or: (xs: T[]) => T;
  readonly #not: (x: T) => T;

  constructor(or: (xs: T[]) => T, not: (x: T) => T) {
    this.#or = or;
    this.#not = not;
  }

  add(values: string[], notValues: string[], each: (v: string, field: string) => T, field: string, notField: string): void {
    if (values.length) this.items.push(this.#or(values.map((v, i) => each(v, `${field}[${i}]`))));
    if (notValues.length) this.items.push(this.#not(this.#or(notValues.map((v, i) => each(v, `${notField}[${i}]`)))));
  }
}

const principals = () => new Conjunction<RbacPrincipal>(orIds, (x) => ({ notId: x }));
const permissions = () => new Conjunction<RbacPermission>(orRules, (x) => ({ notRule: x }));

/** The HTTP-only fields a rule uses (Istio's list), as field paths. */
export function httpOnlyFields(rule: RuleModel): string[] {
  const out: string[] = [];
  rule.from.forEach((s, i) => {
    for (const f of ['requestPrincipals', 'notRequestPrincipals'] as const) if (s[f].length) out.push(`${rule.field}.from[${i}].source.${f}`);
  });
  rule.to.forEach((o, i) => {
    for (const f of ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'] as const) if (o[f].length) out.push(`${rule.field}.to[${i}].operation.${f}`);
  });
  rule.when.forEach((c, i) => {
    if (isHttpOnlyCondition(c.key)) out.push(`${rule.field}.when[${i}]`);
  });
  return out;
}

function isHttpOnlyCondition(key: string): boolean {
  return key.startsWith('request.') || key.startsWith('experimental.');
}

function sourceIds(s: SourceModel, field: string, kind: ChainKind, issuers: readonly string[]): RbacPrincipal[] {
  const c = principals();
  c.add(s.principals, s.notPrincipals, principalId, `${field}.principals`, `${field}.notPrincipals`);
  if (kind === 'http') c.add(s.requestPrincipals, s.notRequestPrincipals, (v) => requestPrincipalId(v, issuers), `${field}.requestPrincipals`, `${field}.notRequestPrincipals`);
  c.add(s.namespaces, s.notNamespaces, namespaceId, `${field}.namespaces`, `${field}.notNamespaces`);
  c.add(s.serviceAccounts, s.notServiceAccounts, serviceAccountId, `${field}.serviceAccounts`, `${field}.notServiceAccounts`);
  c.add(s.ipBlocks, s.notIpBlocks, (v, f) => ({ directRemoteIp: cidr(v, f) }), `${field}.ipBlocks`, `${field}.notIpBlocks`);
  c.add(s.remoteIpBlocks, s.notRemoteIpBlocks, (v, f) => ({ remoteIp: cidr(v, f) }), `${field}.remoteIpBlocks`, `${field}.notRemoteIpBlocks`);
  return c.items;
}

function operationRules(o: OperationModel, field: string, kind: ChainKind): RbacPermission[] {
  const c = permissions();
  if (kind === 'http') {
    c.add(o.hosts, o.notHosts, hostPermission, `${field}.hosts`, `${field}.notHosts`);
    c.add(o.methods, o.notMethods, (v) => ({ header: { name: ':method', stringMatch: { exact: v } } }), `${field}.methods`, `${field}.notMethods`);
    c.add(o.paths, o.notPaths, pathPermission, `${field}.paths`, `${field}.notPaths`);
  }
  c.add(o.ports, o.notPorts, (v, f) => ({ destinationPort: port(v, f) }), `${field}.ports`, `${field}.notPorts`);
  return c.items;
}

const CLAIM_KEY = /^request\.auth\.claims((?:\[[^\]]+\])+)$/;
const HEADER_KEY = /^request\.headers\[([^\]]+)\]$/;

/** One `when` condition: a principal or a permission (undefined: an HTTP-only condition on a TCP chain, left out). */
function condition(c: ConditionModel, field: string, kind: ChainKind, issuers: readonly string[]): { id?: RbacPrincipal; rule?: RbacPermission } {
  if (kind === 'tcp' && isHttpOnlyCondition(c.key)) return {};
  const ids = principals();
  const rules = permissions();
  const vf = `${field}.values`;
  const nf = `${field}.notValues`;
  const key = c.key;
  const header = HEADER_KEY.exec(key);
  const claim = CLAIM_KEY.exec(key);
  if (header) ids.add(c.values, c.notValues, (v) => headerValue(header[1].toLowerCase(), v), vf, nf);
  else if (claim) {
    const path = [...claim[1].matchAll(/\[([^\]]+)\]/g)].map((m) => m[1]);
    ids.add(c.values, c.notValues, (v) => claimId(issuers, path, wildcard(v)), vf, nf);
  } else {
    switch (key) {
      case 'source.ip':
        ids.add(c.values, c.notValues, (v, f) => ({ directRemoteIp: cidr(v, f) }), vf, nf);
        break;
      case 'remote.ip':
        ids.add(c.values, c.notValues, (v, f) => ({ remoteIp: cidr(v, f) }), vf, nf);
        break;
      case 'source.namespace':
        ids.add(c.values, c.notValues, namespaceId, vf, nf);
        break;
      case 'source.principal':
        ids.add(c.values, c.notValues, principalId, vf, nf);
        break;
      case 'source.serviceAccount':
        ids.add(c.values, c.notValues, serviceAccountId, vf, nf);
        break;
      case 'request.auth.principal':
        ids.add(c.values, c.notValues, (v) => requestPrincipalId(v, issuers), vf, nf);
        break;
      case 'request.auth.presenter':
        ids.add(c.values, c.notValues, (v) => claimId(issuers, ['azp'], wildcard(v)), vf, nf);
        break;
      case 'request.auth.audiences':
        ids.add(c.values, c.notValues, (v) => claimId(issuers, ['aud'], wildcard(v)), vf, nf);
        break;
      case 'destination.ip':
        rules.add(c.values, c.notValues, (v, f) => ({ destinationIp: cidr(v, f) }), vf, nf);
        break;
      case 'destination.port':
        rules.add(c.values, c.notValues, (v, f) => ({ destinationPort: port(v, f) }), vf, nf);
        break;
      case 'connection.sni':
        rules.add(c.values, c.notValues, (v) => ({ requestedServerName: wildcard(v) }), vf, nf);
        break;
      default:
        throw new FieldError(`${field}.key`, `condition key "${key}" is not implemented`);
    }
  }
  if (!c.values.length && !c.notValues.length) throw new FieldError(field, 'a condition needs values or notValues');
  return { id: ids.items.length ? andIds(ids.items) : undefined, rule: rules.items.length ? andRules(rules.items) : undefined };
}

function andIds(ids: RbacPrincipal[]): RbacPrincipal {
  return ids.length === 0 ? ANY_PRINCIPAL : ids.length === 1 ? ids[0] : { andIds: { ids } };
}

function andRules(rules: RbacPermission[]): RbacPermission {
  return rules.length === 0 ? ANY_PERMISSION : rules.length === 1 ? rules[0] : { andRules: { rules } };
}

/**
 * One rule as an Envoy policy; throws FieldError for what cannot be translated.
 * `issuers`: the JWT issuers the workload's RequestAuthentications accept (request.auth.* and requestPrincipals).
 */
export function translateRule(rule: RuleModel, kind: ChainKind, issuers: readonly string[] = []): RbacPolicy {
  if (rule.error) throw new FieldError(rule.error.field, rule.error.message);
  const whenIds: RbacPrincipal[] = [];
  const whenRules: RbacPermission[] = [];
  rule.when.forEach((c, i) => {
    const t = condition(c, `${rule.field}.when[${i}]`, kind, issuers);
    if (t.id) whenIds.push(t.id);
    if (t.rule) whenRules.push(t.rule);
  });
  const froms = rule.from.length ? rule.from.map((s, i) => sourceIds(s, `${rule.field}.from[${i}].source`, kind, issuers)) : [[]];
  const tos = rule.to.length ? rule.to.map((o, i) => operationRules(o, `${rule.field}.to[${i}].operation`, kind)) : [[]];
  return {
    permissions: tos.map((rs) => andRules([...rs, ...whenRules])),
    principals: froms.map((ids) => andIds([...ids, ...whenIds])),
  };
}

// ---------------------------------------------------------------------------
// Policies → filters

type EnvoyAction = 'DENY' | 'ALLOW' | 'LOG';

interface ActionPolicies {
  /** Present when a policy of this action applies (an ALLOW filter without policies denies everything). */
  enforced?: Record<string, RbacPolicy>;
  shadow?: Record<string, RbacPolicy>;
}

function policyName(p: AuthorizationPolicyModel, suffix: string): string {
  return `ns[${p.namespace}]-policy[${p.name}]-${suffix}`;
}

function buildPolicies(push: PushContext, policies: readonly AuthorizationPolicyModel[], kind: ChainKind, issuers: readonly string[]): Record<EnvoyAction, ActionPolicies> {
  const out: Record<EnvoyAction, ActionPolicies> = { DENY: {}, ALLOW: {}, LOG: {} };
  const report = (p: AuthorizationPolicyModel, field: string, message: string, severity: 'error' | 'warning', category: 'invalid' | 'unsupported') =>
    push.report({ ...p.ref, field, message, severity, category });
  for (const p of policies) {
    if (p.broken) {
      report(p, p.broken.field, `${p.broken.message}; the policy cannot be read, so every request to the workloads of namespace ${p.namespace} is denied`, 'error', 'invalid');
      (out.DENY.enforced ??= {})[policyName(p, 'unreadable')] = EVERYTHING;
      continue;
    }
    if (p.targeted) {
      const consequence = p.action === 'ALLOW' ? 'it allows nothing, on every workload of its namespace' : p.action === 'AUDIT' ? 'it logs nothing' : 'it denies every request to every workload of its namespace';
      report(p, 'spec.targetRef', `targetRef/targetRefs are not implemented: ${consequence}`, p.action === 'AUDIT' ? 'warning' : 'error', 'unsupported');
      if (p.action === 'ALLOW') out.ALLOW.enforced ??= {};
      else if (p.action !== 'AUDIT') (out.DENY.enforced ??= {})[policyName(p, 'targeted')] = EVERYTHING;
      continue;
    }
    // CUSTOM: ext-authz.ts.
    if (p.action === 'CUSTOM') continue;
    const action: EnvoyAction = p.action === 'AUDIT' ? 'LOG' : p.action;
    const target = out[action];
    const map = p.dryRun ? (target.shadow ??= {}) : (target.enforced ??= {});
    p.rules.forEach((rule, i) => {
      const name = policyName(p, `rule[${i}]`);
      if (kind === 'tcp' && action === 'ALLOW') {
        const http = httpOnlyFields(rule);
        if (http.length) {
          report(p, http[0], `rule ${i} uses HTTP-only fields (${http.map((f) => f.slice(rule.field.length + 1)).join(', ')}): on TCP ports it is left out and allows nothing (Istio)`, 'warning', 'unsupported');
          return;
        }
      }
      try {
        map[name] = translateRule(rule, kind, issuers);
      } catch (err) {
        const e = err instanceof FieldError ? err : new FieldError(rule.field, (err as Error).message);
        const message = e.message.slice(e.field.length + 2);
        if (action === 'DENY' && !p.dryRun) {
          report(p, e.field, `${message}: this DENY rule cannot be translated, so it denies every request`, 'error', 'invalid');
          map[name] = EVERYTHING;
        } else if (action === 'ALLOW' && !p.dryRun) report(p, e.field, `${message}: this ALLOW rule cannot be translated and allows nothing`, 'error', 'invalid');
        else report(p, e.field, `${message}: this rule cannot be translated and is left out`, 'warning', 'invalid');
      }
    });
  }
  return out;
}

function rbacConfig(action: EnvoyAction, a: ActionPolicies): { rules?: RbacRules; shadowRules?: RbacRules; shadowRulesStatPrefix?: string } | undefined {
  if (a.enforced === undefined && a.shadow === undefined) return undefined;
  // A dry-run DENY must not deny: with no enforced DENY policy there are no enforced rules (which allows all).
  const enforced = a.enforced !== undefined && (action === 'ALLOW' || Object.keys(a.enforced).length > 0) ? { action, policies: a.enforced } : undefined;
  const shadow = a.shadow !== undefined ? { action, policies: a.shadow } : undefined;
  if (!enforced && !shadow) return undefined;
  return { ...(enforced ? { rules: enforced } : {}), ...(shadow ? { shadowRules: shadow, shadowRulesStatPrefix: DRY_RUN_PREFIX[action] } : {}) };
}

/**
 * The security filters for a workload (its namespace and labels), built once
 * per push: for HTTP, the jwt_authn filter of its RequestAuthentications
 * (request-authentication.ts) followed by the RBAC filters, which read what
 * it verified; for TCP, the network RBAC filters.
 */
export function authorizationFilters(push: PushContext, workload: WorkloadRef): AuthorizationFilters {
  const key = `authz|${workload.namespace}|${JSON.stringify(Object.entries(workload.labels).sort())}`;
  return push.memo(key, () => {
    const authn = requestAuthentication(push, workload);
    const applying = policiesFor(push.authorizationPolicies, workload, push.rootNamespace);
    const http: HttpFilter[] = authn.filter ? [authn.filter] : [];
    const tcp: Filter[] = [];
    if (applying.length === 0) return { http, tcp };
    const httpPolicies = buildPolicies(push, applying, 'http', authn.issuers);
    const tcpPolicies = buildPolicies(push, applying, 'tcp', authn.issuers);
    const custom = customFilters(
      push,
      applying.filter((p) => p.action === 'CUSTOM' && !p.broken && !p.targeted),
      authn.issuers,
    );
    http.push(...custom.http);
    tcp.push(...custom.tcp);
    for (const action of ['DENY', 'ALLOW', 'LOG'] as const) {
      const h = rbacConfig(action, httpPolicies[action]);
      if (h) http.push({ name: FILTER_NAMES.rbac, typedConfig: typedConfig('rbac', h) });
      const t = rbacConfig(action, tcpPolicies[action]);
      if (t) {
        const { shadowRulesStatPrefix, ...rest } = t;
        tcp.push({ name: FILTER_NAMES.networkRbac, typedConfig: typedConfig('networkRbac', { statPrefix: TCP_STAT_PREFIX, ...rest, ...(shadowRulesStatPrefix ? { shadowRulesStatPrefix } : {}) }) });
      }
    }
    return { http, tcp };
  });
}
