// The command line: usage errors exit 2 naming what is wrong, an unreachable pilot or proxy exits 1 saying
// where istioctl looked, and --help lists the commands. (e2e/src/local-mesh.test.ts runs it against a mesh.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '@mesh/testing';
import { run } from './main.ts';

describe('istioctl command line', () => {
  it('--help describes proxy-status and proxy-config; no command is a usage error', async () => {
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /istioctl proxy-status/);
    assert.match(help.stdout, /istioctl proxy-config <type> <proxy>/);
    const none = await run([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /usage:/);
  });

  it('usage errors exit 2 and name the problem', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['proxy-config'], /proxy-config needs a type/],
      [['proxy-config', 'clusterz', 'a.default'], /unknown proxy-config type "clusterz"/],
      [['proxy-config', 'cluster'], /needs a proxy \(pod\.namespace\) or --admin/],
      [['proxy-config', 'cluster', 'a.default', '-o', 'yaml'], /-o yaml: one of table, json/],
      [['proxy-config', 'cluster', 'a.default', '--port', 'http'], /--port http: not a port number/],
      [['proxy-stats'], /unknown command "proxy-stats"/],
      [['ps', '--colour'], /Unknown option '--colour'/],
      [['ps', '--nats', 'nats://127.0.0.1:4222', '--pilot', 'http://127.0.0.1:15014'], /--nats and --pilot are two sources/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.stderr, message, argv.join(' '));
    }
  });

  it('an unreachable pilot or admin endpoint exits 1 saying where istioctl looked', async () => {
    const port = await freePort();
    const status = await run(['proxy-status', '--pilot', `http://127.0.0.1:${port}`]);
    assert.equal(status.code, 1);
    assert.equal(status.stderr, `istioctl: cannot reach pilot at http://127.0.0.1:${port}/debug/syncz (ECONNREFUSED)\n`);
    const nats = await run(['ps', '--nats', `nats://127.0.0.1:${port}`]);
    assert.equal(nats.code, 1);
    assert.match(nats.stderr, new RegExp(`^istioctl: cannot reach NATS at nats://127\\.0\\.0\\.1:${port} `));
    const config = await run(['pc', 'cluster', '--admin', `127.0.0.1:${port}`]);
    assert.equal(config.code, 1);
    assert.match(config.stderr, new RegExp(`cannot reach the proxy admin endpoint at http://127\\.0\\.0\\.1:${port}/`));
  });
});
