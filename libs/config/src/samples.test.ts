// Samples after Istio's documentation (testdata/*.yaml) must be accepted as
// written, without errors and without warnings, even in strict mode.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadResources } from './load.ts';
import { analyzeResources } from './analyze.ts';

const FILES: Record<string, string[]> = {
  'traffic-management.yaml': [
    'DestinationRule default/reviews',
    'VirtualService default/reviews-canary',
    'VirtualService default/reviews',
    'VirtualService default/ratings-route',
    'VirtualService default/ratings-retries',
    'VirtualService default/ratings-fault',
    'DestinationRule default/httpbin',
    'DestinationRule default/bookinfo-ratings-port',
    'VirtualService default/httpbin',
    'VirtualService default/maintenance',
    'VirtualService default/tcp-echo',
    'DestinationRule default/tcp-echo-destination',
    'Gateway default/tcp-echo-gateway',
    'VirtualService default/bookinfo-sni',
  ],
  'gateways.yaml': [
    'Gateway istio-system/bookinfo-gateway',
    'VirtualService default/bookinfo',
    'ServiceEntry default/cnn',
    'Gateway default/istio-egressgateway',
    'DestinationRule default/egressgateway-for-cnn',
    'VirtualService default/direct-cnn-through-egress-gateway',
  ],
  'service-entries.yaml': [
    'Sidecar istio-config/default',
    'Sidecar prod-us1/ratings',
    'ServiceEntry default/httpbin-ext',
    'ServiceEntry default/external-svc-wildcard',
    'ServiceEntry default/external-svc-mongocluster',
    'ServiceEntry default/external-svc-dns',
    'ServiceEntry default/details-svc',
    'WorkloadEntry default/details-svc',
    'WorkloadEntry bookinfo/ratings-vm',
  ],
  'security.yaml': [
    'PeerAuthentication istio-system/default',
    'PeerAuthentication foo/finance',
    'RequestAuthentication istio-system/jwt-example',
    'RequestAuthentication foo/inline-jwks',
    'AuthorizationPolicy istio-system/require-jwt',
    'AuthorizationPolicy foo/httpbin',
    'AuthorizationPolicy foo/deny-method-get',
    'AuthorizationPolicy foo/allow-nothing',
    'AuthorizationPolicy foo/ext-authz',
  ],
};

describe("Istio's documented samples are valid", () => {
  for (const [file, ids] of Object.entries(FILES)) {
    it(file, () => {
      const text = readFileSync(new URL(`./testdata/${file}`, import.meta.url), 'utf8');
      const r = loadResources(text, { source: file, unknownFields: 'error', unenforcedSecurity: 'accept' });
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.ignored, []);
      assert.deepEqual(r.rejected.map((x) => ({ id: x.id, errors: x.errors })), []);
      assert.deepEqual(r.accepted.map((x) => x.id), ids);
      assert.deepEqual(r.accepted.filter((x) => x.warnings.length).map((x) => ({ id: x.id, warnings: x.warnings })), []);
    });
  }

  it('analysis links the samples that define their subsets and gateways, and flags those that do not', () => {
    const text = readFileSync(new URL('./testdata/traffic-management.yaml', import.meta.url), 'utf8');
    const flagged = new Set(analyzeResources(loadResources(text).accepted.map((a) => a.resource)).map((f) => f.resource));
    // reviews and tcp-echo find their DestinationRules and Gateway in the file.
    assert.equal(flagged.has('VirtualService default/reviews'), false);
    assert.equal(flagged.has('VirtualService default/tcp-echo'), false);
    // reviews-canary routes to reviews.prod, whose DestinationRule is not in the file; ratings has none at all.
    assert.equal(flagged.has('VirtualService default/reviews-canary'), true);
    assert.equal(flagged.has('VirtualService default/ratings-retries'), true);
  });
});
