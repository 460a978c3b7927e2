import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildNode, parseNodeId } from './node-identity.ts';

describe('node identity', () => {
  it('builds an Istio node id from pod name, namespace and IP', () => {
    const node = buildNode({ mode: 'sidecar', podName: 'reviews-v1-7d8f9c6b5d-x2x4q', podNamespace: 'bookinfo', instanceIp: '10.1.2.3', labels: ['app=reviews,version=v1'], outboundPort: 15001, env: {} });
    assert.equal(node.id, 'sidecar~10.1.2.3~reviews-v1-7d8f9c6b5d-x2x4q.bookinfo~bookinfo.svc.cluster.local');
    assert.deepEqual(node.metadata.LABELS, { app: 'reviews', version: 'v1' });
    assert.equal(node.metadata.NAMESPACE, 'bookinfo');
    assert.equal(node.metadata.WORKLOAD_NAME, 'reviews');
    assert.equal(node.metadata.OUTBOUND_PORT, '15001');
    assert.equal(node.cluster, 'reviews.bookinfo');
  });

  it('uses a given gateway node id and reads namespace and workload from it', () => {
    const node = buildNode({ mode: 'gateway', nodeId: 'router~127.0.0.1~istio-ingressgateway.istio-system~istio-system.svc.cluster.local', labels: ['istio=ingressgateway'], env: { ISTIO_META_ROUTER_MODE: 'sni-dnat' } });
    assert.equal(node.id, 'router~127.0.0.1~istio-ingressgateway.istio-system~istio-system.svc.cluster.local');
    assert.equal(node.metadata.NAMESPACE, 'istio-system');
    assert.equal(node.metadata.ROUTER_MODE, 'sni-dnat', 'ISTIO_META_* variables become metadata');
    assert.equal(node.metadata.OUTBOUND_PORT, undefined);
  });

  it("sends the PROXY_CONFIG environment (Istio's agent: the pod's proxy.istio.io/config) as node metadata, and names bad JSON", () => {
    const node = buildNode({ mode: 'gateway', labels: ['istio=ingressgateway'], env: { PROXY_CONFIG: '{"gatewayTopology":{"numTrustedProxies":2}}' } });
    assert.deepEqual(node.metadata.PROXY_CONFIG, { gatewayTopology: { numTrustedProxies: 2 } });
    assert.throws(() => buildNode({ mode: 'gateway', labels: [], env: { PROXY_CONFIG: '{gatewayTopology' } }), /PROXY_CONFIG is not valid JSON/);
    // The admin port goes with it as ProxyConfig.proxyAdminPort (istioctl proxy-config reads it).
    assert.deepEqual(buildNode({ mode: 'gateway', labels: [], adminPort: 15400, env: { PROXY_CONFIG: '{"gatewayTopology":{"numTrustedProxies":2}}' } }).metadata.PROXY_CONFIG, { gatewayTopology: { numTrustedProxies: 2 }, proxyAdminPort: 15400 });
    assert.deepEqual(buildNode({ mode: 'sidecar', labels: [], adminPort: 15000, env: {} }).metadata.PROXY_CONFIG, { proxyAdminPort: 15000 });
  });

  it('rejects labels that are not key=value', () => {
    assert.throws(() => buildNode({ mode: 'sidecar', labels: ['app'], env: {} }), /--labels: "app" is not key=value/);
  });

  it('parses node ids', () => {
    assert.deepEqual(parseNodeId('sidecar~10.0.0.1~sleep.default~default.svc.cluster.local'), { type: 'sidecar', ip: '10.0.0.1', workload: 'sleep', namespace: 'default' });
    assert.equal(parseNodeId('not-istio'), undefined);
  });
});
