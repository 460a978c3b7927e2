// Root rotation with overlap, observed the way the mesh sees it: the trust
// bundle as published in NATS, and the certificates workloads actually hold
// while they keep renewing through the rotation.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { CertificateManager } from '@mesh/ca-client';
import { BUCKETS, SUBJECTS, TRUST_BUNDLE_KEY, TrustBundleChangedSchema, TrustBundleSchema, connectBus, type Bus, type TrustBundleChanged } from '@mesh/contracts';
import { startNats, waitFor, type NatsServer } from '@mesh/testing';
import { verifyChain } from '@mesh/pki';
import { startCitadel, type Citadel } from './citadel.ts';
import { memoryLogger, testConfig } from './test-support.ts';

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

describe('root rotation (real NATS, real gRPC)', () => {
  let nats: NatsServer;
  let bus: Bus;
  let citadel: Citadel;
  const config = testConfig({
    certBackdateMs: 0,
    maxWorkloadCertTtlMs: 4_000,
    workloadCertTtlMs: 3_000,
    rotation: { propagationDelayMs: 1_500, retireGraceMs: 500, autoRotateFraction: 0, checkIntervalMs: 3_600_000 },
  });

  before(async () => {
    nats = await startNats();
    const { log } = memoryLogger('test');
    bus = await connectBus({ servers: nats.url, name: 'rotation-test', log });
    citadel = await startCitadel({ ...config, natsUrl: nats.url }, memoryLogger().log);
  });
  after(async () => {
    await citadel?.stop();
    await bus?.close();
    await nats?.stop();
    rmSync(config.rootDir, { recursive: true, force: true });
  });

  it('never leaves a live workload certificate unverifiable against the published bundle while clients renew through a rotation', async () => {
    const kv = await bus.kv(BUCKETS.trustBundle, TrustBundleSchema);
    let published: string[] = [];
    const history: string[][] = [];
    const failures: string[] = [];
    let checks = 0;
    const managers: CertificateManager[] = [];

    const check = (when: string) => {
      const now = new Date();
      for (const m of managers) {
        const cert = m.current();
        if (!cert || cert.notBefore > now || now >= cert.notAfter) continue; // not live
        checks++;
        const verdict = verifyChain(cert.chain, published, now);
        if (!verdict.ok) failures.push(`${when} at ${now.toISOString()}: ${cert.spiffeId} serial ${cert.serialHex}: ${verdict.error}`);
      }
    };
    const watch = await kv.watch(
      (e) => {
        if (e.op !== 'put') return;
        published = e.value.roots;
        history.push(published.map(fingerprint));
        check('bundle changed');
      },
      { key: TRUST_BUNDLE_KEY },
    );
    const events: TrustBundleChanged[] = [];
    const sub = bus.subscribe(SUBJECTS.trustBundleChanged, TrustBundleChangedSchema, (m) => events.push(m));
    const ticker = setInterval(() => check('tick'), 20);
    try {
      await watch.initialized;
      await waitFor('the initial bundle in NATS', () => published.length === 1);
      const oldRoot = fingerprint(published[0]);

      for (const sa of ['productpage', 'reviews', 'ratings', 'details']) {
        const { token } = await citadel.tokens!.issue('default', sa, 600);
        const m = new CertificateManager({
          endpoint: { address: `127.0.0.1:${citadel.port}`, roots: () => published, token: () => token },
          spiffeId: `spiffe://cluster.local/ns/default/sa/${sa}`,
          validitySeconds: 3,
          retry: { initialMs: 50, maxMs: 200 },
          log: memoryLogger('ca-client').log,
        });
        m.on('certificate', () => check('certificate installed'));
        managers.push(m);
      }
      await Promise.all(managers.map((m) => m.start()));

      const rotatedAt = Date.now();
      await citadel.authority.rotate('test');
      await waitFor('the new root in the published bundle', () => published.length === 2);
      assert.ok(Date.now() - rotatedAt < config.rotation.propagationDelayMs, 'the bundle reached NATS well within the propagation delay');
      const newRoot = published.map(fingerprint).find((f) => f !== oldRoot)!;
      const rootOf = (m: CertificateManager) => fingerprint(m.current()!.chain[m.current()!.chain.length - 1]);
      // Until the propagation delay passes, renewals are still signed by the old root.
      assert.ok(managers.every((m) => rootOf(m) === oldRoot));

      await waitFor('every workload renewed under the new root', () => managers.every((m) => rootOf(m) === newRoot), { timeoutMs: 15_000 });
      await waitFor('the old root retired from the bundle', () => published.length === 1 && fingerprint(published[0]) === newRoot, { timeoutMs: 15_000 });
      // A little longer with the old root gone and renewals going on.
      const renewalsBefore = managers.map((m) => m.current()!.serialHex);
      await waitFor('another renewal round', () => managers.every((m, i) => m.current()!.serialHex !== renewalsBefore[i]), { timeoutMs: 10_000 });

      assert.deepEqual(failures, []);
      assert.ok(checks > 100, `only ${checks} checks ran`);
      // Bundle history: [old] → [old, new] → [new]; each change announced with its KV revision.
      assert.deepEqual(history.map((h) => h.length), [1, 2, 1]);
      assert.deepEqual(new Set(history[1]), new Set([oldRoot, newRoot]));
      assert.ok(events.length >= 2 && events.at(-1)!.roots === 1);
      assert.ok(events.every((e, i) => i === 0 || e.revision > events[i - 1].revision));
    } finally {
      clearInterval(ticker);
      watch.stop();
      sub.unsubscribe();
      await Promise.all(managers.map((m) => m.stop()));
    }
  });

  it('resumes a rotation after a restart: the new root stays in the bundle and takes over signing on schedule', async () => {
    const dirConfig = testConfig({ rotation: { propagationDelayMs: 60_000, retireGraceMs: 0, autoRotateFraction: 0, checkIntervalMs: 3_600_000 } });
    const first = await startCitadel(dirConfig, memoryLogger().log);
    try {
      await first.authority.rotate('test');
      assert.equal(first.authority.bundle().length, 2);
    } finally {
      await first.stop();
    }
    const second = await startCitadel(dirConfig, memoryLogger().log);
    try {
      await second.authority.initialPublish;
      const status = second.authority.status() as { next?: { switchAt: string }; bundle: unknown[] };
      assert.equal(status.bundle.length, 2);
      assert.ok(status.next, 'the pending root survived the restart');
      assert.ok(Date.parse(status.next.switchAt) > Date.now() + 30_000, 'the switch time was kept, not restarted from zero or skipped');
    } finally {
      await second.stop();
      rmSync(dirConfig.rootDir, { recursive: true, force: true });
    }
  });
});
