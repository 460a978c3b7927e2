// PeerAuthentication, RequestAuthentication and AuthorizationPolicy rules.
import type { Reporter } from '../issues.ts';
import { checkHeaderName, checkIpOrCidr } from '../names.ts';
import type * as S from '../types/security.ts';
import { checkDuration, checkLabels, type ValidationContext } from './common.ts';

function checkTargeting(spec: { selector?: S.SecurityWorkloadSelector; targetRef?: S.PolicyTargetReference; targetRefs?: S.PolicyTargetReference[] }, rep: Reporter): void {
  checkLabels(spec.selector?.matchLabels, rep.at('selector', 'matchLabels'));
  const set = (['selector', 'targetRef', 'targetRefs'] as const).filter((k) => (k === 'targetRefs' ? (spec.targetRefs?.length ?? 0) > 0 : spec[k] !== undefined));
  if (set.length > 1) rep.error(`only one of selector, targetRef or targetRefs may be set, found ${set.join(' and ')}`);
  const refs = spec.targetRef ? [{ ref: spec.targetRef, r: rep.at('targetRef') }] : (spec.targetRefs ?? []).map((ref, i) => ({ ref, r: rep.at('targetRefs', i) }));
  for (const { ref, r } of refs) {
    if (!ref.kind) r.at('kind').error('kind is required (e.g. Gateway or Service)');
    if (!ref.name) r.at('name').error('name is required');
  }
}

export function validatePeerAuthentication(spec: S.PeerAuthenticationSpec, rep: Reporter, _ctx: ValidationContext): void {
  checkLabels(spec.selector?.matchLabels, rep.at('selector', 'matchLabels'));
  const ports = Object.keys(spec.portLevelMtls ?? {});
  if (ports.length && !Object.keys(spec.selector?.matchLabels ?? {}).length) {
    rep.at('portLevelMtls').error('portLevelMtls needs a selector with matchLabels: port numbers only mean something for specific workloads');
  }
  for (const port of ports) {
    const n = Number(port);
    if (n < 1 || n > 65535) rep.at('portLevelMtls', port).error(`port ${port} must be in the range 1..65535`);
    if (!spec.portLevelMtls![port].mode) rep.at('portLevelMtls', port, 'mode').error('mode is required: UNSET, DISABLE, PERMISSIVE or STRICT');
  }
}

export function validateRequestAuthentication(spec: S.RequestAuthenticationSpec, rep: Reporter, _ctx: ValidationContext): void {
  checkTargeting(spec, rep);
  spec.jwtRules?.forEach((rule, i) => validateJwtRule(rule, rep.at('jwtRules', i)));
}

function validateJwtRule(rule: S.JWTRule, rep: Reporter): void {
  if (!rule.issuer) rep.at('issuer').error('issuer is required (the "iss" claim, e.g. https://accounts.example.com)');
  if (rule.jwksUri !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(rule.jwksUri);
    } catch {
      // reported below
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || !url.hostname) {
      rep.at('jwksUri').error(`jwksUri "${rule.jwksUri}" must be an http:// or https:// URL with a host`);
    }
  }
  if (rule.jwks !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(rule.jwks);
    } catch (err) {
      rep.at('jwks').error(`jwks is not valid JSON: ${(err as Error).message}`);
    }
    if (parsed !== undefined && !Array.isArray((parsed as { keys?: unknown })?.keys)) {
      rep.at('jwks').error('jwks must be a JSON Web Key Set: an object with a "keys" list');
    }
    if (rule.jwksUri) rep.at('jwksUri').warn('ignored: jwks (inline keys) takes precedence over jwksUri');
  }
  rule.audiences?.forEach((a, i) => {
    if (!a) rep.at('audiences', i).error('audience must not be empty');
  });
  rule.fromHeaders?.forEach((h, i) => {
    const r = rep.at('fromHeaders', i, 'name');
    if (!h.name) r.error('header name is required');
    else r.check(checkHeaderName(h.name));
  });
  for (const f of ['fromParams', 'fromCookies'] as const) {
    rule[f]?.forEach((p, i) => {
      if (!p) rep.at(f, i).error('must not be empty');
    });
  }
  if (rule.outputPayloadToHeader !== undefined) rep.at('outputPayloadToHeader').check(checkHeaderName(rule.outputPayloadToHeader));
  rule.outputClaimToHeaders?.forEach((c, i) => {
    const r = rep.at('outputClaimToHeaders', i);
    if (!c.header) r.at('header').error('header is required');
    else if (!/^[-_A-Za-z0-9]+$/.test(c.header)) r.at('header').error(`"${c.header}" is not a valid header name (letters, digits, '-' and '_')`);
    if (!c.claim) r.at('claim').error('claim is required');
  });
  checkDuration(rule.timeout, rep.at('timeout'));
}

const CONDITION_KEYS = [
  'source.ip',
  'remote.ip',
  'source.namespace',
  'source.principal',
  'source.serviceAccount',
  'request.auth.principal',
  'request.auth.audiences',
  'request.auth.presenter',
  'destination.ip',
  'destination.port',
  'connection.sni',
];

function checkConditionKey(key: string): string | undefined {
  if (CONDITION_KEYS.includes(key)) return undefined;
  if (/^request\.headers\[[^\]]+\]$/.test(key)) return undefined;
  if (/^request\.auth\.claims(\[[^\]]+\])+$/.test(key)) return undefined;
  if (/^experimental\.envoy\.filters\.[\w.]+\[[^\]]+\]$/.test(key)) return undefined;
  return `unknown condition key "${key}"; use one of ${CONDITION_KEYS.join(', ')}, request.headers[NAME] or request.auth.claims[NAME]`;
}

export function validateAuthorizationPolicy(spec: S.AuthorizationPolicySpec, rep: Reporter, _ctx: ValidationContext): void {
  checkTargeting(spec, rep);
  const action = spec.action ?? 'ALLOW';
  if (action === 'CUSTOM') {
    if (!spec.provider?.name) rep.at('provider', 'name').error('action CUSTOM needs provider.name (an extension provider defined in MeshConfig)');
    // Istio: a CUSTOM policy says which requests go to the external authorizer; without rules it would send none.
    if (!spec.rules?.length) rep.at('rules').error('action CUSTOM needs rules: the requests they match are checked by the provider');
  } else if (spec.provider) {
    rep.at('provider').error(`provider is only used with action CUSTOM, not ${action}`);
  }
  spec.rules?.forEach((rule, i) => {
    const r = rep.at('rules', i);
    rule.from?.forEach((f, j) => {
      const rf = r.at('from', j, 'source');
      if (!f.source || Object.values(f.source).every((v) => v === undefined || (Array.isArray(v) && v.length === 0))) {
        rf.error('source must set at least one field (e.g. principals, namespaces or ipBlocks)');
        return;
      }
      for (const [field, values] of Object.entries(f.source) as Array<[string, string[] | undefined]>) {
        values?.forEach((v, k) => {
          if (v === '') rf.at(field, k).error('empty value is not allowed');
          else if (/ipblocks$/i.test(field)) rf.at(field, k).check(checkIpOrCidr(v));
        });
      }
    });
    rule.to?.forEach((t, j) => {
      const rt = r.at('to', j, 'operation');
      if (!t.operation || Object.values(t.operation).every((v) => v === undefined || (Array.isArray(v) && v.length === 0))) {
        rt.error('operation must set at least one field (e.g. methods, paths, ports or hosts)');
        return;
      }
      for (const [field, values] of Object.entries(t.operation) as Array<[string, string[] | undefined]>) {
        values?.forEach((v, k) => {
          if (v === '') rt.at(field, k).error('empty value is not allowed');
          else if (/ports$/i.test(field) && !(/^\d+$/.test(v) && Number(v) <= 65535)) rt.at(field, k).error(`port "${v}" must be a number 0..65535`);
          else if (/paths$/i.test(field) && v !== '*' && !v.startsWith('/') && !v.startsWith('*')) {
            rt.at(field, k).error(`path "${v}" must start with "/" (or be "*", "*suffix" or "prefix*")`);
          }
        });
      }
    });
    rule.when?.forEach((c, j) => {
      const rc = r.at('when', j);
      if (!c.key) rc.at('key').error('key is required');
      else {
        rc.at('key').check(checkConditionKey(c.key));
        if (action === 'CUSTOM' && c.key.startsWith('request.auth.')) rc.at('key').error('action CUSTOM cannot use request.auth.* conditions');
      }
      if (!c.values?.length && !c.notValues?.length) rc.error(`condition on "${c.key}" must set values or notValues`);
      for (const field of ['values', 'notValues'] as const) {
        c[field]?.forEach((v, k) => {
          if (v === '') rc.at(field, k).error('empty value is not allowed');
          else if (['source.ip', 'remote.ip', 'destination.ip'].includes(c.key)) rc.at(field, k).check(checkIpOrCidr(v));
          else if (c.key === 'destination.port' && !(/^\d+$/.test(v) && Number(v) <= 65535)) rc.at(field, k).error(`port "${v}" must be a number 0..65535`);
        });
      }
    });
  });
}
