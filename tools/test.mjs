// `npm test`: lint, typecheck and test every project through Nx, then one
// closing line with the totals of every node:test run ("N passed, N failed").
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNpmDependencies, ensureSystemPackages } from './system-deps.mjs';

const say = (msg) => process.stderr.write(`[test] ${msg}\n`);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const needs = [
  { cmd: 'nats-server', pkg: 'nats-server', why: 'component and end-to-end tests run a real NATS with JetStream' },
  { cmd: 'iptables', pkg: 'iptables', why: 'the transparent-capture tests install iptables rules in network namespaces' },
  { cmd: 'ip', pkg: 'iproute2', why: 'the capture tests create network namespaces and veth pairs' },
  { cmd: 'openssl', pkg: 'openssl', why: 'certificate tests verify what citadel issues with openssl' },
];
if (!ensureNpmDependencies(root, say) || !ensureSystemPackages(needs, say)) {
  console.log('\ntests: 0 passed, 1 failed');
  process.exit(1);
}

const args = ['run-many', '-t', 'lint', 'typecheck', 'test', '--outputStyle=stream', ...process.argv.slice(2)];
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0' };
const child = spawn('nx', args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
let pass = 0;
let fail = 0;
let buf = '';
// CI shows only the tail of the output: repeat each failure (and the lines that
// explain it) just above the totals.
const failures = [];
let explain = 0;
child.stdout.setEncoding('utf8');
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  buf += chunk;
  let nl;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    if (/✖/.test(line) && !/failing tests:/.test(line)) explain = 4;
    if (explain > 0 && failures.length < 80) {
      failures.push(line.length > 300 ? `${line.slice(0, 300)}…` : line);
      explain--;
    }
    const m = /ℹ (pass|fail) (\d+)\s*$/.exec(line);
    if (m) m[1] === 'pass' ? (pass += Number(m[2])) : (fail += Number(m[2]));
  }
});
child.on('exit', (code) => {
  const failed = code !== 0 && fail === 0 ? 1 : fail;
  if (failures.length) console.log(`\nfailures (first lines of each):\n${failures.join('\n')}`);
  console.log(`\ntests: ${pass} passed, ${failed} failed`);
  process.exit(code ?? 1);
});
