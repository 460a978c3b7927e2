// Local mode runs every process on 127.0.0.1, so ports that Istio gives every
// pod (15014 monitoring, 15000 admin, ...) would collide. The launcher keeps
// Istio's number for the first process that wants it and assigns the next free
// one to the others, then prints the table.
import net from 'node:net';

export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

export class PortAllocator {
  readonly #taken = new Set<number>();

  /** The preferred port if it is free and not yet handed out, else the next free one above it. */
  async take(preferred: number): Promise<number> {
    for (let port = preferred; port < preferred + 1000; port++) {
      if (this.#taken.has(port)) continue;
      if (await portIsFree(port)) {
        this.#taken.add(port);
        return port;
      }
    }
    throw new Error(`no free port in ${preferred}..${preferred + 999}`);
  }

  /** A port that must be exactly this one (a Gateway's port, a WorkloadEntry's port): fails clearly when busy. */
  async require(port: number, what: string): Promise<number> {
    if (this.#taken.has(port) || !(await portIsFree(port))) {
      throw new Error(`port ${port} (${what}) is already in use on 127.0.0.1; stop whatever holds it (\`ss -ltnp 'sport = :${port}'\`) and start again`);
    }
    this.#taken.add(port);
    return port;
  }
}

/**
 * A loopback address of 127.0.0.0/8 (other than 127.0.0.1/2) on which every one of `ports` is free: a "pod IP" for a
 * process that must bind fixed ports (an egress gateway's 8080/8443, a Sidecar listener on a service's own port)
 * without colliding with other meshes or tests on the machine.
 */
export async function freeLoopbackAddress(ports: number[]): Promise<string> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const b = () => 1 + Math.floor(Math.random() * 254);
    const address = `127.${b()}.${b()}.${b()}`;
    let free = true;
    for (const port of ports) if (!(free = await portIsFree(port, address))) break;
    if (free) return address;
  }
  throw new Error(`no loopback address with ports ${ports.join(', ')} free`);
}
