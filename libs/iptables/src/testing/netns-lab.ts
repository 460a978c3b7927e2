// Two network namespaces joined by a veth pair: "pod" (198.18.0.1) where the
// capture rules go, and "peer" (198.18.0.2) standing for the rest of the
// network. Addresses come from 198.18.0.0/15 (benchmarking range) and never
// leave the namespaces. Names are unique per run so that concurrent test runs
// (of this or other projects) do not collide, and destroy() removes everything
// even after a failure half-way through create().
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
export const AGENT = fileURLToPath(new URL('./traffic-agent.ts', import.meta.url));
export const INIT_CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));
export const POD_IP = '198.18.0.1';
export const PEER_IP = '198.18.0.2';


export interface AgentProcess {
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  next(): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
  stderr(): string;
}

export class NetnsLab {
  readonly id = `${process.pid.toString(36).slice(-4)}${randomBytes(2).toString('hex')}`;
  readonly pod = `mesh-ipt-${this.id}-pod`;
  readonly peer = `mesh-ipt-${this.id}-peer`;
  readonly vethPod = `mip${this.id}`;
  readonly vethPeer = `miq${this.id}`;
  readonly #children = new Set<ChildProcess>();

  async create(): Promise<void> {
    const ip = (...args: string[]) => exec('ip', args);
    await ip('netns', 'add', this.pod);
    await ip('netns', 'add', this.peer);
    await ip('link', 'add', this.vethPod, 'type', 'veth', 'peer', 'name', this.vethPeer);
    await ip('link', 'set', this.vethPod, 'netns', this.pod);
    await ip('link', 'set', this.vethPeer, 'netns', this.peer);
    for (const [ns, dev, addr] of [
      [this.pod, this.vethPod, POD_IP],
      [this.peer, this.vethPeer, PEER_IP],
    ]) {
      await ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', dev);
      await ip('-n', ns, 'link', 'set', dev, 'up');
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
  }

  /** Runs a command inside a namespace and returns its stdout; rejects with its stderr. */
  async run(ns: string, cmd: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
    return exec('ip', ['netns', 'exec', ns, cmd, ...args]);
  }

  /** `proxy init` (libs/iptables cli) inside the pod namespace. */
  async init(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const r = await this.run(this.pod, process.execPath, [INIT_CLI, ...args]);
      return { code: 0, ...r };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  /** Starts the traffic agent inside a namespace. */
  agent(ns: string, args: string[]): AgentProcess {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, AGENT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#children.add(child);
    const lines: Array<Record<string, unknown>> = [];
    const waiters: Array<(l: Record<string, unknown>) => void> = [];
    let consumed = 0;
    let buf = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
        buf = buf.slice(nl + 1);
        lines.push(line);
        waiters.shift()?.(line);
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => {
        this.#children.delete(child);
        resolve(code);
      }),
    );
    return {
      child,
      lines,
      exited,
      stderr: () => err,
      next: () => {
        if (consumed < lines.length) return Promise.resolve(lines[consumed++]);
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`traffic agent ${args.join(' ')} printed nothing within 10 s; stderr: ${err}`)), 10_000);
          waiters.push((l) => {
            consumed++;
            clearTimeout(timer);
            resolve(l);
          });
          void exited.then((code) => {
            if (consumed === lines.length) {
              clearTimeout(timer);
              reject(new Error(`traffic agent ${args.join(' ')} exited with ${code} before answering; stderr: ${err}`));
            }
          });
        });
      },
    };
  }

  async listen(ns: string, spec: string): Promise<AgentProcess> {
    const agent = this.agent(ns, ['listen', spec]);
    const line = await agent.next();
    if (!line.ready) throw new Error(`listener ${spec} in ${ns} did not start: ${JSON.stringify(line)}`);
    return agent;
  }

  /** Opens a TCP connection from `ns` and returns the name of the listener that answered. */
  async connect(ns: string, host: string, port: number, uid?: number): Promise<string> {
    const agent = this.agent(ns, ['connect', host, String(port), ...(uid !== undefined ? ['--uid', String(uid)] : [])]);
    const line = await agent.next();
    await agent.exited;
    if (typeof line.reply !== 'string') throw new Error(`connection from ${ns} to ${host}:${port} failed: ${JSON.stringify(line)}`);
    if (uid !== undefined && line.uid !== uid) throw new Error(`the client ran as uid ${String(line.uid)}, not ${uid}`);
    return line.reply;
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
