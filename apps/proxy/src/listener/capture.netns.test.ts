// End to end with the kernel: connections an app makes are really redirected
// by iptables to the proxy's virtualOutbound (15001), whose original_dst
// (SO_ORIGINAL_DST through @mesh/original-dst, not an injected resolver) and
// use_original_dst hand-off route them as Envoy would. Needs root, iproute2
// and iptables with the nat table.
//
//   "pod"  198.18.0.1/24 (the proxy's own source) and 198.18.0.3/24 (the app's):
//            nat OUTPUT -p tcp -s 198.18.0.3 -j REDIRECT --to-ports 15001
//          (Istio excludes the proxy's traffic by its uid; here by its source address)
//   "peer" 198.18.0.2/24: an HTTP service on :8000 and an echo service on :7000.
// 198.18.0.0/15 is the benchmarking range; nothing leaves the namespaces.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { hcm, tcpProxy } from './listener-test-harness.ts';
import { netnsPreflight } from '@mesh/testing';

const exec = promisify(execFile);
const AGENT = fileURLToPath(new URL('./testing/capture-agent.ts', import.meta.url));
const POD = '198.18.0.1';
const APP = '198.18.0.3';
const PEER = '198.18.0.2';


type Line = Record<string, unknown>;

class Agent {
  readonly child: ChildProcess;
  readonly #lines: Line[] = [];
  readonly #waiters: Array<() => void> = [];
  #err = '';
  readonly exited: Promise<void>;

  constructor(ns: string, args: string[]) {
    this.child = spawn('ip', ['netns', 'exec', ns, process.execPath, AGENT, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let buf = '';
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        this.#lines.push(JSON.parse(buf.slice(0, nl)) as Line);
        buf = buf.slice(nl + 1);
        this.#waiters.splice(0).forEach((w) => w());
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.#err += d));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', () => {
        this.#waiters.splice(0).forEach((w) => w());
        resolve();
      }),
    );
  }

  async next(): Promise<Line> {
    const deadline = Date.now() + 15_000;
    while (this.#lines.length === 0) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`agent exited before answering; stderr: ${this.#err}`);
      if (Date.now() > deadline) throw new Error(`agent printed nothing within 15 s; stderr: ${this.#err}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.#lines.shift()!;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

describe('transparent capture in a network namespace (real iptables REDIRECT and SO_ORIGINAL_DST)', () => {
  const id = `${process.pid.toString(36).slice(-4)}${randomBytes(2).toString('hex')}`;
  const pod = `mesh-cap-${id}-pod`;
  const peer = `mesh-cap-${id}-peer`;
  const vethPod = `mcp${id}`;
  const vethPeer = `mcq${id}`;
  const agents: Agent[] = [];
  let proxy: Agent;

  const start = async (ns: string, args: string[]) => {
    const a = new Agent(ns, args);
    agents.push(a);
    const line = await a.next();
    if (!line.ready) throw new Error(`agent ${args[0]} did not start: ${JSON.stringify(line)}`);
    return a;
  };
  const once = async (ns: string, args: string[]) => {
    const a = new Agent(ns, args);
    agents.push(a);
    try {
      return await a.next();
    } finally {
      await a.stop();
    }
  };

  before(async () => {
    await netnsPreflight('the capture test', ['ip', 'iptables']);
    const ip = (...a: string[]) => exec('ip', a);
    await ip('netns', 'add', pod);
    await ip('netns', 'add', peer);
    await ip('link', 'add', vethPod, 'type', 'veth', 'peer', 'name', vethPeer);
    await ip('link', 'set', vethPod, 'netns', pod);
    await ip('link', 'set', vethPeer, 'netns', peer);
    await ip('-n', pod, 'addr', 'add', `${POD}/24`, 'dev', vethPod);
    await ip('-n', pod, 'addr', 'add', `${APP}/24`, 'dev', vethPod);
    await ip('-n', peer, 'addr', 'add', `${PEER}/24`, 'dev', vethPeer);
    for (const [ns, dev] of [
      [pod, vethPod],
      [peer, vethPeer],
    ]) {
      await ip('-n', ns, 'link', 'set', dev, 'up');
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    await exec('ip', ['netns', 'exec', pod, 'iptables', '-t', 'nat', '-A', 'OUTPUT', '-p', 'tcp', '-s', APP, '-j', 'REDIRECT', '--to-ports', '15001']);
    await start(peer, ['http', PEER, '8000', 'reviews']);
    await start(peer, ['echo', PEER, '7000']);
    const resources = {
      listeners: [
        {
          name: 'virtualOutbound',
          address: { socketAddress: { address: '0.0.0.0', portValue: 15001 } },
          useOriginalDst: { value: true },
          defaultFilterChain: { filters: [tcpProxy('PassthroughCluster', 'PassthroughCluster')] },
        },
        {
          name: '0.0.0.0_9080',
          address: { socketAddress: { address: '0.0.0.0', portValue: 9080 } },
          bindToPort: { value: false },
          listenerFilters: [{ name: 'envoy.filters.listener.http_inspector' }],
          filterChains: [{ filterChainMatch: { applicationProtocols: ['http/1.1'] }, filters: [hcm('outbound_0.0.0.0_9080', '9080')] }],
        },
      ],
      routes: [{ name: '9080', virtualHosts: [{ name: 'reviews', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'outbound|9080||reviews' } }] }] }],
      clusters: [
        {
          name: 'outbound|9080||reviews',
          type: 'STATIC',
          connectTimeout: { seconds: 2 },
          loadAssignment: { clusterName: 'outbound|9080||reviews', endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: PEER, portValue: 8000 } } } }] }] },
        },
        { name: 'PassthroughCluster', type: 'ORIGINAL_DST', lbPolicy: 'CLUSTER_PROVIDED', connectTimeout: { seconds: 2 } },
      ],
    };
    proxy = await start(pod, ['proxy', Buffer.from(JSON.stringify(resources)).toString('base64')]);
  });

  after(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    for (const ns of [pod, peer]) await exec('ip', ['netns', 'del', ns]).catch(() => {});
    await exec('ip', ['link', 'del', vethPod]).catch(() => {});
  });

  it('an app dialing a service IP (198.18.0.7:9080, nothing listens there) is served by 0.0.0.0_9080 through the proxy', async () => {
    const r = await once(pod, ['get', '198.18.0.7', '9080', '/reviews/1', APP]);
    assert.equal(r.status, 200, JSON.stringify(r));
    const body = JSON.parse(String(r.body));
    assert.equal(body.upstream, 'reviews');
    assert.equal(body.url, '/reviews/1');
    assert.equal(body.peer, POD, 'the upstream connection came from the proxy, not the app');
  });

  it('an app dialing an address no listener knows passes through (PassthroughCluster) to where it was going', async () => {
    const r = await once(pod, ['tcp', PEER, '7000', 'hello through', APP]);
    assert.deepEqual(r, { reply: 'hello through' });
  });

  it('counted the hand-off and the passthrough', async () => {
    proxy.child.stdin!.write('stats\n');
    const { stats } = (await proxy.next()) as { stats: string[] };
    assert.ok(stats.includes('listener.0.0.0.0_15001.original_dst_handoff: 1'), stats.join('\n'));
    assert.ok(stats.includes('tcp.PassthroughCluster.downstream_cx_total: 1'), stats.join('\n'));
  });
});
