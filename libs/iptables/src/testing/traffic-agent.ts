// A tiny TCP agent the network-namespace test runs inside its namespaces.
//   listen name:port[,name:port...]   answer every connection on each port with its name, then close
//   connect host port [--uid N]       connect (as uid/gid N when given) and print what the server answered
// Every result is one JSON line on stdout.
import net from 'node:net';
import { spawn } from 'node:child_process';

const [mode, ...rest] = process.argv.slice(2);
const print = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n');

if (mode === 'listen') {
  const specs = rest[0].split(',').map((s) => {
    const [name, port] = s.split(':');
    return { name, port: Number(port) };
  });
  await Promise.all(
    specs.map(
      ({ name, port }) =>
        new Promise<void>((resolve, reject) => {
          const server = net.createServer((socket) => {
            socket.on('error', () => {});
            socket.end(name);
          });
          server.once('error', reject);
          server.listen(port, '0.0.0.0', () => resolve());
        }),
    ),
  );
  print({ ready: true, ports: specs });
} else if (mode === 'connect') {
  const [host, port, flag, uid] = rest;
  if (flag === '--uid') {
    // Re-run this agent as the given uid/gid (a real uid-1337 process, like the proxy's).
    const child = spawn(process.execPath, [process.argv[1], 'connect', host, port], {
      uid: Number(uid),
      gid: Number(uid),
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('exit', (code) => (process.exitCode = code ?? 1));
  } else {
    const socket = net.connect({ host, port: Number(port), timeout: 5_000 });
    let reply = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (reply += d));
    socket.on('end', () => print({ reply, uid: process.getuid?.() }));
    socket.on('timeout', () => {
      print({ error: 'timeout' });
      socket.destroy();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => print({ error: err.code ?? err.message }));
  }
} else {
  process.stderr.write(`usage: traffic-agent listen name:port[,...] | connect host port [--uid N]\n`);
  process.exitCode = 2;
}
