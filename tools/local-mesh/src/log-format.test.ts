import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LogFormatter } from './log-format.ts';

describe('LogFormatter', () => {
  it('turns a JSON log line into a prefixed, readable line with its fields', () => {
    const fmt = new LogFormatter({ colour: false, width: 8 });
    const out = fmt.format('pilot', JSON.stringify({ time: '2026-11-22T03:20:01.123Z', level: 'warn', component: 'pilot', msg: 'NACK received', proxy: 'router~1', detail: 'bad route' }));
    assert.equal(out, 'pilot    | 03:20:01 WARN  NACK received proxy=router~1 detail="bad route"');
  });
  it('passes through lines that are not JSON', () => {
    const fmt = new LogFormatter({ colour: false, width: 6 });
    assert.equal(fmt.format('nats', '[1] Server is ready'), 'nats   | [1] Server is ready');
  });
});
