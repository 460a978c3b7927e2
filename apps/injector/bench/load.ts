// A small HTTPS load generator for the admission benchmark, run in its own
// process (and on its own core) so it does not steal CPU from the injector.
//   node load.ts --url https://127.0.0.1:9443/inject --body review.json --ca cert.pem
//                [--rate 3000] [--duration 15] [--connections 32]
// With --rate it is open-loop: requests are scheduled at a fixed rate and each
// latency is measured from its scheduled time, so a stalled server shows up
// in the tail instead of slowing the generator down (no coordinated omission).
// Without --rate it is closed-loop: every connection sends its next request as
// soon as the previous answer arrives (maximum throughput).
// Prints one JSON line of results.
import { Pool } from 'undici';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    body: { type: 'string' },
    ca: { type: 'string' },
    rate: { type: 'string', default: '0' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
  },
});
const url = new URL(values.url!);
const body = readFileSync(values.body!);
const ca = readFileSync(values.ca!, 'utf8');
const rate = Number(values.rate);
const durationMs = Number(values.duration) * 1000;
const connections = Number(values.connections);
// undici: far less client CPU per request than node:https, so one core can drive the injector.
const pool = new Pool(url.origin, { connections, connect: { ca, servername: 'localhost' } });

const latencies: number[] = [];
let ok = 0;
let errors = 0;
let patched = 0;
let inflight = 0;

async function send(scheduled: bigint): Promise<void> {
  inflight++;
  try {
    const res = await pool.request({ path: url.pathname, method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const text = await res.body.text();
    latencies.push(Number(process.hrtime.bigint() - scheduled) / 1e6);
    if (res.statusCode === 200) {
      ok++;
      // Cheap check that the injector really injected (not just answered).
      if (text.includes('"patchType":"JSONPatch"')) patched++;
    } else errors++;
  } catch {
    errors++;
  } finally {
    inflight--;
  }
}

const start = process.hrtime.bigint();
const endAt = start + BigInt(durationMs) * 1_000_000n;
if (rate > 0) {
  const intervalNs = BigInt(Math.round(1e9 / rate));
  let next = start;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = process.hrtime.bigint();
      while (next <= now && next < endAt) {
        void send(next);
        next += intervalNs;
      }
      if (next >= endAt) return resolve();
      setTimeout(tick, 1);
    };
    tick();
  });
  while (inflight > 0) await new Promise((r) => setTimeout(r, 5));
} else {
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (process.hrtime.bigint() < endAt) await send(process.hrtime.bigint());
    }),
  );
}
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
const round = (n: number) => Math.round(n * 1000) / 1000;
await pool.close();
process.stdout.write(
  JSON.stringify({
    mode: rate > 0 ? `open-loop ${rate}/s` : `closed-loop ${connections} connections`,
    seconds: round(elapsed),
    requests: latencies.length,
    ok,
    patched,
    errors,
    perSecond: Math.round(ok / elapsed),
    p50ms: round(pct(50)),
    p90ms: round(pct(90)),
    p99ms: round(pct(99)),
    maxMs: round(latencies.at(-1) ?? NaN),
  }) + '\n',
);
