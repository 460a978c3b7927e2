// The sample authorizer as a real process, asked over its two APIs by real
// clients: an HTTP client, and a gRPC client of envoy.service.auth.v3.Authorization.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { decodeMessage, messageType } from '@mesh/xds';
import type { CheckRequest, CheckResponse__Output } from '@mesh/xds';
import { startProcess, type ManagedProcess } from '@mesh/testing';
import { DENIED_BODY } from './authz.ts';
import { parseFlags } from './main.ts';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, path: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function checkClient(port: number): { check(req: CheckRequest): Promise<CheckResponse__Output>; close(): void } {
  const type = messageType('envoy.service.auth.v3.CheckRequest');
  const Client = grpc.makeGenericClientConstructor(
    {
      Check: {
        path: '/envoy.service.auth.v3.Authorization/Check',
        requestStream: false,
        responseStream: false,
        requestSerialize: (v: CheckRequest) => Buffer.from(type.encode(type.fromObject(v)).finish()),
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (v: Buffer) => v,
        responseDeserialize: (b: Buffer) => decodeMessage<CheckResponse__Output>('envoy.service.auth.v3.CheckResponse', b),
      },
    },
    'Authorization',
  );
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    check: (req) =>
      new Promise((resolve, reject) =>
        (client as unknown as { Check(r: CheckRequest, cb: (e: Error | null, v: CheckResponse__Output) => void): void }).Check(req, (err, v) => (err ? reject(err) : resolve(v))),
      ),
    close: () => client.close(),
  };
}

const header = (r: { headers?: Array<{ header?: { key?: string; value?: string } }> } | undefined, key: string) => r?.headers?.find((h) => h.header?.key === key)?.header?.value;

describe('ext-authz sample', () => {
  let proc: ManagedProcess;
  let httpPort: number;
  let grpcPort: number;
  let client: ReturnType<typeof checkClient>;

  before(async () => {
    proc = startProcess('ext-authz', 'samples/ext-authz/src/main.ts', ['--http-port', '0', '--grpc-port', '0', '--host', '127.0.0.1']);
    const listening = await proc.waitForLine((l) => l.msg === 'listening', 20_000);
    httpPort = listening.http_port as number;
    grpcPort = listening.grpc_port as number;
    client = checkClient(grpcPort);
  });

  after(async () => {
    client?.close();
    await proc?.stop();
  });

  it('HTTP: allows a request with x-ext-authz: allow (200, x-ext-authz-check-result: allowed), whatever its method and path', async () => {
    const r = await request(httpPort, '/check/productpage?x=1', { 'x-ext-authz': 'allow' }, 'POST', 'a body');
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-ext-authz-check-result'], 'allowed');
    assert.match(String(r.headers['x-ext-authz-check-received']), /^POST 127\.0\.0\.1:\d+\/check\/productpage\?x=1$/);
    await proc.waitForLine((l) => l.msg === 'check' && l.api === 'http' && l.result === 'allowed' && l.path === '/check/productpage?x=1');
  });

  it('HTTP: denies without the header (or with another value): 403, the sample body, x-ext-authz-check-result: denied', async () => {
    for (const headers of [{}, { 'x-ext-authz': 'deny' }] as Array<Record<string, string>>) {
      const r = await request(httpPort, '/headers', headers);
      assert.equal(r.status, 403);
      assert.equal(r.body, DENIED_BODY);
      assert.equal(r.body, 'denied by ext_authz for not found header `x-ext-authz: allow` in the request');
      assert.equal(r.headers['x-ext-authz-check-result'], 'denied');
    }
  });

  it("HTTP: allows the allowed service account's workloads by their x-forwarded-client-cert", async () => {
    const ok = await request(httpPort, '/', { 'x-forwarded-client-cert': 'By=spiffe://cluster.local/ns/foo/sa/b;URI=spiffe://cluster.local/ns/foo/sa/a' });
    assert.equal(ok.status, 200);
    const other = await request(httpPort, '/', { 'x-forwarded-client-cert': 'URI=spiffe://cluster.local/ns/foo/sa/ab' });
    assert.equal(other.status, 403);
  });

  it('gRPC: Check allows a request with the header (status OK, ok_response header) and denies one without (PERMISSION_DENIED, 403, body)', async () => {
    const allowed = await client.check({ attributes: { request: { http: { method: 'GET', path: '/headers', host: 'httpbin:8000', headers: { 'x-ext-authz': 'allow' } } } } });
    assert.equal(allowed.status?.code ?? 0, 0);
    assert.equal(header(allowed.okResponse, 'x-ext-authz-check-result'), 'allowed');
    assert.equal(header(allowed.okResponse, 'x-ext-authz-check-received'), 'GET httpbin:8000/headers');

    const denied = await client.check({ attributes: { request: { http: { method: 'GET', path: '/headers', host: 'httpbin:8000', headers: { ':path': '/headers' } } } } });
    assert.equal(denied.status?.code, grpc.status.PERMISSION_DENIED);
    assert.equal(denied.deniedResponse?.status?.code, 'Forbidden');
    assert.equal(denied.deniedResponse?.body, DENIED_BODY);
    assert.equal(header(denied.deniedResponse, 'x-ext-authz-check-result'), 'denied');
    await proc.waitForLine((l) => l.msg === 'check' && l.api === 'grpc' && l.result === 'denied' && l.kind === 'http');
  });

  it('gRPC: a connection check (no HTTP attributes) is allowed only for the allowed service account, as in Istio', async () => {
    const a = await client.check({ attributes: { source: { principal: 'spiffe://cluster.local/ns/foo/sa/a' } } });
    assert.equal(a.status?.code ?? 0, 0);
    const b = await client.check({ attributes: { source: { principal: 'spiffe://cluster.local/ns/foo/sa/b' } } });
    assert.equal(b.status?.code, grpc.status.PERMISSION_DENIED);
    const anonymous = await client.check({ attributes: {} });
    assert.equal(anonymous.status?.code, grpc.status.PERMISSION_DENIED);
    await proc.waitForLine((l) => l.msg === 'check' && l.api === 'grpc' && l.kind === 'tcp' && l.result === 'allowed');
  });
});

describe('ext-authz flags', () => {
  it("defaults to Istio's ports 8000 and 9000 and the service account a; refuses a bad port", () => {
    assert.deepEqual(parseFlags([]), { httpPort: 8000, grpcPort: 9000, host: '0.0.0.0', allowServiceAccount: 'a', help: false });
    assert.equal(parseFlags(['--http-port', '8080', '--grpc-port', '0']).httpPort, 8080);
    assert.throws(() => parseFlags(['--grpc-port', '70000']), /--grpc-port must be a port/);
  });
});
