import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CONFIG_TYPE_URLS, TYPE_URLS, decodeMessage, encodeMessage, normalize, type Cluster, type Cluster__Output } from '@mesh/xds';
import { generateSnapshot } from './generators/index.ts';
import { generateResources } from './generators/index.ts';
import { capturedSidecar, gateway, generate, grpcClient, push, res, sampleConfig, sidecar, testLog } from './test-support.ts';

/** Every resource of the proxy's snapshot encodes: nothing was left out (an `internal` issue). */
function assertServed(p: ReturnType<typeof push>, proxy = sidecar()): void {
  generateSnapshot(p, proxy, { privilegedPortOffset: 8000, log: testLog });
  assert.deepEqual(p.issues.filter((i) => i.category === 'internal'), []);
}

/** A cluster as a proxy receives it: encoded through Envoy's Cluster message and decoded (a misspelt field cannot survive this). */
const wire = (c: Cluster): Cluster__Output => decodeMessage<Cluster__Output>(TYPE_URLS.cluster, encodeMessage(TYPE_URLS.cluster, c));

const HELLO = 'hello.default.svc.cluster.local';
const ports = (cla: any) => cla.endpoints.flatMap((l: any) => l.lbEndpoints.map((e: any) => e.endpoint.address.socketAddress.portValue)).sort();
const service = (host: string, extra: Record<string, unknown> = {}) =>
  res('ServiceEntry', host.split('.')[0], { hosts: [host], resolution: 'STATIC', location: 'MESH_INTERNAL', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], endpoints: [{ address: '10.0.0.1' }], ...extra });

/** Routes of the single VirtualService under test, via the sidecar's outbound_http. */
function sidecarRoutes(configs: ReturnType<typeof res>[], host = HELLO, port = 80): any[] {
  const p = push(configs);
  assert.deepEqual(p.issues.filter((i) => i.category === 'invalid'), []);
  assertServed(p);
  const g = generate(p, sidecar());
  const vh = g.routes[0] as any;
  return vh.virtualHosts.find((v: any) => v.name === `${host}:${port}`).routes;
}

describe('translation of the sample mesh (examples/local)', () => {
  const p = push(sampleConfig());

  it('has no translation issues', () => {
    assert.deepEqual(p.issues, []);
  });

  it('gives the ingress gateway a listener on 0.0.0.0_80 bound at 127.0.0.1:8080 with RDS http.80', () => {
    const g = generate(p, gateway());
    assert.equal(g.listeners.length, 1);
    const l = g.listeners[0] as any;
    assert.equal(l.name, '0.0.0.0_80');
    assert.deepEqual(l.address, { socketAddress: { address: '127.0.0.1', portValue: 8080 } });
    const hcm = l.filterChains[0].filters[0].typedConfig;
    assert.equal(hcm['@type'], CONFIG_TYPE_URLS.httpConnectionManager);
    assert.deepEqual(hcm.rds, { configSource: { ads: {}, resourceApiVersion: 'V3' }, routeConfigName: 'http.80' });
    assert.deepEqual(hcm.httpFilters.map((f: any) => f.name), ['envoy.filters.http.fault', 'envoy.filters.http.cors', 'envoy.filters.http.router']);
  });

  it('routes the gateway: header x-canary → v2, else 80/20 between v1 and v2, for both VirtualService hosts', () => {
    const g = generate(p, gateway());
    const rc = g.byName(g.routes, 'http.80');
    assert.deepEqual(rc.virtualHosts.map((v: any) => [v.name, v.domains]), [
      ['hello.example.com:80', ['hello.example.com', 'hello.example.com:*']],
      [`${HELLO}:80`, [HELLO, `${HELLO}:*`]],
    ]);
    for (const vh of rc.virtualHosts) {
      const [canary, weighted] = vh.routes;
      assert.equal(vh.routes.length, 2);
      assert.equal(canary.name, 'canary-header');
      assert.deepEqual(canary.match, { prefix: '/', headers: [{ name: 'x-canary', stringMatch: { exact: 'true' } }] });
      assert.equal(canary.route.cluster, `outbound|80|v2|${HELLO}`);
      assert.equal(weighted.name, 'weighted');
      assert.deepEqual(weighted.match, { prefix: '/' });
      assert.deepEqual(weighted.route.weightedClusters, {
        clusters: [
          { name: `outbound|80|v1|${HELLO}`, weight: { value: 80 } },
          { name: `outbound|80|v2|${HELLO}`, weight: { value: 20 } },
        ],
      });
      assert.deepEqual(weighted.route.timeout, { seconds: 0 }, 'Istio disables the 15 s default route timeout');
    }
  });

  it('builds one EDS cluster per subset and endpoints selected by subset labels, on the WorkloadEntry ports', () => {
    const g = generate(p, gateway());
    const names = (g.clusters as any[]).map((c) => c.name);
    assert.deepEqual(names, [`outbound|80||${HELLO}`, `outbound|80|v1|${HELLO}`, `outbound|80|v2|${HELLO}`, 'BlackHoleCluster', 'PassthroughCluster']);
    const v1 = g.byName(g.clusters, `outbound|80|v1|${HELLO}`);
    assert.equal(v1.type, 'EDS');
    assert.equal(v1.lbPolicy, 'ROUND_ROBIN');
    assert.deepEqual(v1.edsClusterConfig, { edsConfig: { ads: {}, resourceApiVersion: 'V3' }, serviceName: `outbound|80|v1|${HELLO}` });
    assert.deepEqual(ports(g.byName(g.endpoints, `outbound|80||${HELLO}`)), [9081, 9082]);
    assert.deepEqual(ports(g.byName(g.endpoints, `outbound|80|v1|${HELLO}`)), [9081]);
    assert.deepEqual(ports(g.byName(g.endpoints, `outbound|80|v2|${HELLO}`)), [9082]);
    assert.equal(g.byName(g.endpoints, `outbound|80|v1|${HELLO}`).endpoints[0].lbEndpoints[0].endpoint.address.socketAddress.address, '127.0.0.1');
  });

  it('gives a sidecar the virtualOutbound listener on OUTBOUND_PORT and outbound_http with the mesh routes and short names', () => {
    const g = generate(p, sidecar({ OUTBOUND_PORT: '16001' }));
    const l = g.byName(g.listeners, 'virtualOutbound');
    assert.deepEqual(l.address, { socketAddress: { address: '127.0.0.1', portValue: 16001 } });
    assert.equal(l.filterChains[0].filters[0].typedConfig.rds.routeConfigName, 'outbound_http');
    const rc = g.byName(g.routes, 'outbound_http');
    const vh = rc.virtualHosts.find((v: any) => v.name === `${HELLO}:80`);
    assert.deepEqual(vh.domains, [HELLO, `${HELLO}:80`, 'hello', 'hello:80', 'hello.default', 'hello.default:80', 'hello.default.svc', 'hello.default.svc:80']);
    assert.equal(vh.routes[0].route.cluster, `outbound|80|v2|${HELLO}`);
    assert.equal(vh.routes[1].route.weightedClusters.clusters.length, 2);
    assert.equal(rc.virtualHosts.at(-1).name, 'allow_any');
  });

  it('produces resources that encode as valid Envoy messages, for every kind of proxy', () => {
    for (const proxy of [gateway(), sidecar(), grpcClient()]) {
      const snap = generateSnapshot(p, proxy, { privilegedPortOffset: 8000, log: { error: (m, f) => assert.fail(`${m} ${JSON.stringify(f)}`) } });
      const counts = snap.counts();
      assert.ok(counts.LDS > 0 && counts.RDS > 0 && counts.CDS > 0 && counts.EDS > 0, JSON.stringify(counts));
      assert.deepEqual(snap.consistencyErrors(), []);
    }
    assert.deepEqual(p.issues, [], 'nothing was left out');
  });

  it('drops weight-0 destinations (the e2e edit to 0/100) and uses a plain cluster', () => {
    const cfg = sampleConfig();
    const vs = cfg.find((c) => c.kind === 'VirtualService')!;
    (vs.spec as any).http[1].route[0].weight = 0;
    (vs.spec as any).http[1].route[1].weight = 100;
    const routes = sidecarRoutes(cfg);
    assert.deepEqual(routes[1].route.cluster, `outbound|80|v2|${HELLO}`);
    assert.equal(routes[1].route.weightedClusters, undefined);
  });
});

describe('VirtualService HTTP translation', () => {
  const vsWith = (http: unknown[], extra: Record<string, unknown> = {}) => [service(HELLO), res('VirtualService', 'vs', { hosts: ['hello'], http, ...extra })];

  it('translates uri, header, method, authority, query and case matches; each match entry is one route', () => {
    const routes = sidecarRoutes(
      vsWith([
        {
          match: [
            { uri: { exact: '/a' }, method: { exact: 'GET' }, ignoreUriCase: true },
            { uri: { prefix: '/b' }, headers: { 'X-User': { prefix: 'j' }, 'x-id': { regex: '[0-9]+' }, 'x-any': {} }, authority: { exact: 'h.example' } },
            { uri: { regex: '/c/.*' }, queryParams: { q: { exact: '1' }, r: { regex: 'a.*' } }, withoutHeaders: { 'x-skip': { exact: 'yes' } } },
          ],
          route: [{ destination: { host: 'hello' } }],
        },
      ]),
    );
    assert.equal(routes.length, 3);
    assert.deepEqual(routes[0].match, { path: '/a', caseSensitive: { value: false }, headers: [{ name: ':method', stringMatch: { exact: 'GET' } }] });
    assert.deepEqual(routes[1].match, {
      prefix: '/b',
      headers: [
        { name: 'x-user', stringMatch: { prefix: 'j' } },
        { name: 'x-id', stringMatch: { safeRegex: { regex: '[0-9]+' } } },
        { name: 'x-any', presentMatch: true },
        { name: ':authority', stringMatch: { exact: 'h.example' } },
      ],
    });
    assert.deepEqual(routes[2].match, {
      safeRegex: { regex: '/c/.*' },
      headers: [{ name: 'x-skip', stringMatch: { exact: 'yes' }, invertMatch: true }],
      queryParameters: [
        { name: 'q', stringMatch: { exact: '1' } },
        { name: 'r', stringMatch: { safeRegex: { regex: 'a.*' } } },
      ],
    });
    for (const r of routes) assert.equal(r.route.cluster, `outbound|80||${HELLO}`);
  });

  it("translates corsPolicy as istiod: a CorsPolicy per route (origins as StringMatchers, lists comma-joined, max age in seconds), encoded by Envoy's protos", () => {
    const [r, legacy, plain] = sidecarRoutes(
      vsWith([
        {
          match: [{ uri: { prefix: '/cors' } }],
          corsPolicy: {
            allowOrigins: [{ exact: 'https://a.example' }, { prefix: 'https://b.' }, { regex: 'https://.*\\.c\\.example' }],
            allowMethods: ['GET', 'POST'],
            allowHeaders: ['X-Foo', 'X-Bar'],
            exposeHeaders: ['X-Out'],
            maxAge: '24h',
            allowCredentials: true,
            unmatchedPreflights: 'IGNORE',
          },
          route: [{ destination: { host: 'hello' } }],
        },
        { match: [{ uri: { prefix: '/legacy' } }], corsPolicy: { allowOrigin: ['https://old.example'] }, route: [{ destination: { host: 'hello' } }] },
        { route: [{ destination: { host: 'hello' } }] },
      ]),
    );
    const wireRoute = (route: any) => {
      const rc = { name: 'x', virtualHosts: [{ name: 'v', domains: ['*'], routes: [route] }] };
      return (decodeMessage(TYPE_URLS.route, encodeMessage(TYPE_URLS.route, rc)) as any).virtualHosts[0].routes[0];
    };
    const cors = wireRoute(r).typedPerFilterConfig['envoy.filters.http.cors'];
    assert.equal(cors['@type'], CONFIG_TYPE_URLS.corsPolicy);
    assert.deepEqual(normalize(CONFIG_TYPE_URLS.corsPolicy, cors), {
      allowOriginStringMatch: [{ exact: 'https://a.example' }, { prefix: 'https://b.' }, { safeRegex: { regex: 'https://.*\\.c\\.example' } }],
      allowMethods: 'GET,POST',
      allowHeaders: 'X-Foo,X-Bar',
      exposeHeaders: 'X-Out',
      maxAge: '86400',
      allowCredentials: { value: true },
      forwardNotMatchingPreflights: { value: false },
    });
    assert.deepEqual(normalize(CONFIG_TYPE_URLS.corsPolicy, wireRoute(legacy).typedPerFilterConfig['envoy.filters.http.cors']), {
      allowOriginStringMatch: [{ exact: 'https://old.example' }],
      forwardNotMatchingPreflights: { value: true },
    });
    assert.equal(plain.typedPerFilterConfig, undefined);
  });

  it('keeps VirtualService order: first match wins, a catch-all last', () => {
    const routes = sidecarRoutes(
      vsWith([
        { name: 'api', match: [{ uri: { prefix: '/api' } }], route: [{ destination: { host: 'hello' } }] },
        { name: 'rest', route: [{ destination: { host: 'hello' } }] },
      ]),
    );
    assert.deepEqual(routes.map((r) => r.name), ['api', 'rest']);
  });

  it('translates rewrite, timeout, retries, fault, header operations and mirrors', () => {
    const [r] = sidecarRoutes([
      ...vsWith([
        {
          match: [{ uri: { prefix: '/old' } }],
          rewrite: { uri: '/new', authority: 'new.example' },
          timeout: '2.5s',
          retries: { attempts: 3, perTryTimeout: '500ms', retryOn: 'gateway-error,connect-failure,503' },
          fault: { delay: { fixedDelay: '1s', percentage: { value: 10 } }, abort: { httpStatus: 418, percentage: { value: 0.5 } } },
          headers: { request: { set: { 'x-a': '1' }, add: { 'x-b': '2' }, remove: ['x-c'] }, response: { set: { 'x-d': '4' }, remove: ['server'] } },
          mirror: { host: 'shadow' },
          mirrorPercentage: { value: 25 },
          route: [{ destination: { host: 'hello', port: { number: 80 } } }],
        },
      ]),
      service('shadow.default.svc.cluster.local'),
    ]);
    assert.equal(r.route.prefixRewrite, '/new');
    assert.equal(r.route.hostRewriteLiteral, 'new.example');
    assert.deepEqual(r.route.timeout, { seconds: 2, nanos: 500_000_000 });
    // As Istio: retries prefer hosts not tried yet (retryIgnorePreviousHosts defaults to true).
    assert.deepEqual(r.route.retryPolicy, { numRetries: { value: 3 }, retriableStatusCodes: [503], retryOn: 'gateway-error,connect-failure,retriable-status-codes', perTryTimeout: { seconds: 0, nanos: 500_000_000 }, retryHostPredicate: [{ name: 'envoy.retry_host_predicates.previous_hosts', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate' } }], hostSelectionRetryMaxAttempts: 5 });
    assert.deepEqual(r.typedPerFilterConfig['envoy.filters.http.fault'], {
      '@type': CONFIG_TYPE_URLS.fault,
      delay: { fixedDelay: { seconds: 1 }, percentage: { numerator: 100_000, denominator: 'MILLION' } },
      abort: { percentage: { numerator: 5_000, denominator: 'MILLION' }, httpStatus: 418 },
    });
    assert.deepEqual(r.requestHeadersToAdd, [
      { header: { key: 'x-a', value: '1' }, appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' },
      { header: { key: 'x-b', value: '2' }, appendAction: 'APPEND_IF_EXISTS_OR_ADD' },
    ]);
    assert.deepEqual(r.requestHeadersToRemove, ['x-c']);
    assert.deepEqual(r.responseHeadersToAdd, [{ header: { key: 'x-d', value: '4' }, appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' }]);
    assert.deepEqual(r.responseHeadersToRemove, ['server']);
    assert.deepEqual(r.route.requestMirrorPolicies, [{ cluster: 'outbound|80||shadow.default.svc.cluster.local', runtimeFraction: { defaultValue: { numerator: 250_000, denominator: 'MILLION' } } }]);
    encodeMessage('envoy.config.route.v3.Route', r);
  });

  it('applies Istio default retries and omits retries when attempts is 0', () => {
    const routes = sidecarRoutes(
      vsWith([
        { match: [{ uri: { prefix: '/a' } }], route: [{ destination: { host: 'hello' } }] },
        { retries: { attempts: 0 }, route: [{ destination: { host: 'hello' } }] },
      ]),
    );
    assert.equal(routes[0].route.retryPolicy.numRetries.value, 2);
    assert.match(routes[0].route.retryPolicy.retryOn, /connect-failure/);
    assert.equal(routes[1].route.retryPolicy, undefined);
  });

  it('translates redirects and direct responses', () => {
    const routes = sidecarRoutes(
      vsWith([
        { match: [{ uri: { exact: '/r' } }], redirect: { uri: '/elsewhere', authority: 'other.example', redirectCode: 302 } },
        { directResponse: { status: 503, body: { string: 'down' } } },
      ]),
    );
    assert.deepEqual(routes[0].redirect, { pathRedirect: '/elsewhere', hostRedirect: 'other.example', responseCode: 'FOUND' });
    assert.deepEqual(routes[1].directResponse, { status: 503, body: { inlineString: 'down' } });
  });

  it('puts per-destination header operations on weighted clusters', () => {
    const routes = sidecarRoutes(
      vsWith([
        {
          route: [
            { destination: { host: 'hello' }, weight: 60, headers: { request: { set: { 'x-w': 'a' } } } },
            { destination: { host: 'hello' }, weight: 40 },
          ],
        },
      ]),
    );
    assert.deepEqual(routes[0].route.weightedClusters.clusters[0], { name: `outbound|80||${HELLO}`, weight: { value: 60 }, requestHeadersToAdd: [{ header: { key: 'x-w', value: 'a' }, appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' }] });
  });

  it('treats weights as relative proportions (1 and 3; a lone destination of weight 0 gets everything) and refuses a total of 0', () => {
    const routes = sidecarRoutes(vsWith([{ route: [{ destination: { host: 'hello', subset: 'a' }, weight: 1 }, { destination: { host: 'hello', subset: 'b' }, weight: 3 }] }]).concat(res('DestinationRule', 'dr', { host: 'hello', subsets: [{ name: 'a', labels: { v: 'a' } }, { name: 'b', labels: { v: 'b' } }] })));
    assert.deepEqual(routes[0].route.weightedClusters.clusters.map((c: any) => [c.name, c.weight.value]), [[`outbound|80|a|${HELLO}`, 1], [`outbound|80|b|${HELLO}`, 3]]);
    assert.equal(sidecarRoutes(vsWith([{ route: [{ destination: { host: 'hello' }, weight: 0 }] }]))[0].route.cluster, `outbound|80||${HELLO}`);
    const p = push(vsWith([{ route: [{ destination: { host: 'hello' }, weight: 0 }, { destination: { host: 'hello' }, weight: 0 }] }]));
    assert.deepEqual(p.issues.filter((i) => i.category === 'invalid').map((i) => [i.field, i.message]), [['spec.http[0].route', 'the destination weights add up to 0']]);
  });

  it('keeps a sourceLabels / sourceNamespace match only in the routes of the workloads it names (proxies of one scope no longer share them)', () => {
    const p = push(vsWith([{ match: [{ sourceLabels: { app: 'sleep', version: 'v1' } }, { sourceNamespace: 'other' }], route: [{ destination: { host: 'hello' } }], name: 'from-sleep-v1' }, { route: [{ destination: { host: 'hello' } }], name: 'default' }]));
    const names = (proxy: ReturnType<typeof sidecar>) => {
      const rc = generate(p, proxy).routes.find((r: any) => r.virtualHosts.some((v: any) => v.name === `${HELLO}:80`)) as any;
      return rc.virtualHosts.find((v: any) => v.name === `${HELLO}:80`).routes.map((r: any) => r.name);
    };
    assert.deepEqual(names(capturedSidecar('10.1.0.5', { app: 'sleep', version: 'v1' })), ['from-sleep-v1', 'default']);
    assert.deepEqual(names(capturedSidecar('10.1.0.6', { app: 'sleep', version: 'v2' })), ['default']);
    assert.deepEqual(names(capturedSidecar('10.1.0.7', { app: 'other' }, 'other')), ['from-sleep-v1', 'default']);
    assert.deepEqual(p.issues.filter((i) => /source/.test(i.field ?? '')), [], 'implemented: nothing reported');
  });

  it('honours match.port and match.gateways', () => {
    const configs = [
      service(HELLO, { ports: [{ number: 80, name: 'http', protocol: 'HTTP' }, { number: 8080, name: 'http-alt', protocol: 'HTTP' }] }),
      res('VirtualService', 'vs', {
        hosts: ['hello'],
        gateways: ['mesh', 'gw'],
        http: [
          { name: 'only-8080', match: [{ port: 8080 }], route: [{ destination: { host: 'hello', port: { number: 8080 } } }] },
          { name: 'only-gw', match: [{ gateways: ['gw'] }], route: [{ destination: { host: 'hello', port: { number: 80 } } }] },
        ],
      }),
    ];
    assert.deepEqual(sidecarRoutes(configs, HELLO, 8080).map((r) => r.name), ['only-8080']);
    // No route of the VirtualService applies to port 80 from the mesh: the default route does.
    assert.deepEqual(sidecarRoutes(configs, HELLO, 80).map((r) => r.name), ['default']);
  });

  it('routes a service without a VirtualService to its cluster by default', () => {
    const routes = sidecarRoutes([service(HELLO)]);
    assert.deepEqual(routes, [
      { name: 'default', match: { prefix: '/' }, route: { cluster: `outbound|80||${HELLO}`, timeout: { seconds: 0 }, retryPolicy: { retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes', numRetries: { value: 2 }, retryHostPredicate: [{ name: 'envoy.retry_host_predicates.previous_hosts', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate' } }], hostSelectionRetryMaxAttempts: 5 } } },
    ]);
  });

  it('retryIgnorePreviousHosts false lets a retry pick any host again', () => {
    const routes = sidecarRoutes([
      service(HELLO),
      res('VirtualService', 'hello', { hosts: [HELLO], http: [{ route: [{ destination: { host: HELLO } }], retries: { attempts: 2, retryOn: '5xx', retryIgnorePreviousHosts: false } }] }),
    ]);
    assert.deepEqual(routes[0].route.retryPolicy, { numRetries: { value: 2 }, retryOn: '5xx', hostSelectionRetryMaxAttempts: 5 });
  });

  it("as Istio 1.24+: the default policy retries no status code; attempts without retryOn keep the default conditions; backoff is the base interval", () => {
    const routes = sidecarRoutes([
      service(HELLO),
      res('VirtualService', 'hello', { hosts: [HELLO], http: [{ route: [{ destination: { host: HELLO } }], retries: { attempts: 4, backoff: '250ms' } }] }),
    ]);
    assert.deepEqual(routes[0].route.retryPolicy, {
      retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
      numRetries: { value: 4 },
      retryHostPredicate: [{ name: 'envoy.retry_host_predicates.previous_hosts', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate' } }],
      hostSelectionRetryMaxAttempts: 5,
      retryBackOff: { baseInterval: { seconds: 0, nanos: 250_000_000 } },
    });
  });

  it("names the VirtualService a route came from and the DestinationRule a cluster came from (Istio's istio.config metadata, read by istioctl)", () => {
    const configs = [service(HELLO), res('DestinationRule', 'hello-dr', { host: HELLO, subsets: [{ name: 'v1', labels: { version: 'v1' } }] }), res('VirtualService', 'hello-vs', { hosts: [HELLO], http: [{ route: [{ destination: { host: HELLO, subset: 'v1' } }] }] })];
    const routes = sidecarRoutes(configs);
    assert.deepEqual(routes[0].metadata, { filterMetadata: { istio: { fields: { config: { stringValue: '/apis/networking.istio.io/v1/namespaces/default/virtual-service/hello-vs' } } } } });
    const g = generate(push(configs), sidecar());
    const cluster = g.clusters.find((c) => c.name === `outbound|80|v1|${HELLO}`);
    assert.deepEqual(cluster?.metadata, { filterMetadata: { istio: { fields: { config: { stringValue: '/apis/networking.istio.io/v1/namespaces/default/destination-rule/hello-dr' } } } } });
    // Without a DestinationRule there is nothing to name.
    assert.equal(generate(push([service(HELLO)]), sidecar()).clusters.find((c) => c.name === `outbound|80||${HELLO}`)?.metadata, undefined);
  });

  it('consistent hashing: retries keep to the hashed host (no previous_hosts) unless retryIgnorePreviousHosts is true', () => {
    const hashed = { trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } } } };
    const defaults = sidecarRoutes([service(HELLO), res('DestinationRule', 'dr', { host: HELLO, ...hashed })]);
    assert.equal(defaults[0].route.retryPolicy.retryHostPredicate, undefined);
    assert.equal(defaults[0].route.retryPolicy.numRetries.value, 2);
    const explicit = (retries: Record<string, unknown>) =>
      sidecarRoutes([service(HELLO), res('DestinationRule', 'dr', { host: HELLO, ...hashed }), res('VirtualService', 'hello', { hosts: [HELLO], http: [{ route: [{ destination: { host: HELLO } }], retries }] })])[0].route.retryPolicy;
    assert.equal(explicit({ attempts: 3, retryOn: '5xx' }).retryHostPredicate, undefined);
    assert.equal(explicit({ attempts: 3, retryOn: '5xx', retryIgnorePreviousHosts: true }).retryHostPredicate[0].name, 'envoy.retry_host_predicates.previous_hosts');
  });
});

describe('DestinationRule translation', () => {
  const clusters = (drSpec: Record<string, unknown>, svcExtra: Record<string, unknown> = {}) => {
    const p = push([service(HELLO, svcExtra), res('DestinationRule', 'dr', { host: HELLO, ...drSpec })]);
    assert.deepEqual(p.issues.filter((i) => i.category === 'invalid'), []);
    for (const proxy of [sidecar(), gateway(), grpcClient()]) assertServed(p, proxy);
    const g = generate(p, sidecar());
    return { get: (name: string) => g.byName(g.clusters, name), routes: g.routes[0] as any, push: p };
  };

  it('maps simple load balancers', () => {
    assert.equal(clusters({ trafficPolicy: { loadBalancer: { simple: 'LEAST_CONN' } } }).get(`outbound|80||${HELLO}`).lbPolicy, 'LEAST_REQUEST');
    assert.equal(clusters({ trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } }).get(`outbound|80||${HELLO}`).lbPolicy, 'RANDOM');
    // Istio's default since 1.14, also for UNSPECIFIED; proxyless gRPC clients balance round robin.
    assert.equal(clusters({}).get(`outbound|80||${HELLO}`).lbPolicy, 'LEAST_REQUEST');
    assert.equal(clusters({ trafficPolicy: { loadBalancer: { simple: 'UNSPECIFIED' } } }).get(`outbound|80||${HELLO}`).lbPolicy, 'LEAST_REQUEST');
    assert.equal(clusters({ trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } } }).get(`outbound|80||${HELLO}`).lbPolicy, 'ROUND_ROBIN');
    const p = push([service(HELLO)]);
    const proxyless = generate(p, grpcClient());
    assert.equal(proxyless.byName(proxyless.clusters, `outbound|80||${HELLO}`).lbPolicy, 'ROUND_ROBIN');
    assert.deepEqual(p.issues, []);
  });

  it('maps consistent hashing to RING_HASH/MAGLEV and puts the hash policy on routes', () => {
    const c = clusters({ trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-user', ringHash: { minimumRingSize: 2048 } } } } });
    const cl = c.get(`outbound|80||${HELLO}`);
    assert.equal(cl.lbPolicy, 'RING_HASH');
    assert.deepEqual(cl.ringHashLbConfig, { minimumRingSize: { value: '2048' } });
    const vh = c.routes.virtualHosts.find((v: any) => v.name === `${HELLO}:80`);
    assert.deepEqual(vh.routes[0].route.hashPolicy, [{ header: { headerName: 'x-user' } }]);
    const m = clusters({ trafficPolicy: { loadBalancer: { consistentHash: { httpCookie: { name: 'sid', ttl: '60s' }, maglev: { tableSize: 65537 } } } } });
    assert.equal(m.get(`outbound|80||${HELLO}`).lbPolicy, 'MAGLEV');
    const mvh = m.routes.virtualHosts.find((v: any) => v.name === `${HELLO}:80`);
    assert.deepEqual(mvh.routes[0].route.hashPolicy, [{ cookie: { name: 'sid', ttl: { seconds: 60 } } }]);
  });

  it('maps connectionPool to circuit breakers, connect timeout and upstream HTTP options', () => {
    const cl = clusters({
      trafficPolicy: {
        connectionPool: { tcp: { maxConnections: 10, connectTimeout: '3s' }, http: { http1MaxPendingRequests: 5, http2MaxRequests: 20, maxRetries: 1, maxRequestsPerConnection: 7, idleTimeout: '30s' } },
      },
    }).get(`outbound|80||${HELLO}`);
    assert.deepEqual(cl.circuitBreakers.thresholds[0], { maxConnections: { value: 10 }, maxPendingRequests: { value: 5 }, maxRequests: { value: 20 }, maxRetries: { value: 1 }, trackRemaining: true });
    assert.deepEqual(cl.connectTimeout, { seconds: 3 });
    const opts = cl.typedExtensionProtocolOptions['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
    assert.deepEqual(opts.commonHttpProtocolOptions, { maxRequestsPerConnection: { value: 7 }, idleTimeout: { seconds: 30 } });
    assert.deepEqual(opts.explicitHttpConfig, { httpProtocolOptions: {} });
  });

  it("maps useClientProtocol to Envoy's use_downstream_protocol_config (HTTP/1.1 stays HTTP/1.1, HTTP/2 stays HTTP/2)", () => {
    const cl = normalize(TYPE_URLS.cluster, clusters({ trafficPolicy: { connectionPool: { http: { useClientProtocol: true } } } }).get(`outbound|80||${HELLO}`)) as any;
    const opts = cl.typedExtensionProtocolOptions['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
    assert.deepEqual(opts.useDownstreamProtocolConfig, { httpProtocolOptions: {}, http2ProtocolOptions: {} });
    assert.equal(opts.explicitHttpConfig, undefined);
  });

  it('maps outlierDetection with only the configured detectors enforced, as Envoy spells them (consecutive_5xx)', () => {
    const cl = wire(clusters({ trafficPolicy: { outlierDetection: { consecutive5xxErrors: 3, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50, minHealthPercent: 20 } } }).get(`outbound|80||${HELLO}`));
    assert.deepEqual(cl.outlierDetection, {
      consecutive_5xx: { value: 3 },
      enforcingConsecutive_5xx: { value: 100 },
      enforcingSuccessRate: { value: 0 },
      interval: { seconds: '10' },
      baseEjectionTime: { seconds: '30' },
      maxEjectionPercent: { value: 50 },
    });
    assert.deepEqual(cl.commonLbConfig, { healthyPanicThreshold: { value: 20 } });
  });

  it("serves Istio's circuit-breaking task: the outlierDetection cluster encodes and decodes to consecutive_5xx", () => {
    // https://istio.io/latest/docs/tasks/traffic-management/circuit-breaking/
    const dr = {
      trafficPolicy: {
        connectionPool: { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 } },
        outlierDetection: { consecutive5xxErrors: 1, interval: '1s', baseEjectionTime: '3m', maxEjectionPercent: 100 },
      },
    };
    const c = clusters(dr);
    assert.deepEqual(c.push.issues, [], 'nothing in the task is unsupported');
    const cluster = c.get(`outbound|80||${HELLO}`);
    const bytes = encodeMessage(TYPE_URLS.cluster, cluster);
    const decoded = decodeMessage<Cluster__Output>(TYPE_URLS.cluster, bytes);
    assert.deepEqual(decoded.outlierDetection, {
      consecutive_5xx: { value: 1 },
      enforcingConsecutive_5xx: { value: 100 },
      enforcingSuccessRate: { value: 0 },
      interval: { seconds: '1' },
      baseEjectionTime: { seconds: '180' },
      maxEjectionPercent: { value: 100 },
    });
    assert.deepEqual(decoded.circuitBreakers?.thresholds?.[0], { maxConnections: { value: 1 }, maxPendingRequests: { value: 1 }, maxRequests: { value: 4_294_967_295 }, maxRetries: { value: 4_294_967_295 }, trackRemaining: true });
    // And it is in the snapshot a proxy is sent, not left out.
    const snap = generateSnapshot(c.push, sidecar(), { privilegedPortOffset: 8000, log: testLog });
    assert.ok(snap.type(TYPE_URLS.cluster).resources.has(`outbound|80||${HELLO}`));
    assert.deepEqual(c.push.issues, []);
  });

  it('applies port-level settings and subset overrides in Istio order', () => {
    const c = clusters(
      {
        trafficPolicy: { loadBalancer: { simple: 'RANDOM' }, portLevelSettings: [{ port: { number: 8080 }, loadBalancer: { simple: 'LEAST_REQUEST' } }] },
        subsets: [{ name: 'canary', labels: { v: '2' }, trafficPolicy: { connectionPool: { tcp: { maxConnections: 1 } } } }, { name: 'rr', labels: { v: '3' }, trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } } }],
      },
      { ports: [{ number: 80, name: 'http', protocol: 'HTTP' }, { number: 8080, name: 'grpc', protocol: 'GRPC' }] },
    );
    assert.equal(c.get(`outbound|80||${HELLO}`).lbPolicy, 'RANDOM');
    assert.equal(c.get(`outbound|8080||${HELLO}`).lbPolicy, 'LEAST_REQUEST');
    assert.equal(c.get(`outbound|80|canary|${HELLO}`).lbPolicy, 'RANDOM', 'a subset inherits what it does not override');
    assert.equal(c.get(`outbound|80|canary|${HELLO}`).circuitBreakers.thresholds[0].maxConnections.value, 1);
    assert.equal(c.get(`outbound|8080|rr|${HELLO}`).lbPolicy, 'ROUND_ROBIN');
    // gRPC ports talk HTTP/2 upstream.
    assert.deepEqual(c.get(`outbound|8080||${HELLO}`).typedExtensionProtocolOptions['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].explicitHttpConfig, { http2ProtocolOptions: {} });
  });

  it('reports consistent hashing other than on a header for proxyless gRPC clients, which hash only on headers (gRFC A42)', () => {
    const warnings = (consistentHash: Record<string, unknown>) =>
      clusters({ trafficPolicy: { loadBalancer: { consistentHash } } })
        .push.issues.filter((i) => i.field === 'spec.trafficPolicy.loadBalancer.consistentHash')
        .map((i) => i.message);
    for (const ch of [{ httpCookie: { name: 'user', ttl: '60s' } }, { useSourceIp: true }, { httpQueryParameterName: 'u' }]) {
      assert.deepEqual(warnings(ch), ['proxyless gRPC clients hash only on httpHeaderName: with this policy each RPC goes to a random endpoint of the ring'], JSON.stringify(ch));
    }
    assert.deepEqual(warnings({ httpHeaderName: 'x-user' }), []);
  });

  it('originates TLS for mode SIMPLE with SNI, CA and subjectAltNames, and ISTIO_MUTUAL with the workload certificate (proxyless clients: reported)', () => {
    const c = clusters({
      trafficPolicy: { tls: { mode: 'SIMPLE', sni: 'api.example.com', caCertificates: '/etc/ca.pem', subjectAltNames: ['api.example.com'] } },
      subsets: [{ name: 'm', labels: { a: 'b' }, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } }],
    });
    const ts = wire(c.get(`outbound|80||${HELLO}`)).transportSocket!;
    assert.equal(ts.name, 'envoy.transport_sockets.tls');
    assert.deepEqual(normalize(CONFIG_TYPE_URLS.upstreamTlsContext, c.get(`outbound|80||${HELLO}`).transportSocket.typedConfig), {
      sni: 'api.example.com',
      commonTlsContext: { validationContext: { trustedCa: { filename: '/etc/ca.pem' }, matchSubjectAltNames: [{ exact: 'api.example.com' }] } },
    });
    const mutual = normalize(CONFIG_TYPE_URLS.upstreamTlsContext, c.get(`outbound|80|m|${HELLO}`).transportSocket.typedConfig);
    assert.equal(mutual.sni, `outbound_.80_.m_.${HELLO}`);
    assert.deepEqual(mutual.commonTlsContext.tlsCertificateSdsSecretConfigs.map((s: any) => s.name), ['default']);
    const mine = c.push.issues.filter((i) => !/not implemented/.test(i.message)).map((i) => [i.severity, i.category, i.field, i.message]);
    assert.deepEqual(mine.sort(), [
      ['error', 'unsupported', 'spec.subsets[0].trafficPolicy.tls.mode', 'Istio mutual TLS is not sent to proxyless gRPC clients: their traffic to this host is plaintext'],
      ['error', 'unsupported', 'spec.trafficPolicy.tls.mode', 'TLS origination is not sent to proxyless gRPC clients: their traffic to this host is plaintext'],
    ]);
  });

  it('reports TLS origination without a CA, with credentialName, and to proxyless clients as errors; a credentialName cluster fails closed', () => {
    const c = clusters({ trafficPolicy: { tls: { mode: 'SIMPLE' } }, subsets: [{ name: 'cred', labels: { a: 'b' }, trafficPolicy: { tls: { mode: 'SIMPLE', credentialName: 'secret' } } }] });
    assert.ok(c.get(`outbound|80||${HELLO}`).transportSocket, 'TLS is still originated');
    const cred = c.get(`outbound|80|cred|${HELLO}`);
    assert.deepEqual(wire(cred), { name: `outbound|80|cred|${HELLO}`, type: 'STATIC', connectTimeout: { seconds: '10' } }, 'no endpoints and no plaintext: traffic to it fails');
    const g = generate(c.push, grpcClient());
    assert.equal(g.byName(g.clusters, `outbound|80|cred|${HELLO}`), undefined, 'left out for proxyless clients (their xDS client takes EDS clusters only)');
    assert.ok(g.byName(g.clusters, `outbound|80||${HELLO}`));
    const fields = c.push.issues.map((i) => [i.severity, i.field]);
    for (const f of ['spec.trafficPolicy.tls.caCertificates', 'spec.subsets[0].trafficPolicy.tls.credentialName', 'spec.trafficPolicy.tls.mode']) assert.ok(fields.some(([sev, x]) => sev === 'error' && x === f), f);
    assert.ok(c.push.issues.some((i) => i.field === 'spec.subsets[0].trafficPolicy.tls.credentialName' && /served without endpoints/.test(i.message)));
    assert.ok(c.push.issues.some((i) => i.field === 'spec.trafficPolicy.tls.mode' && /not sent to proxyless gRPC clients: their traffic to this host is plaintext/.test(i.message)));
  });
});

describe('ServiceEntry and WorkloadEntry translation', () => {
  it('uses the WorkloadEntry port for the service port name, weights and localities', () => {
    const p = push([
      res('ServiceEntry', 'api', { hosts: ['api.example.internal'], resolution: 'STATIC', ports: [{ number: 80, name: 'http', protocol: 'HTTP', targetPort: 8000 }], workloadSelector: { labels: { app: 'api' } } }),
      res('WorkloadEntry', 'a', { address: '10.0.0.1', ports: { http: 9000 }, labels: { app: 'api' }, weight: 3, locality: 'eu/zone-a' }),
      res('WorkloadEntry', 'b', { address: '10.0.0.2', labels: { app: 'api' } }),
      res('WorkloadEntry', 'other-ns', { address: '10.0.0.3', labels: { app: 'api' } }, 'elsewhere'),
    ]);
    const g = generate(p, sidecar());
    const cla = g.byName(g.endpoints, 'outbound|80||api.example.internal');
    assert.deepEqual(cla.endpoints, [
      { locality: { region: 'eu', zone: 'zone-a' }, lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '10.0.0.1', portValue: 9000 } } }, loadBalancingWeight: { value: 3 } }], loadBalancingWeight: { value: 3 } },
      { locality: {}, lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '10.0.0.2', portValue: 8000 } } } }], loadBalancingWeight: { value: 1 } },
    ]);
  });

  it('uses inline endpoints, and DNS / DNS_ROUND_ROBIN / NONE cluster types', () => {
    const p = push([
      res('ServiceEntry', 'inline', { hosts: ['inline.example'], resolution: 'STATIC', ports: [{ number: 81, name: 'http' }], endpoints: [{ address: '10.1.1.1' }, { address: '10.1.1.2', ports: { http: 8181 } }] }),
      res('ServiceEntry', 'dns', { hosts: ['api.external.com'], location: 'MESH_EXTERNAL', resolution: 'DNS', ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }] }),
      res('ServiceEntry', 'logical', { hosts: ['one.external.com'], resolution: 'DNS_ROUND_ROBIN', ports: [{ number: 80, name: 'http' }], endpoints: [{ address: 'a.external.com' }, { address: 'b.external.com' }] }),
      res('ServiceEntry', 'none', { hosts: ['passthrough.example'], resolution: 'NONE', ports: [{ number: 9000, name: 'tcp', protocol: 'TCP' }] }),
    ]);
    assert.deepEqual(p.issues, []);
    const g = generate(p, sidecar());
    assert.deepEqual(ports(g.byName(g.endpoints, 'outbound|81||inline.example')), [81, 8181]);
    const dns = g.byName(g.clusters, 'outbound|443||api.external.com');
    assert.equal(dns.type, 'STRICT_DNS');
    assert.deepEqual(dns.loadAssignment.endpoints[0].lbEndpoints, [{ endpoint: { address: { socketAddress: { address: 'api.external.com', portValue: 443 } } } }]);
    const logical = g.byName(g.clusters, 'outbound|80||one.external.com');
    assert.equal(logical.type, 'LOGICAL_DNS');
    assert.equal(logical.loadAssignment.endpoints[0].lbEndpoints.length, 1);
    const none = g.byName(g.clusters, 'outbound|9000||passthrough.example');
    assert.equal(none.type, 'ORIGINAL_DST');
    assert.equal(none.lbPolicy, 'CLUSTER_PROVIDED');
    // Only STATIC services have EDS assignments; HTTPS/TCP ports get no HTTP virtual host.
    assert.deepEqual((g.endpoints as any[]).map((e) => e.clusterName), ['outbound|81||inline.example']);
    const rc = g.routes[0] as any;
    assert.ok(!rc.virtualHosts.some((v: any) => v.name.startsWith('api.external.com')));
  });

  it('keeps a ServiceEntry short host as written (`localhost`, as Istio does), not expanded with the namespace', () => {
    const p = push([res('ServiceEntry', 'local', { hosts: ['localhost'], location: 'MESH_EXTERNAL', resolution: 'NONE', ports: [{ number: 8080, name: 'http', protocol: 'HTTP' }] }, 'foo')]);
    assert.deepEqual(p.issues, []);
    const g = generate(p, sidecar());
    assert.equal(g.byName(g.clusters, 'outbound|8080||localhost').type, 'ORIGINAL_DST');
    assert.equal(g.byName(g.clusters, 'outbound|8080||localhost.foo.svc.cluster.local'), undefined);
  });
});

describe('Gateway translation', () => {
  it('selects gateways by LABELS, resolves short gateway names and restricts hosts by namespace', () => {
    const configs = [
      service(HELLO),
      res('Gateway', 'gw', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 8443, name: 'http', protocol: 'HTTP' }, hosts: ['team/*.example.com', '*/open.example.com'] }] }, 'istio-system'),
      res('VirtualService', 'ok', { hosts: ['a.example.com'], gateways: ['istio-system/gw'], http: [{ route: [{ destination: { host: HELLO } }] }] }, 'team'),
      res('VirtualService', 'wrong-ns', { hosts: ['b.example.com'], gateways: ['istio-system/gw'], http: [{ route: [{ destination: { host: HELLO } }] }] }, 'default'),
      res('VirtualService', 'open', { hosts: ['open.example.com'], gateways: ['istio-system/gw'], http: [{ route: [{ destination: { host: HELLO } }] }] }, 'default'),
      res('VirtualService', 'short', { hosts: ['c.example.com'], gateways: ['gw'], http: [{ route: [{ destination: { host: HELLO } }] }] }, 'istio-system'),
    ];
    const p = push(configs);
    assert.equal(generate(p, gateway({ istio: 'other' })).listeners.length, 0);
    const g = generate(p, gateway());
    assert.deepEqual(g.listeners.map((l: any) => [l.name, l.address.socketAddress.portValue]), [['0.0.0.0_8443', 8443]]);
    const rc = g.byName(g.routes, 'http.8443');
    assert.deepEqual(rc.virtualHosts.map((v: any) => v.name).sort(), ['a.example.com:8443', 'open.example.com:8443']);
  });

  it('answers 404 through a blackhole virtual host when no VirtualService binds the gateway', () => {
    const p = push([res('Gateway', 'gw', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] })]);
    const g = generate(p, gateway());
    assert.deepEqual(g.byName(g.routes, 'http.80').virtualHosts, [{ name: 'blackhole:80', domains: ['*'], routes: [{ name: 'blackhole', match: { prefix: '/' }, directResponse: { status: 404 } }], includeRequestAttemptCount: true }]);
  });

  it('builds tcp_proxy listeners with weighted clusters for TCP servers', () => {
    const p = push([
      res('ServiceEntry', 'db', { hosts: ['db.default.svc.cluster.local'], resolution: 'STATIC', ports: [{ number: 5432, name: 'tcp', protocol: 'TCP' }], endpoints: [{ address: '10.0.0.9', labels: { v: '1' } }] }),
      res('DestinationRule', 'db', { host: 'db', subsets: [{ name: 'a', labels: { v: '1' } }, { name: 'b', labels: { v: '2' } }] }),
      res('Gateway', 'gw', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 5432, name: 'tcp', protocol: 'TCP' }, hosts: ['*'] }] }),
      res('VirtualService', 'db', { hosts: ['*'], gateways: ['gw'], tcp: [{ match: [{ port: 5432 }], route: [{ destination: { host: 'db', subset: 'a' }, weight: 70 }, { destination: { host: 'db', subset: 'b' }, weight: 30 }] }] }),
    ]);
    const g = generate(p, gateway());
    const l = g.byName(g.listeners, '0.0.0.0_5432');
    assert.deepEqual(l.filterChains[0].filters[0].typedConfig, {
      '@type': CONFIG_TYPE_URLS.tcpProxy,
      statPrefix: 'outbound_0.0.0.0_5432',
      weightedClusters: { clusters: [{ name: 'outbound|5432|a|db.default.svc.cluster.local', weight: 70 }, { name: 'outbound|5432|b|db.default.svc.cluster.local', weight: 30 }] },
    });
    normalize(TYPE_URLS.listener, l);
  });
});

describe('proxyless gRPC clients', () => {
  it('get api_listeners named <host>:<port>, a route config each, EDS clusters with gRPC-supported policies', () => {
    const cfg = [...sampleConfig(), res('DestinationRule', 'lr', { host: 'other.default.svc.cluster.local', trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } } }), service('other.default.svc.cluster.local')];
    const p = push(cfg);
    const g = generate(p, grpcClient());
    const l = g.byName(g.listeners, `${HELLO}:80`);
    assert.deepEqual(l.apiListener.apiListener.rds.routeConfigName, `${HELLO}:80`);
    assert.deepEqual(l.apiListener.apiListener.httpFilters.map((f: any) => f.name), ['envoy.filters.http.fault', 'envoy.filters.http.router']);
    assert.ok(g.byName(g.listeners, HELLO), 'single-port services also answer the bare host');
    const rc = g.byName(g.routes, `${HELLO}:80`);
    assert.equal(rc.virtualHosts[0].routes[0].route.cluster, `outbound|80|v2|${HELLO}`);
    assert.equal(rc.virtualHosts[0].routes[0].route.retryPolicy, undefined, 'no implicit retries for gRPC clients');
    assert.equal(g.byName(g.clusters, 'outbound|80||other.default.svc.cluster.local').lbPolicy, 'ROUND_ROBIN');
    assert.equal(g.byName(g.clusters, 'PassthroughCluster'), undefined);
    // What gRPC clients do not get is said, not dropped silently.
    assert.deepEqual(
      p.issues.map((i) => [i.kind, i.name, i.field, i.severity, i.category, i.message]),
      [['DestinationRule', 'lr', 'spec.trafficPolicy.loadBalancer', 'warning', 'unsupported', 'LEAST_REQUEST is not sent to proxyless gRPC clients; they use ROUND_ROBIN']],
    );
  });

  it('get a VirtualService fault (abort with grpcStatus, delay) on the route, as gRPC\'s xDS client applies it, without a report', () => {
    const cfg = [
      ...sampleConfig().filter((r) => !(r.kind === 'VirtualService' && ((r.spec as { hosts?: string[] }).hosts ?? []).includes(HELLO))),
      res('VirtualService', 'faulty', {
        hosts: [HELLO],
        http: [{ route: [{ destination: { host: HELLO } }], fault: { abort: { grpcStatus: 'UNAVAILABLE', percentage: { value: 50 } }, delay: { fixedDelay: '2s', percentage: { value: 100 } } } }],
      }),
    ];
    const p = push(cfg);
    const rc = generate(p, grpcClient()).byName(generate(p, grpcClient()).routes, `${HELLO}:80`);
    const fault = normalize(CONFIG_TYPE_URLS.fault, rc.virtualHosts[0].routes[0].typedPerFilterConfig['envoy.filters.http.fault']);
    assert.equal(fault.abort.grpcStatus, 14);
    assert.deepEqual(fault.abort.percentage, { numerator: 500000, denominator: 'MILLION' });
    assert.equal(Number(fault.delay.fixedDelay.seconds), 2);
    assert.deepEqual(p.issues.filter((i) => i.name === 'faulty'), []);
  });
});

describe('bad input that got past galley', () => {
  it('skips the resource it cannot translate, names kind/namespace/name/field, and still serves the rest', () => {
    const cfg = [
      ...sampleConfig(),
      res('VirtualService', 'bad-regex', { hosts: ['x.example.com'], gateways: ['hello-gateway'], http: [{ match: [{ uri: { regex: '(' } }], route: [{ destination: { host: HELLO } }] }] }),
      res('VirtualService', 'no-action', { hosts: ['y.example.com'], gateways: ['hello-gateway'], http: [{ match: [{ uri: { prefix: '/' } }] }] }),
      res('ServiceEntry', 'no-ports', { hosts: ['z.example.com'], resolution: 'STATIC' }),
      res('DestinationRule', 'bad-lb', { host: 'z.example.com', trafficPolicy: { loadBalancer: { simple: 'FASTEST' } } }),
      res('WorkloadEntry', 'bad-port', { address: '10.0.0.1', ports: { http: 'eighty' } }),
      res('Gateway', 'bad-gw', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 99999, protocol: 'HTTP' }, hosts: ['*'] }] }),
    ];
    const p = push(cfg);
    const errors = p.issues.filter((i) => i.category === 'invalid').map((i) => `${i.kind} ${i.namespace}/${i.name} ${i.field}`);
    assert.deepEqual(errors.sort(), [
      'DestinationRule default/bad-lb spec.trafficPolicy.loadBalancer.simple',
      'Gateway default/bad-gw spec.servers[0].port.number',
      'ServiceEntry default/no-ports spec.ports',
      'VirtualService default/bad-regex spec.http[0].match[0].uri.regex',
      'VirtualService default/no-action spec.http[0]',
      'WorkloadEntry default/bad-port spec.ports.http',
    ]);
    const g = generate(p, gateway());
    const rc = g.byName(g.routes, 'http.80');
    assert.deepEqual(rc.virtualHosts.map((v: any) => v.name), ['hello.example.com:80', `${HELLO}:80`]);
    const snap = generateSnapshot(p, gateway(), { privilegedPortOffset: 8000, log: testLog });
    assert.deepEqual(snap.consistencyErrors(), []);
  });
});

describe('HTTP connection manager settings', () => {
  const hcmOf = (g: ReturnType<typeof generate>, name: string) => g.byName(g.listeners, name).filterChains[0].filters[0].typedConfig;

  it("applies mesh config pathNormalization to sidecar and gateway listeners (BASE when unset), as Istio's mapping says", () => {
    const cases: Array<[string | undefined, Record<string, unknown>]> = [
      [undefined, { normalizePath: { value: true } }],
      ['DEFAULT', { normalizePath: { value: true } }],
      ['NONE', {}],
      ['BASE', { normalizePath: { value: true } }],
      ['MERGE_SLASHES', { normalizePath: { value: true }, mergeSlashes: true }],
      ['DECODE_AND_MERGE_SLASHES', { normalizePath: { value: true }, mergeSlashes: true, pathWithEscapedSlashesAction: 'UNESCAPE_AND_FORWARD' }],
    ];
    for (const [mode, expected] of cases) {
      const p = push(sampleConfig(), mode ? { pathNormalization: { normalization: mode } } : {});
      assert.deepEqual(p.issues, []);
      for (const [proxy, listener] of [[sidecar(), 'virtualOutbound'], [gateway(), '0.0.0.0_80']] as const) {
        const hcm = hcmOf(generate(p, proxy), listener);
        const got = normalize(CONFIG_TYPE_URLS.httpConnectionManager, hcm);
        const picked = Object.fromEntries(['normalizePath', 'mergeSlashes', 'pathWithEscapedSlashesAction'].filter((k) => got[k] !== undefined).map((k) => [k, got[k]]));
        assert.deepEqual(picked, expected, `${mode} on ${listener}`);
      }
      // gRPC's xDS client ignores these: proxyless api_listeners do not get them.
      const api = generate(p, grpcClient()).byName(generate(p, grpcClient()).listeners, `${HELLO}:80`).apiListener.apiListener;
      assert.equal(api.normalizePath, undefined);
      assert.equal(api.mergeSlashes, undefined);
    }
  });

  it('reports an invalid pathNormalization against the mesh config and uses BASE', () => {
    const p = push(sampleConfig(), { pathNormalization: { normalization: 'SLASHES' } });
    assert.deepEqual(
      p.issues.map((i) => [i.kind, i.name, i.field, i.severity, i.category]),
      [['MeshConfig', 'mesh', 'pathNormalization.normalization', 'error', 'invalid']],
    );
    assert.deepEqual(hcmOf(generate(p, sidecar()), 'virtualOutbound').normalizePath, { value: true });
  });

  it('keeps useRemoteAddress on gateways only, and accepts HTTP/1.0 for proxies with metadata HTTP10=1', () => {
    const p = push(sampleConfig());
    assert.deepEqual(hcmOf(generate(p, gateway()), '0.0.0.0_80').useRemoteAddress, { value: true });
    assert.equal(hcmOf(generate(p, sidecar()), 'virtualOutbound').useRemoteAddress, undefined);
    assert.equal(hcmOf(generate(p, sidecar()), 'virtualOutbound').httpProtocolOptions, undefined);
    const http10 = hcmOf(generate(p, sidecar({ HTTP10: '1' })), 'virtualOutbound');
    assert.deepEqual(normalize(CONFIG_TYPE_URLS.httpConnectionManager, http10).httpProtocolOptions, { acceptHttp_10: true });
  });

  it("gives gateways Istio's numTrustedProxies as xff_num_trusted_hops: the mesh default, overridden by the gateway's PROXY_CONFIG", () => {
    const gatewayWith = (proxyConfig: unknown) => gateway(undefined, { PROXY_CONFIG: proxyConfig });
    const none = push(sampleConfig());
    assert.equal(hcmOf(generate(none, gateway()), '0.0.0.0_80').xffNumTrustedHops, undefined);
    const mesh = push(sampleConfig(), { defaultConfig: { gatewayTopology: { numTrustedProxies: 2 } } });
    assert.deepEqual(mesh.issues, []);
    const hcm = hcmOf(generate(mesh, gateway()), '0.0.0.0_80');
    assert.equal(normalize(CONFIG_TYPE_URLS.httpConnectionManager, hcm).xffNumTrustedHops, 2);
    assert.equal(hcmOf(generate(mesh, sidecar()), 'virtualOutbound').xffNumTrustedHops, undefined, 'sidecars never trust XFF hops');
    // The pod's proxy.istio.io/config, as JSON text (Istio's agent env) or an object.
    assert.equal(hcmOf(generate(mesh, gatewayWith('{"gatewayTopology":{"numTrustedProxies":1}}')), '0.0.0.0_80').xffNumTrustedHops, 1);
    assert.equal(hcmOf(generate(mesh, gatewayWith({ gatewayTopology: { numTrustedProxies: 0 } })), '0.0.0.0_80').xffNumTrustedHops, undefined);
    // A bad value in the gateway's own config: logged as an error, and the mesh default applies.
    const errors: string[] = [];
    const r = generateResources(mesh, gatewayWith({ gatewayTopology: { numTrustedProxies: -1 } }), { privilegedPortOffset: 8000, log: { error: (m) => errors.push(m) } });
    assert.match(errors.join('\n'), /PROXY_CONFIG\.gatewayTopology\.numTrustedProxies: -1 is not a whole number.*using the mesh default 2/);
    const listener = r.listeners.find((l) => l.name === '0.0.0.0_80');
    assert.equal((listener?.filterChains?.[0].filters?.[0].typedConfig as { xffNumTrustedHops?: number }).xffNumTrustedHops, 2);
    const bad = push(sampleConfig(), { defaultConfig: { gatewayTopology: { numTrustedProxies: 'two' } } });
    assert.deepEqual(
      bad.issues.map((i) => [i.kind, i.field, i.severity]),
      [['MeshConfig', 'defaultConfig.gatewayTopology.numTrustedProxies', 'error']],
    );
  });
});

describe('nothing is silently dropped', () => {
  it('reports fields the mesh does not implement as issues, with the same kind/namespace/name/field/message galley validate prints', () => {
    const p = push([
      service(HELLO),
      res('VirtualService', 'localities', { hosts: ['hello'], http: [{ retries: { attempts: 2, retryRemoteLocalities: true }, route: [{ destination: { host: 'hello' } }] }] }),
      res('AuthorizationPolicy', 'ext-authz', { targetRef: { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }, rules: [{}] }),
    ]);
    assert.deepEqual(
      p.issues.map((i) => ({ ...i })),
      [
        {
          kind: 'VirtualService',
          namespace: 'default',
          name: 'localities',
          field: 'spec.http[0].retries.retryRemoteLocalities',
          message: 'retryRemoteLocalities is not implemented: retries may go to any locality',
          severity: 'warning',
          category: 'unsupported',
        },
        {
          kind: 'AuthorizationPolicy',
          namespace: 'default',
          name: 'ext-authz',
          field: 'spec.targetRef',
          message: 'targetRef is not implemented: the policy would not apply to what it targets',
          severity: 'error',
          category: 'unsupported',
        },
      ],
    );
  });

  it('a cluster that cannot be encoded (the old consecutive5xx bug) is an error issue of its DestinationRule field, counted in pilot_total_xds_internal_errors; the rest is served', async () => {
    const p = push([service(HELLO), res('DestinationRule', 'cb', { host: HELLO, trafficPolicy: { outlierDetection: { consecutive5xxErrors: 1 } } })]);
    const before = await internalErrorCount('CDS');
    const cluster = generate(p, sidecar()).byName(generate(p, sidecar()).clusters, `outbound|80||${HELLO}`);
    // What pilot used to build: a field name that is not in Envoy's proto (protobufjs spells it consecutive_5xx).
    cluster.outlierDetection = { consecutive5xx: { value: 1 } };
    const snap = generateSnapshot(p, sidecar(), { privilegedPortOffset: 8000, log: testLog });
    assert.ok(!snap.type(TYPE_URLS.cluster).resources.has(`outbound|80||${HELLO}`));
    assert.ok(snap.type(TYPE_URLS.cluster).resources.has('PassthroughCluster'));
    assert.deepEqual(
      p.issues.map((i) => [i.kind, i.namespace, i.name, i.field, i.severity, i.category]),
      [['DestinationRule', 'default', 'cb', 'spec.trafficPolicy.outlierDetection', 'error', 'internal']],
    );
    assert.match(p.issues[0].message, /^CDS outbound\|80\|\|hello\.default\.svc\.cluster\.local built from this could not be encoded as an Envoy message and is not served: .*outlierDetection\.consecutive5xx: unknown field/);
    assert.equal(await internalErrorCount('CDS'), before + 1);
  });

  it('a route that cannot be encoded is left out of its route table (reported against its VirtualService route); the table is still served', () => {
    const p = push(sampleConfig());
    // The sidecar's outbound_http is built once per push and shared: break the canary route in it.
    const g = generate(p, sidecar());
    const vh = g.byName(g.routes, 'outbound_http').virtualHosts.find((v: any) => v.name === `${HELLO}:80`);
    assert.equal(vh.routes[0].name, 'canary-header');
    vh.routes[0].route.timeout = { seconds: 'soon' };
    const snap = generateSnapshot(p, sidecar(), { privilegedPortOffset: 8000, log: testLog });
    const served = snap.type(TYPE_URLS.route).resources.get('outbound_http')!.resource;
    assert.deepEqual(served.virtualHosts.find((v: any) => v.name === `${HELLO}:80`).routes.map((r: any) => r.name), ['weighted']);
    assert.equal(served.virtualHosts.at(-1).name, 'allow_any');
    assert.deepEqual(p.issues.map((i) => [i.kind, i.name, i.field, i.severity, i.category]), [['VirtualService', 'hello', 'spec.http[0]', 'error', 'internal']]);
    assert.match(p.issues[0].message, /^route "canary-header" of outbound_http \(virtual host hello\.default\.svc\.cluster\.local:80\) built from this could not be encoded as an Envoy message and is left out of the route table: .*timeout\.seconds/);
  });
});

async function internalErrorCount(type: string): Promise<number> {
  const { registry } = await import('@mesh/telemetry');
  const m = await registry.getSingleMetric('pilot_total_xds_internal_errors')?.get();
  return m?.values.find((v) => v.labels.type === type)?.value ?? 0;
}
