// `npm start`: makes a fresh clone ready, then hands over to the local-mesh
// launcher. This file runs on whatever Node the machine has (possibly an old
// one), so it is plain JavaScript and uses nothing but Node's standard library:
// its job is to bring the project's own Node 24 (node_modules/.bin/node).
import { spawnSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (msg) => process.stderr.write(`[start] ${msg}\n`);
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts }).status === 0;

const nodeBin = path.join(root, 'node_modules', '.bin', 'node');
if (!existsSync(nodeBin) || !existsSync(path.join(root, 'node_modules', 'nx'))) {
  say('installing npm dependencies (npm ci) ...');
  if (!run('npm', ['ci', '--no-audit', '--no-fund'])) {
    say('npm ci failed; fix the error above and run `npm start` again');
    process.exit(1);
  }
}

const hasNats = () => spawnSync('sh', ['-c', 'command -v nats-server || test -x /usr/sbin/nats-server'], { stdio: 'ignore' }).status === 0;
if (!process.env.NATS_URL && !hasNats()) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0) {
    say('nats-server is missing; installing it from Debian (apt-get install nats-server) ...');
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', 'nats-server'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  if (!hasNats()) {
    say('nats-server is not installed. Install it (Debian/Ubuntu: `sudo apt-get install nats-server`,');
    say('or download it from the NATS project) and run `npm start` again, or point NATS_URL at a running server.');
    process.exit(1);
  }
}

// Everything below runs on the project's Node 24.
const child = spawn(nodeBin, [path.join(root, 'tools/local-mesh/src/main.ts'), ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
