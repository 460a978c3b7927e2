// An open-loop HTTP/1.1 load generator: requests go out on a fixed schedule
// (request i at start + i / rate) whatever the server does, over keep-alive
// connections (a node:http Agent with at most `connections` sockets), and each
// request's latency is taken from its *scheduled* send time to its response's
// end, so a stall anywhere (server, proxy, this process) shows up in every
// request it delayed, not just the one that was waiting (coordinated
// omission; wrk2's correction). wrk cannot pace; this can, at the rates the
// sidecar benchmark needs (1,000 req/s).
//
// Also reported: the service time (from the moment the request got a socket,
// what a closed-loop tool measures) and the send lag (how late this process
// issued the request against its schedule: Node's timers have ~1 ms
// resolution, so up to ~1 ms of it is the generator's own floor, present in
// every target's figures alike).
//
// Run as a program it prints its result as JSON (the benchmark runs it pinned
// to a core with taskset):
//   node tools/bench/open-loop.ts --url http://127.0.0.1:8080/ --rate 1000 --seconds 10 [--header 'Host: x'] [--connections 32] [--warmup-seconds 2]
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface Percentiles {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export interface OpenLoopOptions {
  url: string;
  headers?: Record<string, string>;
  /** Requests per second, on a fixed schedule. */
  rate: number;
  seconds: number;
  /** At most this many keep-alive sockets (default 32); a request finding all busy waits in the Agent's queue, and that wait counts. */
  connections?: number;
  /** Per request (default 5,000 ms); a timed-out request counts as an error. */
  timeoutMs?: number;
  /** First run the same schedule for this long on the same connections and discard it (JIT, connections, pools). */
  warmupSeconds?: number;
}

export interface OpenLoopResult {
  rate: number;
  seconds: number;
  /** Requests the schedule held (rate × seconds) and that were issued. */
  scheduled: number;
  /** Requests answered (any status). */
  completed: number;
  non2xx: number;
  /** Socket errors and timeouts. */
  errors: number;
  /** From the first scheduled send to the last response. */
  elapsedSeconds: number;
  /** Answered requests / elapsed seconds. */
  achievedRate: number;
  /** Sockets the Agent opened during the measured run (after the warm-up: 0 once the pool is warm and large enough). */
  socketsOpened: number;
  /** Milliseconds from the scheduled send time to the end of the response (answered requests only). */
  latency: Percentiles;
  /** Milliseconds from the request getting a socket to the end of the response (what a closed-loop tool reports). */
  service: Percentiles;
  /** Milliseconds this process issued each request after its scheduled time. */
  sendLag: Percentiles;
}

/** The nearest-rank percentile (p in 0..100) of values sorted ascending; NaN when there are none. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  // The epsilon keeps float error (0.999 × 1000 = 999.0000000000001) from moving the rank up by one.
  const rank = Math.ceil((p / 100) * n - 1e-9);
  return sorted[Math.min(n - 1, Math.max(0, rank - 1))];
}

export function summarize(values: ArrayLike<number>): Percentiles {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    mean: sorted.length ? sum / sorted.length : NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}

export async function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections ?? 32, keepAliveMsecs: 30_000 });
  try {
    if (options.warmupSeconds && options.warmupSeconds > 0) await run(agent, { ...options, seconds: options.warmupSeconds });
    return await run(agent, options);
  } finally {
    agent.destroy();
  }
}

async function run(agent: http.Agent, options: OpenLoopOptions): Promise<OpenLoopResult> {
  const { rate, seconds } = options;
  if (!(rate > 0) || !(seconds > 0)) throw new Error('openLoop: rate and seconds must be positive');
  const url = new URL(options.url);
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const timeoutMs = options.timeoutMs ?? 5_000;
  let socketsOpened = 0;
  const countSocket = () => socketsOpened++;
  const latency = new Float64Array(total);
  const service = new Float64Array(total);
  const sendLag = new Float64Array(total);
  let completed = 0;
  let non2xx = 0;
  let errors = 0;
  let settled = 0;
  let lastEnd = 0;
  let allSettled: () => void = () => {};
  const done = new Promise<void>((resolve) => (allSettled = resolve));
  const settle = () => {
    if (++settled === total) allSettled();
  };

  const send = (scheduledAt: number) => {
    const issuedAt = performance.now();
    let socketAt = issuedAt;
    let finished = false;
    const finish = (ok: boolean, status = 0) => {
      if (finished) return;
      finished = true;
      if (ok) {
        const end = performance.now();
        lastEnd = Math.max(lastEnd, end);
        latency[completed] = end - scheduledAt;
        service[completed] = end - socketAt;
        sendLag[completed] = issuedAt - scheduledAt;
        completed++;
        if (status < 200 || status > 299) non2xx++;
      } else {
        errors++;
      }
      settle();
    };
    const req = http.request(
      { host: url.hostname, port: url.port || 80, path: url.pathname + url.search, method: 'GET', headers: options.headers, agent },
      (res) => {
        res.on('data', () => {});
        res.on('end', () => finish(true, res.statusCode ?? 0));
        res.on('error', () => finish(false));
      },
    );
    req.on('socket', (s) => {
      socketAt = performance.now();
      if (s.connecting) s.once('connect', countSocket);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', () => finish(false));
    req.end();
  };

  const start = performance.now() + 5;
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      // Everything due by now goes out at once: a late wake-up (timer resolution, a GC pause) sends the backlog,
      // and the latency of each still counts from its own scheduled time.
      while (next < total && start + next * interval <= now) send(start + next++ * interval);
      if (next >= total) return resolve();
      setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
    };
    setTimeout(tick, 5);
  });
  if (total > 0) await done;
  const elapsedSeconds = (Math.max(lastEnd, start + (total - 1) * interval) - start) / 1000;
  return {
    rate,
    seconds,
    scheduled: total,
    completed,
    non2xx,
    errors,
    elapsedSeconds,
    achievedRate: elapsedSeconds > 0 ? completed / elapsedSeconds : NaN,
    socketsOpened,
    latency: summarize(latency.subarray(0, completed)),
    service: summarize(service.subarray(0, completed)),
    sendLag: summarize(sendLag.subarray(0, completed)),
  };
}

function parseArgs(argv: string[]): OpenLoopOptions {
  const headers: Record<string, string> = {};
  const o: Partial<OpenLoopOptions> = {};
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--url': o.url = v; i++; break;
      case '--rate': o.rate = Number(v); i++; break;
      case '--seconds': o.seconds = Number(v); i++; break;
      case '--connections': o.connections = Number(v); i++; break;
      case '--timeout-ms': o.timeoutMs = Number(v); i++; break;
      case '--warmup-seconds': o.warmupSeconds = Number(v); i++; break;
      case '--header': {
        const at = v.indexOf(':');
        headers[v.slice(0, at).trim()] = v.slice(at + 1).trim();
        i++;
        break;
      }
      default: throw new Error(`open-loop: unknown argument ${argv[i]}`);
    }
  }
  if (!o.url || !o.rate || !o.seconds) throw new Error('usage: open-loop.ts --url URL --rate N --seconds N [--header "K: V"] [--connections N] [--timeout-ms N] [--warmup-seconds N]');
  return { ...o, headers } as OpenLoopOptions;
}

if (import.meta.main) {
  const result = await openLoop(parseArgs(process.argv.slice(2)));
  process.stdout.write(JSON.stringify(result) + '\n');
}
