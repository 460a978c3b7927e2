import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SnapshotCompiler, TYPE_URLS, snapshotFromResources } from './snapshot-compiler.ts';
import { edsCluster, httpListener, routeConfig, vhost } from '../test-fixtures.ts';

describe('validation (what the proxy NACKs)', () => {
  const compiler = new SnapshotCompiler();

  it('accepts what pilot sends', () => {
    compiler.validate(TYPE_URLS.listener, [httpListener('l', 8080, 'r')]);
    compiler.validate(TYPE_URLS.route, [routeConfig('r', [vhost('v', ['*'], [{ match: { prefix: '/' }, route: { cluster: 'c' } }])])]);
    compiler.validate(TYPE_URLS.cluster, [edsCluster('c'), { name: 'PassthroughCluster', type: 'ORIGINAL_DST', lbPolicy: 'CLUSTER_PROVIDED', originalDstLbConfig: { useHttpHeader: true } }]);
  });

  it('names every bad resource and field in one error', () => {
    assert.throws(
      () =>
        compiler.validate(TYPE_URLS.route, [
          routeConfig('good', [vhost('v', ['*'], [{ match: { prefix: '/' }, route: { cluster: 'c' } }])]),
          routeConfig('bad-regex', [vhost('v', ['*'], [{ match: { safeRegex: { regex: '[' } }, route: { cluster: 'c' } }])]),
          routeConfig('no-cluster', [vhost('v', ['*'], [{ match: { prefix: '/' }, route: {} }])]),
        ]),
      (err: Error) => {
        assert.match(err.message, /RouteConfiguration bad-regex: virtualHosts\[0\] \(v\)\.routes\[0\]\.match\.safeRegex\.regex/);
        assert.match(err.message, /RouteConfiguration no-cluster: virtualHosts\[0\] \(v\)\.routes\[0\]\.route: a route action needs cluster/);
        assert.doesNotMatch(err.message, /good/);
        return true;
      },
    );
  });

  it('rejects an HTTP filter it would have to ignore, unless it is optional', () => {
    // ext_proc may decide who may pass: skipping it would let through what it must deny.
    const withExtProc = (optional: boolean) => {
      const l = httpListener('l', 8080, 'r');
      const hcm = l.filterChains[0].filters[0].typedConfig;
      hcm.httpFilters = [{ name: 'envoy.filters.http.ext_proc', isOptional: optional, typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor' } }, ...hcm.httpFilters];
      return l;
    };
    assert.throws(() => compiler.validate(TYPE_URLS.listener, [withExtProc(false)]), /Listener l\.filterChains\[0\]\.filters\[0\]\.typedConfig\.httpFilters\[0\]: unsupported HTTP filter envoy\.filters\.http\.ext_proc/);
    compiler.validate(TYPE_URLS.listener, [withExtProc(true)]);
  });

  it('leaves proxyless api listeners unbound instead of rejecting them', () => {
    const out = compiler.compile(snapshotFromResources({ listeners: [{ name: 'svc:80', apiListener: { apiListener: {} } }] }));
    assert.equal(out.errors.length, 0);
    assert.equal(out.listeners.get('svc:80')!.kind, 'none');
  });

  it('reuses a compiled route table while the AdsClient hands back the same resource object (it does for unchanged bytes)', () => {
    const r = routeConfig('r', [vhost('v', ['*'], [{ match: { prefix: '/' }, route: { cluster: 'c' } }])]);
    const first = compiler.compile(snapshotFromResources({ routes: [r] })).routes.get('r');
    assert.equal(compiler.compile(snapshotFromResources({ routes: [r] })).routes.get('r'), first);
    const changed = structuredClone(r);
    changed.virtualHosts[0].domains = ['x'];
    const recompiled = compiler.compile(snapshotFromResources({ routes: [changed] })).routes.get('r');
    assert.notEqual(recompiled, first);
    assert.equal(recompiled!.virtualHosts[0].domains[0], 'x');
  });
});
