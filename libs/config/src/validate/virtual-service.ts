// VirtualService rules, after Istio's reference: hosts and gateways, one
// action per HTTP route (route, redirect, directResponse or delegate), match
// fields, weights, retries, timeouts, faults, mirrors, CORS and header edits.
import type { Reporter } from '../issues.ts';
import { parseDuration } from '../duration.ts';
import { hostCovers, resolveHost } from '../hosts.ts';
import { checkDnsLabel, checkDnsSubdomain, checkGatewayReference, checkHeaderName, checkIpOrCidr, checkPort, checkWildcardHost, isIp } from '../names.ts';
import { checkRegex } from '@mesh/re2';
import type * as N from '../types/networking.ts';
import {
  checkDestination,
  checkDuration,
  checkExportTo,
  checkIntPercent,
  checkLabels,
  checkPercent,
  checkRetryOn,
  checkStringMatch,
  checkWeights,
  type ValidationContext,
} from './common.ts';

const REDIRECT_CODES = [301, 302, 303, 307, 308];
const GRPC_STATUS = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];
const HTTP_METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function validateVirtualService(spec: N.VirtualServiceSpec, rep: Reporter, ctx: ValidationContext): void {
  const hosts = spec.hosts ?? [];
  const gateways = spec.gateways ?? [];
  const isDelegate = hosts.length === 0;
  const appliesToMesh = gateways.length === 0 || gateways.includes('mesh');

  if (isDelegate) {
    rep.at('hosts').warn('no hosts: this is a delegate VirtualService, used only where another VirtualService names it in http[].delegate');
    if (gateways.length) rep.at('gateways').error('a delegate VirtualService (one without hosts) must not set gateways; set them on the root VirtualService');
    if (spec.tcp?.length) rep.at('tcp').error('a delegate VirtualService (one without hosts) may only hold http routes');
    if (spec.tls?.length) rep.at('tls').error('a delegate VirtualService (one without hosts) may only hold http routes');
  }
  const seenHosts = new Set<string>();
  hosts.forEach((host, i) => {
    const r = rep.at('hosts', i);
    if (seenHosts.has(host)) r.warn(`duplicate host "${host}"`);
    seenHosts.add(host);
    if (host.includes('/')) {
      r.error(`host "${host}" must be a DNS name; the namespace/host form belongs to Gateway servers and Sidecars`);
      return;
    }
    if (isIp(host)) return;
    if (!r.check(checkWildcardHost(host))) return;
    if (host === '*' && appliesToMesh) {
      r.error('wildcard host "*" is not allowed for a VirtualService bound to the mesh gateway (no gateways means mesh); list the hosts or bind it to a Gateway');
    }
  });

  gateways.forEach((g, i) => rep.at('gateways', i).check(checkGatewayReference(g)));
  checkExportTo(spec.exportTo, rep.at('exportTo'));

  if (!spec.http?.length && !spec.tcp?.length && !spec.tls?.length) {
    rep.error('a VirtualService needs at least one of http, tcp or tls routes');
  }
  spec.http?.forEach((route, i) => validateHttpRoute(route, rep.at('http', i), isDelegate));
  spec.tcp?.forEach((route, i) => validateTcpRoute(route, rep.at('tcp', i)));
  spec.tls?.forEach((route, i) => validateTlsRoute(route, rep.at('tls', i), hosts, ctx));
}

function validateHttpRoute(route: N.HTTPRoute, rep: Reporter, inDelegate: boolean): void {
  const actions = (['route', 'redirect', 'directResponse'] as const).filter((k) =>
    k === 'route' ? (route.route?.length ?? 0) > 0 : route[k] !== undefined,
  );
  if (route.delegate) {
    const r = rep.at('delegate');
    if (inDelegate) r.error('a delegate VirtualService cannot delegate again: only one level of delegation is supported');
    if (actions.length) r.error(`delegate cannot be combined with ${actions.join(', ')}; the delegate VirtualService supplies the routes`);
    if (!route.delegate.name) r.at('name').error('delegate name is required');
    else r.at('name').check(checkDnsSubdomain(route.delegate.name));
    if (route.delegate.namespace) r.at('namespace').check(checkDnsLabel(route.delegate.namespace));
  } else if (actions.length === 0) {
    rep.error('an HTTP route needs one of route (destinations), redirect or directResponse');
  } else if (actions.length > 1) {
    rep.error(`only one of route, redirect or directResponse may be set, found ${actions.join(' and ')}`);
  }

  if (route.redirect) {
    if (route.rewrite) rep.at('rewrite').error('rewrite cannot be combined with redirect');
    if (route.fault) rep.at('fault').error('fault cannot be combined with redirect');
  }
  if (route.directResponse && route.rewrite) rep.at('rewrite').error('rewrite cannot be combined with directResponse');
  if (!route.route?.length) {
    for (const f of ['retries', 'timeout', 'mirror', 'mirrors'] as const) {
      if (route[f] !== undefined && (route.redirect || route.directResponse)) {
        rep.at(f).warn(`${f} has no effect on a route that answers with ${route.redirect ? 'a redirect' : 'a direct response'}`);
      }
    }
  }

  route.match?.forEach((m, i) => validateHttpMatch(m, rep.at('match', i)));
  route.route?.forEach((d, i) => {
    const r = rep.at('route', i);
    checkDestination(d.destination, r.at('destination'));
    validateHeaders(d.headers, r.at('headers'));
  });
  checkWeights(route.route, rep.at('route'));
  if (route.redirect) validateRedirect(route.redirect, rep.at('redirect'));
  if (route.directResponse) {
    const status = route.directResponse.status;
    if (status === undefined) rep.at('directResponse', 'status').error('status is required (an HTTP status code 200..599)');
    else if (status < 200 || status > 599) rep.at('directResponse', 'status').error(`status ${status} must be in the range 200..599`);
  }
  if (route.rewrite) validateRewrite(route.rewrite, rep.at('rewrite'));
  checkDuration(route.timeout, rep.at('timeout'), { allowZero: true });
  if (route.retries) validateRetries(route.retries, rep.at('retries'), route.timeout);
  if (route.fault) validateFault(route.fault, rep.at('fault'));
  if (route.mirror) checkDestination(route.mirror, rep.at('mirror'));
  if (route.mirror && route.mirrors?.length) rep.at('mirrors').error('set either mirror or mirrors, not both');
  checkIntPercent(route.mirrorPercent, rep.at('mirrorPercent'));
  checkPercent(route.mirrorPercentage, rep.at('mirrorPercentage'));
  if ((route.mirrorPercent !== undefined || route.mirrorPercentage) && !route.mirror) {
    rep.at(route.mirrorPercentage ? 'mirrorPercentage' : 'mirrorPercent').warn('has no effect without mirror');
  }
  route.mirrors?.forEach((m, i) => {
    checkDestination(m.destination, rep.at('mirrors', i, 'destination'));
    checkPercent(m.percentage, rep.at('mirrors', i, 'percentage'));
  });
  if (route.corsPolicy) validateCors(route.corsPolicy, rep.at('corsPolicy'));
  validateHeaders(route.headers, rep.at('headers'));
}

function validateHttpMatch(m: N.HTTPMatchRequest, rep: Reporter): void {
  const set = Object.entries(m).filter(([k, v]) => k !== 'name' && v !== undefined);
  if (set.length === 0) rep.warn('an empty match matches every request; remove it or add conditions');
  for (const f of ['uri', 'scheme', 'method', 'authority'] as const) checkStringMatch(m[f], rep.at(f), { what: f });
  if (m.ignoreUriCase && m.uri?.regex !== undefined) rep.at('ignoreUriCase').warn('ignoreUriCase applies only to exact and prefix uri matches, not regex');
  for (const field of ['headers', 'withoutHeaders'] as const) {
    for (const [name, sm] of Object.entries(m[field] ?? {})) {
      const r = rep.at(field, name);
      // Istio's pseudo-header for a verified JWT claim (claim names keep their case).
      if (name.startsWith('@request.auth.claims.')) {
        if (name.slice('@request.auth.claims.'.length).split('.').some((k) => k === '')) {
          r.error(`"${name}" needs a claim name: @request.auth.claims.<claim>, nested claims separated by "." (@request.auth.claims.nested.key)`);
        } else checkStringMatch(sm, r, { allowEmpty: true, what: `claim "${name}"` });
        continue;
      }
      if (!r.check(checkHeaderName(name))) continue;
      if (name !== name.toLowerCase()) r.warn(`header names are matched in lowercase; write "${name.toLowerCase()}"`);
      checkStringMatch(sm, r, { allowEmpty: true, what: `header "${name}"` });
    }
  }
  for (const [name, sm] of Object.entries(m.queryParams ?? {})) {
    const r = rep.at('queryParams', name);
    if (!name) r.error('query parameter name must not be empty');
    checkStringMatch(sm, r, { allowEmpty: true, allowPrefix: false, what: 'query parameters' });
  }
  if (m.port !== undefined) rep.at('port').check(checkPort(m.port));
  checkLabels(m.sourceLabels, rep.at('sourceLabels'));
  m.gateways?.forEach((g, i) => rep.at('gateways', i).check(checkGatewayReference(g)));
  if (m.sourceNamespace !== undefined) rep.at('sourceNamespace').check(checkDnsLabel(m.sourceNamespace));
}

function validateRedirect(r: N.HTTPRedirect, rep: Reporter): void {
  if (!r.uri && !r.authority && !r.scheme && r.port === undefined && r.derivePort === undefined) {
    rep.error('redirect must set at least one of uri, authority, scheme, port or derivePort');
  }
  if (r.redirectCode !== undefined && !REDIRECT_CODES.includes(r.redirectCode)) {
    rep.at('redirectCode').error(`redirect code ${r.redirectCode} is not supported; use one of ${REDIRECT_CODES.join(', ')}`);
  }
  if (r.port !== undefined) rep.at('port').check(checkPort(r.port));
  if (r.scheme !== undefined && !/^[a-zA-Z][a-zA-Z0-9+.-]*$/.test(r.scheme)) rep.at('scheme').error(`"${r.scheme}" is not a URI scheme such as http or https`);
  if (r.uri !== undefined && r.uri !== '' && !r.uri.startsWith('/')) rep.at('uri').warn(`redirect uri "${r.uri}" does not start with "/"; the Location header will not hold a valid path`);
}

function validateRewrite(r: N.HTTPRewrite, rep: Reporter): void {
  if (r.uri === undefined && r.authority === undefined && !r.uriRegexRewrite) {
    rep.error('rewrite must set at least one of uri, authority or uriRegexRewrite');
  }
  if (r.uri !== undefined && r.uriRegexRewrite) rep.error('rewrite may set uri or uriRegexRewrite, not both');
  if (r.uriRegexRewrite) {
    const rr = rep.at('uriRegexRewrite');
    if (r.uriRegexRewrite.match === undefined) rr.at('match').error('match (an RE2 regex) is required');
    else rr.at('match').check(checkRegex(r.uriRegexRewrite.match));
    if (r.uriRegexRewrite.rewrite === undefined) rr.at('rewrite').error('rewrite (the substitution, e.g. "/v2/\\1") is required');
  }
}

function validateRetries(r: N.HTTPRetry, rep: Reporter, timeout: string | undefined): void {
  if (r.attempts !== undefined && r.attempts < 0) rep.at('attempts').error(`attempts ${r.attempts} must not be negative`);
  checkDuration(r.perTryTimeout, rep.at('perTryTimeout'));
  checkDuration(r.backoff, rep.at('backoff'));
  if (r.retryOn !== undefined) checkRetryOn(r.retryOn, rep.at('retryOn'));
  const per = r.perTryTimeout ? parseDuration(r.perTryTimeout) : undefined;
  const total = timeout ? parseDuration(timeout) : undefined;
  if (per !== undefined && total !== undefined && total > 0 && per > total) {
    rep.at('perTryTimeout').warn(`perTryTimeout ${r.perTryTimeout} is longer than the route timeout ${timeout}, so no retry can happen`);
  }
}

function validateFault(f: N.HTTPFaultInjection, rep: Reporter): void {
  if (!f.delay && !f.abort) rep.error('fault must set delay, abort or both');
  if (f.delay) {
    const r = rep.at('delay');
    if (f.delay.exponentialDelay !== undefined) r.at('exponentialDelay').error('exponentialDelay is not supported; use fixedDelay');
    else if (f.delay.fixedDelay === undefined) r.at('fixedDelay').error('fixedDelay is required (a duration such as "5s")');
    checkDuration(f.delay.fixedDelay, r.at('fixedDelay'));
    checkPercent(f.delay.percentage, r.at('percentage'));
    checkIntPercent(f.delay.percent, r.at('percent'));
  }
  if (f.abort) {
    const r = rep.at('abort');
    const a = f.abort;
    if (a.http2Error !== undefined) r.at('http2Error').error('http2Error is not supported; use httpStatus or grpcStatus');
    else if (a.httpStatus === undefined && a.grpcStatus === undefined) r.error('abort must set httpStatus (or grpcStatus)');
    if (a.httpStatus !== undefined && (a.httpStatus < 200 || a.httpStatus > 599)) {
      r.at('httpStatus').error(`httpStatus ${a.httpStatus} must be in the range 200..599`);
    }
    if (a.grpcStatus !== undefined && !GRPC_STATUS.includes(a.grpcStatus) && !/^\d+$/.test(a.grpcStatus)) {
      r.at('grpcStatus').error(`"${a.grpcStatus}" is not a gRPC status; use a name such as UNAVAILABLE or a code 0..16`);
    }
    checkPercent(a.percentage, r.at('percentage'));
  }
}

function validateCors(c: N.CorsPolicy, rep: Reporter): void {
  c.allowOrigins?.forEach((o, i) => checkStringMatch(o, rep.at('allowOrigins', i), { what: 'allowOrigins entry' }));
  if (c.allowOrigin?.length && c.allowOrigins?.length) rep.at('allowOrigin').warn('ignored because allowOrigins is set');
  c.allowMethods?.forEach((m, i) => {
    if (m !== '*' && !HTTP_METHOD.test(m)) rep.at('allowMethods', i).error(`"${m}" is not an HTTP method`);
  });
  for (const f of ['allowHeaders', 'exposeHeaders'] as const) {
    c[f]?.forEach((h, i) => {
      if (h !== '*') rep.at(f, i).check(checkHeaderName(h));
    });
  }
  checkDuration(c.maxAge, rep.at('maxAge'));
}

function validateHeaders(h: N.Headers | undefined, rep: Reporter): void {
  if (!h) return;
  for (const side of ['request', 'response'] as const) {
    const ops = h[side];
    if (!ops) continue;
    for (const op of ['set', 'add'] as const) {
      for (const name of Object.keys(ops[op] ?? {})) {
        const r = rep.at(side, op, name);
        if (!r.check(checkHeaderName(name))) continue;
        if (name.startsWith(':')) r.error(`pseudo-header "${name}" cannot be modified`);
      }
    }
    ops.remove?.forEach((name, i) => rep.at(side, 'remove', i).check(checkHeaderName(name)));
  }
}

function validateTcpRoute(route: N.TCPRoute, rep: Reporter): void {
  if (!route.route?.length) rep.at('route').error('a TCP route needs at least one destination');
  route.route?.forEach((d, i) => checkDestination(d.destination, rep.at('route', i, 'destination')));
  checkWeights(route.route, rep.at('route'));
  route.match?.forEach((m, i) => validateL4Match(m, rep.at('match', i)));
}

function validateL4Match(m: N.L4MatchAttributes | N.TLSMatchAttributes, rep: Reporter): void {
  m.destinationSubnets?.forEach((s, i) => rep.at('destinationSubnets', i).check(checkIpOrCidr(s)));
  if (m.port !== undefined) rep.at('port').check(checkPort(m.port));
  checkLabels(m.sourceLabels, rep.at('sourceLabels'));
  m.gateways?.forEach((g, i) => rep.at('gateways', i).check(checkGatewayReference(g)));
  if (m.sourceNamespace !== undefined) rep.at('sourceNamespace').check(checkDnsLabel(m.sourceNamespace));
}

function validateTlsRoute(route: N.TLSRoute, rep: Reporter, hosts: string[], ctx: ValidationContext): void {
  if (!route.match?.length) rep.at('match').error('a TLS route needs at least one match with sniHosts');
  route.match?.forEach((m, i) => {
    const r = rep.at('match', i);
    validateL4Match(m, r);
    if (!m.sniHosts?.length) {
      r.at('sniHosts').error('at least one SNI host is required');
      return;
    }
    m.sniHosts.forEach((sni, j) => {
      const rs = r.at('sniHosts', j);
      if (!rs.check(checkWildcardHost(sni))) return;
      const resolved = resolveHost(sni, ctx.namespace);
      if (hosts.length && !hosts.some((h) => hostCovers(resolveHost(h, ctx.namespace), resolved))) {
        rs.error(`SNI host "${sni}" is not covered by any of the VirtualService hosts (${hosts.join(', ')})`);
      }
    });
  });
  if (!route.route?.length) rep.at('route').error('a TLS route needs at least one destination');
  route.route?.forEach((d, i) => checkDestination(d.destination, rep.at('route', i, 'destination')));
  checkWeights(route.route, rep.at('route'));
}
