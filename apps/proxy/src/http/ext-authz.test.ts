// Envoy's ext_authz (HTTP and network filters) as pilot configures it for an
// AuthorizationPolicy CUSTOM: the shadow RBAC filter marks the requests the
// policy selects, the ext_authz filter asks the authorizer only about those.
// The authorizer is the sample one (samples/ext-authz, a real process behind
// a real cluster) or small servers of this file that misbehave on purpose.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { decodeMessage, messageType, normalize } from '@mesh/xds';
import type { CheckRequest__Output, CheckResponse } from '@mesh/xds';
import { freePort, startProcess, type ManagedProcess } from '@mesh/testing';
import net from 'node:net';
import { SnapshotCompiler, snapshotFromResources } from '../config/snapshot-compiler.ts';
import { compileHttpRbac } from '../config/rbac-config.ts';
import { checkHttpRbac, type DynamicMetadata } from './rbac.ts';
import { FAULT, filterTestListener, TCP_PROXY_TYPE, exchange, startHarness, startRecorder, staticCluster, type Harness, type Recorder } from '../listener/listener-test-harness.ts';

type Json = Record<string, unknown>;
const HTTP_RBAC_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC';
const NETWORK_RBAC_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC';
const EXT_AUTHZ_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz';
const NETWORK_EXT_AUTHZ_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.ext_authz.v3.ExtAuthz';
const POLICY = 'istio-ext-authz-ns[foo]-policy[ext-authz]-rule[0]';
const SHADOW_KEY = 'istio_ext_authz_shadow_effective_policy_id';
const DENIED_BODY = 'denied by ext_authz for not found header `x-ext-authz: allow` in the request';

/** Istio's CUSTOM shadow filter: the policy's rules (here: paths under /protected) as DENY shadow rules. */
function shadowRbac(prefix = '/protected'): Json {
  return {
    name: 'envoy.filters.http.rbac',
    typedConfig: {
      '@type': HTTP_RBAC_TYPE,
      shadowRules: { action: 'DENY', policies: { [POLICY]: { permissions: [{ urlPath: { path: { prefix } } }], principals: [{ any: true }] } } },
      shadowRulesStatPrefix: 'istio_ext_authz_',
    },
  };
}

const enabledMetadata = (filter: string) => ({ filter, path: [{ key: SHADOW_KEY }], value: { stringMatch: { prefix: 'istio-ext-authz' } } });
const exact = (h: string) => ({ exact: h, ignoreCase: true });

function httpService(cluster: string, extra: Json = {}, timeoutMs = 2000): Json {
  return {
    serverUri: { uri: 'http://ext-authz.foo.svc.cluster.local:8000', cluster, timeout: { nanos: (timeoutMs % 1000) * 1e6, seconds: Math.floor(timeoutMs / 1000) } },
    authorizationRequest: { allowedHeaders: { patterns: [exact('x-ext-authz')] } },
    authorizationResponse: {
      allowedUpstreamHeaders: { patterns: [exact('x-ext-authz-check-result')] },
      allowedClientHeaders: { patterns: [exact('x-ext-authz-check-result')] },
    },
    ...extra,
  };
}

function extAuthz(config: Json): Json {
  return {
    name: 'envoy.filters.http.ext_authz',
    typedConfig: { '@type': EXT_AUTHZ_TYPE, transportApiVersion: 'V3', filterEnabledMetadata: enabledMetadata('envoy.filters.http.rbac'), statusOnError: { code: 'Forbidden' }, ...config },
  };
}


function tcpListener(name: string, filters: Json[]): Json {
  return normalize('envoy.config.listener.v3.Listener', {
    name,
    address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
    filterChains: [{ filters: [...filters, { name: 'envoy.filters.network.tcp_proxy', typedConfig: { '@type': TCP_PROXY_TYPE, statPrefix: name, cluster: 'echo' } }] }],
  });
}

function networkShadow(match: boolean): Json {
  return {
    name: 'envoy.filters.network.rbac',
    typedConfig: {
      '@type': NETWORK_RBAC_TYPE,
      statPrefix: 'tcp.',
      shadowRules: { action: 'DENY', policies: { [POLICY]: { permissions: [match ? { any: true } : { destinationPort: 1 }], principals: [{ any: true }] } } },
      shadowRulesStatPrefix: 'istio_ext_authz_',
    },
  };
}

function networkExtAuthz(cluster: string, extra: Json = {}): Json {
  return {
    name: 'envoy.filters.network.ext_authz',
    typedConfig: {
      '@type': NETWORK_EXT_AUTHZ_TYPE,
      statPrefix: 'tcp.',
      transportApiVersion: 'V3',
      grpcService: { envoyGrpc: { clusterName: cluster, authority: 'ext-authz.foo.svc.cluster.local' }, timeout: { seconds: 2 } },
      filterEnabledMetadata: enabledMetadata('envoy.filters.network.rbac'),
      ...extra,
    },
  };
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: body === undefined ? 'GET' : 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A gRPC authorizer of this test: answers each CheckRequest with `answer(request)`, and remembers them. */
async function startGrpcAuthorizer(answer: (r: CheckRequest__Output) => CheckResponse): Promise<{ port: number; seen: CheckRequest__Output[]; close(): Promise<void> }> {
  const rq = messageType('envoy.service.auth.v3.CheckRequest');
  const rs = messageType('envoy.service.auth.v3.CheckResponse');
  const seen: CheckRequest__Output[] = [];
  const server = new grpc.Server();
  server.addService(
    {
      Check: {
        path: '/envoy.service.auth.v3.Authorization/Check',
        requestStream: false,
        responseStream: false,
        requestSerialize: (v: object) => Buffer.from(rq.encode(rq.fromObject(v)).finish()),
        requestDeserialize: (b: Buffer) => decodeMessage<CheckRequest__Output>('envoy.service.auth.v3.CheckRequest', b),
        responseSerialize: (v: CheckResponse) => Buffer.from(rs.encode(rs.fromObject(v)).finish()),
        responseDeserialize: (b: Buffer) => b,
      },
    },
    {
      Check: (call: grpc.ServerUnaryCall<CheckRequest__Output, CheckResponse>, cb: grpc.sendUnaryData<CheckResponse>) => {
        seen.push(call.request);
        cb(null, answer(call.request));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { port, seen, close: () => new Promise<void>((r) => server.tryShutdown(() => r())) };
}

describe('ext_authz', () => {
  let h: Harness;
  let authz: ManagedProcess;
  let app: http.Server;
  let echo: Recorder;
  let hang: http.Server;
  let huge: http.Server;
  let allowAll: Awaited<ReturnType<typeof startGrpcAuthorizer>>;
  const seenByApp: Array<{ path: string; headers: http.IncomingHttpHeaders; body: string }> = [];
  let hangRequests = 0;

  before(async () => {
    authz = startProcess('ext-authz', 'samples/ext-authz/src/main.ts', ['--http-port', '0', '--grpc-port', '0', '--host', '127.0.0.1']);
    app = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seenByApp.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
        res.end('app says hi');
      });
    });
    // Never answers: the call must time out.
    hang = http.createServer(() => hangRequests++);
    // Denies with a body far over the cap.
    huge = http.createServer((_req, res) => {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end(Buffer.alloc(1024 * 1024, 'x'));
    });
    for (const s of [app, hang, huge]) await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    echo = await startRecorder({ echo: true });
    allowAll = await startGrpcAuthorizer(() => ({ status: { code: 0 } }));
    const listening = await authz.waitForLine((l) => l.msg === 'listening', 20_000);
    const port = (s: http.Server) => (s.address() as { port: number }).port;
    const down = await freePort();
    h = startHarness();
    await h.apply({
      clusters: [
        staticCluster('app', port(app)),
        staticCluster('echo', echo.port),
        staticCluster('outbound|8000||ext-authz.foo.svc.cluster.local', listening.http_port as number),
        staticCluster('outbound|9000||ext-authz.foo.svc.cluster.local', listening.grpc_port as number),
        staticCluster('allow-all', allowAll.port),
        staticCluster('hang', port(hang)),
        staticCluster('huge', port(huge)),
        staticCluster('down', down),
      ],
      listeners: [
        filterTestListener('http-authz', [shadowRbac(), extAuthz({ httpService: httpService('outbound|8000||ext-authz.foo.svc.cluster.local', { pathPrefix: '/check' }) })]),
        filterTestListener('grpc-authz', [shadowRbac(), extAuthz({ grpcService: { envoyGrpc: { clusterName: 'outbound|9000||ext-authz.foo.svc.cluster.local', authority: 'ext-authz.foo.svc.cluster.local' }, timeout: { seconds: 2 } } })]),
        filterTestListener('down-closed', [shadowRbac(), extAuthz({ httpService: httpService('down') })]),
        filterTestListener('down-open', [shadowRbac(), extAuthz({ httpService: httpService('down'), failureModeAllow: true })]),
        filterTestListener('hang', [shadowRbac(), extAuthz({ httpService: httpService('hang', {}, 300) })]),
        filterTestListener('huge', [shadowRbac(), extAuthz({ httpService: httpService('huge') })]),
        filterTestListener('body', [
          shadowRbac(),
          extAuthz({ httpService: httpService('outbound|8000||ext-authz.foo.svc.cluster.local'), withRequestBody: { maxRequestBytes: 16 } }),
        ]),
        filterTestListener('body-partial', [
          shadowRbac(),
          extAuthz({ grpcService: { envoyGrpc: { clusterName: 'allow-all' }, timeout: { seconds: 2 } }, withRequestBody: { maxRequestBytes: 16, allowPartialMessage: true } }),
        ]),
        tcpListener('tcp-sample', [networkShadow(true), networkExtAuthz('outbound|9000||ext-authz.foo.svc.cluster.local')]),
        tcpListener('tcp-allow-all', [networkShadow(true), networkExtAuthz('allow-all')]),
        tcpListener('tcp-not-selected', [networkShadow(false), networkExtAuthz('outbound|9000||ext-authz.foo.svc.cluster.local')]),
        tcpListener('tcp-down-open', [networkShadow(true), networkExtAuthz('down', { failureModeAllow: true })]),
        tcpListener('tcp-down-closed', [networkShadow(true), networkExtAuthz('down')]),
      ],
    });
  });

  after(async () => {
    await h?.close();
    await authz?.stop();
    await allowAll?.close();
    await echo?.close();
    for (const s of [app, hang, huge]) {
      s?.closeAllConnections();
      await new Promise<void>((r) => (s ? s.close(() => r()) : r()));
    }
  });

  const counter = (prefix: string, name: string) => h.stats.httpPrefix(prefix).rbac.get(name) ?? 0;

  it('HTTP service: allows with x-ext-authz: allow, the upstream seeing the allowed authorizer header', async () => {
    const r = await request(h.port('http-authz'), '/protected/page?q=1', { 'x-ext-authz': 'allow', authorization: 'Bearer t' });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'app says hi');
    const seen = seenByApp.at(-1)!;
    assert.equal(seen.path, '/protected/page?q=1');
    assert.equal(seen.headers['x-ext-authz-check-result'], 'allowed');
    assert.equal(seen.headers['x-ext-authz-check-received'], undefined, 'only allowed_upstream_headers reach the upstream');
    // The authorizer saw the path under path_prefix.
    await authz.waitForLine((l) => l.msg === 'check' && l.api === 'http' && l.path === '/check/protected/page?q=1' && l.result === 'allowed');
    assert.equal(counter('http-authz', 'ext_authz.ok'), 1);
    assert.equal(counter('http-authz', 'istio_ext_authz_rbac.shadow_denied'), 1);
  });

  it("HTTP service: denies without the header with the authorizer's status, body and allowed headers; the app never sees it", async () => {
    const before = seenByApp.length;
    const r = await request(h.port('http-authz'), '/protected/page');
    assert.equal(r.status, 403);
    assert.equal(r.body, DENIED_BODY);
    assert.equal(r.headers['x-ext-authz-check-result'], 'denied');
    assert.equal(seenByApp.length, before);
    assert.equal(counter('http-authz', 'ext_authz.denied'), 1);
  });

  it('does not ask the authorizer when the shadow rules do not select the request (filter_enabled_metadata)', async () => {
    const checks = authz.lines.filter((l) => l.msg === 'check').length;
    const r = await request(h.port('http-authz'), '/public');
    assert.equal(r.status, 200);
    assert.equal(authz.lines.filter((l) => l.msg === 'check').length, checks, 'no check was made');
    assert.equal(counter('http-authz', 'ext_authz.disabled'), 1);
    assert.equal(counter('http-authz', 'istio_ext_authz_rbac.shadow_allowed'), 1);
  });

  it('gRPC service: Check allows (ok_response headers reach the upstream) and denies (denied_response status, body, headers)', async () => {
    const ok = await request(h.port('grpc-authz'), '/protected/x', { 'x-ext-authz': 'allow' });
    assert.equal(ok.status, 200);
    assert.equal(seenByApp.at(-1)!.headers['x-ext-authz-check-result'], 'allowed');
    const denied = await request(h.port('grpc-authz'), '/protected/x');
    assert.equal(denied.status, 403);
    assert.equal(denied.body, DENIED_BODY);
    assert.equal(denied.headers['x-ext-authz-check-result'], 'denied');
    await authz.waitForLine((l) => l.msg === 'check' && l.api === 'grpc' && l.kind === 'http' && l.path === '/protected/x');
    assert.equal(counter('grpc-authz', 'ext_authz.ok'), 1);
    assert.equal(counter('grpc-authz', 'ext_authz.denied'), 1);
  });

  it('an unreachable authorizer: 403 with an empty body (fail closed), or through with failure_mode_allow', async () => {
    const closed = await request(h.port('down-closed'), '/protected', { 'x-ext-authz': 'allow' });
    assert.equal(closed.status, 403);
    assert.equal(closed.body, '');
    assert.equal(counter('down-closed', 'ext_authz.error'), 1);
    const open = await request(h.port('down-open'), '/protected');
    assert.equal(open.status, 200);
    assert.equal(counter('down-open', 'ext_authz.failure_mode_allowed'), 1);
  });

  it('adversarial: an authorizer that never answers is cut off at the timeout (403); one answering 1 MiB is an error, not a verdict', async () => {
    const started = performance.now();
    const r = await request(h.port('hang'), '/protected', { 'x-ext-authz': 'allow' });
    assert.equal(r.status, 403);
    assert.ok(performance.now() - started < 5000);
    assert.equal(hangRequests, 1);
    assert.equal(counter('hang', 'ext_authz.error'), 1);
    const big = await request(h.port('huge'), '/protected');
    assert.equal(big.status, 403);
    assert.equal(big.body, '', 'the oversized body is not relayed');
    assert.equal(counter('huge', 'ext_authz.error'), 1);
  });

  it('with_request_body: a body over max_request_bytes is 413; a small one reaches the upstream whole', async () => {
    const small = await request(h.port('body'), '/protected', { 'x-ext-authz': 'allow' }, 'hello');
    assert.equal(small.status, 200);
    assert.equal(seenByApp.at(-1)!.body, 'hello');
    const large = await request(h.port('body'), '/protected', { 'x-ext-authz': 'allow' }, 'x'.repeat(100));
    assert.equal(large.status, 413);
  });

  it('with_request_body and allow_partial_message: the authorizer gets the first bytes, the upstream the whole body', async () => {
    const body = 'abcdefghijklmnopqrstuvwxyz'.repeat(4);
    const r = await request(h.port('body-partial'), '/protected', {}, body);
    assert.equal(r.status, 200);
    assert.equal(seenByApp.at(-1)!.body, body);
    const check = allowAll.seen.at(-1)!;
    const http_ = check.attributes!.request!.http!;
    assert.equal(http_.body, body.slice(0, 16));
    assert.equal(http_.headers!['x-envoy-auth-partial-body'], 'true');
    assert.equal(http_.path, '/protected');
    assert.equal(http_.method, 'POST');
    assert.equal(check.attributes!.source!.address!.socketAddress!.address, '127.0.0.1');
  });

  it('exports the counters to Prometheus with the connection manager prefix as a label', () => {
    const text = h.stats.renderPrometheus({ membership: () => new Map(), listenerCount: () => 0, statLines: () => [] });
    assert.match(text, /^envoy_http_ext_authz_ok\{http_conn_manager_prefix="http-authz"\} 1$/m);
    assert.match(text, /^envoy_http_ext_authz_denied\{http_conn_manager_prefix="grpc-authz"\} 1$/m);
  });

  it('network: a connection the sample denies (no allowed service account) is closed before anything is opened upstream', async () => {
    const before = echo.peers.length;
    const r = await exchange(h.port('tcp-sample'), 'hello');
    assert.equal(r.closed, true);
    assert.equal(r.got.length, 0);
    assert.equal(echo.peers.length, before);
    assert.equal(h.stat('ext_authz.tcp.denied'), 1);
    assert.equal(h.stat('ext_authz.tcp.cx_closed'), 1);
    await authz.waitForLine((l) => l.msg === 'check' && l.api === 'grpc' && l.kind === 'tcp' && l.result === 'denied');
  });

  it('network: an allowed connection is proxied, with what the client sent while the check ran', async () => {
    const r = await exchange(h.port('tcp-allow-all'), 'ping', { until: (b) => b.toString() === 'ping' });
    assert.equal(r.got.toString(), 'ping');
    assert.equal(allowAll.seen.at(-1)!.attributes!.request, undefined, 'a connection check has no HTTP attributes');
  });

  it('network: not selected by the shadow rules: no check; an unreachable authorizer closes unless failure_mode_allow', async () => {
    const notSelected = await exchange(h.port('tcp-not-selected'), 'a', { until: (b) => b.toString() === 'a' });
    assert.equal(notSelected.got.toString(), 'a');
    assert.equal(h.stat('ext_authz.tcp.disabled'), 1);
    const open = await exchange(h.port('tcp-down-open'), 'b', { until: (b) => b.toString() === 'b' });
    assert.equal(open.got.toString(), 'b');
    assert.equal(h.stat('ext_authz.tcp.failure_mode_allowed'), 1);
    const closed = await exchange(h.port('tcp-down-closed'), 'c');
    assert.equal(closed.closed, true);
    assert.equal(closed.got.length, 0);
  });
});

describe('RBAC shadow rules', () => {
  it("write Envoy's shadow_effective_policy_id and shadow_engine_result metadata, and never deny", () => {
    const filter = compileHttpRbac(normalize('envoy.extensions.filters.http.rbac.v3.RBAC', (shadowRbac().typedConfig as Json)), 'rbac');
    const head = (path: string) => ({ method: 'GET', authority: 'a', path, scheme: 'http', headers: {} });
    const matched: DynamicMetadata = {};
    const counters = new Map<string, number>();
    assert.equal(checkHttpRbac([filter], head('/protected/x'), new net.Socket(), '127.0.0.1', counters, matched), true);
    assert.deepEqual(matched, { 'envoy.filters.http.rbac': { istio_ext_authz_shadow_effective_policy_id: POLICY, istio_ext_authz_shadow_engine_result: 'denied' } });
    const other: DynamicMetadata = {};
    assert.equal(checkHttpRbac([filter], head('/public'), new net.Socket(), '127.0.0.1', counters, other), true);
    assert.deepEqual(other, { 'envoy.filters.http.rbac': { istio_ext_authz_shadow_engine_result: 'allowed' } });
    assert.deepEqual([...counters], [['istio_ext_authz_rbac.shadow_denied', 1], ['istio_ext_authz_rbac.shadow_allowed', 1]]);
  });
});

describe('ext_authz configuration', () => {
  const compiler = new SnapshotCompiler();
  const errors = (listener: Json) => compiler.compile(snapshotFromResources({ listeners: [listener] })).errors.join('\n');
  const grpcService = { envoyGrpc: { clusterName: 'authz' } };

  it('NACKs fields it does not implement, naming them', () => {
    assert.match(errors(filterTestListener('a', [extAuthz({ grpcService, clearRouteCache: true })])), /field clearRouteCache is not supported/);
    assert.match(errors(filterTestListener('b', [extAuthz({ grpcService: { googleGrpc: { targetUri: 'x', statPrefix: 'y' } } })])), /field googleGrpc is not supported/);
    assert.match(errors(filterTestListener('c', [extAuthz({ httpService: httpService('x', { authorizationResponse: { dynamicMetadataFromHeaders: { patterns: [exact('a')] } } }) })])), /field dynamicMetadataFromHeaders is not supported/);
    assert.match(errors(tcpListener('d', [networkExtAuthz('x', { includePeerCertificate: true })])), /field includePeerCertificate is not supported/);
  });

  it('NACKs a filter without a service, and one it cannot run where the config puts it', () => {
    assert.match(errors(filterTestListener('e', [extAuthz({})])), /needs a grpc_service or an http_service/);
    const afterFault = filterTestListener('f', [FAULT, extAuthz({ grpcService })]);
    assert.match(errors(afterFault), /ext_authz filter after the fault filter is not supported/);
    const jwtAfter = filterTestListener('g', [
      extAuthz({ grpcService }),
      { name: 'envoy.filters.http.jwt_authn', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication' } },
    ]);
    assert.match(errors(jwtAfter), /jwt_authn filter after an RBAC, ext_authz or fault filter/);
  });

  it('accepts the shapes pilot emits (contract): shadow RBAC, ext_authz HTTP and gRPC, network filters', () => {
    assert.equal(errors(filterTestListener('h', [shadowRbac(), extAuthz({ httpService: httpService('outbound|8000||ext-authz.foo.svc.cluster.local', { pathPrefix: '/check' }), withRequestBody: { maxRequestBytes: 100, allowPartialMessage: true, packAsBytes: true } })])), '');
    assert.equal(errors(tcpListener('i', [networkShadow(true), networkExtAuthz('outbound|9000||ext-authz.foo.svc.cluster.local', { failureModeAllow: true })])), '');
  });
});
