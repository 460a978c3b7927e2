// CSDS lists a client's Secret resources by name and status but never their
// contents: gateway credentials (Istio's credentialName) carry private keys.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { waitFor } from '@mesh/testing';
import { AdsClient } from './ads-client.ts';
import { CSDS_METHODS, csdsServiceDefinition } from './csds.ts';
import { TYPE_URLS } from './codec.ts';
import { Snapshot } from './snapshot.ts';
import { cla, edsCluster, listener, quietLog, route, startControlPlane } from './test-fixtures.ts';

const NODE = { id: 'router~127.0.0.1~ingress.istio-system~istio-system.svc.cluster.local' };
const KEY = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleQ==\n-----END PRIVATE KEY-----\n';

describe('CSDS and secrets', () => {
  it('reports a served Secret as ACKed without its contents', async () => {
    const cp = await startControlPlane();
    after(() => cp.close());
    const l = listener('l-tls', 18443, 'r-a');
    l.filterChains[0].transportSocket = {
      name: 'envoy.transport_sockets.tls',
      typedConfig: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
        commonTlsContext: { tlsCertificateSdsSecretConfigs: [{ name: 'kubernetes://cred', sdsConfig: { ads: {}, resourceApiVersion: 'V3' } }] },
      },
    };
    cp.cache.set(
      NODE.id,
      Snapshot.build('v1', {
        [TYPE_URLS.listener]: [l],
        [TYPE_URLS.route]: [route('r-a', 'c-a')],
        [TYPE_URLS.cluster]: [edsCluster('c-a')],
        [TYPE_URLS.endpoint]: [cla('c-a', [9001])],
        [TYPE_URLS.secret]: [{ name: 'kubernetes://cred', tlsCertificate: { certificateChain: { inlineString: 'chain' }, privateKey: { inlineString: KEY } } }],
      }),
    );
    const client = new AdsClient({ target: cp.target, node: NODE, log: quietLog, backoff: { initialMs: 50, maxMs: 200 } });
    after(() => client.stop());
    client.start();
    await waitFor('the secret ACKed', () => cp.recorded.acks.some((a) => a.typeUrl === TYPE_URLS.secret && a.version === 'v1'));

    const raw = new grpc.Client(cp.target, grpc.credentials.createInsecure());
    after(() => raw.close());
    const def = csdsServiceDefinition().FetchClientStatus;
    const res = await new Promise<any>((resolve, reject) =>
      raw.makeUnaryRequest(CSDS_METHODS.fetch, def.requestSerialize, def.responseDeserialize, {}, (err, value) => (err ? reject(err) : resolve(value))),
    );
    const secrets = res.config[0].genericXdsConfigs.filter((g: any) => g.typeUrl === TYPE_URLS.secret);
    assert.deepEqual(secrets.map((g: any) => [g.name, g.clientStatus, g.xdsConfig]), [['kubernetes://cred', 'ACKED', undefined]]);
    // Other types keep their contents.
    assert.ok(res.config[0].genericXdsConfigs.find((g: any) => g.typeUrl === TYPE_URLS.listener).xdsConfig);
    assert.ok(!JSON.stringify(res).includes('c2VjcmV0LWtleQ'));
  });
});
