import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { existsSync } from 'node:fs';
import { startNats } from './nats.ts';

describe('startNats (real nats-server)', () => {
  it('serves JetStream on a free port, survives a restart and removes its store on stop', async () => {
    const nats = await startNats();
    after(() => nats.stop());
    const banner = await new Promise<string>((resolve, reject) => {
      const s = net.connect(nats.port, '127.0.0.1');
      s.once('data', (d) => {
        resolve(d.toString());
        s.destroy();
      });
      s.once('error', reject);
    });
    assert.match(banner, /^INFO .*"jetstream":true/);
    await nats.restart();
    assert.ok(existsSync(nats.storeDir));
    await nats.stop();
    assert.equal(existsSync(nats.storeDir), false);
  });
});
