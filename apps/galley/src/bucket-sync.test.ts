// BucketSync against a real nats-server: writes only differences, deletes
// what is no longer desired, and survives an outage and a server that lost
// its state.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { BUCKETS, ConfigResourceSchema, connectBus, type Bus, type ConfigResource } from '@mesh/contracts';
import { createLogger } from '@mesh/telemetry';
import { startNats, waitFor, type NatsServer } from '@mesh/testing';
import { BucketSync } from './bucket-sync.ts';

const log = process.env.DEBUG_TEST ? createLogger('test') : createLogger('test', { write: () => {} });
const gw = (name: string, port: number): ConfigResource => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'Gateway',
  metadata: { name, namespace: 'default' },
  spec: { servers: [{ port: { number: port, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] },
  source: '/c/a.yaml',
});

describe('BucketSync (real NATS)', () => {
  let nats: NatsServer;
  let bus: Bus;
  before(async () => {
    nats = await startNats();
    bus = await connectBus({ servers: nats.url, name: 'bucket-sync-test', log });
  });
  after(async () => {
    await bus?.close();
    await nats?.stop();
  });

  it('writes only what differs and deletes what is no longer desired, reporting each write with its revision', async () => {
    let desired = new Map([
      ['Gateway.default.a', gw('a', 80)],
      ['Gateway.default.b', gw('b', 81)],
    ]);
    const events: Array<[string, string, number]> = [];
    let passes = 0;
    const sync = new BucketSync<ConfigResource>({
      bucket: BUCKETS.config,
      log,
      open: () => bus.kv(BUCKETS.config, ConfigResourceSchema),
      desired: () => desired,
      onWrite: (op, key, revision) => events.push([op, key, revision]),
      onSynced: () => passes++,
    });
    after(() => sync.stop());
    const kv = await bus.kv(BUCKETS.config, ConfigResourceSchema);

    sync.trigger();
    await waitFor('first pass', () => passes === 1);
    assert.deepEqual(events.map(([op, key]) => [op, key]), [
      ['put', 'Gateway.default.a'],
      ['put', 'Gateway.default.b'],
    ]);
    const revA = (await kv.get('Gateway.default.a'))!.revision;

    // Same content, built differently (key order): no write.
    desired = new Map([
      ['Gateway.default.a', { source: '/c/a.yaml', spec: gw('a', 80).spec, metadata: { namespace: 'default', name: 'a' }, kind: 'Gateway', apiVersion: 'networking.istio.io/v1' } as ConfigResource],
      ['Gateway.default.b', gw('b', 81)],
    ]);
    sync.trigger();
    await waitFor('second pass', () => passes === 2);
    assert.equal(events.length, 2, 'nothing written');
    assert.equal((await kv.get('Gateway.default.a'))!.revision, revA);

    desired = new Map([['Gateway.default.a', gw('a', 8080)]]);
    sync.trigger();
    await waitFor('third pass', () => passes === 3);
    assert.deepEqual(events.slice(2).map(([op, key]) => [op, key]), [
      ['put', 'Gateway.default.a'],
      ['delete', 'Gateway.default.b'],
    ]);
    assert.ok(events[3][2] > events[2][2], 'the delete carries its own, later revision');
    assert.equal(((await kv.get('Gateway.default.a'))!.value.spec as any).servers[0].port.number, 8080);
    assert.equal(await kv.get('Gateway.default.b'), undefined);
    assert.deepEqual(await kv.keys(), ['Gateway.default.a']);
  });

  it('starts from what the bucket already holds (a restarted galley rewrites nothing unchanged)', async () => {
    const kv = await bus.kv(BUCKETS.config, ConfigResourceSchema);
    await kv.put('Gateway.default.kept', gw('kept', 80));
    const before = (await kv.get('Gateway.default.kept'))!.revision;
    let passes = 0;
    const writes: string[] = [];
    const sync = new BucketSync<ConfigResource>({
      bucket: BUCKETS.config,
      log,
      open: () => bus.kv(BUCKETS.config, ConfigResourceSchema),
      desired: (current) => new Map([...current].filter(([k]) => k === 'Gateway.default.kept')),
      onWrite: (op, key) => writes.push(`${op} ${key}`),
      onSynced: () => passes++,
    });
    after(() => sync.stop());
    sync.trigger();
    await waitFor('pass', () => passes === 1);
    assert.deepEqual(writes, ['delete Gateway.default.a'], 'only the key not desired is touched');
    assert.equal((await kv.get('Gateway.default.kept'))!.revision, before);
  });

  it('keeps retrying through an outage and rewrites everything to a server that lost its state', async () => {
    const server = await startNats();
    const b = await connectBus({ servers: server.url, name: 'outage-test', log });
    let desired = new Map([['Gateway.default.a', gw('a', 80)]]);
    let passes = 0;
    const sync = new BucketSync<ConfigResource>({
      bucket: BUCKETS.config,
      log,
      open: () => b.kv(BUCKETS.config, ConfigResourceSchema),
      desired: () => desired,
      onSynced: () => passes++,
      maxBackoffMs: 200,
    });
    after(async () => {
      sync.stop();
      await b.close();
      await server.stop();
    });
    void (async () => {
      for await (const s of b.nc.status()) if (s.type === 'reconnect') sync.markStale();
    })();
    sync.trigger();
    await waitFor('first pass', () => passes === 1);

    // The server goes away, and comes back with an empty store.
    await server.kill();
    desired = new Map([
      ['Gateway.default.a', gw('a', 80)],
      ['Gateway.default.b', gw('b', 81)],
    ]);
    sync.trigger();
    await waitFor('a failed attempt', () => sync.lastError !== undefined, { timeoutMs: 15_000 });
    assert.equal(sync.synced, true, 'earlier success is remembered');
    for (const entry of readdirSync(server.storeDir)) rmSync(path.join(server.storeDir, entry), { recursive: true, force: true });
    await server.restart();
    await waitFor('bucket rebuilt after reconnect', async () => {
      const kv = await b.kv(BUCKETS.config, ConfigResourceSchema);
      return (await kv.keys()).sort().join(',') === 'Gateway.default.a,Gateway.default.b';
    }, { timeoutMs: 20_000, intervalMs: 200 });
    await waitFor('in sync', () => sync.lastError === undefined, { timeoutMs: 10_000 });
  });
});
