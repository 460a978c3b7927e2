// `npm run fuzz [-- --runs N]`: the property-based fuzzers (every
// `*.fuzz.test.ts`) with a long budget. `npm test` runs the same files with a
// short one; a failure prints the seed and the shrunk input that reproduces it.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const i = argv.indexOf('--runs');
const runs = i >= 0 ? Number(argv[i + 1]) : 200_000;

function* fuzzFiles(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) yield* fuzzFiles(p);
    else if (name.endsWith('.fuzz.test.ts')) yield p;
  }
}

const files = [...fuzzFiles(path.join(root, 'apps')), ...fuzzFiles(path.join(root, 'libs'))];
if (files.length === 0) {
  console.error('[fuzz] no *.fuzz.test.ts files found');
  process.exit(1);
}
console.error(`[fuzz] ${files.length} fuzzers, FUZZ_RUNS=${runs}: ${files.map((f) => path.relative(root, f)).join(', ')}`);
const node = path.join(root, 'node_modules', '.bin', 'node');
const res = spawnSync(node, ['--test', '--test-reporter=spec', '--test-timeout=0', ...files], { stdio: 'inherit', env: { ...process.env, FUZZ_RUNS: String(runs) } });
process.exit(res.status ?? 1);
