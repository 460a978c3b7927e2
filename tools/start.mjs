// `npm start`: makes a fresh clone ready, then hands over to the local-mesh
// launcher. This file runs on whatever Node the machine has (possibly an old
// one), so it is plain JavaScript and uses nothing but Node's standard library:
// its job is to bring the project's own Node 24 (node_modules/.bin/node).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNpmDependencies, ensureSystemPackages } from './system-deps.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (msg) => process.stderr.write(`[start] ${msg}\n`);

const nodeBin = path.join(root, 'node_modules', '.bin', 'node');
if (!ensureNpmDependencies(root, say)) process.exit(1);

if (!process.env.NATS_URL && !ensureSystemPackages([{ cmd: 'nats-server', pkg: 'nats-server', why: 'the message bus between the control-plane services (or point NATS_URL at a running server)' }], say)) {
  process.exit(1);
}

// Everything below runs on the project's Node 24.
const child = spawn(nodeBin, [path.join(root, 'tools/local-mesh/src/main.ts'), ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
