// Admission benchmark: how many AdmissionReviews per second the injector
// answers on ONE core, and its p99 latency at 3,000/s.
//
//   node apps/injector/bench/admission.ts [--duration 15] [--rate 3000] [--runs 3]
//
// The injector runs as its own process pinned to core 0 (taskset -c 0) with
// local-mode settings; load comes from a second process pinned to core 1:
//   1. wrk (closed loop, HTTPS keep-alive, POST body from a Lua script): maximum throughput;
//   2. bench/load.ts open loop at --rate: latency percentiles at that rate,
//      measured from each request's scheduled time.
// Every request is a real AdmissionReview of a Deployment's pod; the answers
// are checked to be 200s carrying a JSONPatch. Each measurement is repeated
// --runs times and the load average printed: on a shared machine other
// processes steal the cores, which shows up as a spread between runs.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, totalmem, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, startProcess } from '@mesh/testing';
import { appPod, review } from '../src/testing/fixtures.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: { duration: { type: 'string', default: '15' }, rate: { type: 'string', default: '3000' }, runs: { type: 'string', default: '3' } },
});
const duration = Number(values.duration);
const runs = Number(values.runs);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited with ${code}: ${out}`))));
  });
}

/** CPU seconds a process has used (user + system, all threads). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line, 12th and 13th after the command name; in clock ticks (100/s).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

for (const bin of ['taskset', 'wrk']) {
  try {
    execFileSync('which', [bin], { stdio: 'ignore' });
  } catch {
    throw new Error(`${bin} is needed for this benchmark (Debian packages util-linux and wrk)`);
  }
}
if (cpus().length < 2) throw new Error('the benchmark needs 2 cores: one for the injector, one for the load');

const dir = mkdtempSync(path.join(tmpdir(), 'injector-bench-'));
const meshFile = path.join(dir, 'mesh.yaml');
const certFile = path.join(dir, 'cert.pem');
const bodyFile = path.join(dir, 'review.json');
writeFileSync(meshFile, '{}\n');
// A typical Deployment pod: one app container with ports and HTTP/TCP probes, a few labels.
const pod = appPod();
pod.metadata.annotations = { 'traffic.sidecar.istio.io/excludeOutboundPorts': '5432' };
writeFileSync(bodyFile, JSON.stringify(review(pod)));

const port = await freePort();
const injector = startProcess('injector', 'apps/injector/src/main.ts', ['--mesh-config', meshFile, '--port', String(port), '--monitoring-port', '0', '--self-signed-cert-out', certFile], {
  env: { LOG_LEVEL: 'info' },
});
try {
  await injector.waitForLine((l) => l.msg === 'ready');
  execFileSync('taskset', ['-a', '-p', '-c', '0', String(injector.child.pid)], { stdio: 'ignore' });
  const url = `https://127.0.0.1:${port}/inject`;
  const generator = (args: string[]) =>
    run('taskset', ['-c', '1', process.execPath, path.join(here, 'load.ts'), '--url', url, '--body', bodyFile, '--ca', certFile, ...args]).then((s) => JSON.parse(s));
  const loadBefore = load();

  process.stderr.write('warming up (5 s)...\n');
  await generator(['--duration', '5', '--connections', '16']);

  // Injector CPU per admission: independent of what else runs on the machine, so it gives the
  // one-core capacity (1 / CPU per admission) even when other processes share the core.
  const rows: Array<{ run: number; wrkPerSecond: number; wrkP99: string; cpuUsPerAdmission: number; fixed: any }> = [];
  const pid = injector.child.pid!;
  let lastWrk = '';
  for (let i = 1; i <= runs; i++) {
    process.stderr.write(`run ${i}/${runs}: wrk closed loop ${duration} s, then open loop at ${values.rate}/s ${duration} s (load ${load()})\n`);
    const cpu0 = cpuSeconds(pid);
    lastWrk = await run('taskset', ['-c', '1', 'wrk', '-t1', '-c16', `-d${duration}s`, '--latency', '-s', path.join(here, 'post.lua'), url], { BENCH_BODY: bodyFile });
    if (/Non-2xx/.test(lastWrk)) throw new Error(`wrk saw non-200 answers:\n${lastWrk}`);
    const wrkRequests = Number(/(\d+) requests in/.exec(lastWrk)?.[1]);
    const cpuUsPerAdmission = Math.round(((cpuSeconds(pid) - cpu0) / wrkRequests) * 1e6);
    const fixed = await generator(['--rate', values.rate!, '--duration', String(duration), '--connections', '32']);
    if (fixed.errors || fixed.patched !== fixed.ok) throw new Error(`bad answers at fixed rate: ${JSON.stringify(fixed)}`);
    rows.push({ run: i, wrkPerSecond: Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(lastWrk)?.[1])), wrkP99: /^\s+99%\s+(\S+)$/m.exec(lastWrk)?.[1] ?? '?', cpuUsPerAdmission, fixed });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const result = {
    machine: `${cpus().length} cores (${cpus()[0].model}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    loadAverage: { before: loadBefore, after: load() },
    injectorCores: 1,
    medians: {
      maxPerSecond: median(rows.map((r) => r.wrkPerSecond)),
      cpuUsPerAdmission: median(rows.map((r) => r.cpuUsPerAdmission)),
      oneCoreCapacityPerSecond: Math.round(1e6 / median(rows.map((r) => r.cpuUsPerAdmission))),
      [`p99msAt${values.rate}`]: median(rows.map((r) => r.fixed.p99ms)),
    },
    runs: rows,
  };
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  process.stdout.write('| run | wrk -c16 admissions/s | wrk p99 | injector CPU per admission | open-loop rate | achieved/s | p50 ms | p90 ms | p99 ms | max ms |\n|---|---|---|---|---|---|---|---|---|---|\n');
  for (const r of rows) {
    process.stdout.write(`| ${r.run} | ${r.wrkPerSecond} | ${r.wrkP99} | ${r.cpuUsPerAdmission} µs | ${values.rate}/s | ${r.fixed.perSecond} | ${r.fixed.p50ms} | ${r.fixed.p90ms} | ${r.fixed.p99ms} | ${r.fixed.maxMs} |\n`);
  }
  process.stdout.write(`\nlast wrk output:\n${lastWrk}`);
} finally {
  await injector.stop();
  rmSync(dir, { recursive: true, force: true });
}
