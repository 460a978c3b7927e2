// Shared by the agent's tests.
import assert from 'node:assert/strict';
import { parseExposition } from './merged-metrics.ts';

/** Every family has at most one # TYPE and one # HELP, and its samples follow them without interruption. */
export function assertValidExposition(text: string): void {
  const typed = new Map<string, number>();
  const helped = new Map<string, number>();
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    const m = /^# (TYPE|HELP) (\S+)/.exec(line);
    if (!m) continue;
    const seen = m[1] === 'TYPE' ? typed : helped;
    assert.ok(!seen.has(m[2]), `duplicate # ${m[1]} ${m[2]} at lines ${seen.get(m[2])! + 1} and ${i + 1}`);
    seen.set(m[2], i);
  }
  assert.equal(parseExposition(text).invalid, 0, 'no invalid lines');
  assert.ok(text.endsWith('\n'));
}
