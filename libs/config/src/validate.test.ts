import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigKind } from '@mesh/contracts';
import { checkResource, validateResource, type ValidateOptions } from './validate.ts';
import type { IstioResource } from './resource.ts';

const API: Record<ConfigKind, string> = {
  VirtualService: 'networking.istio.io/v1',
  DestinationRule: 'networking.istio.io/v1',
  Gateway: 'networking.istio.io/v1',
  ServiceEntry: 'networking.istio.io/v1',
  WorkloadEntry: 'networking.istio.io/v1',
  Sidecar: 'networking.istio.io/v1',
  PeerAuthentication: 'security.istio.io/v1',
  RequestAuthentication: 'security.istio.io/v1',
  AuthorizationPolicy: 'security.istio.io/v1',
};

function res(kind: ConfigKind, spec: unknown, meta: Record<string, unknown> = {}, apiVersion = API[kind]): IstioResource<unknown> {
  return { apiVersion, kind, metadata: { name: 'test', namespace: 'default', ...meta } as IstioResource['metadata'], spec };
}

const dest = (host: string, subset?: string, weight?: number) => ({ destination: { host, ...(subset ? { subset } : {}) }, ...(weight !== undefined ? { weight } : {}) });
const vs = (http: unknown[], extra: Record<string, unknown> = {}) => ({ hosts: ['reviews'], http, ...extra });
const routed = (extra: Record<string, unknown>) => vs([{ route: [dest('reviews')], ...extra }]);
const matched = (match: Record<string, unknown>) => vs([{ match: [match], route: [dest('reviews')] }]);
const dr = (trafficPolicy: unknown, extra: Record<string, unknown> = {}) => ({ host: 'reviews', trafficPolicy, ...extra });
const server = (port: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ port, hosts: ['*'], ...extra });
const gw = (...servers: unknown[]) => ({ selector: { istio: 'ingressgateway' }, servers });
const se = (extra: Record<string, unknown>) => ({ hosts: ['api.example.com'], ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }], ...extra });
const ap = (spec: Record<string, unknown>) => ({ selector: { matchLabels: { app: 'httpbin' } }, ...spec });

interface Case {
  name: string;
  kind: ConfigKind;
  spec: unknown;
  path: string;
  message: string | RegExp;
  meta?: Record<string, unknown>;
  apiVersion?: string;
  options?: ValidateOptions;
}

const invalid: Case[] = [
  // ---------------------------------------------------------------- envelope
  {
    name: 'an apiVersion that does not serve the kind',
    kind: 'VirtualService',
    spec: routed({}),
    apiVersion: 'networking.istio.io/v2',
    path: 'apiVersion',
    message: 'networking.istio.io/v2 does not serve VirtualService; use networking.istio.io/v1, networking.istio.io/v1beta1, networking.istio.io/v1alpha3',
  },
  {
    name: 'a security kind under the networking group',
    kind: 'PeerAuthentication',
    spec: {},
    apiVersion: 'networking.istio.io/v1',
    path: 'apiVersion',
    message: 'networking.istio.io/v1 does not serve PeerAuthentication; use security.istio.io/v1, security.istio.io/v1beta1',
  },
  { name: 'a name that is not a DNS subdomain', kind: 'VirtualService', spec: routed({}), meta: { name: 'Reviews_Route' }, path: 'metadata.name', message: /^name "Reviews_Route" is not a valid DNS-1123 subdomain/ },
  { name: 'a namespace that is not a DNS label', kind: 'VirtualService', spec: routed({}), meta: { namespace: 'prod.eu' }, path: 'metadata.namespace', message: /^namespace "prod.eu" is not a valid DNS-1123 label/ },
  { name: 'a non-string label value', kind: 'VirtualService', spec: routed({}), meta: { labels: { version: 1 } }, path: 'metadata.labels.version', message: 'labels values must be strings; quote 1 in YAML' },
  { name: 'a spec that is not an object', kind: 'VirtualService', spec: ['reviews'], path: 'spec', message: 'expected an object (VirtualService), got a list' },

  // ---------------------------------------------------------------- structure
  { name: 'a string where an integer belongs', kind: 'VirtualService', spec: vs([{ route: [dest('reviews', 'v1', 'abc' as never)] }]), path: 'spec.http[0].route[0].weight', message: 'expected an integer, got string "abc"' },
  { name: 'a scalar where a list belongs', kind: 'VirtualService', spec: { hosts: 'reviews', http: [{ route: [dest('reviews')] }] }, path: 'spec.hosts', message: 'expected a list, got string "reviews"' },
  { name: 'a fractional integer', kind: 'DestinationRule', spec: dr({ outlierDetection: { maxEjectionPercent: 12.5 } }), path: 'spec.trafficPolicy.outlierDetection.maxEjectionPercent', message: 'expected an integer, got number 12.5' },
  { name: 'a negative unsigned integer', kind: 'VirtualService', spec: matched({ port: -1 }), path: 'spec.http[0].match[0].port', message: 'must not be negative, got -1' },
  { name: 'an enum in the wrong case', kind: 'DestinationRule', spec: dr({ loadBalancer: { simple: 'round_robin' } }), path: 'spec.trafficPolicy.loadBalancer.simple', message: '"round_robin" is not valid (values are case-sensitive); did you mean "ROUND_ROBIN"?' },
  {
    name: 'an unknown enum value',
    kind: 'DestinationRule',
    spec: dr({ loadBalancer: { simple: 'FASTEST' } }),
    path: 'spec.trafficPolicy.loadBalancer.simple',
    message: 'string "FASTEST" is not valid; use one of UNSPECIFIED, LEAST_CONN, RANDOM, PASSTHROUGH, ROUND_ROBIN, LEAST_REQUEST',
  },
  {
    name: 'an unknown field in strict mode',
    kind: 'VirtualService',
    spec: routed({ retries: { attemps: 3 } }),
    options: { unknownFields: 'error' },
    path: 'spec.http[0].retries.attemps',
    message: 'unknown field "attemps" in HTTPRetry; did you mean "attempts"?',
  },
  {
    name: 'an unknown top-level spec field in strict mode',
    kind: 'DestinationRule',
    spec: { host: 'reviews', policy: {} },
    options: { unknownFields: 'error' },
    path: 'spec.policy',
    message: 'unknown field "policy" in DestinationRule; known fields: host, trafficPolicy, subsets, exportTo, workloadSelector',
  },
  { name: 'the same field in camelCase and snake_case', kind: 'VirtualService', spec: { hosts: ['a'], export_to: ['.'], exportTo: ['.'], http: [{ route: [dest('a')] }] }, path: 'spec.exportTo', message: '"exportTo" and "export_to" are the same field; set it once' },

  // ---------------------------------------------------------------- VirtualService
  { name: 'no routes at all', kind: 'VirtualService', spec: { hosts: ['reviews'] }, path: 'spec', message: 'a VirtualService needs at least one of http, tcp or tls routes' },
  { name: 'an invalid host', kind: 'VirtualService', spec: { ...routed({}), hosts: ['bad_host'] }, path: 'spec.hosts[0]', message: `host "bad_host" is not a valid DNS name: label "bad_host" may hold only letters, digits and '-', and must start and end with a letter or digit` },
  { name: 'a wildcard in the middle of a host', kind: 'VirtualService', spec: { ...routed({}), hosts: ['foo.*.com'] }, path: 'spec.hosts[0]', message: 'host "foo.*.com" has an invalid wildcard: a wildcard may only be the leading part, as in "*.example.com"' },
  { name: 'an empty label in a host', kind: 'VirtualService', spec: { ...routed({}), hosts: ['reviews..com'] }, path: 'spec.hosts[0]', message: `host "reviews..com" has an empty label (check for a leading, trailing or doubled '.')` },
  {
    name: 'host * bound to the mesh',
    kind: 'VirtualService',
    spec: { ...routed({}), hosts: ['*'] },
    path: 'spec.hosts[0]',
    message: 'wildcard host "*" is not allowed for a VirtualService bound to the mesh gateway (no gateways means mesh); list the hosts or bind it to a Gateway',
  },
  { name: 'a namespace/host form in hosts', kind: 'VirtualService', spec: { ...routed({}), hosts: ['prod/reviews'] }, path: 'spec.hosts[0]', message: 'host "prod/reviews" must be a DNS name; the namespace/host form belongs to Gateway servers and Sidecars' },
  { name: 'a malformed gateway reference', kind: 'VirtualService', spec: { ...routed({}), gateways: ['a/b/c'] }, path: 'spec.gateways[0]', message: 'gateway "a/b/c" must be "mesh", a gateway name, or namespace/name' },
  { name: 'a delegate with gateways', kind: 'VirtualService', spec: { gateways: ['gw'], http: [{ route: [dest('reviews')] }] }, path: 'spec.gateways', message: 'a delegate VirtualService (one without hosts) must not set gateways; set them on the root VirtualService' },
  { name: 'exportTo * with other namespaces', kind: 'VirtualService', spec: { ...routed({}), exportTo: ['*', 'prod'] }, path: 'spec.exportTo', message: 'exportTo "*" cannot be combined with other entries' },
  { name: 'a duplicate exportTo entry', kind: 'VirtualService', spec: { ...routed({}), exportTo: ['.', '.'] }, path: 'spec.exportTo[1]', message: 'duplicate exportTo entry "."' },
  { name: 'weights that add up to 0', kind: 'VirtualService', spec: vs([{ route: [dest('reviews', 'v1', 0), dest('reviews', 'v2', 0)] }]), path: 'spec.http[0].route', message: 'weights of the 2 destinations add up to 0 (0 + 0); give at least one a weight above 0' },
  { name: 'several destinations without weights', kind: 'VirtualService', spec: vs([{ route: [dest('reviews', 'v1'), dest('reviews', 'v2')] }]), path: 'spec.http[0].route', message: 'weights of the 2 destinations add up to 0 (0 + 0); give at least one a weight above 0' },
  { name: 'a weight above int32', kind: 'VirtualService', spec: vs([{ route: [dest('reviews', 'v1', 2 ** 31)] }]), path: 'spec.http[0].route[0].weight', message: '2147483648 is above the maximum 2147483647' },
  { name: 'a negative weight', kind: 'VirtualService', spec: vs([{ route: [dest('reviews', 'v1', 110), dest('reviews', 'v2', -10)] }]), path: 'spec.http[0].route[1].weight', message: 'weight -10 must be in the range 0..2147483647' },
  { name: 'TCP weights that add up to 0', kind: 'VirtualService', spec: { hosts: ['db'], tcp: [{ route: [dest('db', 'v1', 0), dest('db', 'v2', 0)] }] }, path: 'spec.tcp[0].route', message: 'weights of the 2 destinations add up to 0 (0 + 0); give at least one a weight above 0' },
  { name: 'route and redirect together', kind: 'VirtualService', spec: routed({ redirect: { uri: '/new' } }), path: 'spec.http[0]', message: 'only one of route, redirect or directResponse may be set, found route and redirect' },
  { name: 'redirect and directResponse together', kind: 'VirtualService', spec: vs([{ redirect: { uri: '/x' }, directResponse: { status: 503 } }]), path: 'spec.http[0]', message: 'only one of route, redirect or directResponse may be set, found redirect and directResponse' },
  { name: 'an HTTP route without an action', kind: 'VirtualService', spec: vs([{ timeout: '1s' }]), path: 'spec.http[0]', message: 'an HTTP route needs one of route (destinations), redirect or directResponse' },
  { name: 'rewrite with redirect', kind: 'VirtualService', spec: vs([{ redirect: { uri: '/new' }, rewrite: { uri: '/v2' } }]), path: 'spec.http[0].rewrite', message: 'rewrite cannot be combined with redirect' },
  { name: 'fault with redirect', kind: 'VirtualService', spec: vs([{ redirect: { uri: '/new' }, fault: { abort: { httpStatus: 500 } } }]), path: 'spec.http[0].fault', message: 'fault cannot be combined with redirect' },
  { name: 'delegate with a route', kind: 'VirtualService', spec: routed({ delegate: { name: 'reviews-delegate' } }), path: 'spec.http[0].delegate', message: 'delegate cannot be combined with route; the delegate VirtualService supplies the routes' },
  { name: 'delegation from a delegate', kind: 'VirtualService', spec: { http: [{ delegate: { name: 'other' } }] }, path: 'spec.http[0].delegate', message: 'a delegate VirtualService cannot delegate again: only one level of delegation is supported' },
  { name: 'a StringMatch with two kinds', kind: 'VirtualService', spec: matched({ uri: { exact: '/a', prefix: '/b' } }), path: 'spec.http[0].match[0].uri', message: 'only one of exact, prefix, regex may be set, found exact and prefix' },
  { name: 'an empty uri StringMatch', kind: 'VirtualService', spec: matched({ uri: {} }), path: 'spec.http[0].match[0].uri', message: 'uri must set exactly one of exact, prefix or regex' },
  { name: 'a regex with lookahead', kind: 'VirtualService', spec: matched({ uri: { regex: '^/(?!admin).*' } }), path: 'spec.http[0].match[0].uri.regex', message: `regex "^/(?!admin).*" is not valid RE2 (Envoy's regex engine): lookahead (?=...) / (?!...) is not supported by RE2` },
  { name: 'a regex with a backreference', kind: 'VirtualService', spec: matched({ headers: { cookie: { regex: '(a)\\1' } } }), path: 'spec.http[0].match[0].headers.cookie.regex', message: `regex "(a)\\1" is not valid RE2 (Envoy's regex engine): backreference \\1 is not supported by RE2` },
  { name: 'a regex that does not compile', kind: 'VirtualService', spec: matched({ uri: { regex: '/api/([a-z' } }), path: 'spec.http[0].match[0].uri.regex', message: /^regex "\/api\/\(\[a-z" does not compile: / },
  { name: 'a prefix match on a query parameter', kind: 'VirtualService', spec: matched({ queryParams: { version: { prefix: 'v' } } }), path: 'spec.http[0].match[0].queryParams.version.prefix', message: 'prefix matching is not supported for query parameters; use exact or regex' },
  { name: 'an invalid header name in a match', kind: 'VirtualService', spec: matched({ headers: { 'end user': { exact: 'jason' } } }), path: 'spec.http[0].match[0].headers["end user"]', message: '"end user" is not a valid HTTP header name' },
  { name: 'an invalid source label', kind: 'VirtualService', spec: matched({ sourceLabels: { app: 'not valid!' } }), path: 'spec.http[0].match[0].sourceLabels.app', message: /^label value "not valid!" is invalid/ },
  { name: 'a match port out of range', kind: 'VirtualService', spec: matched({ port: 70000 }), path: 'spec.http[0].match[0].port', message: 'port number 70000 must be in the range 1..65535' },
  { name: 'a timeout without a unit', kind: 'VirtualService', spec: routed({ timeout: '10' }), path: 'spec.http[0].timeout', message: '"10" is not a duration; use a number with a unit such as "5s", "100ms", "1m30s" or "1h"' },
  { name: 'a negative timeout', kind: 'VirtualService', spec: routed({ timeout: '-1s' }), path: 'spec.http[0].timeout', message: '"-1s": durations must not be negative' },
  { name: 'a duration with an unknown unit', kind: 'VirtualService', spec: routed({ timeout: '2d' }), path: 'spec.http[0].timeout', message: '"2d": unknown unit "d"; valid units are h, m, s, ms, us, ns' },
  { name: 'a per-try timeout below 1ms', kind: 'VirtualService', spec: routed({ retries: { attempts: 3, perTryTimeout: '500us' } }), path: 'spec.http[0].retries.perTryTimeout', message: 'duration "500us" must be at least 1ms' },
  { name: 'a timeout finer than a millisecond', kind: 'VirtualService', spec: routed({ timeout: '1.5ms' }), path: 'spec.http[0].timeout', message: 'duration "1.5ms" must be a whole number of milliseconds' },
  { name: 'a zero retry backoff', kind: 'VirtualService', spec: routed({ retries: { attempts: 3, backoff: '0s' } }), path: 'spec.http[0].retries.backoff', message: 'duration "0s" must be at least 1ms' },
  { name: 'negative retry attempts', kind: 'VirtualService', spec: routed({ retries: { attempts: -1 } }), path: 'spec.http[0].retries.attempts', message: 'attempts -1 must not be negative' },
  { name: 'an unknown retry condition', kind: 'VirtualService', spec: routed({ retries: { attempts: 2, retryOn: '5xx,conect-failure' } }), path: 'spec.http[0].retries.retryOn', message: /^"conect-failure" is not a valid retry condition; use HTTP status codes or 5xx, gateway-error, / },
  { name: 'an empty fault', kind: 'VirtualService', spec: routed({ fault: {} }), path: 'spec.http[0].fault', message: 'fault must set delay, abort or both' },
  { name: 'a delay without fixedDelay', kind: 'VirtualService', spec: routed({ fault: { delay: { percentage: { value: 10 } } } }), path: 'spec.http[0].fault.delay.fixedDelay', message: 'fixedDelay is required (a duration such as "5s")' },
  { name: 'a fault percentage above 100', kind: 'VirtualService', spec: routed({ fault: { delay: { fixedDelay: '5s', percentage: { value: 150 } } } }), path: 'spec.http[0].fault.delay.percentage.value', message: 'percentage 150 must be in the range 0..100' },
  { name: 'a deprecated integer fault percent above 100', kind: 'VirtualService', spec: routed({ fault: { delay: { fixedDelay: '5s', percent: 101 } } }), path: 'spec.http[0].fault.delay.percent', message: 'percentage 101 must be in the range 0..100' },
  { name: 'an abort status out of range', kind: 'VirtualService', spec: routed({ fault: { abort: { httpStatus: 700 } } }), path: 'spec.http[0].fault.abort.httpStatus', message: 'httpStatus 700 must be in the range 200..599' },
  { name: 'an abort without a status', kind: 'VirtualService', spec: routed({ fault: { abort: { percentage: { value: 5 } } } }), path: 'spec.http[0].fault.abort', message: 'abort must set httpStatus (or grpcStatus)' },
  { name: 'an unknown gRPC abort status', kind: 'VirtualService', spec: routed({ fault: { abort: { grpcStatus: 'BROKEN' } } }), path: 'spec.http[0].fault.abort.grpcStatus', message: '"BROKEN" is not a gRPC status; use a name such as UNAVAILABLE or a code 0..16' },
  { name: 'a direct response status out of range', kind: 'VirtualService', spec: vs([{ directResponse: { status: 100 } }]), path: 'spec.http[0].directResponse.status', message: 'status 100 must be in the range 200..599' },
  { name: 'a direct response body with string and bytes', kind: 'VirtualService', spec: vs([{ directResponse: { status: 200, body: { string: 'a', bytes: 'YQ==' } } }]), path: 'spec.http[0].directResponse.body', message: 'only one of string, bytes may be set, found string and bytes' },
  { name: 'an unsupported redirect code', kind: 'VirtualService', spec: vs([{ redirect: { uri: '/x', redirectCode: 200 } }]), path: 'spec.http[0].redirect.redirectCode', message: 'redirect code 200 is not supported; use one of 301, 302, 303, 307, 308' },
  { name: 'an empty redirect', kind: 'VirtualService', spec: vs([{ redirect: { redirectCode: 302 } }]), path: 'spec.http[0].redirect', message: 'redirect must set at least one of uri, authority, scheme, port or derivePort' },
  { name: 'redirect port and derivePort together', kind: 'VirtualService', spec: vs([{ redirect: { port: 8443, derivePort: 'FROM_REQUEST_PORT' } }]), path: 'spec.http[0].redirect', message: 'only one of port, derivePort may be set, found port and derivePort' },
  { name: 'an empty rewrite', kind: 'VirtualService', spec: routed({ rewrite: {} }), path: 'spec.http[0].rewrite', message: 'rewrite must set at least one of uri, authority or uriRegexRewrite' },
  { name: 'rewrite uri and uriRegexRewrite together', kind: 'VirtualService', spec: routed({ rewrite: { uri: '/', uriRegexRewrite: { match: '^/a', rewrite: '/' } } }), path: 'spec.http[0].rewrite', message: 'rewrite may set uri or uriRegexRewrite, not both' },
  { name: 'a destination without host', kind: 'VirtualService', spec: vs([{ route: [{ destination: { subset: 'v1' } }] }]), path: 'spec.http[0].route[0].destination.host', message: 'destination host is required' },
  { name: 'a wildcard destination host', kind: 'VirtualService', spec: vs([{ route: [dest('*')] }]), path: 'spec.http[0].route[0].destination.host', message: 'destination host "*" is not allowed; name a service' },
  { name: 'a destination port out of range', kind: 'VirtualService', spec: vs([{ route: [{ destination: { host: 'reviews', port: { number: 70000 } } }] }]), path: 'spec.http[0].route[0].destination.port.number', message: 'port number 70000 must be in the range 1..65535' },
  { name: 'an invalid subset name', kind: 'VirtualService', spec: vs([{ route: [dest('reviews', 'V1')] }]), path: 'spec.http[0].route[0].destination.subset', message: /^subset name "V1" is not a valid DNS-1123 label/ },
  { name: 'mirror and mirrors together', kind: 'VirtualService', spec: routed({ mirror: { host: 'a' }, mirrors: [{ destination: { host: 'b' } }] }), path: 'spec.http[0].mirrors', message: 'set either mirror or mirrors, not both' },
  { name: 'a mirror percentage above 100', kind: 'VirtualService', spec: routed({ mirror: { host: 'a' }, mirrorPercentage: { value: 200 } }), path: 'spec.http[0].mirrorPercentage.value', message: 'percentage 200 must be in the range 0..100' },
  { name: 'an invalid CORS method', kind: 'VirtualService', spec: routed({ corsPolicy: { allowMethods: ['GET POST'] } }), path: 'spec.http[0].corsPolicy.allowMethods[0]', message: '"GET POST" is not an HTTP method' },
  { name: 'setting a pseudo-header', kind: 'VirtualService', spec: routed({ headers: { request: { set: { ':path': '/x' } } } }), path: 'spec.http[0].headers.request.set[":path"]', message: 'pseudo-header ":path" cannot be modified' },
  { name: 'a TLS route without sniHosts', kind: 'VirtualService', spec: { hosts: ['*.bookinfo.com'], gateways: ['gw'], tls: [{ match: [{ port: 443 }], route: [dest('login')] }] }, path: 'spec.tls[0].match[0].sniHosts', message: 'at least one SNI host is required' },
  {
    name: 'an SNI host outside the VirtualService hosts',
    kind: 'VirtualService',
    spec: { hosts: ['*.bookinfo.com'], gateways: ['gw'], tls: [{ match: [{ sniHosts: ['login.other.com'] }], route: [dest('login')] }] },
    path: 'spec.tls[0].match[0].sniHosts[0]',
    message: 'SNI host "login.other.com" is not covered by any of the VirtualService hosts (*.bookinfo.com)',
  },
  { name: 'a TLS route without match', kind: 'VirtualService', spec: { hosts: ['a.com'], tls: [{ route: [dest('a')] }] }, path: 'spec.tls[0].match', message: 'a TLS route needs at least one match with sniHosts' },
  { name: 'a TCP route without destinations', kind: 'VirtualService', spec: { hosts: ['db'], tcp: [{ match: [{ port: 27017 }] }] }, path: 'spec.tcp[0].route', message: 'a TCP route needs at least one destination' },
  { name: 'a bad destination subnet', kind: 'VirtualService', spec: { hosts: ['db'], tcp: [{ match: [{ destinationSubnets: ['10.0.0.0/40'] }], route: [dest('db')] }] }, path: 'spec.tcp[0].match[0].destinationSubnets[0]', message: '"10.0.0.0/40" has an invalid prefix length; use 0..32' },

  // ---------------------------------------------------------------- DestinationRule
  { name: 'no host', kind: 'DestinationRule', spec: { subsets: [{ name: 'v1', labels: { version: 'v1' } }] }, path: 'spec.host', message: 'host is required (the service the rule applies to, e.g. reviews.default.svc.cluster.local)' },
  { name: 'duplicate subset names', kind: 'DestinationRule', spec: { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v1', labels: { version: 'v2' } }] }, path: 'spec.subsets[1].name', message: 'duplicate subset name "v1" (also at index 0)' },
  { name: 'a subset without name', kind: 'DestinationRule', spec: { host: 'reviews', subsets: [{ labels: { version: 'v1' } }] }, path: 'spec.subsets[0].name', message: 'subset name is required' },
  { name: 'an invalid subset label key', kind: 'DestinationRule', spec: { host: 'reviews', subsets: [{ name: 'v1', labels: { '-version': 'v1' } }] }, path: 'spec.subsets[0].labels["-version"]', message: /^label key "-version" is invalid/ },
  {
    name: 'an empty traffic policy',
    kind: 'DestinationRule',
    spec: dr({}),
    path: 'spec.trafficPolicy',
    message: 'trafficPolicy must set at least one of loadBalancer, connectionPool, outlierDetection, tls, portLevelSettings, tunnel, proxyProtocol',
  },
  { name: 'simple and consistentHash together', kind: 'DestinationRule', spec: dr({ loadBalancer: { simple: 'RANDOM', consistentHash: { useSourceIp: true } } }), path: 'spec.trafficPolicy.loadBalancer', message: 'only one of simple, consistentHash may be set, found simple and consistentHash' },
  { name: 'consistentHash without a key', kind: 'DestinationRule', spec: dr({ loadBalancer: { consistentHash: { minimumRingSize: 1024 } } }), path: 'spec.trafficPolicy.loadBalancer.consistentHash', message: 'consistentHash must set one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName' },
  { name: 'two consistentHash keys', kind: 'DestinationRule', spec: dr({ loadBalancer: { consistentHash: { useSourceIp: true, httpHeaderName: 'x-user' } } }), path: 'spec.trafficPolicy.loadBalancer.consistentHash', message: 'only one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName may be set, found httpHeaderName and useSourceIp' },
  { name: 'a cookie hash without a name', kind: 'DestinationRule', spec: dr({ loadBalancer: { consistentHash: { httpCookie: { ttl: '10s' } } } }), path: 'spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name', message: 'cookie name is required' },
  { name: 'a maglev table size that is not prime', kind: 'DestinationRule', spec: dr({ loadBalancer: { consistentHash: { useSourceIp: true, maglev: { tableSize: 1000 } } } }), path: 'spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize', message: "tableSize 1000 must be a prime number no larger than 5000011 (Envoy's rule), e.g. 65537" },
  { name: 'locality weights that do not sum to 100', kind: 'DestinationRule', spec: dr({ loadBalancer: { localityLbSetting: { distribute: [{ from: 'us-west/*', to: { 'us-west/*': 80, 'us-east/*': 10 } }] } } }), path: 'spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to', message: 'weights must sum to 100, got 90' },
  { name: 'distribute and failover together', kind: 'DestinationRule', spec: dr({ loadBalancer: { localityLbSetting: { distribute: [{ from: 'a', to: { a: 100 } }], failover: [{ from: 'a', to: 'b' }] } } }), path: 'spec.trafficPolicy.loadBalancer.localityLbSetting', message: 'distribute and failover cannot both be set' },
  { name: 'failover to the same region', kind: 'DestinationRule', spec: dr({ loadBalancer: { localityLbSetting: { failover: [{ from: 'us-east', to: 'us-east' }] } } }), path: 'spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0]', message: 'failover from and to are the same region "us-east"' },
  { name: 'an empty connection pool', kind: 'DestinationRule', spec: dr({ connectionPool: {} }), path: 'spec.trafficPolicy.connectionPool', message: 'connectionPool must set tcp, http or both' },
  { name: 'negative max connections', kind: 'DestinationRule', spec: dr({ connectionPool: { tcp: { maxConnections: -1 } } }), path: 'spec.trafficPolicy.connectionPool.tcp.maxConnections', message: 'maxConnections -1 must not be negative' },
  { name: 'negative pending requests', kind: 'DestinationRule', spec: dr({ connectionPool: { http: { http1MaxPendingRequests: -5 } } }), path: 'spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests', message: 'http1MaxPendingRequests -5 must not be negative' },
  { name: 'a zero connect timeout', kind: 'DestinationRule', spec: dr({ connectionPool: { tcp: { connectTimeout: '0s' } } }), path: 'spec.trafficPolicy.connectionPool.tcp.connectTimeout', message: 'duration "0s" must be at least 1ms' },
  { name: 'UPGRADE with useClientProtocol', kind: 'DestinationRule', spec: dr({ connectionPool: { http: { h2UpgradePolicy: 'UPGRADE', useClientProtocol: true } } }), path: 'spec.trafficPolicy.connectionPool.http.useClientProtocol', message: 'useClientProtocol cannot be true when h2UpgradePolicy is UPGRADE' },
  { name: 'a max ejection percent above 100', kind: 'DestinationRule', spec: dr({ outlierDetection: { maxEjectionPercent: 150 } }), path: 'spec.trafficPolicy.outlierDetection.maxEjectionPercent', message: 'maxEjectionPercent 150 must be in the range 0..100' },
  { name: 'a zero outlier interval', kind: 'DestinationRule', spec: dr({ outlierDetection: { interval: '0s' } }), path: 'spec.trafficPolicy.outlierDetection.interval', message: 'duration "0s" must be at least 1ms' },
  { name: 'MUTUAL without certificates', kind: 'DestinationRule', spec: dr({ tls: { mode: 'MUTUAL' } }), path: 'spec.trafficPolicy.tls', message: 'mode MUTUAL needs clientCertificate and privateKey (file paths), or credentialName' },
  { name: 'ISTIO_MUTUAL with a client certificate', kind: 'DestinationRule', spec: dr({ tls: { mode: 'ISTIO_MUTUAL', clientCertificate: '/etc/c.pem', privateKey: '/etc/k.pem' } }), path: 'spec.trafficPolicy.tls.clientCertificate', message: 'clientCertificate cannot be set with mode ISTIO_MUTUAL: Istio provides the workload certificates' },
  { name: 'a port-level policy without port', kind: 'DestinationRule', spec: dr({ portLevelSettings: [{ loadBalancer: { simple: 'RANDOM' } }] }), path: 'spec.trafficPolicy.portLevelSettings[0].port.number', message: 'port number is required' },
  { name: 'duplicate port-level policies', kind: 'DestinationRule', spec: dr({ portLevelSettings: [{ port: { number: 80 }, loadBalancer: { simple: 'RANDOM' } }, { port: { number: 80 }, tls: { mode: 'SIMPLE' } }] }), path: 'spec.trafficPolicy.portLevelSettings[1].port', message: 'duplicate port 80 (also at index 0)' },
  { name: 'a subset policy with an invalid outlier detection', kind: 'DestinationRule', spec: { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' }, trafficPolicy: { outlierDetection: { minHealthPercent: 101 } } }] }, path: 'spec.subsets[0].trafficPolicy.outlierDetection.minHealthPercent', message: 'minHealthPercent 101 must be in the range 0..100' },
  { name: 'a tunnel without target', kind: 'DestinationRule', spec: dr({ tunnel: { protocol: 'CONNECT' } }), path: 'spec.trafficPolicy.tunnel.targetHost', message: 'targetHost is required' },

  // ---------------------------------------------------------------- Gateway
  { name: 'no servers', kind: 'Gateway', spec: { selector: { istio: 'ingressgateway' } }, path: 'spec.servers', message: 'a Gateway needs at least one server (port, protocol and hosts)' },
  { name: 'a server without hosts', kind: 'Gateway', spec: gw({ port: { number: 80, name: 'http', protocol: 'HTTP' } }), path: 'spec.servers[0].hosts', message: 'a server needs at least one host, such as "*" or "bookinfo.example.com"' },
  { name: 'a server without port', kind: 'Gateway', spec: gw({ hosts: ['*'] }), path: 'spec.servers[0].port', message: 'port is required (number, protocol and name)' },
  { name: 'a port without name', kind: 'Gateway', spec: gw(server({ number: 80, protocol: 'HTTP' })), path: 'spec.servers[0].port.name', message: 'port name is required (e.g. "http" or "https-443")' },
  { name: 'a port without protocol', kind: 'Gateway', spec: gw(server({ number: 80, name: 'http' })), path: 'spec.servers[0].port.protocol', message: 'protocol is required: HTTP, HTTPS, GRPC, HTTP2, MONGO, TCP or TLS' },
  { name: 'an unknown protocol', kind: 'Gateway', spec: gw(server({ number: 80, name: 'http', protocol: 'HTTP3' })), path: 'spec.servers[0].port.protocol', message: 'unknown protocol "HTTP3"; use one of HTTP, HTTPS, GRPC, GRPC-WEB, HTTP2, MONGO, MYSQL, REDIS, TCP, TLS, UDP' },
  { name: 'port 0', kind: 'Gateway', spec: gw(server({ number: 0, name: 'http', protocol: 'HTTP' })), path: 'spec.servers[0].port.number', message: 'port number 0 must be in the range 1..65535' },
  { name: 'duplicate port names', kind: 'Gateway', spec: gw(server({ number: 80, name: 'http', protocol: 'HTTP' }), server({ number: 8080, name: 'http', protocol: 'HTTP' })), path: 'spec.servers[1].port.name', message: 'port names in a Gateway must be unique: "http" is also used by servers[0]' },
  { name: 'HTTPS without tls', kind: 'Gateway', spec: gw(server({ number: 443, name: 'https', protocol: 'HTTPS' })), path: 'spec.servers[0].tls', message: 'a server with protocol HTTPS needs tls settings (for example mode: SIMPLE with credentialName)' },
  { name: 'SIMPLE without a certificate', kind: 'Gateway', spec: gw(server({ number: 443, name: 'https', protocol: 'HTTPS' }, { tls: { mode: 'SIMPLE' } })), path: 'spec.servers[0].tls.serverCertificate', message: 'mode SIMPLE needs credentialName, or serverCertificate and privateKey' },
  { name: 'MUTUAL without CA certificates', kind: 'Gateway', spec: gw(server({ number: 443, name: 'https', protocol: 'HTTPS' }, { tls: { mode: 'MUTUAL', serverCertificate: '/c.pem', privateKey: '/k.pem' } })), path: 'spec.servers[0].tls.caCertificates', message: 'mode MUTUAL needs caCertificates to verify clients (or a credentialName whose secret holds ca.crt)' },
  { name: 'tls settings on an HTTP server', kind: 'Gateway', spec: gw(server({ number: 80, name: 'http', protocol: 'HTTP' }, { tls: { mode: 'SIMPLE', credentialName: 'x' } })), path: 'spec.servers[0].tls', message: 'tls settings apply only to HTTPS and TLS servers; a server with protocol HTTP may only set tls.httpsRedirect' },
  { name: 'AUTO_PASSTHROUGH on HTTPS', kind: 'Gateway', spec: gw(server({ number: 443, name: 'https', protocol: 'HTTPS' }, { tls: { mode: 'AUTO_PASSTHROUGH' } })), path: 'spec.servers[0].tls.mode', message: 'mode AUTO_PASSTHROUGH requires port protocol TLS, not HTTPS' },
  { name: 'min TLS version above max', kind: 'Gateway', spec: gw(server({ number: 443, name: 'https', protocol: 'HTTPS' }, { tls: { mode: 'SIMPLE', credentialName: 'c', minProtocolVersion: 'TLSV1_3', maxProtocolVersion: 'TLSV1_2' } })), path: 'spec.servers[0].tls.minProtocolVersion', message: 'minProtocolVersion TLSV1_3 is higher than maxProtocolVersion TLSV1_2' },
  { name: 'a server host with a bad namespace', kind: 'Gateway', spec: gw(server({ number: 80, name: 'http', protocol: 'HTTP' }, { hosts: ['Prod/example.com'] })), path: 'spec.servers[0].hosts[0]', message: `host "Prod/example.com" has an invalid namespace "Prod": use a namespace name, '*', '.'` },

  // ---------------------------------------------------------------- ServiceEntry / WorkloadEntry
  { name: 'host *', kind: 'ServiceEntry', spec: se({ hosts: ['*'] }), path: 'spec.hosts[0]', message: 'host "*" is not allowed; list the hosts (wildcards such as "*.example.com" are fine)' },
  { name: 'no hosts', kind: 'ServiceEntry', spec: se({ hosts: [] }), path: 'spec.hosts', message: 'at least one host is required (e.g. api.example.com or *.example.com)' },
  { name: 'no ports', kind: 'ServiceEntry', spec: se({ ports: [] }), path: 'spec.ports', message: 'at least one port is required (number, name and protocol)' },
  { name: 'duplicate port numbers', kind: 'ServiceEntry', spec: se({ ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }, { number: 443, name: 'tls', protocol: 'TLS' }] }), path: 'spec.ports[1].number', message: 'duplicate port number 443 (also at index 0)' },
  { name: 'a port without name', kind: 'ServiceEntry', spec: se({ ports: [{ number: 80, protocol: 'HTTP' }] }), path: 'spec.ports[0].name', message: 'port name is required (e.g. "http" or "tcp-db")' },
  { name: 'an invalid address', kind: 'ServiceEntry', spec: se({ addresses: ['10.0.0.300'] }), path: 'spec.addresses[0]', message: '"10.0.0.300" is not an IP address or CIDR block (such as 10.0.0.1 or 10.0.0.0/8)' },
  { name: 'an unknown resolution', kind: 'ServiceEntry', spec: se({ resolution: 'DYNAMIC' }), path: 'spec.resolution', message: 'string "DYNAMIC" is not valid; use one of NONE, STATIC, DNS, DNS_ROUND_ROBIN' },
  { name: 'endpoints with resolution NONE', kind: 'ServiceEntry', spec: se({ resolution: 'NONE', endpoints: [{ address: '1.1.1.1' }] }), path: 'spec.endpoints', message: 'endpoints cannot be set with resolution NONE; use resolution STATIC or DNS' },
  { name: 'STATIC without endpoints', kind: 'ServiceEntry', spec: se({ resolution: 'STATIC' }), path: 'spec.endpoints', message: 'resolution STATIC needs endpoints with IP addresses (or a workloadSelector)' },
  { name: 'a STATIC endpoint with a host name', kind: 'ServiceEntry', spec: se({ resolution: 'STATIC', endpoints: [{ address: 'api.internal' }] }), path: 'spec.endpoints[0].address', message: 'address "api.internal" must be an IP address (or unix:///path) with resolution STATIC; use resolution DNS for host names' },
  { name: 'endpoints and workloadSelector together', kind: 'ServiceEntry', spec: se({ resolution: 'STATIC', location: 'MESH_INTERNAL', endpoints: [{ address: '1.1.1.1' }], workloadSelector: { labels: { app: 'x' } } }), path: 'spec.workloadSelector', message: 'set endpoints or workloadSelector, not both' },
  { name: 'an endpoint port that names no port', kind: 'ServiceEntry', spec: se({ resolution: 'DNS', endpoints: [{ address: 'us.example.com', ports: { http: 8080 } }] }), path: 'spec.endpoints[0].ports.http', message: '"http" is not a port name of this ServiceEntry (https)' },
  { name: 'an endpoint without address', kind: 'ServiceEntry', spec: se({ resolution: 'DNS', endpoints: [{ ports: { https: 8443 } }] }), path: 'spec.endpoints[0].address', message: 'address is required (an IP address, a DNS name or unix:///path)' },
  { name: 'DNS_ROUND_ROBIN with two endpoints', kind: 'ServiceEntry', spec: se({ resolution: 'DNS_ROUND_ROBIN', endpoints: [{ address: 'a.com' }, { address: 'b.com' }] }), path: 'spec.endpoints', message: 'resolution DNS_ROUND_ROBIN allows at most one endpoint; use DNS for several' },
  { name: 'a wildcard host resolved by DNS', kind: 'ServiceEntry', spec: se({ hosts: ['*.example.com'], resolution: 'DNS' }), path: 'spec.hosts[0]', message: 'wildcard host "*.example.com" cannot be resolved with resolution DNS unless endpoints are listed; use resolution NONE for wildcard hosts' },
  { name: 'a WorkloadEntry without address', kind: 'WorkloadEntry', spec: { labels: { app: 'vm' } }, path: 'spec.address', message: 'address is required (an IP address, a DNS name or unix:///path)' },
  { name: 'a WorkloadEntry with a CIDR address', kind: 'WorkloadEntry', spec: { address: '10.0.0.0/8' }, path: 'spec.address', message: 'address "10.0.0.0/8" must not be a CIDR block or carry a path; use an IP address or a DNS name' },
  { name: 'a WorkloadEntry port 0', kind: 'WorkloadEntry', spec: { address: '10.0.0.1', ports: { http: 0 } }, path: 'spec.ports.http', message: 'port number 0 must be in the range 1..65535' },
  { name: 'a WorkloadEntry with a string port', kind: 'WorkloadEntry', spec: { address: '10.0.0.1', ports: { http: 'eighty' } }, path: 'spec.ports.http', message: 'expected an integer, got string "eighty"' },

  // ---------------------------------------------------------------- Sidecar
  { name: 'an empty Sidecar', kind: 'Sidecar', spec: {}, path: 'spec', message: 'empty Sidecar: set at least one of egress, ingress, outboundTrafficPolicy or inboundConnectionPool' },
  { name: 'an egress host without namespace', kind: 'Sidecar', spec: { egress: [{ hosts: ['example.com'] }] }, path: 'spec.egress[0].hosts[0]', message: 'host "example.com" must be of the form namespace/dnsName, such as "*/example.com" or "./*"' },
  { name: 'an egress listener without hosts', kind: 'Sidecar', spec: { egress: [{ port: { number: 80, protocol: 'HTTP', name: 'http' } }] }, path: 'spec.egress[0].hosts', message: 'at least one host is required, such as "./*" or "istio-system/*"' },
  { name: 'two egress listeners without port', kind: 'Sidecar', spec: { egress: [{ hosts: ['./*'] }, { hosts: ['istio-system/*'] }] }, path: 'spec.egress[1]', message: 'only one egress listener may omit the port (egress[0] already does)' },
  { name: 'a port-less egress listener that is not last', kind: 'Sidecar', spec: { egress: [{ hosts: ['./*'] }, { port: { number: 80, protocol: 'HTTP', name: 'http' }, hosts: ['./*'] }] }, path: 'spec.egress[0]', message: 'the egress listener without a port must be the last one in the list' },
  { name: 'an ingress listener without port', kind: 'Sidecar', spec: { ingress: [{ defaultEndpoint: '127.0.0.1:8080' }] }, path: 'spec.ingress[0].port', message: 'port is required (number, protocol and name)' },
  { name: 'an invalid default endpoint', kind: 'Sidecar', spec: { ingress: [{ port: { number: 9080, protocol: 'HTTP', name: 'http' }, defaultEndpoint: '10.1.1.1:8080' }] }, path: 'spec.ingress[0].defaultEndpoint', message: 'defaultEndpoint "10.1.1.1:8080" must be 127.0.0.1:PORT, 0.0.0.0:PORT or unix:///path' },
  { name: 'a default endpoint port out of range', kind: 'Sidecar', spec: { ingress: [{ port: { number: 9080, protocol: 'HTTP', name: 'http' }, defaultEndpoint: '127.0.0.1:70000' }] }, path: 'spec.ingress[0].defaultEndpoint', message: 'defaultEndpoint "127.0.0.1:70000": port number 70000 must be in the range 1..65535' },
  { name: 'a unix socket bind on an ingress listener', kind: 'Sidecar', spec: { ingress: [{ port: { number: 9080, protocol: 'HTTP', name: 'http' }, bind: 'unix:///var/run/a.sock', defaultEndpoint: '127.0.0.1:8080' }] }, path: 'spec.ingress[0].bind', message: 'bind "unix:///var/run/a.sock" must be an IP address: unix domain sockets are not allowed for ingress listeners' },
  { name: 'duplicate ingress ports', kind: 'Sidecar', spec: { ingress: [{ port: { number: 9080, protocol: 'HTTP', name: 'a' }, defaultEndpoint: '127.0.0.1:8080' }, { port: { number: 9080, protocol: 'TCP', name: 'b' }, defaultEndpoint: '127.0.0.1:8081' }] }, path: 'spec.ingress[1].port.number', message: 'port 9080 is also used by ingress[0]; ingress ports must be unique' },
  { name: 'duplicate egress ports', kind: 'Sidecar', spec: { egress: [{ port: { number: 80, protocol: 'HTTP', name: 'a' }, hosts: ['./*'] }, { port: { number: 80, protocol: 'HTTP', name: 'b' }, hosts: ['*/*'] }] }, path: 'spec.egress[1].port.number', message: 'port 80 is also used by egress[0]; egress ports must be unique' },
  { name: 'a bad egress host namespace', kind: 'Sidecar', spec: { egress: [{ hosts: ['Prod_1/*.example.com'] }] }, path: 'spec.egress[0].hosts[0]', message: 'host "Prod_1/*.example.com" has an invalid namespace "Prod_1": use a namespace name, \'*\', \'.\', \'~\'' },
  { name: 'a wildcard in the middle of an egress host', kind: 'Sidecar', spec: { egress: [{ hosts: ['./foo.*.com'] }] }, path: 'spec.egress[0].hosts[0]', message: 'host "foo.*.com" has an invalid wildcard: a wildcard may only be the leading part, as in "*.example.com"' },
  { name: 'an egress proxy with REGISTRY_ONLY', kind: 'Sidecar', spec: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY', egressProxy: { host: 'egress.example.com', port: { number: 443 } } } }, path: 'spec.outboundTrafficPolicy.egressProxy', message: 'egressProxy is only used with mode ALLOW_ANY' },
  { name: 'an unknown outbound traffic mode', kind: 'Sidecar', spec: { outboundTrafficPolicy: { mode: 'DENY_ALL' } }, path: 'spec.outboundTrafficPolicy.mode', message: 'string "DENY_ALL" is not valid; use one of REGISTRY_ONLY, ALLOW_ANY' },

  // ---------------------------------------------------------------- security
  { name: 'an unknown mTLS mode', kind: 'PeerAuthentication', spec: { mtls: { mode: 'STRICTER' } }, path: 'spec.mtls.mode', message: 'string "STRICTER" is not valid; use one of UNSET, DISABLE, PERMISSIVE, STRICT' },
  { name: 'port-level mTLS without selector', kind: 'PeerAuthentication', spec: { mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'DISABLE' } } }, path: 'spec.portLevelMtls', message: 'portLevelMtls needs a selector with matchLabels: port numbers only mean something for specific workloads' },
  { name: 'port-level mTLS on port 0', kind: 'PeerAuthentication', spec: { selector: { matchLabels: { app: 'a' } }, portLevelMtls: { 0: { mode: 'DISABLE' } } }, path: 'spec.portLevelMtls["0"]', message: 'port 0 must be in the range 1..65535' },
  { name: 'a non-numeric port-level mTLS key', kind: 'PeerAuthentication', spec: { selector: { matchLabels: { app: 'a' } }, portLevelMtls: { http: { mode: 'DISABLE' } } }, path: 'spec.portLevelMtls.http', message: 'map key "http" must be a non-negative integer' },
  { name: 'a JWT rule without issuer', kind: 'RequestAuthentication', spec: { jwtRules: [{ jwksUri: 'https://example.com/jwks.json' }] }, path: 'spec.jwtRules[0].issuer', message: 'issuer is required (the "iss" claim, e.g. https://accounts.example.com)' },
  { name: 'a jwksUri that is not http(s)', kind: 'RequestAuthentication', spec: { jwtRules: [{ issuer: 'me', jwksUri: 'ftp://example.com/keys' }] }, path: 'spec.jwtRules[0].jwksUri', message: 'jwksUri "ftp://example.com/keys" must be an http:// or https:// URL with a host' },
  { name: 'inline jwks that is not JSON', kind: 'RequestAuthentication', spec: { jwtRules: [{ issuer: 'me', jwks: '{keys: [' }] }, path: 'spec.jwtRules[0].jwks', message: /^jwks is not valid JSON: / },
  { name: 'inline jwks without keys', kind: 'RequestAuthentication', spec: { jwtRules: [{ issuer: 'me', jwks: '{"kty":"RSA"}' }] }, path: 'spec.jwtRules[0].jwks', message: 'jwks must be a JSON Web Key Set: an object with a "keys" list' },
  { name: 'selector and targetRef together', kind: 'RequestAuthentication', spec: { selector: { matchLabels: { app: 'a' } }, targetRef: { kind: 'Gateway', name: 'gw' }, jwtRules: [{ issuer: 'me' }] }, path: 'spec', message: 'only one of selector, targetRef or targetRefs may be set, found selector and targetRef' },
  { name: 'a claim header with a space', kind: 'RequestAuthentication', spec: { jwtRules: [{ issuer: 'me', outputClaimToHeaders: [{ header: 'x group', claim: 'group' }] }] }, path: 'spec.jwtRules[0].outputClaimToHeaders[0].header', message: `"x group" is not a valid header name (letters, digits, '-' and '_')` },
  { name: 'an unknown action', kind: 'AuthorizationPolicy', spec: ap({ action: 'PERMIT' }), path: 'spec.action', message: 'string "PERMIT" is not valid; use one of ALLOW, DENY, AUDIT, CUSTOM' },
  { name: 'CUSTOM without provider', kind: 'AuthorizationPolicy', spec: ap({ action: 'CUSTOM', rules: [{}] }), path: 'spec.provider.name', message: 'action CUSTOM needs provider.name (an extension provider defined in MeshConfig)' },
  { name: 'CUSTOM without rules', kind: 'AuthorizationPolicy', spec: ap({ action: 'CUSTOM', provider: { name: 'ext' } }), path: 'spec.rules', message: 'action CUSTOM needs rules: the requests they match are checked by the provider' },
  { name: 'a provider with ALLOW', kind: 'AuthorizationPolicy', spec: ap({ action: 'ALLOW', provider: { name: 'ext' } }), path: 'spec.provider', message: 'provider is only used with action CUSTOM, not ALLOW' },
  { name: 'an empty source', kind: 'AuthorizationPolicy', spec: ap({ rules: [{ from: [{ source: {} }] }] }), path: 'spec.rules[0].from[0].source', message: 'source must set at least one field (e.g. principals, namespaces or ipBlocks)' },
  { name: 'an empty operation', kind: 'AuthorizationPolicy', spec: ap({ rules: [{ to: [{ operation: { methods: [] } }] }] }), path: 'spec.rules[0].to[0].operation', message: 'operation must set at least one field (e.g. methods, paths, ports or hosts)' },
  { name: 'an empty principal', kind: 'AuthorizationPolicy', spec: ap({ rules: [{ from: [{ source: { principals: [''] } }] }] }), path: 'spec.rules[0].from[0].source.principals[0]', message: 'empty value is not allowed' },
  { name: 'an invalid ipBlock', kind: 'AuthorizationPolicy', spec: ap({ rules: [{ from: [{ source: { ipBlocks: ['1.2.3'] } }] }] }), path: 'spec.rules[0].from[0].source.ipBlocks[0]', message: '"1.2.3" is not an IP address or CIDR block (such as 10.0.0.1 or 10.0.0.0/8)' },
  { name: 'a port that is not a number', kind: 'AuthorizationPolicy', spec: ap({ rules: [{ to: [{ operation: { ports: ['http'] } }] }] }), path: 'spec.rules[0].to[0].operation.ports[0]', message: 'port "http" must be a number 0..65535' },
  { name: 'a path without a leading slash', kind: 'AuthorizationPolicy', spec: ap({ rules: [{ to: [{ operation: { paths: ['admin'] } }] }] }), path: 'spec.rules[0].to[0].operation.paths[0]', message: 'path "admin" must start with "/" (or be "*", "*suffix" or "prefix*")' },
  { name: 'an unknown condition key', kind: 'AuthorizationPolicy', spec: ap({ rules: [{ when: [{ key: 'request.host', values: ['a'] }] }] }), path: 'spec.rules[0].when[0].key', message: /^unknown condition key "request.host"; use one of source.ip, / },
  { name: 'a condition without values', kind: 'AuthorizationPolicy', spec: ap({ rules: [{ when: [{ key: 'source.namespace' }] }] }), path: 'spec.rules[0].when[0]', message: 'condition on "source.namespace" must set values or notValues' },
  { name: 'a condition on an IP with a bad value', kind: 'AuthorizationPolicy', spec: ap({ rules: [{ when: [{ key: 'source.ip', values: ['localhost'] }] }] }), path: 'spec.rules[0].when[0].values[0]', message: '"localhost" is not an IP address or CIDR block (such as 10.0.0.1 or 10.0.0.0/8)' },
];

describe('validateResource rejects broken resources with the field path and a message saying what is valid', () => {
  for (const c of invalid) {
    it(`${c.kind}: ${c.name}`, () => {
      const errors = validateResource(res(c.kind, c.spec, c.meta, c.apiVersion), c.options);
      const hit = errors.find((e) => e.path === c.path && (typeof c.message === 'string' ? e.message === c.message : c.message.test(e.message)));
      assert.ok(hit, `expected an error at ${c.path}: ${c.message}\ngot: ${JSON.stringify(errors, null, 2)}`);
      assert.equal(checkResource(res(c.kind, c.spec, c.meta, c.apiVersion), c.options).resource, undefined, 'a rejected resource has no normalized form');
    });
  }
});

interface WarningCase {
  name: string;
  kind: ConfigKind;
  spec: unknown;
  path: string;
  message: string | RegExp;
}

const warnings: WarningCase[] = [
  { name: 'an unknown field (default mode: ignored)', kind: 'VirtualService', spec: routed({ retries: { attemps: 3 } }), path: 'spec.http[0].retries.attemps', message: 'unknown field "attemps" in HTTPRetry; did you mean "attempts"? (ignored)' },
  { name: 'a delegate VirtualService', kind: 'VirtualService', spec: { http: [{ route: [dest('reviews')] }] }, path: 'spec.hosts', message: 'no hosts: this is a delegate VirtualService, used only where another VirtualService names it in http[].delegate' },
  { name: 'a subset without labels', kind: 'DestinationRule', spec: { host: 'reviews', subsets: [{ name: 'all' }] }, path: 'spec.subsets[0].labels', message: 'no labels: the subset selects every endpoint of the host; add labels such as version: v1' },
  { name: 'a YAML boolean where a string belongs', kind: 'VirtualService', spec: routed({ headers: { request: { set: { test: true } } } }), path: 'spec.http[0].headers.request.set.test', message: 'expected a string, got boolean true; using "true" (quote the value in YAML to make it a string)' },
  { name: 'a deprecated field', kind: 'VirtualService', spec: routed({ mirror: { host: 'b' }, mirrorPercent: 50 }), path: 'spec.http[0].mirrorPercent', message: '"mirrorPercent" is deprecated; use mirrorPercentage.value' },
  { name: 'a per-try timeout longer than the timeout', kind: 'VirtualService', spec: routed({ timeout: '1s', retries: { attempts: 2, perTryTimeout: '5s' } }), path: 'spec.http[0].retries.perTryTimeout', message: 'perTryTimeout 5s is longer than the route timeout 1s, so no retry can happen' },
  { name: 'an empty match', kind: 'VirtualService', spec: vs([{ match: [{}], route: [dest('reviews')] }]), path: 'spec.http[0].match[0]', message: 'an empty match matches every request; remove it or add conditions' },
  { name: 'an uppercase header name in a match', kind: 'VirtualService', spec: matched({ headers: { 'End-User': { exact: 'jason' } } }), path: 'spec.http[0].match[0].headers.End-User', message: 'header names are matched in lowercase; write "end-user"' },
  { name: 'TLS settings with mode DISABLE', kind: 'DestinationRule', spec: dr({ tls: { sni: 'example.com' } }), path: 'spec.trafficPolicy.tls.mode', message: 'TLS settings have no effect with mode DISABLE (the default); set mode SIMPLE, MUTUAL or ISTIO_MUTUAL' },
  { name: 'a targetPort on a Gateway', kind: 'Gateway', spec: gw(server({ number: 80, name: 'http', protocol: 'HTTP', targetPort: 8080 })), path: 'spec.servers[0].port.targetPort', message: 'targetPort has no effect on a Gateway server' },
];

describe('checkResource accepts resources with warnings', () => {
  for (const c of warnings) {
    it(`${c.kind}: ${c.name}`, () => {
      const result = checkResource(res(c.kind, c.spec));
      assert.deepEqual(result.errors, []);
      assert.ok(result.resource, 'accepted');
      const hit = result.warnings.find((w) => w.path === c.path && (typeof c.message === 'string' ? w.message === c.message : c.message.test(w.message)));
      assert.ok(hit, `expected a warning at ${c.path}: ${c.message}\ngot: ${JSON.stringify(result.warnings, null, 2)}`);
    });
  }
});

describe('route weights are relative proportions (Istio since 1.15)', () => {
  it('accepts weights 1 and 3, 50 and 60, and one destination of weight 0', () => {
    for (const spec of [vs([{ route: [dest('reviews', 'v1', 1), dest('reviews', 'v2', 3)] }]), vs([{ route: [dest('reviews', 'v1', 50), dest('reviews', 'v2', 60)] }]), vs([{ route: [dest('reviews', 'v1', 0)] }])]) {
      const result = checkResource(res('VirtualService', spec));
      assert.deepEqual(result.errors, []);
      assert.ok(result.resource);
    }
  });
});

describe('checkResource refuses security configuration the mesh cannot enforce (the last accepted version stays)', () => {
  const jwt = res('RequestAuthentication', { targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'gw' }], jwtRules: [{ issuer: 'testing@secure.istio.io', jwksUri: 'https://example.com/jwks.json' }] });
  it('names the field and says why, by default', () => {
    const result = checkResource(jwt);
    assert.equal(result.resource, undefined);
    assert.deepEqual(result.errors.map((e) => e.path), ['spec.targetRefs']);
    assert.match(result.errors[0].message, /^not enforced by this mesh, so the resource is refused: targetRefs is not implemented/);
  });
  it('accepts it when asked only whether it is valid Istio', () => {
    const result = checkResource(jwt, { unenforcedSecurity: 'accept' });
    assert.deepEqual(result.errors, []);
    assert.ok(result.resource);
  });
  it('keeps accepting what is only a warning (an unimplemented field that is not security)', () => {
    const result = checkResource(res('Sidecar', { inboundConnectionPool: { http: { http1MaxPendingRequests: 1 } } }));
    assert.deepEqual(result.errors, []);
    assert.ok(result.resource);
  });
});

describe('normalization', () => {
  it('accepts snake_case field names and stores camelCase, drops unknown fields, and keeps map keys as written', () => {
    const result = checkResource(
      res('VirtualService', {
        hosts: ['reviews'],
        export_to: ['.'],
        http: [{ match: [{ headers: { X_Custom: { exact: 'a' } }, ignore_uri_case: true, uri: { prefix: '/' } }], route: [dest('reviews')], bogus: 1 }],
      }),
    );
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.resource?.spec, {
      hosts: ['reviews'],
      exportTo: ['.'],
      http: [{ match: [{ headers: { X_Custom: { exact: 'a' } }, ignoreUriCase: true, uri: { prefix: '/' } }], route: [{ destination: { host: 'reviews' } }] }],
    });
  });

  it('turns quoted integers into numbers and null fields into absent ones', () => {
    const result = checkResource(res('VirtualService', vs([{ route: [{ destination: { host: 'a', port: { number: '9080' } }, weight: '100' }], timeout: null }])));
    assert.deepEqual(result.errors, []);
    assert.deepEqual((result.resource?.spec as any).http[0], { route: [{ destination: { host: 'a', port: { number: 9080 } }, weight: 100 }] });
  });

  it('treats a header match without a value as a presence match', () => {
    const result = checkResource(res('VirtualService', matched({ headers: { 'x-canary': null } })));
    assert.deepEqual(result.errors, []);
    assert.deepEqual((result.resource?.spec as any).http[0].match[0].headers, { 'x-canary': {} });
  });

  it('returns clean metadata: unknown metadata fields dropped', () => {
    const result = checkResource(res('Gateway', gw(server({ number: 80, name: 'http', protocol: 'HTTP' })), { uid: 'abc', labels: { app: 'gw' } }));
    assert.deepEqual(result.resource?.metadata, { name: 'test', namespace: 'default', labels: { app: 'gw' } });
  });

  it('does not run semantic rules on a spec with type errors, so messages are not misleading', () => {
    const errors = validateResource(res('VirtualService', vs([{ route: [dest('reviews', 'v1', 'fifty' as never), dest('reviews', 'v2', 50)] }])));
    assert.deepEqual(errors, [{ path: 'spec.http[0].route[0].weight', message: 'expected an integer, got string "fifty"' }]);
  });

  it('reports every error of a resource, not only the first', () => {
    const errors = validateResource(res('Gateway', gw(server({ number: 0, protocol: 'HTTP' }, { hosts: [] }))));
    assert.deepEqual(
      errors.map((e) => e.path),
      ['spec.servers[0].port.number', 'spec.servers[0].port.name', 'spec.servers[0].hosts'],
    );
  });
});
