// The Debian packages `npm start` and `npm test` need beyond npm's, found or
// installed before anything runs, so that a missing one is named with the
// command that installs it instead of surfacing as a row of failed tests.
// Plain JavaScript on Node's standard library: it runs on the machine's Node.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** What building the workspace's native addon needs (@mesh/original-dst's SO_ORIGINAL_DST, built by node-gyp in npm ci). */
export const BUILD_TOOLS = [
  { cmd: 'make', pkg: 'build-essential', why: "node-gyp builds @mesh/original-dst's SO_ORIGINAL_DST addon (the proxy's capture listeners)" },
  { cmd: 'g++', pkg: 'build-essential', why: 'node-gyp compiles and links that addon with gcc/g++' },
  { cmd: 'python3', pkg: 'python3', why: 'node-gyp runs on Python' },
];
const ADDON = path.join('libs', 'original-dst', 'build', 'Release', 'original_dst.node');

/**
 * Runs `npm ci` in `root` when its dependencies (the project's own Node 24 among them) are not installed,
 * with the build tools of its native addon found first; then `npm rebuild @mesh/original-dst` if that addon
 * is still not built (a checkout installed before it existed, or npm ci's build failed: that does not fail
 * npm ci, the rebuild shows why).
 */
export function ensureNpmDependencies(root, say) {
  const installed = () => existsSync(path.join(root, 'node_modules', '.bin', 'node')) && existsSync(path.join(root, 'node_modules', 'nx'));
  const addonBuilt = () => process.platform !== 'linux' || existsSync(path.join(root, ADDON));
  if (installed() && addonBuilt()) return true;
  if (!addonBuilt() && !ensureSystemPackages(BUILD_TOOLS, say)) return false;
  if (!installed()) {
    say('installing npm dependencies (npm ci) ...');
    if (spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit', cwd: root }).status !== 0) {
      say('npm ci failed; fix the error above and run the command again');
      return false;
    }
  }
  if (addonBuilt()) return true;
  say('building the SO_ORIGINAL_DST addon (npm rebuild @mesh/original-dst) ...');
  if (spawnSync('npm', ['rebuild', '@mesh/original-dst', '--foreground-scripts'], { stdio: 'inherit', cwd: root }).status === 0) return true;
  say('npm rebuild @mesh/original-dst failed; fix the error above and run the command again');
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
