// A small pod network for end-to-end tests of transparent capture: one
// "node" namespace routing between pod namespaces (each its own veth pair),
// and a veth from the node to the root namespace, where the control plane
// runs, so pods reach pilot at NODE_GATEWAY_IP. Addresses come from
// 198.18.0.0/15 (the benchmarking range) and never leave the machine; names
// are unique per run and destroy() removes everything, also after a failure
// half-way through create(). Needs root, iproute2 and iptables.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** The root namespace's end of the node veth: where pods reach the control plane. */
export const NODE_GATEWAY_IP = '198.18.0.1';
const NODE_UPLINK_IP = '198.18.0.2';

export interface Pod {
  readonly name: string;
  /** The network namespace (`ip netns exec <netns> ...`). */
  readonly netns: string;
  readonly ip: string;
}


export class PodNetwork {
  readonly id = `${process.pid.toString(36).slice(-3)}${randomBytes(2).toString('hex')}`;
  readonly node = `mesh-e2e-${this.id}-node`;
  readonly pods: Pod[] = [];
  readonly #links: string[] = [];
  readonly #namespaces: string[] = [];

  async create(podNames: string[]): Promise<void> {
    const ip = (...args: string[]) => exec('ip', args);
    await ip('netns', 'add', this.node);
    this.#namespaces.push(this.node);
    await ip('-n', this.node, 'link', 'set', 'lo', 'up');
    // The node routes between pods. /proc/sys under `ip netns exec` is the namespace's own (no procps needed).
    await exec('ip', ['netns', 'exec', this.node, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
    // Uplink: root namespace <-> node.
    const up = `mu${this.id}`;
    await ip('link', 'add', up, 'type', 'veth', 'peer', 'name', `mv${this.id}`);
    this.#links.push(up);
    await ip('link', 'set', `mv${this.id}`, 'netns', this.node);
    await ip('addr', 'add', `${NODE_GATEWAY_IP}/24`, 'dev', up);
    await ip('link', 'set', up, 'up');
    await ip('-n', this.node, 'addr', 'add', `${NODE_UPLINK_IP}/24`, 'dev', `mv${this.id}`);
    await ip('-n', this.node, 'link', 'set', `mv${this.id}`, 'up');
    await ip('-n', this.node, 'route', 'add', 'default', 'via', NODE_GATEWAY_IP);
    for (const [i, name] of podNames.entries()) {
      const netns = `mesh-e2e-${this.id}-${name}`;
      const subnet = `198.18.${i + 1}`;
      await ip('netns', 'add', netns);
      this.#namespaces.push(netns);
      const inPod = `mp${this.id}${i}`;
      const inNode = `mn${this.id}${i}`;
      await ip('link', 'add', inPod, 'type', 'veth', 'peer', 'name', inNode);
      this.#links.push(inPod);
      await ip('link', 'set', inPod, 'netns', netns);
      await ip('link', 'set', inNode, 'netns', this.node);
      await ip('-n', this.node, 'addr', 'add', `${subnet}.1/24`, 'dev', inNode);
      await ip('-n', this.node, 'link', 'set', inNode, 'up');
      await ip('-n', netns, 'addr', 'add', `${subnet}.2/24`, 'dev', inPod);
      await ip('-n', netns, 'link', 'set', inPod, 'up');
      await ip('-n', netns, 'link', 'set', 'lo', 'up');
      await ip('-n', netns, 'route', 'add', 'default', 'via', `${subnet}.1`);
      // The root namespace answers pods (pilot's replies) through the node.
      await ip('route', 'add', `${subnet}.0/24`, 'via', NODE_UPLINK_IP);
      this.pods.push({ name, netns, ip: `${subnet}.2` });
    }
  }

  pod(name: string): Pod {
    const p = this.pods.find((x) => x.name === name);
    if (!p) throw new Error(`no pod ${name} in this network`);
    return p;
  }

  /** Runs a command inside a pod's namespace; rejects with its stderr. */
  run(pod: Pod, cmd: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
    return exec('ip', ['netns', 'exec', pod.netns, cmd, ...args]);
  }

  async destroy(): Promise<void> {
    // Deleting a namespace deletes the veth ends inside it, their peers and the routes through them.
    for (const ns of this.#namespaces.reverse()) await exec('ip', ['netns', 'del', ns]).catch(() => {});
    for (const link of this.#links) await exec('ip', ['link', 'del', link]).catch(() => {});
  }
}
