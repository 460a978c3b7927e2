// The fault filter as Istio configures it: per-route HTTPFault in typed_per_filter_config.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HCM_TYPE, ROUTER, edsCluster, endpoints, httpListener, request, routeConfig, startTestProxy, startUpstream, vhost, type TestProxy, type Upstream } from '../test-fixtures.ts';

const FAULT_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';
const fault = (config: Record<string, unknown>) => ({ 'envoy.filters.http.fault': { '@type': FAULT_TYPE, ...config } });

describe('fault injection', () => {
  let proxy: TestProxy;
  let up: Upstream;
  let port: number;

  before(async () => {
    up = await startUpstream('up');
    proxy = await startTestProxy();
    await proxy.apply({
      listeners: [httpListener('main', 0, 'routes'), { ...httpListener('nofilter', 0, 'routes'), filterChains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typedConfig: { '@type': HCM_TYPE, statPrefix: 'nofilter', rds: { routeConfigName: 'routes', configSource: { ads: {} } }, httpFilters: [ROUTER] } }] }] }],
      routes: [
        routeConfig('routes', [
          vhost('all', ['*'], [
            { match: { prefix: '/abort' }, route: { cluster: 'up' }, typedPerFilterConfig: fault({ abort: { httpStatus: 503, percentage: { numerator: 100 } } }) },
            { match: { prefix: '/delay' }, route: { cluster: 'up' }, typedPerFilterConfig: fault({ delay: { fixedDelay: { nanos: 200_000_000 }, percentage: { numerator: 100 } } }) },
            { match: { prefix: '/never' }, route: { cluster: 'up' }, typedPerFilterConfig: fault({ abort: { httpStatus: 500, percentage: { numerator: 0 } } }) },
            { match: { prefix: '/header' }, route: { cluster: 'up' }, typedPerFilterConfig: fault({ abort: { headerAbort: {}, percentage: { numerator: 100 } } }) },
            { match: { prefix: '/' }, route: { cluster: 'up' } },
          ]),
        ]),
      ],
      clusters: [edsCluster('up')],
      endpoints: [endpoints('up', [up.port])],
    });
    port = proxy.port('main');
  });

  after(async () => {
    await proxy.close();
    await up.close();
  });

  it('aborts with the configured status and Envoy\'s body', async () => {
    const before = up.seen.length;
    const r = await request(port, { path: '/abort' });
    assert.equal(r.status, 503);
    assert.equal(r.body, 'fault filter abort');
    assert.equal(up.seen.length, before, 'the upstream never saw the request');
  });

  it('delays the request, then forwards it', async () => {
    const started = Date.now();
    const r = await request(port, { path: '/delay' });
    assert.equal(r.status, 200);
    assert.ok(Date.now() - started >= 190, `took ${Date.now() - started} ms`);
  });

  it('injects nothing at 0 percent', async () => {
    assert.equal((await request(port, { path: '/never' })).status, 200);
  });

  it('takes the abort status from x-envoy-fault-abort-request when header_abort is set', async () => {
    assert.equal((await request(port, { path: '/header', headers: { 'x-envoy-fault-abort-request': '429' } })).status, 429);
    assert.equal((await request(port, { path: '/header' })).status, 200);
  });

  it('ignores per-route faults when the HTTP connection manager has no fault filter', async () => {
    assert.equal((await request(proxy.port('nofilter'), { path: '/abort' })).status, 200);
  });

  it('counts injected faults', () => {
    assert.ok(proxy.proxy.stats.httpPrefix('main').faultAborts >= 2);
    assert.ok(proxy.proxy.stats.httpPrefix('main').faultDelays >= 1);
  });
});
