import { it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { freePort } from './ports.ts';

it('never hands out the same port twice in one process, even when the OS would reuse it', async () => {
  const ports = [];
  for (let i = 0; i < 300; i++) ports.push(await freePort());
  assert.equal(new Set(ports).size, ports.length);
  // Each one can be bound.
  const srv = net.createServer().listen(ports[299], '127.0.0.1');
  await new Promise<void>((resolve, reject) => srv.once('listening', resolve).once('error', reject));
  await new Promise((r) => srv.close(r));
});
