// ISTIO_KUBE_APP_PROBERS as the injector writes it, and what a bad value says at startup.
// Running the probes against real apps is in status-server.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeHealthCheckResponse, encodeHealthCheckRequest, parseAppProbers } from './app-probers.ts';

describe('ISTIO_KUBE_APP_PROBERS', () => {
  it('reads the value our injector writes (httpGet, tcpSocket, grpc), with Kubernetes defaults', () => {
    // Shaped like apps/injector's output: compact JSON, paths sorted, numeric ports.
    const raw =
      '{"/app-health/hello/livez":{"tcpSocket":{"port":80},"timeoutSeconds":1},' +
      '"/app-health/hello/readyz":{"httpGet":{"path":"/healthz","port":8443,"scheme":"HTTPS","httpHeaders":[{"name":"X-Probe","value":"1"}]},"timeoutSeconds":3},' +
      '"/app-health/hello/startupz":{"grpc":{"port":9000}}}';
    const probers = parseAppProbers(raw);
    assert.deepEqual([...probers.keys()], ['/app-health/hello/livez', '/app-health/hello/readyz', '/app-health/hello/startupz']);
    assert.deepEqual(probers.get('/app-health/hello/livez'), { kind: 'tcpSocket', port: 80, host: undefined, timeoutMs: 1000 });
    assert.deepEqual(probers.get('/app-health/hello/readyz'), {
      kind: 'httpGet',
      path: '/healthz',
      port: 8443,
      host: undefined,
      scheme: 'HTTPS',
      headers: [['X-Probe', '1']],
      timeoutMs: 3000,
    });
    assert.deepEqual(probers.get('/app-health/hello/startupz'), { kind: 'grpc', port: 9000, service: '', timeoutMs: 1000 });
    assert.equal(parseAppProbers(undefined).size, 0);
    assert.equal(parseAppProbers('').size, 0);
  });

  it("reads Istio's own encoding of unset fields (null)", () => {
    const probers = parseAppProbers('{"/app-health/g/livez":{"grpc":{"port":9000,"service":null},"timeoutSeconds":null},"/app-health/h/readyz":{"httpGet":{"path":"/r","port":80,"host":null,"httpHeaders":null}}}');
    assert.deepEqual(probers.get('/app-health/g/livez'), { kind: 'grpc', port: 9000, service: '', timeoutMs: 1000 });
    assert.deepEqual(probers.get('/app-health/h/readyz'), { kind: 'httpGet', path: '/r', port: 80, host: undefined, scheme: 'HTTP', headers: [], timeoutMs: 1000 });
  });

  it('takes an httpGet without path or scheme as GET / over HTTP', () => {
    const p = parseAppProbers('{"/app-health/a/readyz":{"httpGet":{"port":"8080"}}}').get('/app-health/a/readyz');
    assert.deepEqual(p, { kind: 'httpGet', path: '/', port: 8080, host: undefined, scheme: 'HTTP', headers: [], timeoutMs: 1000 });
  });

  const cases: Array<[string, string, RegExp]> = [
    ['bad JSON', '{"/app-health/a/readyz":', /ISTIO_KUBE_APP_PROBERS is not valid JSON \(/],
    ['not an object', '[1]', /ISTIO_KUBE_APP_PROBERS must be a JSON object/],
    ['a key outside /app-health', '{"/healthz":{"tcpSocket":{"port":1}}}', /ISTIO_KUBE_APP_PROBERS: "\/healthz": the key must be \/app-health\/<container>\/livez, readyz or startupz/],
    ['no action', '{"/app-health/a/readyz":{"timeoutSeconds":1}}', /"\/app-health\/a\/readyz": must have exactly one of httpGet, tcpSocket, grpc; has none/],
    ['two actions', '{"/app-health/a/readyz":{"httpGet":{"port":1},"tcpSocket":{"port":1}}}', /has httpGet, tcpSocket/],
    ['a named port', '{"/app-health/a/livez":{"tcpSocket":{"port":"http"}}}', /"\/app-health\/a\/livez"\.tcpSocket\.port: must be a port number 1-65535, got "http"/],
    ['port 0', '{"/app-health/a/livez":{"httpGet":{"port":0}}}', /httpGet\.port: must be a port number/],
    ['an unknown scheme', '{"/app-health/a/livez":{"httpGet":{"port":1,"scheme":"FTP"}}}', /httpGet\.scheme: must be HTTP or HTTPS, got "FTP"/],
    ['a zero timeout', '{"/app-health/a/livez":{"grpc":{"port":1},"timeoutSeconds":0}}', /"\/app-health\/a\/livez"\.timeoutSeconds: must be a whole number of seconds/],
    ['an unknown field', '{"/app-health/a/livez":{"grpc":{"port":1,"serviceName":"x"}}}', /"\/app-health\/a\/livez"\.grpc\.serviceName: unknown field; allowed: port, service/],
    ['a header with a line break', '{"/app-health/a/livez":{"httpGet":{"port":1,"httpHeaders":[{"name":"X","value":"a\\r\\nB: c"}]}}}', /httpGet\.httpHeaders\[0\]\.value: must be a string without line breaks/],
    ['a bad header name', '{"/app-health/a/livez":{"httpGet":{"port":1,"httpHeaders":[{"name":"X Y","value":"1"}]}}}', /httpGet\.httpHeaders\[0\]\.name: must be an HTTP header name/],
  ];
  for (const [what, raw, error] of cases) {
    it(`refuses ${what}, naming the variable and the key`, () => {
      assert.throws(() => parseAppProbers(raw), error);
    });
  }
});

describe('grpc.health.v1 messages', () => {
  it('encodes HealthCheckRequest.service and decodes HealthCheckResponse.status', () => {
    assert.deepEqual(encodeHealthCheckRequest(''), Buffer.alloc(0));
    assert.deepEqual(encodeHealthCheckRequest('api'), Buffer.from([0x0a, 3, 0x61, 0x70, 0x69]));
    assert.equal(decodeHealthCheckResponse(Buffer.from([0x08, 0x01])), 1);
    assert.equal(decodeHealthCheckResponse(Buffer.from([0x08, 0x02])), 2);
    assert.equal(decodeHealthCheckResponse(Buffer.alloc(0)), 0);
    // Unknown fields are skipped, as protobuf requires.
    assert.equal(decodeHealthCheckResponse(Buffer.from([0x12, 0x02, 0x68, 0x69, 0x08, 0x01])), 1);
    assert.throws(() => decodeHealthCheckResponse(Buffer.from([0x08])), /truncated varint/);
    assert.throws(() => decodeHealthCheckResponse(Buffer.from([0x12, 0x05, 0x01])), /truncated field/);
  });
});
