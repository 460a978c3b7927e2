import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { captureArgs, parseInitArgs } from './args.ts';
import { normalizeCidr } from './capture-config.ts';

describe('parseInitArgs', () => {
  it("parses the args Istio's injector writes", () => {
    const o = parseInitArgs(['-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020']);
    assert.equal(o.capture.proxyPort, 15001);
    assert.equal(o.capture.includeOutboundIpRanges, '*');
    assert.deepEqual(o.capture.excludeOutboundIpRanges, []);
    assert.deepEqual(o.capture.excludeInboundPorts, [15090, 15021, 15020]);
    assert.equal(o.dryRun, false);
  });

  it('accepts long flags, --flag=value and the boolean flags', () => {
    const o = parseInitArgs(['--envoy-port=16001', '--istio-service-cidr', '10.0.0.0/8', '--dry-run', '--log_output_level=default:info']);
    assert.equal(o.capture.proxyPort, 16001);
    assert.deepEqual(o.capture.includeOutboundIpRanges, ['10.0.0.0/8']);
    assert.equal(o.dryRun, true);
    assert.equal(parseInitArgs(['-n']).dryRun, true);
    assert.equal(parseInitArgs(['--cleanup']).cleanup, true);
  });

  it('names the flag and the bad value in errors', () => {
    assert.throws(() => parseInitArgs(['-p', '70000']), /-p: expected a port number between 1 and 65535 \(got "70000"\)/);
    assert.throws(() => parseInitArgs(['-x', '10.0.0.0/8,nope']), /-x: expected an IPv4 CIDR .*\(got "nope"\)/);
    assert.throws(() => parseInitArgs(['-i', 'fd00::/8']), /-i: IPv6 ranges are not supported/);
    assert.throws(() => parseInitArgs(['-m', 'TPROXY']), /-m: TPROXY interception is not supported; use REDIRECT/);
    assert.throws(() => parseInitArgs(['-u', 'istio']), /-u: expected numeric ids/);
    assert.throws(() => parseInitArgs(['--envoy-prot', '1']), /unknown flag --envoy-prot/);
    assert.throws(() => parseInitArgs(['-p']), /-p needs a value/);
    assert.throws(() => parseInitArgs(['-k', 'eth1']), /-k \(kube-virt-interfaces\) is not supported/);
  });

  it('normalises CIDRs the way iptables-save prints them', () => {
    assert.equal(normalizeCidr('-i', '10.1.2.3/8'), '10.0.0.0/8');
    assert.equal(normalizeCidr('-i', '10.1.2.3'), '10.1.2.3/32');
    assert.equal(normalizeCidr('-i', '0.0.0.0/0'), '0.0.0.0/0');
  });
});

describe('captureArgs', () => {
  it("writes Istio's argument order, adding -q/-o only when set", () => {
    assert.deepEqual(captureArgs({ includeOutboundIpRanges: '*', excludeOutboundIpRanges: '', includeInboundPorts: '*', excludeInboundPorts: '15090,15021,15020' }), [
      '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020',
    ]);
    const withPorts = captureArgs({ includeOutboundIpRanges: '*', excludeOutboundIpRanges: '', includeInboundPorts: '*', excludeInboundPorts: '', excludeOutboundPorts: '22' });
    assert.deepEqual(withPorts.slice(-2), ['-o', '22']);
  });
});
