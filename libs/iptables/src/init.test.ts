import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runInit } from './init.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) }, out: () => out.join(''), err: () => err.join('') };
}

describe('runInit', () => {
  it('--dry-run prints iptables-restore input and nothing else', async () => {
    const c = capture();
    const code = await runInit(['-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020', '--dry-run'], c.io);
    assert.equal(code, 0);
    assert.match(c.out(), /^\*nat\n:PREROUTING ACCEPT \[0:0\]\n/);
    assert.match(c.out(), /^-A ISTIO_OUTPUT -j ISTIO_REDIRECT$/m);
    assert.match(c.out(), /COMMIT\n$/);
    assert.equal(c.err(), '');
  });

  it('exits 2 naming the flag on bad input', async () => {
    const c = capture();
    assert.equal(await runInit(['-b', '80,http'], c.io), 2);
    assert.match(c.err(), /proxy init: -b: expected a port number/);
  });

  it('--help prints the flags', async () => {
    const c = capture();
    assert.equal(await runInit(['--help'], c.io), 0);
    assert.match(c.out(), /--istio-service-exclude-cidr/);
  });
});
