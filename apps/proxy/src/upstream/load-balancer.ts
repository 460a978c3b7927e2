// Envoy's load balancing policies over the hosts a cluster currently routes
// to. Each balancer is built for one host set and rebuilt when the set (or a
// host's health) changes, so a pick is a few arithmetic operations.
import type { LbPolicy } from '../config/cluster-config.ts';

export interface Balanced {
  readonly weight: number;
  /** Requests in flight to this host (least-request reads it). */
  readonly active: number;
  readonly key: string;
}

export interface LoadBalancer<H extends Balanced> {
  /**
   * `hash` is used by RING_HASH/MAGLEV; others ignore it. `attempt` counts the picks a retry host predicate
   * (previous_hosts) has refused for this request: the hash balancers then look elsewhere, each the way Envoy's does
   * (the ring's next entries; maglev, a hash with most bits flipped).
   */
  pick(hash: number | undefined, attempt?: number): H | undefined;
}

/** Envoy's alternate hash for a maglev host-selection retry: most bits flipped, so the pick lands far from the last. */
function retryHash(hash: number, attempt: number | undefined): number {
  return attempt ? (hash ^ (0xffffffff - attempt + 1)) >>> 0 : hash;
}

class Empty<H extends Balanced> implements LoadBalancer<H> {
  pick(): H | undefined {
    return undefined;
  }
}

/** Plain rotation when weights are equal; smooth weighted round robin otherwise (no bursts to heavy hosts). */
export class RoundRobin<H extends Balanced> implements LoadBalancer<H> {
  readonly #hosts: H[];
  readonly #weighted: boolean;
  readonly #current: Float64Array;
  readonly #total: number;
  #next: number;

  constructor(hosts: H[], random: () => number = Math.random) {
    this.#hosts = hosts;
    this.#weighted = hosts.some((h) => h.weight !== hosts[0].weight);
    this.#current = new Float64Array(hosts.length);
    this.#total = hosts.reduce((s, h) => s + h.weight, 0);
    // Envoy starts each balancer at a random host so many proxies do not hit the first host together.
    this.#next = Math.floor(random() * hosts.length);
  }

  pick(): H | undefined {
    const hosts = this.#hosts;
    if (!this.#weighted) {
      const i = this.#next;
      this.#next = i + 1 >= hosts.length ? 0 : i + 1;
      return hosts[i];
    }
    const cur = this.#current;
    let best = 0;
    for (let i = 0; i < hosts.length; i++) {
      cur[i] += hosts[i].weight;
      if (cur[i] > cur[best]) best = i;
    }
    cur[best] -= this.#total;
    return hosts[best];
  }
}

/** Power of two choices by in-flight requests (weight-normalized), Envoy's default of choice_count 2. */
export class LeastRequest<H extends Balanced> implements LoadBalancer<H> {
  private readonly hosts: H[];
  private readonly choices: number;
  private readonly random: () => number;

  constructor(hosts: H[], choices: number, random: () => number = Math.random) {
    this.hosts = hosts;
    this.choices = choices;
    this.random = random;
  }

  pick(): H | undefined {
    const hosts = this.hosts;
    if (hosts.length === 1) return hosts[0];
    let best = hosts[Math.floor(this.random() * hosts.length)];
    for (let c = 1; c < this.choices; c++) {
      const h = hosts[Math.floor(this.random() * hosts.length)];
      if ((h.active + 1) / h.weight < (best.active + 1) / best.weight) best = h;
    }
    return best;
  }
}

export class WeightedRandom<H extends Balanced> implements LoadBalancer<H> {
  readonly #cumulative: Float64Array;
  readonly #total: number;

  private readonly hosts: H[];
  private readonly random: () => number;

  constructor(hosts: H[], random: () => number = Math.random) {
    this.hosts = hosts;
    this.random = random;
    this.#cumulative = new Float64Array(hosts.length);
    let sum = 0;
    hosts.forEach((h, i) => (this.#cumulative[i] = sum += h.weight));
    this.#total = sum;
  }

  pick(): H | undefined {
    const r = this.random() * this.#total;
    const c = this.#cumulative;
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (c[mid] > r) hi = mid;
      else lo = mid + 1;
    }
    return this.hosts[lo];
  }
}

/** 32-bit FNV-1a: cheap, stable across processes, good enough spread for a ring. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Final avalanche (murmur3 fmix32) so nearby keys spread over the ring.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Consistent hashing with a ring (RING_HASH): a request hash keeps going to the same host. */
export class RingHash<H extends Balanced> implements LoadBalancer<H> {
  readonly #points: Uint32Array;
  readonly #owners: H[];
  readonly #fallback: LoadBalancer<H>;

  constructor(hosts: H[], minRingSize: number, random: () => number = Math.random) {
    const totalWeight = hosts.reduce((s, h) => s + h.weight, 0);
    const entries: Array<[number, H]> = [];
    for (const h of hosts) {
      const n = Math.max(1, Math.ceil((minRingSize * h.weight) / totalWeight));
      for (let i = 0; i < n; i++) entries.push([hash32(`${h.key}_${i}`), h]);
    }
    entries.sort((a, b) => a[0] - b[0]);
    this.#points = Uint32Array.from(entries.map((e) => e[0]));
    this.#owners = entries.map((e) => e[1]);
    this.#fallback = new WeightedRandom(hosts, random);
  }

  pick(hash: number | undefined, attempt?: number): H | undefined {
    if (hash === undefined) return this.#fallback.pick(undefined);
    const p = this.#points;
    let lo = 0;
    let hi = p.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (p[mid] < hash) lo = mid + 1;
      else hi = mid;
    }
    // A host-selection retry takes the entries after the hash's, as Envoy's ring does: usually another host.
    return this.#owners[((lo === p.length ? 0 : lo) + (attempt ?? 0)) % p.length];
  }
}

/**
 * Maglev consistent hashing (MAGLEV): a lookup table of a prime size filled
 * from each host's permutation of the slots, in turns weighted by the hosts'
 * weights (as Envoy builds it), so a hash keeps its host and a host leaving
 * moves only the keys it had.
 */
export class Maglev<H extends Balanced> implements LoadBalancer<H> {
  readonly #table: H[];
  readonly #fallback: LoadBalancer<H>;

  constructor(hosts: H[], tableSize: number, random: () => number = Math.random) {
    const size = tableSize;
    const maxWeight = Math.max(...hosts.map((h) => h.weight));
    const entries = hosts.map((h) => ({
      host: h,
      offset: hash32(`${h.key}`) % size,
      skip: (hash32(`${h.key}#skip`) % (size - 1)) + 1,
      weight: h.weight,
      target: 0,
      next: 0,
    }));
    const table = new Array<H | undefined>(size);
    let filled = 0;
    for (let iteration = 1; filled < size; iteration++) {
      for (let i = 0; i < entries.length && filled < size; i++) {
        const e = entries[i];
        // A host of the largest weight takes a slot every turn; one of a third of it, every third turn.
        if (iteration * e.weight < e.target) continue;
        e.target += maxWeight;
        let c = (e.offset + e.skip * e.next) % size;
        while (table[c] !== undefined) {
          e.next++;
          c = (e.offset + e.skip * e.next) % size;
        }
        table[c] = e.host;
        e.next++;
        filled++;
      }
    }
    this.#table = table as H[];
    this.#fallback = new WeightedRandom(hosts, random);
  }

  pick(hash: number | undefined, attempt?: number): H | undefined {
    if (hash === undefined) return this.#fallback.pick(undefined);
    return this.#table[retryHash(hash, attempt) % this.#table.length];
  }
}

export function createLoadBalancer<H extends Balanced>(
  policy: LbPolicy,
  hosts: H[],
  options: { choiceCount?: number; ringSize?: number; tableSize?: number; random?: () => number } = {},
): LoadBalancer<H> {
  if (hosts.length === 0) return new Empty<H>();
  switch (policy) {
    case 'LEAST_REQUEST':
      return new LeastRequest(hosts, options.choiceCount ?? 2, options.random);
    case 'RANDOM':
      return new WeightedRandom(hosts, options.random);
    case 'RING_HASH':
      return new RingHash(hosts, options.ringSize ?? 1024, options.random);
    case 'MAGLEV':
      return new Maglev(hosts, options.tableSize ?? 65_537, options.random);
    default:
      return new RoundRobin(hosts, options.random);
  }
}
