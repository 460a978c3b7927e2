// Copies the non-code files the workspace packages export (package.json
// "exports" targets such as "./proto/ca.proto") into a directory of their own,
// at their paths:
//   node deploy/images/collect-assets.mjs /assets
// The bundle holds the libraries' code but not their data files; a library
// that finds a file through its package name at run time
// (import.meta.resolve('@mesh/ca-client/proto/ca.proto')) needs that file at
// libs/<lib>/ in the image, where node_modules/@mesh/<lib> links to.
import { copyFileSync, existsSync, globSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const CODE = /\.(ts|mts|cts|js|mjs|cjs)$/;

const out = process.argv[2];
if (!out) {
  process.stderr.write('usage: node deploy/images/collect-assets.mjs OUT_DIR\n');
  process.exit(2);
}

/** Every target path in an "exports" value (subpaths and conditions, nested). */
function targets(value) {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(targets);
  if (value && typeof value === 'object') return Object.values(value).flatMap(targets);
  return [];
}

const root = JSON.parse(readFileSync('package.json', 'utf8'));
const patterns = Array.isArray(root.workspaces) ? root.workspaces : (root.workspaces?.packages ?? []);
const copied = [];
for (const dir of patterns.flatMap((p) => globSync(p)).sort()) {
  const manifest = path.join(dir, 'package.json');
  if (!existsSync(manifest)) continue;
  const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
  for (const target of targets(pkg.exports)) {
    if (CODE.test(target)) continue;
    // A subpath pattern's * matches any path below its directory.
    const files = target.includes('*') ? globSync(path.join(dir, target.replaceAll('*', '**/*'))) : [path.join(dir, target)];
    for (const file of files) {
      if (!existsSync(file)) {
        process.stderr.write(`${manifest} exports ${target}, which does not exist\n`);
        process.exit(1);
      }
      if (!statSync(file).isFile() || CODE.test(file)) continue;
      mkdirSync(path.join(out, path.dirname(file)), { recursive: true });
      copyFileSync(file, path.join(out, file));
      copied.push(file);
    }
  }
}
mkdirSync(out, { recursive: true });
process.stdout.write(`copied ${copied.length} exported assets to ${out}${copied.length ? ': ' + copied.join(', ') : ''}\n`);
