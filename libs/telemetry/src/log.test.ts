import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from './log.ts';

describe('createLogger', () => {
  it('writes one JSON object per line with level, component, message and fields', () => {
    const lines: string[] = [];
    const log = createLogger('pilot', { write: (l) => lines.push(l) });
    log.child({ proxy: 'sidecar~1' }).info('pushed', { version: '3' });
    const rec = JSON.parse(lines[0]);
    assert.equal(rec.level, 'info');
    assert.equal(rec.component, 'pilot');
    assert.equal(rec.msg, 'pushed');
    assert.equal(rec.proxy, 'sidecar~1');
    assert.equal(rec.version, '3');
    assert.ok(!Number.isNaN(Date.parse(rec.time)));
  });

  it('drops lines below the configured level and serializes errors', () => {
    const lines: string[] = [];
    const log = createLogger('galley', { level: 'warn', write: (l) => lines.push(l) });
    log.info('hidden');
    log.error('failed', { err: Object.assign(new Error('boom'), { code: 'E1' }) });
    assert.equal(lines.length, 1);
    const rec = JSON.parse(lines[0]);
    assert.equal(rec.err.message, 'boom');
    assert.equal(rec.err.code, 'E1');
  });
});
