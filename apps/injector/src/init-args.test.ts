// The injected istio-init args, fed to the proxy's init mode (dry run), give
// exactly the nat table of an Istio pod (`iptables-save` after istio-init).
// libs/iptables' network-namespace test shows that table redirecting traffic.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runInit } from '@mesh/iptables';
import { admit, appPod, container } from './testing/fixtures.ts';

const ISTIO_POD_NAT_TABLE = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:ISTIO_INBOUND - [0:0]
:ISTIO_IN_REDIRECT - [0:0]
:ISTIO_OUTPUT - [0:0]
:ISTIO_REDIRECT - [0:0]
-A PREROUTING -p tcp -j ISTIO_INBOUND
-A OUTPUT -p tcp -j ISTIO_OUTPUT
-A ISTIO_INBOUND -p tcp -m tcp --dport 15008 -j RETURN
-A ISTIO_INBOUND -p tcp -m tcp --dport 15090 -j RETURN
-A ISTIO_INBOUND -p tcp -m tcp --dport 15021 -j RETURN
-A ISTIO_INBOUND -p tcp -m tcp --dport 15020 -j RETURN
-A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT
-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006
-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN
-A ISTIO_OUTPUT ! -d 127.0.0.1/32 -o lo -p tcp -m tcp ! --dport 15008 -m owner --uid-owner 1337 -j ISTIO_IN_REDIRECT
-A ISTIO_OUTPUT -o lo -m owner ! --uid-owner 1337 -j RETURN
-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN
-A ISTIO_OUTPUT ! -d 127.0.0.1/32 -o lo -p tcp -m tcp ! --dport 15008 -m owner --gid-owner 1337 -j ISTIO_IN_REDIRECT
-A ISTIO_OUTPUT -o lo -m owner ! --gid-owner 1337 -j RETURN
-A ISTIO_OUTPUT -m owner --gid-owner 1337 -j RETURN
-A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN
-A ISTIO_OUTPUT -j ISTIO_REDIRECT
-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001
COMMIT
`;

async function dryRun(args: string[]): Promise<string> {
  let out = '';
  let err = '';
  const code = await runInit([...args, '--dry-run'], { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  assert.equal(code, 0, err);
  return out;
}

describe('istio-init args', () => {
  it("install Istio's nat table", async () => {
    const args = container(admit(appPod()).pod, 'istio-init').args;
    assert.equal(args[0], 'init');
    assert.equal(await dryRun(args.slice(1)), ISTIO_POD_NAT_TABLE);
  });

  it('carry the capture annotations into the rules', async () => {
    const pod = appPod();
    pod.metadata.annotations = {
      'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.96.0.0/12',
      'traffic.sidecar.istio.io/excludeInboundPorts': '9000',
      'traffic.sidecar.istio.io/excludeOutboundPorts': '5432',
    };
    const rules = await dryRun(container(admit(pod).pod, 'istio-init').args.slice(1));
    assert.match(rules, /^-A ISTIO_OUTPUT -d 10\.96\.0\.0\/12 -j RETURN$/m);
    assert.match(rules, /^-A ISTIO_INBOUND -p tcp -m tcp --dport 9000 -j RETURN$/m);
    assert.match(rules, /^-A ISTIO_OUTPUT -p tcp -m tcp --dport 5432 -j RETURN$/m);
  });
});
