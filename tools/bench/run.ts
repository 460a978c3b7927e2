// `npm run bench [-- proxy|citadel|injector] [--seconds N] [--connections N]`:
// runs the benchmarks side by side and prints Markdown tables ready for
// docs/benchmarks.md, with the machine and date they were taken on.
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { WORKSPACE_ROOT } from '@mesh/testing';
import { benchProxy, formatProxyRows } from './proxy.ts';

const argv = process.argv.slice(2);
const opt = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const which = argv.filter((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
const want = (name: string) => which.length === 0 || which.includes(name);
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

for (const tool of ['wrk', 'nginx', 'taskset']) {
  if (spawnSync('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool}`], { stdio: 'ignore' }).status !== 0) {
    log(`${tool} is missing: apt-get install wrk nginx-light util-linux`);
    process.exit(1);
  }
}

const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`;
console.log(`# Benchmark run ${new Date().toISOString()}\n\nmachine: ${machine}\n`);

if (want('proxy')) {
  const seconds = opt('seconds', 10);
  const connections = opt('connections', 32);
  const rows = await benchProxy({ seconds, connections, log });
  console.log(`## HTTP/1.1 proxy: wrk -t1 -c${connections} -d${seconds}s, small responses; proxy under test pinned to core 0, wrk and upstream on core 1\n`);
  console.log(formatProxyRows(rows) + '\n');
}

// The per-component benchmarks live with their apps and print their own tables.
for (const [name, script] of [
  ['citadel', 'apps/citadel/bench/signing.ts'],
  ['injector', 'apps/injector/bench/admission.ts'],
] as const) {
  if (!want(name)) continue;
  const file = path.join(WORKSPACE_ROOT, script);
  if (!existsSync(file)) {
    log(`${name}: ${script} not found, skipped`);
    continue;
  }
  log(`running ${script}`);
  const res = spawnSync('taskset', ['-c', '0', process.execPath, file], { stdio: ['ignore', 'inherit', 'inherit'], cwd: WORKSPACE_ROOT });
  if (res.status !== 0) process.exitCode = 1;
}
