// main.ts as the local mesh and a pod run it: separate processes wired by
// environment, JSON log lines, --help, and a SIGTERM that lets a request in
// flight finish.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startProcess, WORKSPACE_ROOT, type ManagedProcess } from '@mesh/testing';
import { fake, json, request, type Fake } from './test-helpers.ts';

const MAIN = 'samples/bookinfo/src/main.ts';

function run(args: string[]) {
  return spawnSync(process.execPath, [MAIN, ...args], { cwd: WORKSPACE_ROOT, encoding: 'utf8', timeout: 15_000 });
}

async function launch(service: string, args: string[] = [], env: Record<string, string> = {}): Promise<{ proc: ManagedProcess; port: number }> {
  const proc = startProcess(service, MAIN, [service, '--port', '0', ...args], { env: { LOG_LEVEL: 'info', ...env } });
  const line = await proc.waitForLine((l) => l.msg === 'listening');
  return { proc, port: line.port as number };
}

describe('main.ts', () => {
  it('--help describes the services and each one\'s flags; bad input exits 2 with the reason', () => {
    const usage = run(['--help']);
    assert.equal(usage.status, 0);
    for (const s of ['productpage', 'details', 'reviews', 'ratings']) assert.match(usage.stdout, new RegExp(`\\b${s}\\b`));
    const reviews = run(['reviews', '--help']);
    assert.equal(reviews.status, 0);
    assert.match(reviews.stdout, /--version V\s+v1\|v2\|v3/);
    assert.match(reviews.stdout, /RATINGS_HOSTNAME/);
    assert.match(run(['productpage', '--help']).stdout, /--http-proxy[\s\S]*DETAILS_HOSTNAME[\s\S]*REVIEWS_HOSTNAME/);

    const unknown = run(['storefront']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown service "storefront"/);
    const badVersion = run(['reviews', '--version', 'v4']);
    assert.equal(badVersion.status, 2);
    assert.match(badVersion.stderr, /"v4" is not one of v1, v2, v3/);
    const badFlag = run(['details', '--colour', 'red']);
    assert.equal(badFlag.status, 2);
    assert.match(badFlag.stderr, /--colour/);
  });

  describe('four processes wired like Istio', () => {
    const procs: ManagedProcess[] = [];
    after(async () => {
      await Promise.all(procs.map((p) => p.stop()));
    });

    it('serve the product page with v3 red stars, logging one JSON line per request with its request id', async () => {
      const ratings = await launch('ratings');
      procs.push(ratings.proc);
      const details = await launch('details');
      procs.push(details.proc);
      const reviews = await launch('reviews', [], { SERVICE_VERSION: 'v3', RATINGS_HOSTNAME: '127.0.0.1', RATINGS_PORT: String(ratings.port) });
      procs.push(reviews.proc);
      const pp = await launch('productpage', [], {
        DETAILS_HOSTNAME: '127.0.0.1',
        DETAILS_PORT: String(details.port),
        REVIEWS_HOSTNAME: '127.0.0.1',
        REVIEWS_PORT: String(reviews.port),
      });
      procs.push(pp.proc);

      const res = await request(pp.port, '/productpage', { headers: { 'x-request-id': 'rid-main-1' } });
      assert.equal(res.status, 200);
      assert.match(res.body, /data-stars="5" style="color: red"/);
      assert.match(res.body, /<dt>ISBN-13:<\/dt><dd>123-1234567890<\/dd>/);

      for (const [proc, path, component] of [
        [pp.proc, '/productpage', 'productpage'],
        [reviews.proc, '/reviews/0', 'reviews'],
        [ratings.proc, '/ratings/0', 'ratings'],
        [details.proc, '/details/0', 'details'],
      ] as const) {
        const line = await proc.waitForLine((l) => l.msg === 'request' && l.path === path);
        assert.equal(line.request_id, 'rid-main-1', component);
        assert.equal(line.status, 200);
        assert.equal(line.component, component);
        assert.equal(line.level, 'info');
        assert.ok(!Number.isNaN(Date.parse(String(line.time))));
      }
    });
  });

  it('on SIGTERM stops accepting, finishes the request in flight, and exits 0', async () => {
    const held: Array<() => void> = [];
    const reviews: Fake = await fake((_req, res) => {
      held.push(() => json(res, 200, { id: '0', podname: 'p', clustername: 'c', reviews: [{ reviewer: 'Reviewer1', text: 'late but here' }] }));
    });
    const pp = await launch('productpage', ['--drain-timeout', '10'], { REVIEWS_HOSTNAME: '127.0.0.1', REVIEWS_PORT: String(reviews.port), DETAILS_HOSTNAME: '127.0.0.1', DETAILS_PORT: '1' });
    try {
      // Settled, not raw: an answer cut off early must fail this test by name, not as an unhandled rejection.
      const inFlight = request(pp.port, '/productpage').then(
        (res) => ({ res, err: undefined }),
        (err: Error) => ({ res: undefined, err }),
      );
      await reviews.nth(1);
      pp.proc.child.kill('SIGTERM');
      await pp.proc.waitForLine((l) => l.msg === 'shutting down');
      await assert.rejects(request(pp.port, '/health'), /ECONNREFUSED/);
      held.shift()!();
      const { res, err } = await inFlight;
      assert.ok(res, `the request in flight was cut off: ${err?.message} (${(err as { code?: string } | undefined)?.code})`);
      assert.equal(res.status, 200);
      assert.match(res.body, /late but here/);
      assert.equal(await pp.proc.exited, 0);
      await pp.proc.waitForLine((l) => l.msg === 'stopped');
    } finally {
      await pp.proc.stop();
      await reviews.close();
    }
  });
});
