// The injected istio-init args, fed to the proxy's init mode (dry run), give
// exactly the nat table of an Istio pod (`iptables-save` after istio-init).
// libs/iptables' network-namespace test shows that table redirecting traffic.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { WORKSPACE_ROOT } from '@mesh/testing';
import { runInit } from '@mesh/iptables';
import { admit, appPod, container } from './testing/fixtures.ts';

// Istio's own nat table for these args, kept once, beside the iptables library's network-namespace test.
const ISTIO_POD_NAT_TABLE = readFileSync(path.join(WORKSPACE_ROOT, 'libs/iptables/testdata/istio-pod-nat.txt'), 'utf8');

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
