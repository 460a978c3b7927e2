// How flags and Istio's environment variables decide where each service
// listens and where its calls go.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseServiceArgs, type ServiceConfig } from './config.ts';

function config(service: Parameters<typeof parseServiceArgs>[0], args: string[], env: Record<string, string> = {}): ServiceConfig {
  const parsed = parseServiceArgs(service, args, env);
  assert.equal(parsed.help, false);
  if (parsed.help) throw new Error('help');
  return parsed.config;
}

describe('configuration', () => {
  it("defaults to Istio's: port 9080 and upstreams at <name>:9080", () => {
    const c = config('productpage', []);
    assert.equal(c.port, 9080);
    assert.equal(c.bind, '127.0.0.1');
    if (c.service !== 'productpage') throw new Error();
    assert.deepEqual(c.reviews, { name: 'reviews', authority: 'reviews:9080', connect: { host: 'reviews', port: 9080 } });
    assert.equal(c.httpProxy, undefined);
  });

  it('builds host names from *_HOSTNAME and SERVICES_DOMAIN; flags win over the environment', () => {
    const env = { SERVICES_DOMAIN: 'bookinfo.svc.cluster.local', DETAILS_HOSTNAME: 'details-v1', DETAILS_PORT: '9180', PORT: '7000' };
    const c = config('productpage', ['--port', '7001', '--details-port', '9280', '--reviews-address', '127.0.0.1:15081'], env);
    if (c.service !== 'productpage') throw new Error();
    assert.equal(c.port, 7001);
    assert.equal(c.details.authority, 'details-v1.bookinfo.svc.cluster.local:9280');
    assert.deepEqual(c.reviews.connect, { host: '127.0.0.1', port: 15081 });
    assert.equal(c.reviews.authority, 'reviews.bookinfo.svc.cluster.local:9080');
    assert.equal(config('details', [], env).port, 7000);
    assert.deepEqual(config('details', [], { BOOKINFO_HTTP_PROXY: 'http://127.0.0.1:15001' }).httpProxy, { host: '127.0.0.1', port: 15001 });
  });

  it("reviews' version sets ratings and star colour, which ENABLE_RATINGS and STAR_COLOR override as in Istio", () => {
    const pick = (c: ServiceConfig) => (c.service === 'reviews' ? [c.ratingsEnabled, c.starColor, c.ratingsTimeoutMs] : []);
    assert.deepEqual(pick(config('reviews', [])), [false, 'black', 10_000]);
    assert.deepEqual(pick(config('reviews', ['--version', 'v2'])), [true, 'black', 10_000]);
    assert.deepEqual(pick(config('reviews', [], { SERVICE_VERSION: 'v3' })), [true, 'red', 2_500]);
    assert.deepEqual(pick(config('reviews', [], { ENABLE_RATINGS: 'true', STAR_COLOR: 'blue' })), [true, 'blue', 2_500]);
    assert.deepEqual(pick(config('reviews', ['--version', 'v2', '--ratings-timeout', '500'])), [true, 'black', 500]);
  });

  it('refuses what it cannot use, naming the value', () => {
    assert.throws(() => config('details', ['--port', '70000']), (e: Error) => e instanceof ConfigError && /"70000" is not a port/.test(e.message));
    assert.throws(() => config('productpage', [], { REVIEWS_ADDRESS: 'nowhere' }), /"nowhere" is not host:port/);
    assert.throws(() => config('productpage', [], { DETAILS_HOSTNAME: 'a b' }), /"a b" is not a host name/);
    assert.throws(() => config('reviews', [], { STAR_COLOR: 'red;}' }), /colour/);
    assert.throws(() => config('ratings', ['--version', 'v2']), /only v1/);
    assert.throws(() => config('details', ['extra']), ConfigError);
    assert.equal(parseServiceArgs('details', ['--help'], {}).help, true);
  });
});
