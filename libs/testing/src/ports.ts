import net from 'node:net';

/**
 * Ports this process has handed out. The OS can give the same ephemeral port
 * to two bind(0) calls once the first is closed again, and a test that asks
 * for several ports before starting anything would then start two servers on
 * one port (CI saw it: a Bookinfo app's port equal to one of the mesh's).
 */
const handedOut = new Set<number>();

/** A TCP port that was free a moment ago on 127.0.0.1 (the OS picked it), never one this process was given before. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await osPort(host);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no fresh free port on ${host} after 100 tries`);
}

function osPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
