import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startNats, waitFor, type NatsServer } from '@mesh/testing';
import { createLogger, registry } from '@mesh/telemetry';
import { connectBus, type Bus, type WatchEvent } from './bus.ts';
import { BUCKETS, SUBJECTS, configKey, parseConfigKey, proxyStatusKey } from './names.ts';
import { ConfigResourceSchema, ConfigChangedSchema, type ConfigResource } from './messages.ts';

const vs = (name: string, host: string): ConfigResource => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name, namespace: 'default' },
  spec: { hosts: [host] },
});

async function invalidCount(source: string): Promise<number> {
  const m = await registry.getSingleMetric('mesh_contracts_invalid_messages_total')!.get();
  return m.values.find((v) => v.labels.source === source)?.value ?? 0;
}

describe('contracts bus against a real nats-server', () => {
  let nats: NatsServer;
  let bus: Bus;
  const lines: string[] = [];
  before(async () => {
    nats = await startNats();
    bus = await connectBus({ servers: nats.url, name: 'test', log: createLogger('test', { write: (l) => lines.push(l) }) });
  });
  after(async () => {
    await bus?.close();
    await nats?.stop();
  });

  it('delivers current values first, then changes, and drops values that break the contract', async () => {
    const kv = await bus.kv(BUCKETS.config, ConfigResourceSchema);
    await kv.put(configKey('VirtualService', 'default', 'a'), vs('a', 'a.example'));
    // A writer that bypasses the contract: the watcher must drop it, count it and carry on.
    await kv.kv.put(configKey('VirtualService', 'default', 'bad'), JSON.stringify({ kind: 'VirtualService', spec: 'nope' }));
    const before = await invalidCount(`kv:${BUCKETS.config}`);

    const events: WatchEvent<ConfigResource>[] = [];
    const watch = await kv.watch((e) => events.push(e));
    await watch.initialized;
    assert.deepEqual(events.map((e) => [e.op, e.key, e.initial]), [['put', 'VirtualService.default.a', true]]);
    assert.equal(await invalidCount(`kv:${BUCKETS.config}`), before + 1);
    assert.ok(lines.some((l) => /does not match its contract/.test(l)));

    await kv.put(configKey('VirtualService', 'default', 'b'), vs('b', 'b.example'));
    await kv.delete(configKey('VirtualService', 'default', 'a'));
    await waitFor('two live events', () => events.length === 3);
    assert.deepEqual(events.slice(1).map((e) => [e.op, e.key, e.initial]), [
      ['put', 'VirtualService.default.b', false],
      ['delete', 'VirtualService.default.a', false],
    ]);
    assert.ok(events[2].revision > events[1].revision);
    watch.stop();
  });

  it('rejects an invalid value on write with the field that is wrong', async () => {
    const kv = await bus.kv(BUCKETS.config, ConfigResourceSchema);
    await assert.rejects(kv.put('x', { ...vs('x', 'x'), kind: 'Nope' as 'Gateway' }), /kind/);
  });

  it('validates published events and drops malformed ones', async () => {
    const got: unknown[] = [];
    bus.subscribe(SUBJECTS.configChanged, ConfigChangedSchema, (m) => got.push(m));
    bus.nc.publish(SUBJECTS.configChanged, 'not json');
    bus.publish(SUBJECTS.configChanged, ConfigChangedSchema, { op: 'put', kind: 'Gateway', namespace: 'default', name: 'gw', revision: 3 });
    await waitFor('the valid event', () => got.length === 1);
    await bus.nc.flush();
    assert.deepEqual(got, [{ op: 'put', kind: 'Gateway', namespace: 'default', name: 'gw', revision: 3 }]);
    assert.ok((await invalidCount(`subject:${SUBJECTS.configChanged}`)) >= 1);
  });

  it('opens a bucket that several components create at the same moment (citadel and a client at start-up)', async () => {
    const others = await Promise.all([1, 2, 3].map((i) => connectBus({ servers: nats.url, name: `racer-${i}`, log: createLogger('test', { write: (l) => lines.push(l) }) })));
    try {
      // Each bucket this file does not otherwise use: none exists yet when the racers start.
      for (const bucket of [BUCKETS.registry, BUCKETS.trustBundle, BUCKETS.meshConfig, BUCKETS.proxyStatus]) {
        const kvs = await Promise.all([bus, ...others].map((b) => b.kv(bucket, ConfigResourceSchema)));
        await kvs[0].put('k', vs('a', 'a.example.com'));
        for (const kv of kvs) assert.equal((await kv.get('k'))?.value.metadata.name, 'a', `every racer reads the one bucket ${bucket}`);
      }
    } finally {
      await Promise.all(others.map((b) => b.close()));
    }
  });

  it('builds and parses keys that KV accepts', () => {
    assert.deepEqual(parseConfigKey(configKey('ServiceEntry', 'prod', 'api.example.com')), { kind: 'ServiceEntry', namespace: 'prod', name: 'api.example.com' });
    assert.match(proxyStatusKey('sidecar~10.0.0.1~reviews.default~default.svc.cluster.local'), /^[-/_=.a-zA-Z0-9]+$/);
  });
});
