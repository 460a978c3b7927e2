// End to end: `proxy init` with the args Istio's injector writes, applied with
// the real iptables-restore inside a network namespace, then real TCP
// connections show where traffic lands. Needs root, iproute2 and iptables.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { netnsPreflight } from '@mesh/testing';
import { NetnsLab, PEER_IP, POD_IP } from './testing/netns-lab.ts';
import { normalizeSave } from './render.ts';

const SEED_ARGS = ['-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020'];

// `iptables-save -t nat` of an Istio-injected pod after istio-init ran with SEED_ARGS.
const SEED_SAVE = readFileSync(new URL('../testdata/istio-pod-nat.txt', import.meta.url), 'utf8');

describe('proxy init in a network namespace', () => {
  const lab = new NetnsLab();

  before(async () => {
    await netnsPreflight('the network-namespace test', ['ip', 'iptables-restore', 'iptables-save']);
    await lab.create();
    // The pod: the sidecar's two capture listeners, an app port and the excluded health port.
    await lab.listen(lab.pod, 'outbound-capture:15001,inbound-capture:15006,app:8080,health:15021');
    // Somewhere else on the network.
    await lab.listen(lab.peer, 'peer:8080');
  });
  after(() => lab.destroy());

  it('without rules, traffic goes where it was sent (baseline)', async () => {
    assert.equal(await lab.connect(lab.pod, PEER_IP, 8080), 'peer');
    assert.equal(await lab.connect(lab.peer, POD_IP, 8080), 'app');
  });

  it("installs exactly the rules of Istio's iptables-save output, and prints them", async () => {
    const r = await lab.init(SEED_ARGS);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, SEED_SAVE);
    const saved = await lab.run(lab.pod, 'iptables-save', ['-t', 'nat']);
    assert.equal(normalizeSave(saved.stdout), SEED_SAVE);
  });

  it("sends an app's outbound TCP to the outbound capture port 15001", async () => {
    assert.equal(await lab.connect(lab.pod, PEER_IP, 8080), 'outbound-capture');
  });

  it('sends inbound TCP to the inbound capture port 15006', async () => {
    assert.equal(await lab.connect(lab.peer, POD_IP, 8080), 'inbound-capture');
  });

  it('leaves excluded inbound ports (15021) alone', async () => {
    assert.equal(await lab.connect(lab.peer, POD_IP, 15021), 'health');
  });

  it("lets the proxy's own traffic (uid 1337) leave without looping back", async () => {
    assert.equal(await lab.connect(lab.pod, PEER_IP, 8080, 1337), 'peer');
  });

  it('is idempotent: running init again leaves the same table', async () => {
    const r = await lab.init(SEED_ARGS);
    assert.equal(r.code, 0, r.stderr);
    const saved = await lab.run(lab.pod, 'iptables-save', ['-t', 'nat']);
    assert.equal(normalizeSave(saved.stdout), SEED_SAVE);
  });

  it('re-running with other settings replaces the rules (excluded range, no inbound capture)', async () => {
    const r = await lab.init([...SEED_ARGS.slice(0, 10), '-x', `${PEER_IP}/32`, '-b', '', '-d', '']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /PREROUTING -p tcp -j ISTIO_INBOUND/);
    assert.match(r.stdout, /-A ISTIO_OUTPUT -d 198\.18\.0\.2\/32 -j RETURN/);
    assert.equal(await lab.connect(lab.pod, PEER_IP, 8080), 'peer');
    assert.equal(await lab.connect(lab.peer, POD_IP, 8080), 'app');
  });

  it('--cleanup removes every ISTIO chain and jump', async () => {
    const r = await lab.init(['--cleanup']);
    assert.equal(r.code, 0, r.stderr);
    const saved = normalizeSave((await lab.run(lab.pod, 'iptables-save', ['-t', 'nat'])).stdout);
    assert.doesNotMatch(saved, /ISTIO/);
    assert.equal(await lab.connect(lab.pod, PEER_IP, 8080), 'peer');
  });

  it('fails with exit code 1 and the reason when iptables-restore cannot run', async () => {
    const r = await lab.init([...SEED_ARGS, '--iptables-restore', '/nonexistent/iptables-restore']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /iptables-restore not found/);
  });
});
