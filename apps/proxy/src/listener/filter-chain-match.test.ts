// Envoy's filter chain selection, rule by rule (FilterChainMatch's documented
// order, most specific wins, no backtracking), and the config errors a
// Listener's chains can have.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FilterChainMatch__Output } from '@mesh/xds';
import { compileChainMatch, selectChain, type ConnectionFacts } from './filter-chain-match.ts';
import { compileListener } from '../config/listener-config.ts';

const TCP = (cluster: string) => ({
  name: 'envoy.filters.network.tcp_proxy',
  typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', statPrefix: cluster, cluster },
});

function chains(spec: Record<string, FilterChainMatch__Output>) {
  return Object.entries(spec).map(([name, m]) => ({ name, match: compileChainMatch(m, name) }));
}

const conn = (f: Partial<ConnectionFacts> = {}): ConnectionFacts => ({
  destinationIp: '10.0.0.1',
  destinationPort: 80,
  sourceIp: '10.1.1.1',
  sourcePort: 40000,
  directSourceIp: '10.1.1.1',
  serverName: '',
  transportProtocol: 'raw_buffer',
  applicationProtocols: [],
  ...f,
});

function pick(spec: Record<string, FilterChainMatch__Output>, f: Partial<ConnectionFacts>): string | undefined {
  return selectChain(chains(spec), conn(f))?.name;
}

const cidr = (addressPrefix: string, prefixLen: number) => ({ addressPrefix, prefixLen: { value: prefixLen } });

describe('filter chain match: each criterion, most specific wins', () => {
  it('1. destination port: exact, else chains without a port; a wrong port never matches', () => {
    const c = { p80: { destinationPort: { value: 80 } }, p81: { destinationPort: { value: 81 } }, any: {} };
    assert.equal(pick(c, { destinationPort: 80 }), 'p80');
    assert.equal(pick(c, { destinationPort: 9080 }), 'any');
    assert.equal(pick({ p81: { destinationPort: { value: 81 } } }, { destinationPort: 80 }), undefined);
  });

  it('2. destination IP: the longest prefix that holds it, else chains without ranges', () => {
    const c = { wide: { prefixRanges: [cidr('10.0.0.0', 8)] }, narrow: { prefixRanges: [cidr('10.0.0.0', 24), cidr('192.168.0.0', 16)] }, any: {} };
    assert.equal(pick(c, { destinationIp: '10.0.0.7' }), 'narrow');
    assert.equal(pick(c, { destinationIp: '10.9.0.7' }), 'wide');
    assert.equal(pick(c, { destinationIp: '172.16.0.1' }), 'any');
    assert.equal(pick({ all4: { prefixRanges: [cidr('0.0.0.0', 0)] }, any: {} }, { destinationIp: '1.2.3.4' }), 'all4', 'a /0 range is more specific than no range');
    assert.equal(pick({ v6: { prefixRanges: [cidr('fd00::', 8)] }, any: {} }, { destinationIp: 'fd00::1' }), 'v6');
    assert.equal(pick({ v6: { prefixRanges: [cidr('fd00::', 8)] }, any: {} }, { destinationIp: '10.0.0.1' }), 'any', 'v6 ranges never hold a v4 address');
  });

  it('3. server name: exact, then the longest *.suffix, else chains without server names', () => {
    const c = { exact: { serverNames: ['www.example.com'] }, mid: { serverNames: ['*.example.com'] }, top: { serverNames: ['*.com'] }, none: {} };
    assert.equal(pick(c, { serverName: 'www.example.com' }), 'exact');
    assert.equal(pick(c, { serverName: 'api.example.com' }), 'mid');
    assert.equal(pick(c, { serverName: 'a.b.example.com' }), 'mid', 'a wildcard covers several labels');
    assert.equal(pick(c, { serverName: 'other.com' }), 'top');
    assert.equal(pick(c, { serverName: 'example.org' }), 'none');
    assert.equal(pick(c, { serverName: '' }), 'none', 'no SNI: only chains without server names');
    assert.equal(pick({ mid: { serverNames: ['*.example.com'] } }, { serverName: 'example.com' }), undefined, '*.example.com does not match example.com');
  });

  it('4. transport protocol: exact ("raw_buffer" when nothing was detected), else chains without one', () => {
    const c = { tls: { transportProtocol: 'tls' }, raw: { transportProtocol: 'raw_buffer' }, any: {} };
    assert.equal(pick(c, { transportProtocol: 'tls' }), 'tls');
    assert.equal(pick(c, { transportProtocol: 'raw_buffer' }), 'raw');
    assert.equal(pick(c, { transportProtocol: '' }), 'raw');
    assert.equal(pick({ tls: { transportProtocol: 'tls' }, any: {} }, { transportProtocol: 'raw_buffer' }), 'any');
  });

  it("5. application protocols: the connection's protocols in order, else chains without any", () => {
    const c = { h1: { applicationProtocols: ['http/1.1', 'http/1.0'] }, h2: { applicationProtocols: ['h2', 'h2c'] }, any: {} };
    assert.equal(pick(c, { applicationProtocols: ['h2', 'http/1.1'] }), 'h2');
    assert.equal(pick(c, { applicationProtocols: ['http/1.1', 'h2'] }), 'h1');
    assert.equal(pick(c, { applicationProtocols: ['h2c'] }), 'h2');
    assert.equal(pick(c, { applicationProtocols: ['istio'] }), 'any');
    assert.equal(pick(c, { applicationProtocols: [] }), 'any');
  });

  it('6. direct source IP: longest direct_source_prefix_ranges match, else chains without', () => {
    const c = { lan: { directSourcePrefixRanges: [cidr('10.1.0.0', 16)] }, any: {} };
    assert.equal(pick(c, { directSourceIp: '10.1.2.3' }), 'lan');
    assert.equal(pick(c, { directSourceIp: '10.2.2.3' }), 'any');
  });

  it('7. source type: SAME_IP_OR_LOOPBACK for loopback or same-IP peers, EXTERNAL otherwise, else ANY', () => {
    const c = { local: { sourceType: 'SAME_IP_OR_LOOPBACK' as const }, external: { sourceType: 'EXTERNAL' as const }, any: {} };
    assert.equal(pick(c, { sourceIp: '127.0.0.6' }), 'local');
    assert.equal(pick(c, { sourceIp: '::1' }), 'local');
    assert.equal(pick(c, { sourceIp: '10.0.0.1', destinationIp: '10.0.0.1' }), 'local');
    assert.equal(pick(c, { sourceIp: '10.9.9.9' }), 'external');
    assert.equal(pick({ local: { sourceType: 'SAME_IP_OR_LOOPBACK' }, any: {} }, { sourceIp: '10.9.9.9' }), 'any');
  });

  it('8. source IP: longest source_prefix_ranges match, else chains without', () => {
    const c = { a: { sourcePrefixRanges: [cidr('10.1.0.0', 16)] }, b: { sourcePrefixRanges: [cidr('10.1.1.0', 24)] }, any: {} };
    assert.equal(pick(c, { sourceIp: '10.1.1.9' }), 'b');
    assert.equal(pick(c, { sourceIp: '10.1.9.9' }), 'a');
    assert.equal(pick(c, { sourceIp: '10.2.0.1' }), 'any');
  });

  it('9. source port: exact, else chains without source ports', () => {
    const c = { p: { sourcePorts: [40000, 40001] }, any: {} };
    assert.equal(pick(c, { sourcePort: 40001 }), 'p');
    assert.equal(pick(c, { sourcePort: 1234 }), 'any');
  });

  it('earlier criteria decide before later ones, without backtracking to a less specific chain', () => {
    // The port-80 chain is the most specific at step 1; its SNI then fails: Envoy does not fall back to `any`.
    const c = { p80sni: { destinationPort: { value: 80 }, serverNames: ['a.example'] }, any: {} };
    assert.equal(pick(c, { destinationPort: 80, serverName: 'b.example' }), undefined);
    assert.equal(pick(c, { destinationPort: 81, serverName: 'b.example' }), 'any');
    // Destination IP beats application protocol: the IP-specific TCP chain wins over the HTTP chain.
    const istio = { tcpSvc: { prefixRanges: [cidr('10.0.0.5', 32)] }, http: { applicationProtocols: ['http/1.1', 'h2c'] } };
    assert.equal(pick(istio, { destinationIp: '10.0.0.5', applicationProtocols: ['http/1.1'] }), 'tcpSvc');
    assert.equal(pick(istio, { destinationIp: '10.0.0.6', applicationProtocols: ['http/1.1'] }), 'http');
  });

  it("Istio's virtualInbound shape: mTLS by ALPN, plaintext HTTP by http_inspector, passthrough TCP", () => {
    const c = {
      mtls: { destinationPort: { value: 9080 }, transportProtocol: 'tls', applicationProtocols: ['istio-peer-exchange', 'istio', 'istio-http/1.1'] },
      http: { destinationPort: { value: 9080 }, transportProtocol: 'raw_buffer', applicationProtocols: ['http/1.1', 'h2c'] },
      tcp: { destinationPort: { value: 9080 }, transportProtocol: 'raw_buffer' },
      tlsPassthrough: { transportProtocol: 'tls' },
      rawPassthrough: { transportProtocol: 'raw_buffer' },
    };
    assert.equal(pick(c, { destinationPort: 9080, transportProtocol: 'tls', applicationProtocols: ['istio-http/1.1', 'istio'] }), 'mtls');
    assert.equal(pick(c, { destinationPort: 9080, applicationProtocols: ['http/1.1'] }), 'http');
    assert.equal(pick(c, { destinationPort: 9080 }), 'tcp');
    assert.equal(pick(c, { destinationPort: 8000, transportProtocol: 'tls' }), 'tlsPassthrough');
    assert.equal(pick(c, { destinationPort: 8000 }), 'rawPassthrough');
    assert.equal(pick(c, { destinationPort: 9080, transportProtocol: 'tls', applicationProtocols: ['h2'] }), undefined, 'TLS on 9080 without Istio ALPN: no chain (the default chain then)');
  });
});

describe('filter chain config errors name the field', () => {
  const listener = (filterChains: object[], extra: object = {}) => ({ name: 'x', address: { socketAddress: { address: '0.0.0.0', portValue: 15006 } }, filterChains, ...extra }) as never;

  it('rejects two chains with the same match, naming both', () => {
    assert.throws(
      () => compileListener(listener([{ filterChainMatch: { destinationPort: { value: 80 } }, filters: [TCP('a')] }, { filterChainMatch: { destinationPort: { value: 80 } }, filters: [TCP('b')] }])),
      /^ConfigError: Listener x\.filterChains\[1\]: matches the same connections as Listener x\.filterChains\[0\]/,
    );
    assert.throws(
      () =>
        compileListener(
          listener([
            { filterChainMatch: { serverNames: ['a.com', 'b.com'] }, filters: [TCP('a')] },
            { filterChainMatch: { serverNames: ['c.com', 'b.com'] }, filters: [TCP('b')] },
          ]),
        ),
      /filterChains\[1\]: matches the same connections as Listener x\.filterChains\[0\]/,
      'overlapping lists collide on the shared name',
    );
    assert.throws(() => compileListener(listener([{ filters: [TCP('a')] }, { filters: [TCP('b')] }])), /filterChains\[1\]: matches the same connections/);
    assert.throws(
      () => compileListener(listener([{ filterChainMatch: { prefixRanges: [cidr('10.0.0.1', 8)] }, filters: [TCP('a')] }, { filterChainMatch: { prefixRanges: [cidr('10.9.9.9', 8)] }, filters: [TCP('b')] }])),
      /filterChains\[1\]: matches the same connections/,
      'the same network written two ways',
    );
    // Different matches are fine, and the default chain is not compared.
    const ok = compileListener(listener([{ filterChainMatch: { destinationPort: { value: 80 } }, filters: [TCP('a')] }, { filters: [TCP('b')] }], { defaultFilterChain: { filters: [TCP('c')] } }));
    assert.equal(ok.chains.length, 2);
    assert.equal(ok.defaultChain?.tcp?.cluster, 'c');
  });

  const bad: Array<[object, RegExp]> = [
    [{ destinationPort: { value: 0 } }, /filterChains\[0\]\.filterChainMatch\.destinationPort: must be a port in 1\.\.65535, got 0/],
    [{ prefixRanges: [cidr('10.0.0.300', 8)] }, /filterChainMatch\.prefixRanges\[0\]\.addressPrefix: must be an IP address/],
    [{ sourcePrefixRanges: [cidr('10.0.0.0', 33)] }, /filterChainMatch\.sourcePrefixRanges\[0\]\.prefixLen: must be 0\.\.32/],
    [{ serverNames: ['*'] }, /filterChainMatch\.serverNames\[0\]: "\*" is not a valid server name/],
    [{ serverNames: ['a.com', '*w.example.com'] }, /filterChainMatch\.serverNames\[1\]: only a leading "\*\." wildcard is supported/],
    [{ sourcePorts: [70000] }, /filterChainMatch\.sourcePorts\[0\]: must be a port/],
    [{ addressSuffix: '1' }, /filterChainMatch: field addressSuffix is not supported/],
  ];
  for (const [match, expected] of bad) {
    it(`rejects ${JSON.stringify(match)}`, () => {
      assert.throws(() => compileListener(listener([{ filterChainMatch: match, filters: [TCP('a')] }])), expected);
      assert.match((() => {
        try {
          compileListener(listener([{ filterChainMatch: match, filters: [TCP('a')] }]));
        } catch (e) {
          return (e as Error).message;
        }
        return '';
      })(), /^Listener x\./);
    });
  }

  it('rejects listener filters it does not implement, and bad filter_disabled predicates', () => {
    const withFilters = (listenerFilters: object[]) => compileListener(listener([{ filters: [TCP('a')] }], { listenerFilters }));
    assert.throws(() => withFilters([{ name: 'envoy.filters.listener.proxy_protocol' }]), /Listener x\.listenerFilters\[0\]: unsupported listener filter envoy\.filters\.listener\.proxy_protocol/);
    assert.throws(
      () => withFilters([{ name: 'envoy.filters.listener.tls_inspector', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector', enableJa3Fingerprinting: { value: true } } }]),
      /Listener x\.listenerFilters\[0\]\.typedConfig: field enableJa3Fingerprinting is not supported/,
    );
    assert.throws(() => withFilters([{ name: 'envoy.filters.listener.http_inspector', filterDisabled: { destinationPortRange: { start: 90, end: 80 } } }]), /listenerFilters\[0\]\.filterDisabled\.destinationPortRange: start \(90\) must not be after end \(80\)/);
    assert.throws(() => withFilters([{ name: 'envoy.filters.listener.http_inspector' }, { name: 'envoy.filters.listener.http_inspector' }]), /listenerFilters\[1\]: listener filter envoy\.filters\.listener\.http_inspector appears twice/);
    const spec = withFilters([
      { name: 'envoy.filters.listener.original_dst', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst' } },
      { name: 'envoy.filters.listener.http_inspector', filterDisabled: { orMatch: { rules: [{ destinationPortRange: { start: 3306, end: 3307 } }, { destinationPortRange: { start: 15000, end: 15100 } }] } } },
    ]);
    assert.equal(spec.listenerFilters.originalDst, true);
    assert.equal(spec.listenerFilters.httpInspector, true);
    assert.equal(spec.listenerFilters.disabled.httpInspector?.(3306), true);
    assert.equal(spec.listenerFilters.disabled.httpInspector?.(3307), false, 'Int32Range is half-open');
    assert.equal(spec.listenerFilters.disabled.httpInspector?.(15006), true);
    assert.equal(spec.listenerFilters.disabled.httpInspector?.(9080), false);
    assert.equal(spec.listenerFiltersTimeoutMs, 15_000, "Envoy's default");
  });

  it('serves TLS passthrough (SNI → tcp_proxy) and compiles chains that terminate TLS (SDS certificate, ALPN, required client certificate)', () => {
    const sds = { apiConfigSource: { apiType: 'GRPC', transportApiVersion: 'V3', grpcServices: [{ envoyGrpc: { clusterName: 'sds-grpc' } }], setNodeOnFirstMessageOnly: true }, initialFetchTimeout: { seconds: 0 }, resourceApiVersion: 'V3' };
    const spec = compileListener(
      listener([
        { filterChainMatch: { serverNames: ['a.example'], transportProtocol: 'tls' }, filters: [TCP('a')] },
        {
          name: 'mtls',
          filterChainMatch: { transportProtocol: 'tls', applicationProtocols: ['istio'] },
          transportSocket: {
            name: 'envoy.transport_sockets.tls',
            typedConfig: {
              '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
              commonTlsContext: {
                tlsCertificateSdsSecretConfigs: [{ name: 'default', sdsConfig: sds }],
                combinedValidationContext: { defaultValidationContext: {}, validationContextSdsSecretConfig: { name: 'ROOTCA', sdsConfig: sds } },
              },
              requireClientCertificate: { value: true },
            },
          },
          filters: [TCP('b')],
        },
      ]),
    );
    assert.equal(spec.chains[0].tls, undefined);
    assert.deepEqual(spec.chains[1].tls?.certificate, { name: 'default', source: 'agent' });
    assert.deepEqual(spec.chains[1].tls?.ca, { name: 'ROOTCA', source: 'agent' });
    assert.equal(spec.chains[1].tls?.requireClientCertificate, true);
    assert.deepEqual(spec.chains[1].tls?.alpn, []);
    assert.deepEqual(spec.skipped, []);
    assert.equal(spec.kind, 'tcp');
  });
});
