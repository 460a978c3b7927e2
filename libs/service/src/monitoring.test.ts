import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMonitoring } from './monitoring.ts';
import { counter } from '@mesh/telemetry';

describe('monitoring server', async () => {
  const mon = await startMonitoring('127.0.0.1', 0);
  after(() => mon.close());
  const base = `http://127.0.0.1:${mon.port}`;

  it('answers /healthz always and /ready only once ready', async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const notReady = await fetch(`${base}/ready`);
    assert.equal(notReady.status, 503);
    assert.match(await notReady.text(), /starting/);
    mon.setReady(true);
    assert.equal((await fetch(`${base}/ready`)).status, 200);
  });

  it('serves Prometheus metrics and registered debug handlers', async () => {
    counter('mesh_test_total', 'a test counter').inc(3);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^mesh_test_total 3$/m);
    mon.addDebug('/debug/configz', (url) => ({ name: url.searchParams.get('name') }));
    assert.deepEqual(await (await fetch(`${base}/debug/configz?name=x`)).json(), { name: 'x' });
    assert.deepEqual(await (await fetch(`${base}/debug`)).json(), { endpoints: ['/debug/configz'] });
    assert.equal((await fetch(`${base}/nope`)).status, 404);
  });
});
