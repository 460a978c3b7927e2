// citadel as a real process: started from main.ts with flags, a workload gets
// a bootstrap token from `citadel token`, a certificate over gRPC, and the
// trust bundle from NATS; SIGTERM stops it cleanly.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CertificateManager } from '@mesh/ca-client';
import { BUCKETS, TRUST_BUNDLE_KEY, TrustBundleSchema, connectBus } from '@mesh/contracts';
import { createLogger } from '@mesh/telemetry';
import { WORKSPACE_ROOT, freePort, startNats, startProcess, type ManagedProcess, type NatsServer } from '@mesh/testing';
import { verifyChain } from '@mesh/pki';

describe('citadel process (main.ts)', () => {
  let nats: NatsServer;
  let citadel: ManagedProcess;
  let caPort: number;
  let monitoringPort: number;
  let adminPort: number;
  const rootDir = mkdtempSync(path.join(tmpdir(), 'citadel-main-'));

  before(async () => {
    nats = await startNats();
    [caPort, monitoringPort, adminPort] = [await freePort(), await freePort(), await freePort()];
    citadel = startProcess('citadel', 'apps/citadel/src/main.ts', [
      '--ca-port', String(caPort),
      '--monitoring-port', String(monitoringPort),
      '--admin-port', String(adminPort),
      '--root-dir', rootDir,
      '--nats-url', nats.url,
    ]);
    await citadel.waitForLine((l) => l.msg === 'ready');
  });
  after(async () => {
    await citadel?.stop();
    await nats?.stop();
    rmSync(rootDir, { recursive: true, force: true });
  });

  it('issues a certificate to a workload holding a token from `citadel token`, with the bundle from NATS and root-cert.pem', async () => {
    const token = execFileSync(process.execPath, [path.join(WORKSPACE_ROOT, 'apps/citadel/src/main.ts'), 'token', '--root-dir', rootDir, '--namespace', 'default', '--service-account', 'bookinfo'], { encoding: 'utf8' }).trim();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const bus = await connectBus({ servers: nats.url, name: 'main-test', log: createLogger('test', { level: 'error' }) });
    try {
      const kv = await bus.kv(BUCKETS.trustBundle, TrustBundleSchema);
      const bundle = (await kv.get(TRUST_BUNDLE_KEY))!.value;
      assert.equal(bundle.trustDomain, 'cluster.local');
      assert.equal(bundle.roots.join(''), readFileSync(path.join(rootDir, 'root-cert.pem'), 'utf8'));
      const m = new CertificateManager({
        endpoint: { address: `127.0.0.1:${caPort}`, roots: () => bundle.roots, token: () => token },
        spiffeId: 'spiffe://cluster.local/ns/default/sa/bookinfo',
        log: createLogger('test', { level: 'error' }),
      });
      const cert = await m.start();
      await m.stop();
      assert.equal(verifyChain(cert.chain, bundle.roots).ok, true);
      const line = await citadel.waitForLine((l) => l.msg === 'certificate issued');
      assert.equal(line.identity, 'spiffe://cluster.local/ns/default/sa/bookinfo');
    } finally {
      await bus.close();
    }
    const metrics = await (await fetch(`http://127.0.0.1:${monitoringPort}/metrics`)).text();
    assert.match(metrics, /citadel_signings_total\{result="ok"\} 1/);
    const status = (await (await fetch(`http://127.0.0.1:${monitoringPort}/debug/ca`)).json()) as { mode: string; backend: string };
    assert.equal(status.mode, 'self-signed');
    assert.equal(status.backend, 'native');
    assert.doesNotMatch(JSON.stringify(status), /PRIVATE KEY/);
  });

  it('mints tokens and starts a rotation on the loopback admin endpoint', async () => {
    const res = await fetch(`http://127.0.0.1:${adminPort}/token?namespace=default&serviceAccount=reviews`, { method: 'POST' });
    assert.equal(res.status, 200);
    assert.ok(((await res.json()) as { token: string }).token);
    const rotate = await fetch(`http://127.0.0.1:${adminPort}/rotate`, { method: 'POST' });
    assert.equal(rotate.status, 202);
    assert.equal(((await rotate.json()) as { bundle: unknown[] }).bundle.length, 2);
  });

  it('stops cleanly on SIGTERM', async () => {
    assert.equal(await citadel.stop(), 0);
    assert.ok(citadel.lines.some((l) => l.msg === 'stopped'));
  });
});
