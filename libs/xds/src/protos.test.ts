// The per-process subsets of PROTO_FILES. Each test file runs in its own
// process, so choosing a subset here does not touch the other tests' Root.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CONTROL_PLANE_ONLY_PROTO_FILES, PROTO_FILES, hasMessageType, loadedProtoFiles, protoRoot, selectProtoFiles, xdsClientProtoFiles } from './protos.ts';
import { TYPE_URLS, decodeMessage, encodeMessage } from './codec.ts';

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

describe('proto subsets', () => {
  it("an xDS client's subset is PROTO_FILES without the control plane's own files", () => {
    const files = xdsClientProtoFiles();
    for (const f of CONTROL_PLANE_ONLY_PROTO_FILES) {
      assert.ok(PROTO_FILES.includes(f), `${f} is in PROTO_FILES`);
      assert.ok(!files.includes(f), `${f} is left out`);
    }
    assert.deepEqual(files, PROTO_FILES.filter((f) => !CONTROL_PLANE_ONLY_PROTO_FILES.includes(f)));
  });

  it('refuses a file that is not in PROTO_FILES (the one list)', () => {
    assert.throws(() => selectProtoFiles(['envoy/config/bootstrap/v3/bootstrap.proto']), /not in PROTO_FILES: envoy\/config\/bootstrap/);
  });

  it('loads only the chosen subset, which still decodes every resource type and the typed configs inside', () => {
    assert.equal(selectProtoFiles(xdsClientProtoFiles()), true);
    protoRoot();
    assert.equal(selectProtoFiles(PROTO_FILES), false, 'too late once the Root is loaded');
    assert.deepEqual(loadedProtoFiles(), xdsClientProtoFiles());
    for (const t of [...Object.values(TYPE_URLS), 'envoy.service.discovery.v3.DiscoveryRequest', 'envoy.service.discovery.v3.DeltaDiscoveryResponse', HCM]) {
      assert.ok(hasMessageType(t), `${t} is loaded`);
    }
    assert.equal(hasMessageType('envoy.service.status.v3.ClientStatusRequest'), false, 'CSDS is the control plane’s');
    // The proxy is the gRPC client of envoy.service.auth.v3.Authorization/Check (ext_authz).
    for (const t of ['envoy.service.auth.v3.CheckRequest', 'envoy.service.auth.v3.CheckResponse', 'envoy.extensions.filters.http.ext_authz.v3.ExtAuthz', 'envoy.extensions.filters.network.ext_authz.v3.ExtAuthz']) {
      assert.ok(hasMessageType(t), `${t} is loaded`);
    }
    const listener = {
      name: 'l',
      address: { socketAddress: { address: '127.0.0.1', portValue: 15001 } },
      filterChains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typedConfig: { '@type': HCM, statPrefix: 'out', rds: { routeConfigName: 'r', configSource: { ads: {} } } } }] }],
    };
    const back = decodeMessage(TYPE_URLS.listener, encodeMessage(TYPE_URLS.listener, listener));
    assert.equal(back.filterChains[0].filters[0].typedConfig['@type'], HCM);
    assert.equal(back.filterChains[0].filters[0].typedConfig.rds.routeConfigName, 'r');
  });
});
