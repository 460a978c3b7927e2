import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { openLoop, percentile, summarize } from './open-loop.ts';

async function listen(handler: http.RequestListener): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

const close = (server: http.Server) => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r())));

describe('percentiles', () => {
  it('are nearest-rank over the sorted values', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    const s = summarize(values);
    assert.deepEqual({ p50: s.p50, p90: s.p90, p99: s.p99, p999: s.p999, max: s.max, count: s.count, mean: s.mean }, { p50: 50, p90: 90, p99: 99, p999: 100, max: 100, count: 100, mean: 50.5 });
    assert.equal(percentile([7], 99), 7);
    assert.equal(percentile([1, 2, 3, 4], 50), 2);
    assert.equal(percentile([1, 2, 3, 4], 51), 3);
    assert.equal(percentile([1, 2, 3, 4], 0), 1);
    assert.ok(Number.isNaN(percentile([], 50)));
    // 1,000 values: p99 is the 990th, p99.9 the 999th.
    const k = summarize(Array.from({ length: 1000 }, (_, i) => i + 1));
    assert.equal(k.p99, 990);
    assert.equal(k.p999, 999);
  });
});

describe('openLoop', () => {
  const servers: http.Server[] = [];
  after(() => Promise.all(servers.map(close)));

  it('keeps its rate against a local server and sends the header given', async () => {
    let hosts = 0;
    const { url, server } = await listen((req, res) => {
      if (req.headers.host === 'upstream.example') hosts++;
      res.end('hello from upstream\n');
    });
    servers.push(server);
    const r = await openLoop({ url, rate: 500, seconds: 2, headers: { Host: 'upstream.example' }, connections: 8 });
    assert.equal(r.scheduled, 1000);
    assert.equal(r.completed, 1000);
    assert.equal(hosts, 1000);
    assert.equal(r.non2xx + r.errors, 0);
    // The schedule spans 2 s and is never run ahead of. How far a busy machine (npm test runs projects in
    // parallel on 2 cores) stretches the tail is the benchmark's business, not this test's: the bounds only
    // catch a generator that ignores its schedule (a closed loop would finish far sooner or far later).
    assert.ok(r.elapsedSeconds >= 1.99 && r.elapsedSeconds < 6, `elapsed ${r.elapsedSeconds}`);
    assert.ok(r.achievedRate > 160 && r.achievedRate <= 505, `achieved ${r.achievedRate}`);
    assert.ok(r.latency.p50 >= r.service.p50, 'latency from the schedule is never below the service time');
    assert.ok(r.socketsOpened >= 1 && r.socketsOpened <= 8, `sockets ${r.socketsOpened}`);
  });

  it('counts a stall in every request it delayed (no coordinated omission)', async () => {
    // One connection; the server holds its answer to the 60th request for 200 ms (by count, not by clock, so a
    // busy machine cannot make the stall miss). The requests scheduled meanwhile wait in the Agent's queue: a
    // closed-loop tool would see one slow request, the open-loop latency sees every one of them.
    let seen = 0;
    const { url, server } = await listen((_req, res) => {
      if (++seen === 60) setTimeout(() => res.end('late\n'), 200);
      else res.end('ok\n');
    });
    servers.push(server);
    const r = await openLoop({ url, rate: 200, seconds: 1, connections: 1 });
    assert.equal(r.completed, 200);
    assert.equal(r.socketsOpened, 1);
    // ~40 of 200 requests (20%) were scheduled during the stall and delayed by up to 200 ms.
    assert.ok(r.latency.p90 > 40, `latency p90 ${r.latency.p90} ms`);
    assert.ok(r.latency.max > 150, `latency max ${r.latency.max} ms`);
    // Once a queued request has the socket it is answered at once: its service time does not include the wait.
    assert.ok(r.service.p90 < r.latency.p90 / 2, `service p90 ${r.service.p90} ms, latency p90 ${r.latency.p90} ms`);
  });

  it('counts connection failures as errors', async () => {
    const { url, server } = await listen(() => {});
    await close(server);
    const r = await openLoop({ url, rate: 100, seconds: 0.2, timeoutMs: 1_000 });
    assert.equal(r.scheduled, 20);
    assert.equal(r.errors, 20);
    assert.equal(r.completed, 0);
  });
});
