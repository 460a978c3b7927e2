// `npm run bench [-- proxy|sidecars|mtls|memory|citadel|injector] [--seconds N] [--connections N]`:
// runs the benchmarks side by side and prints Markdown tables ready for
// docs/benchmarks.md, with the machine and date they were taken on.
// `memory` (issue #7): a sidecar with a 1,000-service config through a soak of
// mixed traffic; `--seconds` is the soak (default 60; the issue's figure is
// 600), `--services N`, `--rps N`, `--sample-seconds N`, `--idle-seconds N`,
// `--push-seconds N` (a config change pilot pushes every N s of the soak; 0: none),
// `--node-options '...'` (default: what deploy/images/proxy.Dockerfile sets;
// give it several times for one sidecar run each, '' for none),
// `--snapshot-dir DIR` (heap snapshots of the sidecar, idle and at the end),
// `--no-build`.
// `sidecars` (issue #8): client sidecar + server sidecar vs direct, wrk
// throughput with both sidecars on one core and the added latency at a fixed
// rate (open loop); `--seconds` per measurement (default 10), `--connections`
// (wrk, default 32), `--rate N` (default 1000), `--rounds N` (latency: direct
// then sidecars, N times; default 3), `--node-options '...'` (the sidecars';
// default: the proxy image's), `--no-build`.
// `mtls` (issue #9): the same two sidecars speaking mutual TLS (auto mTLS) vs
// plaintext vs direct, in one run: wrk throughput per core, p99 at a fixed
// rate, new mTLS handshakes per second between the sidecars, and the server
// sidecar's memory per idle connection; `--seconds` (default 10),
// `--connections` (default 32), `--rate` (default 1000), `--rounds` (default 3),
// `--idle-connections N` (default 1000), `--node-options '...'`, `--no-build`.
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { WORKSPACE_ROOT } from '@mesh/testing';
import { benchProxy, formatProxyRows } from './proxy.ts';
import { benchMemory, formatMemoryRows, formatMemorySamples } from './memory.ts';
import { benchSidecars, formatSidecarsLatency, formatSidecarsNotes, formatSidecarsThroughput } from './sidecars.ts';
import { benchMtls, formatMtlsHandshakes, formatMtlsLatency, formatMtlsMemory, formatMtlsNotes, formatMtlsThroughput } from './mtls.ts';

const argv = process.argv.slice(2);
const opt = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const optString = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const BOOLEAN_FLAGS = new Set(['--no-build']);
// Bench names: the arguments that are neither flags nor a flag's value (a value may itself start with --).
const which: string[] = [];
for (let i = 0; i < argv.length; i++) {
  if (!argv[i].startsWith('--')) which.push(argv[i]);
  else if (!BOOLEAN_FLAGS.has(argv[i])) i++;
}
const want = (name: string) => which.length === 0 || which.includes(name);
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

const tools = new Set([...(want('proxy') || want('sidecars') || want('mtls') ? ['wrk', 'nginx', 'taskset'] : []), ...(want('mtls') ? ['openssl'] : []), ...(want('citadel') || want('injector') ? ['taskset'] : [])]);
for (const tool of tools) {
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

if (want('sidecars')) {
  const seconds = opt('seconds', 10);
  const connections = opt('connections', 32);
  const rate = opt('rate', 1000);
  const rounds = opt('rounds', 3);
  const r = await benchSidecars({ seconds, connections, rate, rounds, nodeOptions: optString('node-options'), noBuild: argv.includes('--no-build'), log });
  console.log(`## Two sidecars (client egress → server ingress, plaintext HTTP/1.1) vs direct\n`);
  console.log(`### Throughput: wrk -t1 -c${connections} -d${seconds}s; two sidecars on one core (both pinned to core 0), wrk, upstream and control plane on core 1\n`);
  console.log(formatSidecarsThroughput(r) + '\n');
  console.log(`### Latency at a fixed ${rate.toLocaleString('en')} req/s: open loop (tools/bench/open-loop.ts), ${seconds} s after a 2 s warm-up, measured from each request's scheduled send time; ${rounds} rounds of direct, the sidecars and the nginx reference\n`);
  console.log(formatSidecarsLatency(r) + '\n');
  console.log(formatSidecarsNotes(r) + '\n');
}

if (want('mtls')) {
  const seconds = opt('seconds', 10);
  const connections = opt('connections', 32);
  const rate = opt('rate', 1000);
  const rounds = opt('rounds', 3);
  const idleConnections = opt('idle-connections', 1000);
  const r = await benchMtls({ seconds, connections, rate, rounds, idleConnections, nodeOptions: optString('node-options'), noBuild: argv.includes('--no-build'), log });
  console.log(`## Two sidecars: mutual TLS (auto mTLS) vs plaintext vs direct\n`);
  console.log(`### Throughput: wrk -t1 -c${connections} -d${seconds}s, keep-alive; two sidecars on one core (both pinned to core 0), wrk, upstream and control plane on core 1\n`);
  console.log(formatMtlsThroughput(r) + '\n');
  if (rounds > 0) {
    console.log(`### Latency at a fixed ${rate.toLocaleString('en')} req/s: open loop, ${seconds} s after a 2 s warm-up, ${rounds} rounds of direct, plaintext and mutual TLS\n`);
    console.log(formatMtlsLatency(r) + '\n');
  }
  console.log(`### New connections: a DestinationRule maxRequestsPerConnection 1, so every request opens a new sidecar-to-sidecar connection (wrk -t1 -c${connections} -d${seconds}s)\n`);
  console.log(formatMtlsHandshakes(r) + '\n');
  console.log(`### Memory per idle connection: ${idleConnections.toLocaleString('en')} idle keep-alive connections (one request answered on each) to the server sidecar's inbound port\n`);
  console.log(formatMtlsMemory(r) + '\n');
  console.log(formatMtlsNotes(r) + '\n');
}

if (want('memory')) {
  const seconds = opt('seconds', 60);
  const services = opt('services', 1000);
  const results = await benchMemory({
    seconds,
    services,
    rps: opt('rps', 200),
    sampleSeconds: opt('sample-seconds', 5),
    idleSeconds: opt('idle-seconds', 20),
    pushSeconds: opt('push-seconds', 30),
    nodeOptions: argv.flatMap((a, i) => (a === '--node-options' && argv[i + 1] !== undefined ? [argv[i + 1]] : [])),
    snapshotDir: optString('snapshot-dir'),
    noBuild: argv.includes('--no-build'),
    log,
  });
  const c = results[0].config;
  console.log(
    `## Memory: one sidecar (esbuild bundle) with ${c.clusters} clusters / ${c.endpoints} ClusterLoadAssignments / ${c.hosts} hosts from pilot (${services} services), idle then a ${seconds} s soak of normal + hostile traffic\n`,
  );
  console.log(formatMemoryRows(results) + '\n');
  for (const r of results) console.log(`${r.nodeOptions ? '`' + r.nodeOptions + '`' : '(no NODE_OPTIONS)'}:\n\n${formatMemorySamples(r)}\n`);
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
