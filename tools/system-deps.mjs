// The Debian packages `npm start` and `npm test` need beyond npm's, found or
// installed before anything runs, so that a missing one is named with the
// command that installs it instead of surfacing as a row of failed tests.
// Plain JavaScript on Node's standard library: it runs on the machine's Node.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** Runs `npm ci` in `root` when its dependencies (the project's own Node 24 among them) are not installed. */
export function ensureNpmDependencies(root, say) {
  if (existsSync(path.join(root, 'node_modules', '.bin', 'node')) && existsSync(path.join(root, 'node_modules', 'nx'))) return true;
  say('installing npm dependencies (npm ci) ...');
  if (spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit', cwd: root }).status === 0) return true;
  say('npm ci failed; fix the error above and run the command again');
  return false;
}

const found = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd} || test -x /usr/sbin/${cmd} || test -x /sbin/${cmd}`], { stdio: 'ignore' }).status === 0;

/**
 * Makes sure each `{ cmd, pkg, why }` is on the machine: as root with apt-get,
 * installs the missing Debian packages; otherwise (or if that fails) prints
 * what is missing, why, and how to install it, and returns false.
 */
export function ensureSystemPackages(needs, say) {
  let missing = needs.filter((n) => !found(n.cmd));
  if (missing.length === 0) return true;
  const pkgs = [...new Set(missing.map((n) => n.pkg))];
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && found('apt-get')) {
    say(`installing ${pkgs.join(', ')} from Debian (apt-get install ${pkgs.join(' ')}) ...`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    spawnSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: 'inherit', env });
    missing = missing.filter((n) => !found(n.cmd));
    if (missing.length === 0) return true;
  }
  say('this machine lacks what the next step needs:');
  for (const n of missing) say(`  - ${n.cmd} (Debian package ${n.pkg}): ${n.why}`);
  say(`install it with \`sudo apt-get install ${[...new Set(missing.map((n) => n.pkg))].join(' ')}\` and run the command again.`);
  return false;
}
