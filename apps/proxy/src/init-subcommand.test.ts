import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('proxy init (the istio-init container)', () => {
  it("prints Istio's capture rules as iptables-restore input for the injector's arguments (dry run)", () => {
    const res = spawnSync(process.execPath, [main, 'init', '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020', '--dry-run'], { encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /^\*nat$/m);
    assert.match(res.stdout, /^-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001$/m);
    assert.match(res.stdout, /^-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006$/m);
    assert.match(res.stdout, /^-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN$/m);
    assert.match(res.stdout, /^COMMIT$/m);
  });

  it('refuses a bad argument with exit code 2 and names it', () => {
    const res = spawnSync(process.execPath, [main, 'init', '-p', 'seventy', '--dry-run'], { encoding: 'utf8' });
    assert.equal(res.status, 2);
    assert.match(res.stderr, /proxy init: .*seventy/);
  });
});
