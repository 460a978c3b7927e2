import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExportScope, checkMeshConfig, meshDefaultExportTo, meshNumTrustedProxies, meshRootNamespace, proxyConfigNumTrustedProxies } from './index.ts';

describe('mesh config: exportTo defaults and the root namespace', () => {
  it("resolves exportTo as Istio: '.' own namespace, '*' all, '~' none, names; empty takes the mesh default", () => {
    const own = new ExportScope(['.'], 'team-a');
    assert.equal(own.visibleIn('team-a'), true);
    assert.equal(own.visibleIn('team-b'), false);
    const listed = new ExportScope(['.', 'istio-system'], 'team-a');
    assert.deepEqual([listed.visibleIn('istio-system'), listed.visibleIn('team-a'), listed.visibleIn('x')], [true, true, false]);
    assert.equal(new ExportScope(['~'], 'team-a').visibleIn('team-a'), false);
    assert.equal(new ExportScope(undefined, 'team-a').visibleIn('anywhere'), true);
    assert.equal(new ExportScope([], 'team-a', ['.']).visibleIn('team-b'), false, 'mesh default ["."]');
  });

  it('reads defaultServiceExportTo / defaultVirtualServiceExportTo / defaultDestinationRuleExportTo and rootNamespace, naming a bad field', () => {
    assert.deepEqual(meshDefaultExportTo({}, 'ServiceEntry'), { value: ['*'] });
    assert.deepEqual(meshDefaultExportTo({ defaultVirtualServiceExportTo: ['.'] }, 'VirtualService'), { value: ['.'] });
    assert.deepEqual(meshDefaultExportTo({ defaultDestinationRuleExportTo: 'all' }, 'DestinationRule').error, { path: 'defaultDestinationRuleExportTo', message: 'expected a list such as ["*"] or ["."]' });
    assert.equal(meshRootNamespace({}).value, 'istio-system');
    assert.equal(meshRootNamespace({ rootNamespace: 'istio-config' }).value, 'istio-config');
    assert.deepEqual(checkMeshConfig({ defaultServiceExportTo: ['Bad_NS'], rootNamespace: 'No!', outboundTrafficPolicy: { mode: 'DENY' } }), [
      { path: 'defaultServiceExportTo[0]', message: '"Bad_NS" is not ".", "*", "~" or a namespace name' },
      { path: 'rootNamespace', message: '"No!" is not a namespace name' },
      { path: 'outboundTrafficPolicy.mode', message: '"DENY" is not one of ALLOW_ANY, REGISTRY_ONLY' },
    ]);
  });

  it("reads Istio's gatewayTopology.numTrustedProxies from the mesh defaultConfig or a gateway's PROXY_CONFIG, naming a bad value", () => {
    assert.deepEqual(meshNumTrustedProxies({}), { value: 0, error: undefined });
    assert.deepEqual(meshNumTrustedProxies({ defaultConfig: { gatewayTopology: { numTrustedProxies: 2 } } }), { value: 2, error: undefined });
    assert.deepEqual(proxyConfigNumTrustedProxies('{"gatewayTopology":{"numTrustedProxies":1}}', 'PROXY_CONFIG.'), { value: 1 });
    assert.deepEqual(proxyConfigNumTrustedProxies(undefined, 'PROXY_CONFIG.'), {});
    assert.deepEqual(checkMeshConfig({ defaultConfig: { gatewayTopology: { numTrustedProxies: 1.5 } } }), [
      { path: 'defaultConfig.gatewayTopology.numTrustedProxies', message: '1.5 is not a whole number of proxies from 0 to 64' },
    ]);
  });
});
