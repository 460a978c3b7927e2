// gRPC end to end through the proxy: a real @grpc/grpc-js client (h2c to the
// proxy) and a real @grpc/grpc-js server behind an HTTP/2 cluster. Unary and
// all three streaming shapes, trailers both ways, gRPC local replies
// (trailers-only, grpc-status mapped from the HTTP status as Envoy does),
// retries on gRPC status codes, grpc-timeout under grpc_timeout_header_max,
// and HTTP/1.1 chunked trailers for a client that sends TE: trailers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { edsCluster, endpoints, FAULT, httpListener, routeConfig, ROUTER, startTestProxy, vhost, type TestProxy } from '../test-fixtures.ts';

const raw = (b: Buffer): Buffer => b;
const method = (name: string, requestStream: boolean, responseStream: boolean) => ({
  path: `/test.Echo/${name}`,
  requestStream,
  responseStream,
  requestSerialize: raw,
  requestDeserialize: raw,
  responseSerialize: raw,
  responseDeserialize: raw,
});
const ECHO_SERVICE = {
  unary: method('Unary', false, false),
  flaky: method('Flaky', false, false),
  hang: method('Hang', false, false),
  list: method('List', false, true),
  sum: method('Sum', true, false),
  chat: method('Chat', true, true),
} satisfies grpc.ServiceDefinition;

type EchoClient = grpc.Client & {
  unary(req: Buffer, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Buffer) => void): grpc.ClientUnaryCall;
  flaky(req: Buffer, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Buffer) => void): grpc.ClientUnaryCall;
  hang(req: Buffer, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Buffer) => void): grpc.ClientUnaryCall;
  list(req: Buffer, md?: grpc.Metadata): grpc.ClientReadableStream<Buffer>;
  sum(cb: (err: grpc.ServiceError | null, res?: Buffer) => void): grpc.ClientWritableStream<Buffer>;
  chat(): grpc.ClientDuplexStream<Buffer, Buffer>;
};
const EchoClientCtor = grpc.makeGenericClientConstructor(ECHO_SERVICE, 'Echo') as unknown as new (address: string, creds: grpc.ChannelCredentials) => EchoClient;

function unary(call: 'unary' | 'flaky' | 'hang', client: EchoClient, body: string, md = new grpc.Metadata(), opts: grpc.CallOptions = {}): Promise<{ err: grpc.ServiceError | null; res?: Buffer; trailers?: grpc.Metadata }> {
  return new Promise((resolve) => {
    let trailers: grpc.Metadata | undefined;
    const c = client[call](Buffer.from(body), md, opts, (err, res) => setImmediate(() => resolve({ err, res, trailers })));
    c.on('status', (s: grpc.StatusObject) => (trailers = s.metadata));
  });
}

const H2_OPTIONS = {
  typedExtensionProtocolOptions: {
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
      '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
      explicitHttpConfig: { http2ProtocolOptions: {} },
    },
  },
};

function faultRoute(match: Record<string, unknown>, abort: Record<string, unknown>) {
  return {
    match,
    route: { cluster: 'grpc' },
    typedPerFilterConfig: {
      'envoy.filters.http.fault': {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
        abort: { ...abort, percentage: { numerator: 100, denominator: 'HUNDRED' } },
      },
    },
  };
}

describe('gRPC through the proxy (grpc-js client and server)', () => {
  let proxy: TestProxy;
  let server: grpc.Server;
  let client: EchoClient;
  let port: number;
  let upstreamPort: number;
  let flakyCalls = 0;
  const hanging = new Set<grpc.ServerUnaryCall<Buffer, Buffer>>();

  before(async () => {
    server = new grpc.Server();
    server.addService(ECHO_SERVICE, {
      unary: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        const md = new grpc.Metadata();
        md.set('x-trailer', 'from-upstream');
        const seen = call.metadata.get('x-who')[0] ?? '';
        cb(null, Buffer.concat([Buffer.from(`${seen}:`), call.request]), md);
      },
      flaky: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        if (flakyCalls++ === 0) cb({ code: grpc.status.UNAVAILABLE, details: 'try again' });
        else cb(null, Buffer.from('second time lucky'));
      },
      hang: (call: grpc.ServerUnaryCall<Buffer, Buffer>) => {
        hanging.add(call);
        call.on('cancelled', () => hanging.delete(call));
      },
      list: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
        const n = Number(call.request.toString());
        for (let i = 0; i < n; i++) call.write(Buffer.from(`item-${i}`));
        call.end();
      },
      sum: (call: grpc.ServerReadableStream<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        let total = 0;
        call.on('data', (b: Buffer) => (total += Number(b.toString())));
        call.on('end', () => cb(null, Buffer.from(String(total))));
      },
      chat: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        call.on('data', (b: Buffer) => call.write(Buffer.from(`echo:${b.toString()}`)));
        call.on('end', () => call.end());
      },
    });
    upstreamPort = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    proxy = await startTestProxy({ random: () => 0 });
    await proxy.apply({
      listeners: [httpListener('main', 0, 'routes', { httpFilters: [FAULT, ROUTER] })],
      routes: [
        routeConfig('routes', [
          vhost('grpc', ['*'], [
            { match: { prefix: '/test.Echo/Flaky', headers: [{ name: 'x-no-policy', presentMatch: true }] }, route: { cluster: 'grpc' } },
            { match: { prefix: '/test.Echo/Flaky' }, route: { cluster: 'grpc', retryPolicy: { retryOn: 'unavailable', numRetries: { value: 2 }, retryBackOff: { baseInterval: { nanos: 1_000_000 } } } } },
            { match: { prefix: '/test.Echo/Hang' }, route: { cluster: 'grpc', timeout: { seconds: 30 }, maxStreamDuration: { grpcTimeoutHeaderMax: { nanos: 150_000_000 } } } },
            faultRoute({ prefix: '/test.Echo/', headers: [{ name: 'x-fault', stringMatch: { exact: 'grpc' } }] }, { grpcStatus: 8 }),
            faultRoute({ prefix: '/test.Echo/', headers: [{ name: 'x-fault', stringMatch: { exact: 'http' } }] }, { httpStatus: 503 }),
            { match: { prefix: '/test.' }, route: { cluster: 'grpc' } },
          ]),
          vhost('elsewhere', ['no-routes.example'], [{ match: { prefix: '/not-this' }, route: { cluster: 'grpc' } }]),
        ]),
      ],
      clusters: [edsCluster('grpc', H2_OPTIONS)],
      endpoints: [endpoints('grpc', [upstreamPort])],
    });
    port = proxy.port('main');
    client = new EchoClientCtor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(async () => {
    client?.close();
    await proxy?.close();
    await new Promise<void>((r) => server.tryShutdown(() => r()));
    server.forceShutdown();
  });

  it('unary: request metadata up, the response and its trailing metadata down', async () => {
    const md = new grpc.Metadata();
    md.set('x-who', 'client');
    const r = await unary('unary', client, 'hello', md);
    assert.equal(r.err, null);
    assert.equal(r.res!.toString(), 'client:hello');
    assert.deepEqual(r.trailers!.get('x-trailer'), ['from-upstream']);
  });

  it('server streaming: every message arrives, then OK', async () => {
    const items: string[] = [];
    const call = client.list(Buffer.from('25'));
    call.on('data', (b: Buffer) => items.push(b.toString()));
    const [status] = (await once(call, 'status')) as [grpc.StatusObject];
    assert.equal(status.code, grpc.status.OK);
    assert.equal(items.length, 25);
    assert.equal(items[24], 'item-24');
  });

  it('client streaming: the request streams upstream, one answer comes back', async () => {
    const result = new Promise<Buffer>((resolve, reject) => {
      const call = client.sum((err, res) => (err ? reject(err) : resolve(res!)));
      for (let i = 1; i <= 100; i++) call.write(Buffer.from(String(i)));
      call.end();
    });
    assert.equal((await result).toString(), '5050');
  });

  it('bidi streaming is full duplex: each answer arrives before the next message is sent', async () => {
    const call = client.chat();
    const answers: string[] = [];
    for (let i = 0; i < 5; i++) {
      call.write(Buffer.from(`m${i}`));
      const [b] = (await once(call, 'data')) as [Buffer];
      answers.push(b.toString());
    }
    call.end();
    const [status] = (await once(call, 'status')) as [grpc.StatusObject];
    assert.equal(status.code, grpc.status.OK);
    assert.deepEqual(answers, ['echo:m0', 'echo:m1', 'echo:m2', 'echo:m3', 'echo:m4']);
  });

  it('retry_on unavailable: a trailers-only UNAVAILABLE is retried, the client sees OK', async () => {
    flakyCalls = 0;
    const retriesBefore = proxy.proxy.stats.cluster('grpc').rqRetry;
    const r = await unary('flaky', client, 'x');
    assert.equal(r.err, null);
    assert.equal(r.res!.toString(), 'second time lucky');
    assert.equal(flakyCalls, 2);
    assert.equal(proxy.proxy.stats.cluster('grpc').rqRetry, retriesBefore + 1);
  });

  it('x-envoy-retry-grpc-on from an internal client retries on a route without a retry policy', async () => {
    flakyCalls = 0;
    const plain = new grpc.Metadata();
    plain.set('x-no-policy', '1');
    const without = await unary('flaky', client, 'x', plain);
    assert.equal(without.err?.code, grpc.status.UNAVAILABLE, 'no retry without the header');
    flakyCalls = 0;
    const md = new grpc.Metadata();
    md.set('x-no-policy', '1');
    md.set('x-envoy-retry-grpc-on', 'unavailable');
    const r = await unary('flaky', client, 'x', md);
    assert.equal(r.err, null);
    assert.equal(r.res!.toString(), 'second time lucky');
    assert.equal(flakyCalls, 2);
  });

  it('a fault abort with an HTTP status reaches a gRPC client as grpc-status UNAVAILABLE (503) with the reply text', async () => {
    const md = new grpc.Metadata();
    md.set('x-fault', 'http');
    const r = await unary('unary', client, 'x', md);
    assert.equal(r.err?.code, grpc.status.UNAVAILABLE);
    assert.equal(r.err?.details, 'fault filter abort');
  });

  it('a fault abort with a gRPC status sends that status', async () => {
    const md = new grpc.Metadata();
    md.set('x-fault', 'grpc');
    const r = await unary('unary', client, 'x', md);
    assert.equal(r.err?.code, grpc.status.RESOURCE_EXHAUSTED);
  });

  it('no route: grpc-status UNIMPLEMENTED (Envoy maps 404 to 12)', async () => {
    const c = new EchoClientCtor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      // The route table has /test.* only on '*'; a path outside it has no route.
      const r = await new Promise<grpc.ServiceError | null>((resolve) => {
        c.makeUnaryRequest('/other.Service/Method', raw, raw, Buffer.from('x'), (err) => resolve(err));
      });
      assert.equal(r?.code, grpc.status.UNIMPLEMENTED);
    } finally {
      c.close();
    }
  });

  it('grpc-timeout is honoured up to grpc_timeout_header_max: the proxy answers UNAVAILABLE (504) long before the client deadline', async () => {
    const started = Date.now();
    const r = await unary('hang', client, 'x', new grpc.Metadata(), { deadline: Date.now() + 10_000 });
    assert.equal(r.err?.code, grpc.status.UNAVAILABLE);
    assert.equal(r.err?.details, 'upstream request timeout');
    assert.ok(Date.now() - started < 5_000, `answered after ${Date.now() - started} ms`);
  });

  it('an HTTP/1.1 client with TE: trailers gets the upstream gRPC trailers as a chunked trailer section', async () => {
    const s = net.connect(port, '127.0.0.1');
    await once(s, 'connect');
    const message = Buffer.from('h1');
    const frame = Buffer.alloc(5 + message.length);
    frame.writeUInt32BE(message.length, 1);
    message.copy(frame, 5);
    s.write(
      `POST /test.Echo/Unary HTTP/1.1\r\nHost: a\r\nContent-Type: application/grpc\r\nTE: trailers\r\nContent-Length: ${frame.length}\r\nConnection: close\r\n\r\n`,
    );
    s.write(frame);
    let data = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => (data += d));
    await once(s, 'end');
    s.destroy();
    assert.match(data, /^HTTP\/1\.1 200 /);
    assert.match(data, /transfer-encoding: chunked/i);
    assert.match(data, /\r\n0\r\n(.*\r\n)*grpc-status: 0\r\n(.*\r\n)*\r\n$/);
    assert.match(data, /x-trailer: from-upstream\r\n/);
  });
});
