// Admission benchmark: how many AdmissionReviews per second the injector
// answers on ONE core, and its p99 latency at 3,000 admissions/s.
//
//   node apps/injector/bench/admission.ts [--duration 10] [--rate 3000] [--runs 5]
//
// The injector runs as its own process pinned to core 0 (taskset) with
// local-mode settings; wrk (HTTPS keep-alive, the POST body from post.lua)
// runs pinned to core 1. Every request is a real AdmissionReview of a
// Deployment's pod and every answer must be a 200 (wrk reports any other).
// Each run measures:
//   - capacity: wrk -c16 as fast as it goes (admissions/s, latency percentiles);
//   - CPU per admission: the injector's CPU time / admissions, which does not
//     depend on what else runs on the machine (1 s / it = one-core capacity);
//   - latency at --rate: wrk -c12 paced by a per-connection pause (calibrated
//     so the achieved rate is at least --rate), p50/p99/max.
// The machine's CPU used by OTHER processes during each run is printed too:
// on a shared machine they steal the cores and show up in the tail.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, startProcess } from '@mesh/testing';
import { appPod, review } from '../src/testing/fixtures.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: { duration: { type: 'string', default: '10' }, rate: { type: 'string', default: '3000' }, runs: { type: 'string', default: '5' } },
});
const duration = Number(values.duration);
const rate = Number(values.rate);
const runs = Number(values.runs);

/** CPU seconds a process has used (user + system, all threads). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime: fields 14 and 15 of the line, 12th and 13th after the command name; clock ticks (100/s).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds the whole machine spent in processes (user + system, all cores; not interrupts, which loopback traffic causes). */
function machineBusySeconds(): number {
  const [user, nice, system] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system) / 100;
}

interface WrkResult {
  perSecond: number;
  requests: number;
  p50: string;
  p99: string;
  max: string;
  /** CPU seconds wrk itself used. */
  cpu: number;
  text: string;
}

function wrk(url: string, body: string, connections: number, seconds: number, pauseMs = 0): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      '/usr/bin/time',
      ['-f', 'wrk-cpu %U %S', 'taskset', '-c', '1', 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', path.join(here, 'post.lua'), url],
      { env: { ...process.env, BENCH_BODY: body, BENCH_DELAY_MS: String(pauseMs) }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited with ${code}: ${out}${err}`));
      if (/Non-2xx/.test(out)) return reject(new Error(`wrk saw non-200 answers:\n${out}`));
      const cpu = /wrk-cpu ([\d.]+) ([\d.]+)/.exec(err);
      resolve({
        perSecond: Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1])),
        requests: Number(/(\d+) requests in/.exec(out)?.[1]),
        p50: /^\s+50%\s+(\S+)$/m.exec(out)?.[1] ?? '?',
        p99: /^\s+99%\s+(\S+)$/m.exec(out)?.[1] ?? '?',
        max: /Latency\s+\S+\s+\S+\s+(\S+)/.exec(out)?.[1] ?? '?',
        cpu: cpu ? Number(cpu[1]) + Number(cpu[2]) : 0,
        text: out,
      });
    });
  });
}

for (const bin of ['taskset', 'wrk', '/usr/bin/time']) {
  try {
    execFileSync('which', [bin], { stdio: 'ignore' });
  } catch {
    throw new Error(`${bin} is needed for this benchmark (Debian packages util-linux, wrk, time)`);
  }
}
if (cpus().length < 2) throw new Error('the benchmark needs 2 cores: one for the injector, one for the load');

const dir = mkdtempSync(path.join(tmpdir(), 'injector-bench-'));
const meshFile = path.join(dir, 'mesh.yaml');
const bodyFile = path.join(dir, 'review.json');
writeFileSync(meshFile, '{}\n');
// A typical Deployment pod: one app container with ports and HTTP/TCP probes, labels, an annotation.
const pod = appPod();
pod.metadata.annotations = { 'traffic.sidecar.istio.io/excludeOutboundPorts': '5432' };
writeFileSync(bodyFile, JSON.stringify(review(pod)));

const port = await freePort();
const injector = startProcess('injector', 'apps/injector/src/main.ts', ['--mesh-config', meshFile, '--port', String(port), '--monitoring-port', '0'], {
  env: { LOG_LEVEL: 'info' },
});
try {
  await injector.waitForLine((l) => l.msg === 'ready');
  const pid = injector.child.pid!;
  execFileSync('taskset', ['-a', '-p', '-c', '0', String(pid)], { stdio: 'ignore' });
  const url = `https://127.0.0.1:${port}/inject`;

  process.stderr.write('warming up (5 s)...\n');
  await wrk(url, bodyFile, 16, 5);

  // Pace 12 connections so that together they send at least `rate` admissions/s.
  let pause = Math.max(0, Math.floor((12 / rate) * 1000) - 1);
  for (; pause > 0; pause--) {
    const probe = await wrk(url, bodyFile, 12, 3, pause);
    if (probe.perSecond >= rate) break;
  }
  process.stderr.write(`pacing: 12 connections, ${pause} ms pause after each answer\n`);

  const rows: Array<{ run: number; capacity: WrkResult; cpuUs: number; paced: WrkResult; othersPct: number }> = [];
  for (let i = 1; i <= runs; i++) {
    process.stderr.write(`run ${i}/${runs}...\n`);
    const m0 = machineBusySeconds();
    const c0 = cpuSeconds(pid);
    const capacity = await wrk(url, bodyFile, 16, duration);
    const cpuUs = Math.round(((cpuSeconds(pid) - c0) / capacity.requests) * 1e6);
    const paced = await wrk(url, bodyFile, 12, duration, pause);
    const others = machineBusySeconds() - m0 - (cpuSeconds(pid) - c0) - capacity.cpu - paced.cpu;
    rows.push({ run: i, capacity, cpuUs, paced, othersPct: Math.max(0, Math.round((others / (2 * duration)) * 100)) });
  }
  const ms = (s: string) => (s.endsWith('us') ? Number(s.slice(0, -2)) / 1000 : s.endsWith('ms') ? Number(s.slice(0, -2)) : Number(s.slice(0, -1)) * 1000);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const quietest = [...rows].sort((a, b) => a.othersPct - b.othersPct)[0];
  process.stdout.write(
    [
      `machine: ${cpus().length} cores (${cpus()[0].model}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; injector pinned to core 0, wrk to core 1`,
      `median of ${runs} runs: capacity ${median(rows.map((r) => r.capacity.perSecond))} admissions/s (wrk -c16), ` +
        `injector CPU ${median(rows.map((r) => r.cpuUs))} µs/admission (= ${Math.round(1e6 / median(rows.map((r) => r.cpuUs)))}/s on one core), ` +
        `p99 at ${rate}/s ${median(rows.map((r) => ms(r.paced.p99)))} ms`,
      `quietest run (${quietest.run}, other processes ${quietest.othersPct}% of the machine): capacity ${quietest.capacity.perSecond}/s, ` +
        `paced ${quietest.paced.perSecond}/s p99 ${quietest.paced.p99}`,
      '',
      '| run | other processes (% of machine) | capacity (wrk -c16) admissions/s | capacity p99 | injector CPU per admission | paced admissions/s | paced p50 | paced p99 | paced max |',
      '|---|---|---|---|---|---|---|---|---|',
      ...rows.map(
        (r) =>
          `| ${r.run} | ${r.othersPct}% | ${r.capacity.perSecond} | ${r.capacity.p99} | ${r.cpuUs} µs | ${r.paced.perSecond} | ${r.paced.p50} | ${r.paced.p99} | ${r.paced.max} |`,
      ),
      '',
      `wrk output of the quietest paced run:\n${quietest.paced.text}`,
    ].join('\n') + '\n',
  );
} finally {
  await injector.stop();
  rmSync(dir, { recursive: true, force: true });
}
