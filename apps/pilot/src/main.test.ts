// The pilot binary as a real process: flags, startup logs, readiness, debug
// endpoints and a graceful SIGTERM.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BUCKETS, ConfigResourceSchema, configKey, connectBus, type Bus } from '@mesh/contracts';
import { freePort, startNats, startProcess, waitFor, type ManagedProcess, type NatsServer } from '@mesh/testing';
import { AdsClient } from '@mesh/xds';
import { GATEWAY_ID, sampleConfig, testLog } from './test-support.ts';

describe('pilot process', () => {
  let nats: NatsServer;
  let bus: Bus;
  let pilot: ManagedProcess;
  let xdsPort: number;
  let monitoringPort: number;

  before(async () => {
    nats = await startNats();
    bus = await connectBus({ servers: nats.url, name: 'pilot-main-test', log: testLog });
    const kv = await bus.kv(BUCKETS.config, ConfigResourceSchema);
    for (const r of sampleConfig()) await kv.put(configKey(r.kind, r.metadata.namespace, r.metadata.name), r);
    xdsPort = await freePort();
    monitoringPort = await freePort();
    pilot = startProcess('pilot', 'apps/pilot/src/main.ts', ['--xds-port', String(xdsPort), '--monitoring-port', String(monitoringPort)], { env: { NATS_URL: nats.url } });
  });
  after(async () => {
    await pilot?.stop();
    await bus?.close();
    await nats?.stop();
  });

  it('logs its startup progress, becomes ready and serves ADS and debug endpoints', async () => {
    await pilot.waitForLine((l) => l.msg === 'connected to NATS');
    await pilot.waitForLine((l) => l.msg === 'initial config loaded: 6 resources');
    await pilot.waitForLine((l) => l.msg === `ADS listening on 127.0.0.1:${xdsPort}`);
    await waitFor('ready', async () => (await fetch(`http://127.0.0.1:${monitoringPort}/ready`)).ok);
    const client = new AdsClient({ target: `127.0.0.1:${xdsPort}`, node: { id: GATEWAY_ID, metadata: { LABELS: { istio: 'ingressgateway' } } }, log: testLog });
    const snapshot = new Promise<any>((resolve) => client.once('snapshot', resolve));
    client.start();
    after(() => client.stop());
    assert.ok((await snapshot).listeners.has('0.0.0.0_80'));
    const syncz = await waitFor('the gateway in /debug/syncz', async () => {
      const body = (await (await fetch(`http://127.0.0.1:${monitoringPort}/debug/syncz`)).json()) as any[];
      return body.find((s) => s.proxy === GATEWAY_ID && s.types.RDS?.ackedVersion) ? body : undefined;
    });
    assert.equal(syncz[0].protocol, 'sotw');
    const configz = (await (await fetch(`http://127.0.0.1:${monitoringPort}/debug/configz?proxy=${encodeURIComponent(GATEWAY_ID)}`)).json()) as any;
    assert.equal(configz.routes[0].name, 'http.80');
    const push = (await (await fetch(`http://127.0.0.1:${monitoringPort}/debug/push_status`)).json()) as any;
    assert.equal(push.counts.services, 1);
  });

  it('shuts down on SIGTERM: closes streams and exits 0', async () => {
    const code = await pilot.stop();
    assert.equal(code, 0);
    assert.ok(pilot.lines.some((l) => l.msg === 'stopped'));
  });
});
