// A tiny TCP agent the network-namespace test runs inside its namespaces (Node
// cannot enter a namespace itself: the test starts it with `ip netns exec`).
//   serve host:port      accept connections; print each one's originalDestination() and local address, then close it
//   connect host port    connect, print that it did, wait for the server to close
// Every result is one JSON line on stdout.
import net from 'node:net';
import { originalDestination, originalDestinationAvailable } from '../index.ts';

const [mode, ...rest] = process.argv.slice(2);
const print = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n');

if (mode === 'serve') {
  const at = rest[0].lastIndexOf(':');
  const host = rest[0].slice(0, at);
  const port = Number(rest[0].slice(at + 1));
  const available = originalDestinationAvailable();
  if (!available.ok) {
    print({ error: available.reason });
    process.exit(1);
  }
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    let line: Record<string, unknown>;
    try {
      line = { original: originalDestination(socket) ?? null, local: { address: socket.localAddress, port: socket.localPort } };
    } catch (err) {
      line = { error: (err as Error).message };
    }
    print(line);
    socket.end();
  });
  server.once('error', (err) => {
    print({ error: err.message });
    process.exit(1);
  });
  // On '::' the socket is dual-stack: IPv4 connections arrive IPv4-mapped (::ffff:a.b.c.d).
  server.listen(port, host, () => print({ ready: true }));
} else if (mode === 'connect') {
  const [host, port] = rest;
  const socket = net.connect({ host, port: Number(port), timeout: 5_000 });
  socket.on('connect', () => print({ connected: true }));
  socket.on('data', () => {});
  socket.on('end', () => socket.end());
  socket.on('timeout', () => {
    print({ error: 'timeout' });
    socket.destroy();
  });
  socket.on('error', (err: NodeJS.ErrnoException) => print({ error: err.code ?? err.message }));
} else {
  process.stderr.write('usage: redirect-agent serve host:port | connect host port\n');
  process.exitCode = 2;
}
