import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSampleApp, type SampleApp } from './sample-app.ts';

describe('sample app', () => {
  let app: SampleApp;
  let base: string;
  before(async () => {
    app = await startSampleApp({ service: 'hello', version: 'v2', port: 0 });
    base = `http://127.0.0.1:${app.port}`;
  });
  after(() => app.close());

  it('says which service and version answered and echoes the request', async () => {
    const res = await fetch(`${base}/greet?x=1`, { headers: { 'x-canary': 'true' } });
    assert.equal(res.headers.get('x-served-by'), 'hello-v2');
    const body = (await res.json()) as { version: string; path: string; headers: Record<string, string> };
    assert.equal(body.version, 'v2');
    assert.equal(body.path, '/greet?x=1');
    assert.equal(body.headers['x-canary'], 'true');
  });

  it('answers /status/<code> with that status and an empty body', async () => {
    const res = await fetch(`${base}/status/418`);
    assert.equal(res.status, 418);
    assert.equal(await res.text(), '');
    assert.equal(res.headers.get('x-served-by'), 'hello-v2');
  });

  it('answers /delay/<seconds> after that long, with the echo', async () => {
    const started = Date.now();
    const res = await fetch(`${base}/delay/0.3`);
    const elapsed = Date.now() - started;
    assert.equal(res.status, 200);
    assert.ok(elapsed >= 290 && elapsed < 2000, `took ${elapsed} ms`);
    assert.equal(((await res.json()) as { path: string }).path, '/delay/0.3');
  });

  it('echoes headers as httpbin does, and the origin address', async () => {
    const headers = (await (await fetch(`${base}/headers`, { headers: { 'x-envoy-attempt-count': '2' } })).json()) as { headers: Record<string, string> };
    assert.equal(headers.headers['x-envoy-attempt-count'], '2');
    assert.equal(headers.headers.host, `127.0.0.1:${app.port}`);
    const ip = (await (await fetch(`${base}/ip`)).json()) as { origin: string };
    assert.match(ip.origin, /127\.0\.0\.1/);
    const forwarded = (await (await fetch(`${base}/ip`, { headers: { 'x-forwarded-for': '10.1.2.3' } })).json()) as { origin: string };
    assert.equal(forwarded.origin, '10.1.2.3');
  });

  it('sets and shows cookies, and answers chosen response headers', async () => {
    const set = await fetch(`${base}/cookies/set?user=jason`, { redirect: 'manual' });
    assert.equal(set.status, 302);
    assert.equal(set.headers.get('location'), '/cookies');
    assert.match(set.headers.get('set-cookie') ?? '', /^user=jason/);
    const cookies = (await (await fetch(`${base}/cookies`, { headers: { cookie: 'a=1; b=2' } })).json()) as { cookies: Record<string, string> };
    assert.deepEqual(cookies.cookies, { a: '1', b: '2' });
    const rh = await fetch(`${base}/response-headers?x-test=yes`);
    assert.equal(rh.headers.get('x-test'), 'yes');
  });

  it('fails one request on demand, only up to the given attempt', async () => {
    assert.equal((await fetch(`${base}/x`, { headers: { 'x-sample-fail': '503' } })).status, 503);
    const first = await fetch(`${base}/x`, { headers: { 'x-sample-fail': '500', 'x-sample-fail-attempts': '1' } });
    assert.equal(first.status, 500);
    const retried = await fetch(`${base}/x`, { headers: { 'x-sample-fail': '500', 'x-sample-fail-attempts': '1', 'x-envoy-attempt-count': '2' } });
    assert.equal(retried.status, 200);
  });

  it('fails the whole instance when told to (flag or /sample/fail), keeps /healthz up, and counts requests', async () => {
    const failing = await startSampleApp({ service: 'hello', version: 'bad', port: 0, failStatus: 502 });
    after(() => failing.close());
    const url = `http://127.0.0.1:${failing.port}`;
    assert.equal((await fetch(`${url}/anything`)).status, 502);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.equal((await fetch(`${url}/sample/fail?status=0`, { method: 'POST' })).status, 200);
    assert.equal((await fetch(`${url}/anything`)).status, 200);
    assert.equal((await fetch(`${url}/sample/fail?status=503&rate=1`, { method: 'POST' })).status, 200);
    assert.equal((await fetch(`${url}/anything`)).status, 503);
    failing.setFailure(0);
    assert.equal((await fetch(`${url}/anything`)).status, 200);
    const stats = (await (await fetch(`${url}/sample/stats`)).json()) as { requests: number };
    assert.equal(stats.requests, 4);
    assert.equal(failing.requests, 4);
  });
});
