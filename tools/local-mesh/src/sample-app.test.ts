import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSampleApp } from './sample-app.ts';

describe('sample app', () => {
  it('says which service and version answered and echoes the request', async () => {
    const app = await startSampleApp({ service: 'hello', version: 'v2', port: 0 });
    after(() => app.close());
    const res = await fetch(`http://127.0.0.1:${app.port}/greet?x=1`, { headers: { 'x-canary': 'true' } });
    assert.equal(res.headers.get('x-served-by'), 'hello-v2');
    const body = (await res.json()) as { version: string; path: string; headers: Record<string, string> };
    assert.equal(body.version, 'v2');
    assert.equal(body.path, '/greet?x=1');
    assert.equal(body.headers['x-canary'], 'true');
  });
});
