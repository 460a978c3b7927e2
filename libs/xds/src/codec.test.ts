import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONFIG_TYPE_URLS,
  Snapshot,
  TYPE_URLS,
  decodeMessage,
  encodeMessage,
  fromStruct,
  hasMessageType,
  messageType,
  normalize,
  packAny,
  protoLoadMs,
  protoRoot,
  toStruct,
  unpackAny,
} from './index.ts';
import { listener } from './test-fixtures.ts';

describe('Envoy protos and the in-memory shape', () => {
  it('loads every message type pilot and the proxy need, quickly', () => {
    protoRoot();
    assert.ok(protoLoadMs() > 0 && protoLoadMs() < 3_000, `proto load took ${protoLoadMs()} ms`);
    for (const url of [
      ...Object.values(TYPE_URLS),
      ...Object.values(CONFIG_TYPE_URLS),
      'envoy.service.discovery.v3.DeltaDiscoveryRequest',
      'envoy.service.status.v3.ClientStatusResponse',
      'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
    ]) {
      assert.ok(hasMessageType(url), url);
    }
  });

  it('packs and unpacks Any with nested typed configs as { "@type", ...fields }', () => {
    const l = listener('virtualOutbound', 15001, 'outbound_http');
    const packed = packAny({ '@type': TYPE_URLS.listener, ...l });
    assert.equal(packed.typeUrl, TYPE_URLS.listener);
    assert.ok(Buffer.isBuffer(packed.value));
    const back = unpackAny(packed);
    assert.equal(back['@type'], TYPE_URLS.listener);
    const hcm = back.filterChains[0].filters[0].typedConfig;
    assert.equal(hcm['@type'], CONFIG_TYPE_URLS.httpConnectionManager);
    assert.deepEqual(hcm.rds, { configSource: { ads: {}, resourceApiVersion: 'V3' }, routeConfigName: 'outbound_http' });
    assert.deepEqual(hcm.httpFilters[0].typedConfig, { '@type': CONFIG_TYPE_URLS.router });
  });

  it('renders enums by name, 64-bit ints as strings, durations and wrappers as objects', () => {
    const c = normalize(TYPE_URLS.cluster, {
      name: 'outbound|80||a.default.svc.cluster.local',
      type: 'EDS',
      lbPolicy: 'LEAST_REQUEST',
      connectTimeout: { seconds: 10, nanos: 500_000_000 },
      circuitBreakers: { thresholds: [{ maxConnections: { value: 7 } }] },
      ringHashLbConfig: { minimumRingSize: { value: '1024' } },
    });
    assert.equal(c.type, 'EDS');
    assert.equal(c.lbPolicy, 'LEAST_REQUEST');
    assert.deepEqual(c.connectTimeout, { seconds: '10', nanos: 500_000_000 });
    assert.deepEqual(c.circuitBreakers.thresholds[0].maxConnections, { value: 7 });
    assert.deepEqual(c.ringHashLbConfig.minimumRingSize, { value: '1024' });
  });

  it('keeps an Any of an unloaded type as { typeUrl, value } and rejects an unknown @type when encoding', () => {
    const bytes = encodeMessage(TYPE_URLS.listener, {
      name: 'l',
      listenerFilters: [{ name: 'x', typedConfig: { typeUrl: 'type.googleapis.com/example.Unknown', value: Buffer.from([8, 1]) } }],
    });
    const back = decodeMessage(TYPE_URLS.listener, bytes);
    assert.equal(back.listenerFilters[0].typedConfig.typeUrl, 'type.googleapis.com/example.Unknown');
    assert.throws(() => encodeMessage(TYPE_URLS.listener, { name: 'l', listenerFilters: [{ name: 'x', typedConfig: { '@type': 'type.googleapis.com/example.Unknown' } }] }), /unknown @type/);
  });

  it('names the resource and the field when a resource cannot be encoded', () => {
    assert.throws(
      () => Snapshot.build('v1', { [TYPE_URLS.cluster]: [{ name: 'c1', connectTimeout: { seconds: 'soon' } }] }),
      (err: Error) => /CDS c1/.test(err.message) && /connectTimeout/.test(err.message),
    );
    assert.throws(() => Snapshot.build('v1', { [TYPE_URLS.cluster]: [{ type: 'EDS' }] }), /CDS resource has no name/);
  });

  it('converts node metadata between JavaScript objects and google.protobuf.Struct', () => {
    const meta = { LABELS: { app: 'a', version: 'v1' }, OUTBOUND_PORT: '15001', ok: true, n: 3, list: ['x'] };
    const struct = toStruct(meta);
    const type = messageType('google.protobuf.Struct');
    assert.deepEqual(fromStruct(type.toObject(type.decode(type.encode(type.fromObject(struct)).finish()), { json: true }) as any), meta);
  });
});
