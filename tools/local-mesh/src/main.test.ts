// The `npm start` command line: a wrong example or a conflicting combination
// stops at once with the reason (exit 2), before anything is built or started.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [main, '--no-build', ...args], { encoding: 'utf8', timeout: 20_000 });

describe('npm start -- (tools/local-mesh/src/main.ts)', () => {
  it('names the examples when given an unknown one', () => {
    const r = run('--example', 'petstore');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--example petstore: unknown; the examples are hello, bookinfo/);
  });

  it('refuses --config with --example bookinfo, and a bare example name', () => {
    const both = run('--example', 'bookinfo', '--config', '.');
    assert.equal(both.status, 2);
    assert.match(both.stderr, /--example bookinfo brings its own configuration/);
    const bare = run('bookinfo');
    assert.equal(bare.status, 2);
    assert.match(bare.stderr, /unexpected arguments: bookinfo \(an example is chosen with --example hello\|bookinfo\)/);
  });

  it('lists --example in --help', () => {
    const r = run('--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout + r.stderr, /--example/);
    assert.match(r.stdout + r.stderr, /bookinfo/);
    assert.match(r.stdout + r.stderr, /--egress-gateway/);
  });
});
