// Admission benchmark: how many AdmissionReviews per second the injector
// answers on ONE core, and its p99 latency at 3,000/s.
//
//   node apps/injector/bench/admission.ts [--duration 15] [--rate 3000]
//
// The injector runs as its own process pinned to core 0 (taskset -c 0) with
// local-mode settings; load comes from a second process pinned to core 1:
//   1. wrk (closed loop, HTTPS keep-alive, POST body from a Lua script): maximum throughput;
//   2. bench/load.ts open loop at --rate: latency percentiles at that rate,
//      measured from each request's scheduled time.
// Every request is a real AdmissionReview of a Deployment's pod; the answers
// are checked to be 200s carrying a JSONPatch.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, startProcess } from '@mesh/testing';
import { appPod, review } from '../src/testing/fixtures.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { duration: { type: 'string', default: '15' }, rate: { type: 'string', default: '3000' } } });
const duration = Number(values.duration);

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited with ${code}: ${out}`))));
  });
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
  const load = (args: string[]) =>
    run('taskset', ['-c', '1', process.execPath, path.join(here, 'load.ts'), '--url', url, '--body', bodyFile, '--ca', certFile, ...args]).then((s) => JSON.parse(s));

  process.stderr.write('warming up (5 s)...\n');
  await load(['--duration', '5', '--connections', '16']);

  process.stderr.write(`wrk, closed loop, ${duration} s...\n`);
  const wrkOut = await run('taskset', ['-c', '1', 'wrk', '-t1', '-c16', `-d${duration}s`, '--latency', '-s', path.join(here, 'post.lua'), url], { BENCH_BODY: bodyFile });
  const wrkRate = Number(/Requests\/sec:\s+([\d.]+)/.exec(wrkOut)?.[1]);
  const wrkP99 = /^\s+99%\s+(\S+)$/m.exec(wrkOut)?.[1];
  if (/Non-2xx/.test(wrkOut)) throw new Error(`wrk saw non-200 answers:\n${wrkOut}`);

  process.stderr.write(`open loop at ${values.rate}/s, ${duration} s...\n`);
  const fixed = await load(['--rate', values.rate!, '--duration', String(duration), '--connections', '32']);
  if (fixed.errors || fixed.patched !== fixed.ok) throw new Error(`bad answers at fixed rate: ${JSON.stringify(fixed)}`);

  const result = {
    machine: `${cpus().length} cores (${cpus()[0].model}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    injectorCores: 1,
    throughput: { tool: 'wrk -t1 -c16', perSecond: Math.round(wrkRate), p99: wrkP99 },
    fixedRate: fixed,
  };
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(wrkOut);
} finally {
  await injector.stop();
  rmSync(dir, { recursive: true, force: true });
}
