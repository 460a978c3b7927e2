// End to end: connections really redirected by iptables inside network
// namespaces, and the original destination the accepted socket reports, as the
// proxy's virtualOutbound (15001) and virtualInbound (15006) listeners see it.
// Needs root, iproute2, iptables and ip6tables (with the nat table).
//
//   "pod"  198.18.0.1/24, 2001:2::1/64 — the capture rules and the listeners:
//            nat OUTPUT     -p tcp -d 198.18.0.7 / 2001:2::7 --dport 8080 -j REDIRECT --to-ports 15001
//            nat PREROUTING -p tcp --dport 9080                           -j REDIRECT --to-ports 15006
//   "peer" 198.18.0.2/24, 2001:2::2/64 — the rest of the network, joined by a veth pair.
// 198.18.0.0/15 and 2001:2::/48 are the benchmarking ranges; nothing leaves the namespaces.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { netnsPreflight } from '@mesh/testing';

const exec = promisify(execFile);
const AGENT = fileURLToPath(new URL('./testing/redirect-agent.ts', import.meta.url));
const POD = { v4: '198.18.0.1', v6: '2001:2::1' };
const PEER = { v4: '198.18.0.2', v6: '2001:2::2' };
const SERVICE = { v4: '198.18.0.7', v6: '2001:2::7' };

/** Fails with a message saying exactly what is missing; the test must not silently skip. */

type Line = Record<string, unknown>;
interface Agent {
  next(): Promise<Line>;
  stop(): Promise<void>;
}

class RedirectLab {
  readonly id = `${process.pid.toString(36).slice(-4)}${randomBytes(2).toString('hex')}`;
  readonly pod = `mesh-odst-${this.id}-pod`;
  readonly peer = `mesh-odst-${this.id}-peer`;
  readonly vethPod = `mod${this.id}`;
  readonly vethPeer = `moe${this.id}`;
  readonly #children = new Set<ChildProcess>();

  async create(): Promise<void> {
    const ip = (...args: string[]) => exec('ip', args);
    await ip('netns', 'add', this.pod);
    await ip('netns', 'add', this.peer);
    await ip('link', 'add', this.vethPod, 'type', 'veth', 'peer', 'name', this.vethPeer);
    await ip('link', 'set', this.vethPod, 'netns', this.pod);
    await ip('link', 'set', this.vethPeer, 'netns', this.peer);
    for (const [ns, dev, addr] of [
      [this.pod, this.vethPod, POD],
      [this.peer, this.vethPeer, PEER],
    ] as const) {
      await ip('-n', ns, 'addr', 'add', `${addr.v4}/24`, 'dev', dev);
      // nodad: usable at once, instead of after duplicate address detection.
      await ip('-n', ns, '-6', 'addr', 'add', `${addr.v6}/64`, 'dev', dev, 'nodad');
      await ip('-n', ns, 'link', 'set', dev, 'up');
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    for (const [bin, service] of [
      ['iptables', SERVICE.v4],
      ['ip6tables', SERVICE.v6],
    ] as const) {
      const rule = async (...args: string[]) => {
        try {
          await this.run(this.pod, bin, ['-t', 'nat', '-A', ...args]);
        } catch (err) {
          const stderr = (err as { stderr?: string }).stderr ?? (err as Error).message;
          throw new Error(`${bin} -t nat -A ${args.join(' ')} failed in the namespace (is the ${bin} nat table available?): ${stderr}`, { cause: err });
        }
      };
      await rule('OUTPUT', '-p', 'tcp', '-d', service, '--dport', '8080', '-j', 'REDIRECT', '--to-ports', '15001');
      await rule('PREROUTING', '-p', 'tcp', '--dport', '9080', '-j', 'REDIRECT', '--to-ports', '15006');
    }
  }

  run(ns: string, cmd: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
    return exec('ip', ['netns', 'exec', ns, cmd, ...args]);
  }

  agent(ns: string, args: string[]): Agent {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, AGENT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#children.add(child);
    const lines: Line[] = [];
    const waiters: Array<() => void> = [];
    let buf = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        lines.push(JSON.parse(buf.slice(0, nl)) as Line);
        buf = buf.slice(nl + 1);
        waiters.splice(0).forEach((w) => w());
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = new Promise<void>((resolve) =>
      child.once('exit', () => {
        this.#children.delete(child);
        waiters.splice(0).forEach((w) => w());
        resolve();
      }),
    );
    let consumed = 0;
    return {
      next: async () => {
        const deadline = Date.now() + 10_000;
        while (consumed >= lines.length) {
          if (child.exitCode !== null || child.signalCode !== null) throw new Error(`agent ${args.join(' ')} exited before answering; stderr: ${err}`);
          if (Date.now() > deadline) throw new Error(`agent ${args.join(' ')} printed nothing within 10 s; stderr: ${err}`);
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, 200);
            waiters.push(() => {
              clearTimeout(t);
              resolve();
            });
          });
        }
        return lines[consumed++];
      },
      stop: async () => {
        child.kill('SIGKILL');
        await exited;
      },
    };
  }

  /** Starts a listener in the pod; resolves once it accepts connections. */
  async serve(hostPort: string): Promise<Agent> {
    const server = this.agent(this.pod, ['serve', hostPort]);
    const line = await server.next();
    if (!line.ready) throw new Error(`listener ${hostPort} did not start: ${JSON.stringify(line)}`);
    return server;
  }

  /** Connects from `ns` to host:port, and returns what the listener printed for the connection it accepted. */
  async accepted(server: Agent, ns: string, host: string, port: number): Promise<Line> {
    const client = this.agent(ns, ['connect', host, String(port)]);
    try {
      const c = await client.next();
      if (!c.connected) throw new Error(`connection from ${ns} to ${host}:${port} failed: ${JSON.stringify(c)}`);
      return await server.next();
    } finally {
      await client.stop();
    }
  }

  async destroy(): Promise<void> {
    for (const child of this.#children) child.kill('SIGKILL');
    await Promise.all(
      [...this.#children].map((c) => new Promise((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve(null) : c.once('exit', resolve)))),
    );
    for (const ns of [this.pod, this.peer]) await exec('ip', ['netns', 'del', ns]).catch(() => {});
    // Only left in the root namespace when create() failed before moving it.
    await exec('ip', ['link', 'del', this.vethPod]).catch(() => {});
  }
}

describe('originalDestination of connections iptables redirected, in a network namespace', () => {
  const lab = new RedirectLab();

  before(async () => {
    await netnsPreflight('the network-namespace test', ['ip', 'iptables', 'ip6tables']);
    await lab.create();
  });
  after(() => lab.destroy());

  /** One listener for the duration of `fn`. */
  async function withServer(hostPort: string, fn: (server: Agent) => Promise<void>): Promise<void> {
    const server = await lab.serve(hostPort);
    try {
      await fn(server);
    } finally {
      await server.stop();
    }
  }

  it('outbound IPv4 (nat OUTPUT REDIRECT to 15001, an IPv4 listener): the service address and port the app dialed', async () => {
    await withServer('0.0.0.0:15001', async (server) => {
      const r = await lab.accepted(server, lab.pod, SERVICE.v4, 8080);
      assert.deepEqual(r.original, { address: SERVICE.v4, port: 8080, family: 4 });
      assert.deepEqual(r.local, { address: '127.0.0.1', port: 15001 }, 'REDIRECT delivers locally made connections to 127.0.0.1');
    });
  });

  it('outbound IPv4 on a dual-stack listener (::, the connection IPv4-mapped)', async () => {
    await withServer(':::15001', async (server) => {
      const r = await lab.accepted(server, lab.pod, SERVICE.v4, 8080);
      assert.deepEqual(r.original, { address: SERVICE.v4, port: 8080, family: 4 });
      assert.deepEqual(r.local, { address: '::ffff:127.0.0.1', port: 15001 });
    });
  });

  it('outbound IPv6 (ip6tables nat OUTPUT REDIRECT to 15001)', async () => {
    await withServer(':::15001', async (server) => {
      const r = await lab.accepted(server, lab.pod, SERVICE.v6, 8080);
      assert.deepEqual(r.original, { address: SERVICE.v6, port: 8080, family: 6 });
      assert.deepEqual(r.local, { address: '::1', port: 15001 });
    });
  });

  it('inbound IPv4 from another host (nat PREROUTING REDIRECT to 15006): the pod address and app port the peer dialed', async () => {
    await withServer(':::15006', async (server) => {
      const r = await lab.accepted(server, lab.peer, POD.v4, 9080);
      assert.deepEqual(r.original, { address: POD.v4, port: 9080, family: 4 });
      assert.deepEqual(r.local, { address: `::ffff:${POD.v4}`, port: 15006 });
    });
  });

  it('inbound IPv6 (ip6tables nat PREROUTING REDIRECT to 15006)', async () => {
    await withServer(':::15006', async (server) => {
      const r = await lab.accepted(server, lab.peer, POD.v6, 9080);
      assert.deepEqual(r.original, { address: POD.v6, port: 9080, family: 6 });
      assert.deepEqual(r.local, { address: POD.v6, port: 15006 });
    });
  });

  it('a connection made straight to the listener is not redirected: undefined, though conntrack tracks it', async () => {
    await withServer(':::15001', async (server) => {
      assert.equal((await lab.accepted(server, lab.pod, '127.0.0.1', 15001)).original, null);
      assert.equal((await lab.accepted(server, lab.pod, '::1', 15001)).original, null);
      assert.equal((await lab.accepted(server, lab.peer, POD.v4, 15001)).original, null);
      assert.equal((await lab.accepted(server, lab.peer, POD.v6, 15001)).original, null);
    });
  });
});
