// Signings per second through citadel's signing path (CSR decode and
// signature check, policy, serial, certificate encode and sign), for each
// signing backend and key type, in one run. Pin it to one core:
//   taskset -c 0 node apps/citadel/bench/signing.ts [--seconds 6] [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import os from 'node:os';
import { BACKENDS, createCsr, generateKeyPair, type KeyType } from '@mesh/pki';
import { createLogger } from '@mesh/telemetry';
import { CertificateAuthority } from '../src/authority.ts';
import { DirectoryStore } from '../src/ca-store.ts';

const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1]) || 6;
const asJson = args.includes('--json');
const log = createLogger('bench', { level: 'error' });

interface Row {
  keyType: KeyType;
  backend: string;
  signings: number;
  /** Median of the rounds' rates; min and max show how noisy the machine was. */
  perSecond: number;
  min: number;
  max: number;
  meanMs: number;
}

async function openCa(keyType: KeyType, backend: keyof typeof BACKENDS) {
  const dir = mkdtempSync(path.join(tmpdir(), 'citadel-bench-'));
  const ca = await CertificateAuthority.open({
    store: new DirectoryStore(dir),
    trustDomain: 'cluster.local',
    keyType,
    backend: BACKENDS[backend],
    rootTtlMs: 365 * 86_400_000,
    defaultCertTtlMs: 86_400_000,
    maxCertTtlMs: 90 * 86_400_000,
    backdateMs: 60_000,
    maxCsrBytes: 8192,
    rotation: { propagationDelayMs: 1, retireGraceMs: 0, autoRotateFraction: 0, checkIntervalMs: 3_600_000 },
    publishBundle: async () => {},
    log,
  });
  return { ca, dir };
}

// Backends are measured in interleaved rounds, so load from other processes on a shared machine hits both alike.
const rounds = 6;
const rows: Row[] = [];
for (const keyType of ['ec-p256', 'rsa-2048'] as const) {
  // Workloads use the same key type as the CA in each row; distinct keys so no cache helps.
  const csrs = Array.from({ length: 16 }, (_, i) => createCsr({ privateKey: generateKeyPair(keyType).privateKey, uris: [`spiffe://cluster.local/ns/bench/sa/sa-${i}`] }));
  const callers = csrs.map((_, i) => ({ trustDomain: 'cluster.local', namespace: 'bench', serviceAccount: `sa-${i}` }));
  const backends = ['native', 'forge'] as const;
  const cas = await Promise.all(backends.map((b) => openCa(keyType, b)));
  const rates: number[][] = backends.map(() => []);
  const totals = backends.map(() => ({ n: 0, seconds: 0 }));
  for (const { ca } of cas) for (let i = 0; i < 20; i++) await ca.sign(csrs[i % 16], callers[i % 16], 0); // warm-up
  for (let round = 0; round < rounds; round++) {
    for (const [b, { ca }] of cas.entries()) {
      let n = 0;
      const start = performance.now();
      const deadline = start + (seconds * 1000) / rounds;
      while (performance.now() < deadline) {
        await ca.sign(csrs[n % 16], callers[n % 16], 0);
        n++;
      }
      const elapsed = (performance.now() - start) / 1000;
      rates[b].push(n / elapsed);
      totals[b].n += n;
      totals[b].seconds += elapsed;
    }
  }
  for (const [b, backend] of backends.entries()) {
    const sorted = [...rates[b]].sort((x, y) => x - y);
    const median = (sorted[(rounds - 1) >> 1] + sorted[rounds >> 1]) / 2;
    rows.push({
      keyType,
      backend,
      signings: totals[b].n,
      perSecond: Math.round(median),
      min: Math.round(sorted[0]),
      max: Math.round(sorted[rounds - 1]),
      meanMs: Number(((totals[b].seconds * 1000) / totals[b].n).toFixed(3)),
    });
  }
  for (const { ca, dir } of cas) {
    await ca.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (asJson) {
  process.stdout.write(JSON.stringify({ node: process.version, cpus: os.cpus().length, seconds, rows }, null, 2) + '\n');
} else {
  const lines = [
    `citadel signing benchmark: node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'}, ${seconds}s per row in ${rounds} interleaved rounds, one process (pin with taskset -c 0)`,
    '',
    '| key type (CA and workload) | backend | signings/s (median of rounds) | min–max of rounds | mean ms/signing | signings |',
    '|---|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.keyType} | ${r.backend} | ${r.perSecond} | ${r.min}–${r.max} | ${r.meanMs} | ${r.signings} |`),
  ];
  for (const keyType of ['ec-p256', 'rsa-2048']) {
    const [nat, forge] = ['native', 'forge'].map((b) => rows.find((r) => r.keyType === keyType && r.backend === b)!);
    lines.push(`\n${keyType}: native is ${(nat.perSecond / forge.perSecond).toFixed(1)}x node-forge`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}
