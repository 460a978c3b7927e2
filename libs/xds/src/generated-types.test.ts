import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generateEnvoyTypes } from '../scripts/generate-envoy-types.ts';

const committed = path.join(path.dirname(fileURLToPath(import.meta.url)), 'generated');

function files(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? files(p, base) : [path.relative(base, p)];
  });
}

test('the committed Envoy types are what the generator makes from the loaded protos (run `node libs/xds/scripts/generate-envoy-types.ts` when this fails)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'envoy-types-check-'));
  const out = path.join(dir, 'generated');
  try {
    generateEnvoyTypes(out);
    const fresh = files(out).sort();
    assert.deepEqual(files(committed).sort(), fresh);
    for (const f of fresh) assert.equal(readFileSync(path.join(committed, f), 'utf8'), readFileSync(path.join(out, f), 'utf8'), f);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('outlier detection is spelled as the proto spells it (consecutive_5xx), so the old misspelling cannot type-check', () => {
  const source = readFileSync(path.join(committed, 'envoy/config/cluster/v3/OutlierDetection.ts'), 'utf8');
  assert.match(source, /'consecutive_5xx'\?:/);
  assert.doesNotMatch(source, /'consecutive5xx'/);
});

test('no generated file names a path of the machine that generated it (the check must pass on a fresh clone anywhere)', () => {
  const machinePaths = files(committed).filter((f) => /^\/\/ Original file: \//m.test(readFileSync(path.join(committed, f), 'utf8')));
  assert.deepEqual(machinePaths, []);
});
