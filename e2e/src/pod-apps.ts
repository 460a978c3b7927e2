// The workloads of the pod-network test, run inside pod namespaces.
//
//   node pod-apps.ts serve <name>      HTTP/1.1 on 9080, h2c on 9081, gRPC on 9090 and 9092, TCP echo on 9000;
//                                      prints {"ready":true} once all listen
//   node pod-apps.ts call <kind> <host> <port> [path]
//                                      one call (kind: http1 | h2c | grpc | tcp), prints one JSON line
//
// Every answer names the pod that served it, so the test sees where a call landed.
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';

const ECHO_METHOD = '/mesh.test.Echo/Say';
const raw = { serialize: (b: Buffer) => b, deserialize: (b: Buffer) => b };

function answer(name: string, path: string | undefined, headers: http.IncomingHttpHeaders | http2.IncomingHttpHeaders, protocol: string) {
  return JSON.stringify({ pod: name, protocol, path, requestId: headers['x-request-id'], forwardedProto: headers['x-forwarded-proto'] });
}

async function serve(name: string): Promise<void> {
  const h1 = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(answer(name, req.url, req.headers, `HTTP/${req.httpVersion}`));
  });
  const h2 = http2.createServer();
  h2.on('stream', (stream, headers) => {
    stream.respond({ ':status': 200, 'content-type': 'application/json' });
    stream.end(answer(name, headers[':path'] as string, headers, 'HTTP/2'));
  });
  const tcp = net.createServer((s) => {
    s.once('data', (d) => s.end(`${name}:${d.toString('utf8')}`));
    s.on('error', () => s.destroy());
  });
  const rpc = new grpc.Server();
  rpc.register(
    ECHO_METHOD,
    (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from(`${name}:${call.request.toString('utf8')}`)),
    raw.serialize,
    raw.deserialize,
    'unary',
  );
  await Promise.all([
    new Promise<void>((r) => h1.listen(9080, '0.0.0.0', r)),
    new Promise<void>((r) => h2.listen(9081, '0.0.0.0', r)),
    new Promise<void>((r) => tcp.listen(9000, '0.0.0.0', r)),
    ...[9090, 9092].map((port) => new Promise<void>((resolve, reject) => rpc.bindAsync(`0.0.0.0:${port}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())))),
  ]);
  console.log(JSON.stringify({ ready: true }));
  process.once('SIGTERM', () => process.exit(0));
}

async function call(kind: string, host: string, port: number, path = '/'): Promise<unknown> {
  switch (kind) {
    case 'http1': {
      return new Promise((resolve, reject) => {
        const req = http.get({ host, port, path, agent: false, timeout: 5_000 }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode, body, server: res.headers['server'] }));
        });
        req.on('timeout', () => req.destroy(new Error('timed out')));
        req.on('error', reject);
      });
    }
    case 'h2c': {
      const session = http2.connect(`http://${host}:${port}`);
      try {
        return await new Promise((resolve, reject) => {
          session.on('error', reject);
          const req = session.request({ ':path': path });
          let status = 0;
          let body = '';
          req.on('response', (h) => (status = Number(h[':status'])));
          req.setEncoding('utf8').on('data', (d) => (body += d));
          req.on('end', () => resolve({ status, body }));
          req.on('error', reject);
          req.setTimeout(5_000, () => req.close(http2.constants.NGHTTP2_CANCEL));
        });
      } finally {
        session.close();
      }
    }
    case 'grpc': {
      const client = new grpc.Client(`${host}:${port}`, grpc.credentials.createInsecure());
      try {
        return await new Promise((resolve) => {
          client.makeUnaryRequest(ECHO_METHOD, raw.serialize, raw.deserialize, Buffer.from('hello'), { deadline: Date.now() + 5_000 }, (err, res) =>
            resolve(err ? { code: err.code, details: err.details } : { code: 0, body: res!.toString('utf8') }),
          );
        });
      } finally {
        client.close();
      }
    }
    case 'tcp': {
      return new Promise((resolve, reject) => {
        const s = net.connect(port, host, () => s.write('hello'));
        let body = '';
        s.setEncoding('utf8').on('data', (d) => (body += d));
        s.on('end', () => resolve({ body }));
        s.on('error', reject);
        s.setTimeout(5_000, () => s.destroy(new Error('timed out')));
      });
    }
    default:
      throw new Error(`unknown call kind ${kind} (http1, h2c, grpc, tcp)`);
  }
}

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === 'serve') {
  await serve(rest[0] ?? 'app');
} else if (cmd === 'call') {
  try {
    console.log(JSON.stringify(await call(rest[0], rest[1], Number(rest[2]), rest[3])));
  } catch (err) {
    console.log(JSON.stringify({ error: (err as Error).message }));
  }
} else {
  console.error('usage: pod-apps.ts serve <name> | call <http1|h2c|grpc|tcp> <host> <port> [path]');
  process.exit(2);
}
