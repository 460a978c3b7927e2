import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideInjection, type PolicyInput } from './policy.ts';

const base: PolicyInput = {
  namespace: 'shop',
  namespaceLabels: {},
  podLabels: {},
  podInject: undefined,
  hostNetwork: false,
  alreadyInjected: false,
  revision: 'default',
  policy: 'enabled',
  enableNamespacesByDefault: false,
};

// Istio's documented injection table: namespace label x pod override x policy.
const table: Array<[string, Partial<PolicyInput>, boolean]> = [
  ['enabled namespace', { namespaceLabels: { 'istio-injection': 'enabled' } }, true],
  ['enabled namespace, pod false', { namespaceLabels: { 'istio-injection': 'enabled' }, podInject: 'false' }, false],
  ['disabled namespace, pod true', { namespaceLabels: { 'istio-injection': 'disabled' }, podInject: 'true' }, false],
  ['unlabelled namespace', {}, false],
  ['unlabelled namespace, pod true', { podInject: 'true' }, true],
  ['unlabelled namespace, namespaces enabled by default', { enableNamespacesByDefault: true }, true],
  ['unknown namespace labels (webhook configuration selected)', { namespaceLabels: undefined }, true],
  ['policy disabled, enabled namespace', { policy: 'disabled', namespaceLabels: { 'istio-injection': 'enabled' } }, false],
  ['policy disabled, pod true', { policy: 'disabled', podInject: 'yes' }, true],
  ['namespace rev=default', { namespaceLabels: { 'istio.io/rev': 'default' } }, true],
  ['namespace rev=canary, default injector', { namespaceLabels: { 'istio.io/rev': 'canary' } }, false],
  ['namespace rev=canary, canary injector', { namespaceLabels: { 'istio.io/rev': 'canary' }, revision: 'canary' }, true],
  ['pod rev=canary overrides namespace rev', { namespaceLabels: { 'istio.io/rev': 'default' }, podLabels: { 'istio.io/rev': 'canary' }, revision: 'canary' }, true],
  ['istio-injection=enabled beats pod rev', { namespaceLabels: { 'istio-injection': 'enabled' }, podLabels: { 'istio.io/rev': 'canary' }, revision: 'canary' }, false],
  ['hostNetwork', { namespaceLabels: { 'istio-injection': 'enabled' }, hostNetwork: true }, false],
  ['already injected', { namespaceLabels: { 'istio-injection': 'enabled' }, alreadyInjected: true }, false],
  ['kube-system', { namespace: 'kube-system', namespaceLabels: undefined }, false],
  ['kube-inject (any revision) ignores revision labels', { namespaceLabels: undefined, podLabels: { 'istio.io/rev': 'canary' }, anyRevision: true }, true],
  ['kube-inject still honours the pod opting out', { namespaceLabels: undefined, podInject: 'false', anyRevision: true }, false],
];

describe('decideInjection', () => {
  for (const [name, input, expected] of table) {
    it(`${name}: ${expected ? 'inject' : 'skip'}`, () => {
      const d = decideInjection({ ...base, ...input });
      assert.equal(d.inject, expected, d.reason);
      assert.ok(d.reason.length > 0);
    });
  }
});
