import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { PortAllocator, freeLoopbackAddress, portIsFree } from './ports.ts';

describe('PortAllocator', () => {
  it("keeps Istio's number when free, moves on when busy, and refuses a busy exact port with advice", async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    after(() => busy.close());
    const port = (busy.address() as net.AddressInfo).port;
    const alloc = new PortAllocator();
    const next = await alloc.take(port);
    assert.ok(next > port);
    assert.notEqual(await alloc.take(port), next, 'a port is handed out once');
    await assert.rejects(alloc.require(port, 'gatewayHttp'), new RegExp(`port ${port} \\(gatewayHttp\\) is already in use.*ss -ltnp`));
  });
});

describe('freeLoopbackAddress', () => {
  it('gives an address of 127.0.0.0/8 other than 127.0.0.1 on which the fixed ports can be bound', async () => {
    const address = await freeLoopbackAddress([443, 9000]);
    assert.match(address, /^127\.\d+\.\d+\.\d+$/);
    assert.notEqual(address, '127.0.0.1');
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(9000, address, () => r()));
    after(() => srv.close());
    assert.equal(await portIsFree(9000, address), false);
    assert.equal(await portIsFree(443, address), true);
  });
});
