import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LeastRequest, Maglev, RingHash, RoundRobin, WeightedRandom, hash32, type Balanced } from './load-balancer.ts';

const host = (key: string, weight = 1, active = 0): Balanced => ({ key, weight, active });
const picks = (lb: { pick(h: number | undefined): Balanced | undefined }, n: number, hash?: number) => Array.from({ length: n }, () => lb.pick(hash)!.key);
const count = (keys: string[]) => keys.reduce<Record<string, number>>((m, k) => ((m[k] = (m[k] ?? 0) + 1), m), {});

describe('load balancers', () => {
  it('round robin rotates through equal-weight hosts', () => {
    const lb = new RoundRobin([host('a'), host('b'), host('c')], () => 0);
    assert.deepEqual(picks(lb, 6), ['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('weighted round robin interleaves by weight instead of bursting', () => {
    const lb = new RoundRobin([host('a', 3), host('b', 1)], () => 0);
    const seq = picks(lb, 8);
    assert.deepEqual(count(seq), { a: 6, b: 2 });
    assert.ok(seq.slice(0, 4).includes('b'), 'the light host is picked within the first cycle');
  });

  it('least request prefers the host with fewer requests in flight', () => {
    let i = 0;
    const draws = [0, 0.6]; // picks hosts[0] then hosts[1]
    const lb = new LeastRequest([host('busy', 1, 10), host('idle', 1, 0)], 2, () => draws[i++ % 2]);
    assert.equal(lb.pick()!.key, 'idle');
  });

  it('random follows weights', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const c = count(picks(new WeightedRandom([host('a', 1), host('b', 4)], random), 10_000));
    assert.ok(c.b / c.a > 3.5 && c.b / c.a < 4.5, JSON.stringify(c));
  });

  it('ring hash keeps a key on one host and moves few keys when a host leaves', () => {
    const all = ['a', 'b', 'c', 'd'].map((k) => host(k));
    const ring = new RingHash(all, 1024);
    const fewer = new RingHash(all.filter((h) => h.key !== 'd'), 1024);
    let moved = 0;
    for (let i = 0; i < 1000; i++) {
      const h = hash32(`user-${i}`);
      assert.equal(ring.pick(h)!.key, ring.pick(h)!.key);
      const before = ring.pick(h)!.key;
      if (before !== 'd' && fewer.pick(h)!.key !== before) moved++;
    }
    assert.ok(moved < 100, `only keys of the removed host should move (${moved} others moved)`);
  });

  it('maglev keeps a key on one host, spreads by weight, and moves few keys when a host leaves', () => {
    const all = ['a', 'b', 'c', 'd'].map((k) => host(k));
    const table = new Maglev(all, 65_537);
    const fewer = new Maglev(all.filter((h) => h.key !== 'd'), 65_537);
    let moved = 0;
    const counts: Record<string, number> = {};
    for (let i = 0; i < 4000; i++) {
      const h = hash32(`user-${i}`);
      const before = table.pick(h)!.key;
      assert.equal(table.pick(h)!.key, before);
      counts[before] = (counts[before] ?? 0) + 1;
      if (before !== 'd' && fewer.pick(h)!.key !== before) moved++;
    }
    for (const k of ['a', 'b', 'c', 'd']) assert.ok(counts[k] > 800 && counts[k] < 1200, JSON.stringify(counts));
    assert.ok(moved < 200, `only keys of the removed host should (mostly) move (${moved} others moved)`);
    const weighted = new Maglev([host('heavy', 3), host('light', 1)], 1031);
    const w = count(Array.from({ length: 4000 }, (_, i) => weighted.pick(hash32(`k-${i}`))!.key));
    assert.ok(w.heavy / w.light > 2.5 && w.heavy / w.light < 3.5, JSON.stringify(w));
  });
});
