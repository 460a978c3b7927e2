import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planApply, planCleanup } from './apply.ts';
import { buildRules } from './rules.ts';
import { renderRestore } from './render.ts';
import { parseInitArgs } from './args.ts';

const seed = buildRules(parseInitArgs(['-i', '*', '-b', '*', '-d', '15090,15021,15020']).capture);
const other = buildRules(parseInitArgs(['-i', '*']).capture);
const EMPTY = '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A OUTPUT -d 10.9.9.9/32 -j DNAT --to-destination 10.0.0.1\nCOMMIT\n';

describe('planApply', () => {
  it('on a table without our rules, declares the chains and adds every rule, touching nothing else', () => {
    const plan = planApply(seed, EMPTY);
    assert.match(plan, /^\*nat\n:ISTIO_INBOUND - \[0:0\]\n/);
    assert.match(plan, /^-A PREROUTING -p tcp -j ISTIO_INBOUND$/m);
    assert.match(plan, /^-A OUTPUT -p tcp -j ISTIO_OUTPUT$/m);
    assert.doesNotMatch(plan, /DNAT|:OUTPUT ACCEPT/);
  });

  it('does not add the built-in jumps again when they are installed', () => {
    const plan = planApply(seed, renderRestore(seed));
    assert.doesNotMatch(plan, /PREROUTING|-A OUTPUT/);
    assert.match(plan, /^-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001$/m);
  });

  it('deletes stale or duplicated jumps from an earlier run', () => {
    const installed = renderRestore(seed).replace('-A OUTPUT -p tcp -j ISTIO_OUTPUT\n', '-A OUTPUT -p tcp -j ISTIO_OUTPUT\n-A OUTPUT -p tcp -j ISTIO_OUTPUT\n');
    const plan = planApply(other, installed);
    assert.match(plan, /^-D PREROUTING -p tcp -j ISTIO_INBOUND$/m);
    assert.equal(plan.match(/^-D OUTPUT -p tcp -j ISTIO_OUTPUT$/gm)?.length, 1);
    assert.doesNotMatch(plan, /^-A OUTPUT/m);
  });
});

describe('planCleanup', () => {
  it('removes jumps, then flushes and deletes the chains', () => {
    const plan = planCleanup(renderRestore(seed));
    assert.deepEqual(plan.trim().split('\n').slice(1, 4), ['-D PREROUTING -p tcp -j ISTIO_INBOUND', '-D OUTPUT -p tcp -j ISTIO_OUTPUT', '-F ISTIO_INBOUND']);
    assert.match(plan, /^-X ISTIO_REDIRECT\nCOMMIT\n$/m);
  });

  it('is empty when nothing is installed', () => {
    assert.equal(planCleanup(EMPTY), '');
    assert.equal(planCleanup(''), '');
  });
});
