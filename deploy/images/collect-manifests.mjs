// Copies what `npm ci` needs to know about the workspace — the root
// package.json, package-lock.json and every workspace's package.json, at their
// paths — into a directory of its own:
//   node deploy/images/collect-manifests.mjs /manifests
// The images copy that directory instead of the sources, so the layer that runs
// `npm ci` is rebuilt only when a manifest changes, not on every source edit.
// Docker's COPY cannot do this itself: a wildcard source flattens the paths.
import { copyFileSync, globSync, mkdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';

const out = process.argv[2];
if (!out) {
  process.stderr.write('usage: node deploy/images/collect-manifests.mjs OUT_DIR\n');
  process.exit(2);
}

const root = JSON.parse(readFileSync('package.json', 'utf8'));
const patterns = Array.isArray(root.workspaces) ? root.workspaces : (root.workspaces?.packages ?? []);
const files = ['package.json', 'package-lock.json'];
for (const pattern of patterns) {
  const found = globSync(`${pattern}/package.json`).sort();
  if (found.length === 0) {
    process.stderr.write(`workspace "${pattern}" in package.json matches no directory with a package.json\n`);
    process.exit(1);
  }
  files.push(...found);
}
for (const file of files) {
  if (!existsSync(file)) {
    process.stderr.write(`${file} is missing: run this from the repository root\n`);
    process.exit(1);
  }
  mkdirSync(path.join(out, path.dirname(file)), { recursive: true });
  copyFileSync(file, path.join(out, file));
}
process.stdout.write(`copied ${files.length} manifests to ${out}\n`);
