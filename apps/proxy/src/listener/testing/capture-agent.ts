// A small agent the capture test runs inside its network namespaces (Node
// cannot enter a namespace itself: the test starts it with `ip netns exec`).
//   proxy <resources as base64 JSON>      a ListenerManager with the real SO_ORIGINAL_DST resolver
//   http <host> <port> <name>             an HTTP server answering {"upstream": name, "url": ...}
//   echo <host> <port>                    a TCP echo server
//   get <host> <port> <path> <from>       one HTTP GET from source address <from>; prints status and body
//   tcp <host> <port> <text> <from>       sends text from <from>; prints the first reply
// Servers print {"ready": true} once listening; every result is one JSON line on stdout.
import http from 'node:http';
import net from 'node:net';
import { startHarness } from '../listener-test-harness.ts';
import { originalDestinationAvailability } from '../original-destination.ts';

const [mode, ...args] = process.argv.slice(2);
const print = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n');
const fail = (err: unknown) => {
  print({ error: (err as Error)?.message ?? String(err) });
  process.exit(1);
};

if (mode === 'proxy') {
  const available = originalDestinationAvailability();
  if (!available.ok) fail(new Error(available.reason));
  const h = startHarness();
  h.apply(JSON.parse(Buffer.from(args[0], 'base64').toString()))
    .then(() => {
      const unbound = h.listeners.unbound();
      if (unbound.length > 0) fail(new Error(`unbound: ${unbound.join('; ')}`));
      print({ ready: true });
      // The test asks for the stats by writing a line on stdin.
      process.stdin.setEncoding('utf8').on('data', () => print({ stats: h.listeners.statLines() }));
    })
    .catch(fail);
} else if (mode === 'http') {
  const [host, port, name] = args;
  const server = http.createServer((req, res) => {
    const body = JSON.stringify({ upstream: name, url: req.url, peer: req.socket.remoteAddress });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  server.once('error', fail);
  server.listen(Number(port), host, () => print({ ready: true }));
} else if (mode === 'echo') {
  const [host, port] = args;
  const server = net.createServer((s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  server.once('error', fail);
  server.listen(Number(port), host, () => print({ ready: true }));
} else if (mode === 'get') {
  const [host, port, path, from] = args;
  const req = http.request({ host, port: Number(port), path, localAddress: from, agent: false, timeout: 5_000 }, (res) => {
    let body = '';
    res.setEncoding('utf8').on('data', (d: string) => (body += d));
    res.on('end', () => print({ status: res.statusCode, body }));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', fail);
  req.end();
} else if (mode === 'tcp') {
  const [host, port, text, from] = args;
  const s = net.connect({ host, port: Number(port), localAddress: from, timeout: 5_000 });
  s.on('connect', () => s.write(text));
  s.once('data', (d: Buffer) => {
    print({ reply: d.toString() });
    s.destroy();
  });
  s.on('close', () => print({ closed: true }));
  s.on('timeout', () => fail(new Error('timeout')));
  s.on('error', (err: NodeJS.ErrnoException) => print({ error: err.code ?? err.message }));
} else {
  process.stderr.write('usage: capture-agent proxy|http|echo|get|tcp ...\n');
  process.exitCode = 2;
}
