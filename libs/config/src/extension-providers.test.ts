import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkMeshConfig, meshExtensionProviders } from './index.ts';

describe('mesh config extensionProviders', () => {
  it("reads Istio's ext_authz providers (the authz-custom task's mesh config), with the defaults Istio applies", () => {
    const r = meshExtensionProviders({
      extensionProviders: [
        {
          name: 'sample-ext-authz-http',
          envoyExtAuthzHttp: {
            service: 'ext-authz.foo.svc.cluster.local',
            port: '8000', // as Istio's task writes it
            pathPrefix: '/check',
            timeout: '2s',
            statusOnError: '503',
            includeRequestHeadersInCheck: ['x-ext-authz'],
            includeAdditionalHeadersInCheck: { 'x-from': 'mesh' },
            includeRequestBodyInCheck: { maxRequestBytes: 4096, allowPartialMessage: true },
            headersToUpstreamOnAllow: ['x-user', 'x-auth-*'],
            headersToDownstreamOnDeny: ['x-ext-authz-check-result'],
            headersToDownstreamOnAllow: ['*-trace'],
          },
        },
        { name: 'sample-ext-authz-grpc', envoyExtAuthzGrpc: { service: 'foo/ext-authz.foo.svc.cluster.local', port: 9000, failOpen: true } },
      ],
    });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.value, [
      {
        kind: 'envoyExtAuthzHttp',
        name: 'sample-ext-authz-http',
        service: 'ext-authz.foo.svc.cluster.local',
        host: 'ext-authz.foo.svc.cluster.local',
        port: 8000,
        timeoutMs: 2000,
        failOpen: false,
        statusOnError: 503,
        includeRequestBodyInCheck: { maxRequestBytes: 4096, allowPartialMessage: true },
        field: 'extensionProviders[0]',
        pathPrefix: '/check',
        includeRequestHeadersInCheck: ['x-ext-authz'],
        includeAdditionalHeadersInCheck: { 'x-from': 'mesh' },
        headersToUpstreamOnAllow: ['x-user', 'x-auth-*'],
        headersToDownstreamOnDeny: ['x-ext-authz-check-result'],
        headersToDownstreamOnAllow: ['*-trace'],
      },
      {
        kind: 'envoyExtAuthzGrpc',
        name: 'sample-ext-authz-grpc',
        service: 'foo/ext-authz.foo.svc.cluster.local',
        host: 'ext-authz.foo.svc.cluster.local',
        namespace: 'foo',
        port: 9000,
        failOpen: true,
        statusOnError: 403,
        field: 'extensionProviders[1]',
      },
    ]);
  });

  it('keeps tracing, metrics and access log providers by name only, reported as not implemented; the deprecated includeHeadersInCheck is read', () => {
    const r = meshExtensionProviders({
      extensionProviders: [
        { name: 'zipkin', zipkin: { service: 'zipkin.istio-system.svc.cluster.local', port: 9411 } },
        { name: 'otel', opentelemetry: { service: 'otel.istio-system.svc.cluster.local', port: 4317 } },
        { name: 'prom', prometheus: {} },
        { name: 'log', envoyFileAccessLog: { path: '/dev/stdout' } },
        { name: 'old', envoyExtAuthzHttp: { service: 'a.b.svc.cluster.local', port: 80, includeHeadersInCheck: ['cookie'] } },
      ],
    });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.value.map((p) => `${p.kind} ${p.name}`),
      ['other zipkin', 'other otel', 'other prom', 'other log', 'envoyExtAuthzHttp old'],
    );
    assert.deepEqual(
      r.warnings.map((w) => w.path),
      ['extensionProviders[0].zipkin', 'extensionProviders[1].opentelemetry', 'extensionProviders[2].prometheus', 'extensionProviders[3].envoyFileAccessLog', 'extensionProviders[4].envoyExtAuthzHttp.includeHeadersInCheck'],
    );
    assert.match(r.warnings[0].message, /zipkin providers are not implemented by this mesh/);
    assert.deepEqual((r.value[4] as { includeRequestHeadersInCheck: string[] }).includeRequestHeadersInCheck, ['cookie']);
  });

  it('refuses a mesh config whose providers cannot be read, naming the field (galley keeps the last accepted mesh config)', () => {
    const errors = checkMeshConfig({
      extensionProviders: [
        { envoyExtAuthzGrpc: { service: 'a.svc', port: 1 } },
        { name: 'dup', envoyExtAuthzGrpc: { service: 'a.svc', port: 1 } },
        { name: 'dup', envoyExtAuthzGrpc: { service: 'b.svc', port: 2 } },
        { name: 'no-port', envoyExtAuthzHttp: { service: 'a.svc', pathPrefix: 'check', statusOnError: 'teapot', timeout: '2 seconds' } },
        { name: 'two', envoyExtAuthzHttp: { service: 'a', port: 1 }, zipkin: { service: 'z', port: 2 } },
        { name: 'unknown', nginx: {} },
        { name: 'empty' },
        { name: 'bad-service', envoyExtAuthzGrpc: { service: 'a/b/c', port: 1 } },
        { name: 'unbounded-body', envoyExtAuthzGrpc: { service: 'a.svc', port: 1, includeRequestBodyInCheck: { allowPartialMessage: true } } },
      ],
    });
    assert.deepEqual(
      errors.map((e) => e.path),
      [
        'extensionProviders[0].name',
        'extensionProviders[2].name',
        'extensionProviders[3].envoyExtAuthzHttp.port',
        'extensionProviders[3].envoyExtAuthzHttp.timeout',
        'extensionProviders[3].envoyExtAuthzHttp.statusOnError',
        'extensionProviders[3].envoyExtAuthzHttp.pathPrefix',
        'extensionProviders[4]',
        'extensionProviders[5].nginx',
        'extensionProviders[6]',
        'extensionProviders[7].envoyExtAuthzGrpc.service',
        'extensionProviders[8].envoyExtAuthzGrpc.includeRequestBodyInCheck.maxRequestBytes',
      ],
    );
    assert.match(errors[1].message, /already the name of extensionProviders\[1\]/);
    assert.deepEqual(checkMeshConfig({ extensionProviders: { name: 'x' } }).map((e) => e.path), ['extensionProviders']);
  });
});
