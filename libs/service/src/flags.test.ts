import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlags, usage, FlagError } from './flags.ts';

const specs = {
  xdsPort: { type: 'number', help: 'xDS port', env: 'PILOT_XDS_PORT', default: 15010 },
  natsUrl: { type: 'string', help: 'NATS', env: 'NATS_URL', default: 'nats://127.0.0.1:4222' },
  debug: { type: 'boolean', help: 'debug' },
  namespaces: { type: 'list', help: 'namespaces', default: [] as string[] },
} as const;

describe('parseFlags', () => {
  it('takes defaults, then env, then flags', () => {
    assert.equal(parseFlags(specs, [], {}).xdsPort, 15010);
    assert.equal(parseFlags(specs, [], { PILOT_XDS_PORT: '2000' }).xdsPort, 2000);
    assert.equal(parseFlags(specs, ['--xds-port', '3000'], { PILOT_XDS_PORT: '2000' }).xdsPort, 3000);
    assert.equal(parseFlags(specs, ['--xds-port=4000'], {}).xdsPort, 4000);
  });
  it('parses booleans, negations, lists and positionals', () => {
    const f = parseFlags(specs, ['--debug', 'file.yaml', '--namespaces', 'a, b'], {});
    assert.equal(f.debug, true);
    assert.deepEqual(f.namespaces, ['a', 'b']);
    assert.deepEqual(f._, ['file.yaml']);
    assert.equal(parseFlags(specs, ['--no-debug'], {}).debug, false);
  });
  it('names the flag in errors', () => {
    assert.throws(() => parseFlags(specs, ['--xds-prot', '1'], {}), (e: Error) => e instanceof FlagError && /--xds-prot/.test(e.message));
    assert.throws(() => parseFlags(specs, ['--xds-port', 'abc'], {}), /--xds-port: expected a number, got "abc"/);
    assert.throws(() => parseFlags(specs, ['--nats-url'], {}), /--nats-url needs a value/);
  });
  it('documents every flag with its env var and default', () => {
    const text = usage('pilot', 'xDS server', specs);
    assert.match(text, /--xds-port <number>\s+xDS port \[env PILOT_XDS_PORT\] \(default 15010\)/);
    assert.match(text, /--debug\s+debug/);
  });
});
