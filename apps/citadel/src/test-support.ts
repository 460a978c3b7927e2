// Shared by citadel's tests: a config with short, test-friendly timings and a
// logger that keeps lines in memory (and proves nothing secret is logged).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { backendByName } from '@mesh/pki';
import { createLogger, type Logger } from '@mesh/telemetry';
import type { CitadelConfig } from './citadel.ts';

export function testConfig(overrides: Partial<CitadelConfig> = {}): CitadelConfig {
  return {
    caPort: 0,
    listenHost: '127.0.0.1',
    adminPort: 0,
    rootDir: mkdtempSync(path.join(tmpdir(), 'citadel-test-')),
    trustDomain: 'cluster.local',
    keyType: 'ec-p256',
    backend: backendByName('native'),
    rootCertTtlMs: 365 * 86_400_000,
    workloadCertTtlMs: 86_400_000,
    maxWorkloadCertTtlMs: 90 * 86_400_000,
    certBackdateMs: 60_000,
    maxCsrBytes: 8192,
    rotation: { propagationDelayMs: 600_000, retireGraceMs: 300_000, autoRotateFraction: 0, checkIntervalMs: 3_600_000 },
    tokenAudience: 'istio-ca',
    bootstrapTokenTtlMs: 3_600_000,
    servingDnsNames: ['istiod.istio-system.svc', 'localhost'],
    servingIpAddresses: ['127.0.0.1'],
    servingCertTtlMs: 86_400_000,
    publishRetryMs: 50,
    ...overrides,
  };
}

export function memoryLogger(component = 'citadel'): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const echo = process.env.MESH_TEST_VERBOSE === '1';
  return {
    lines,
    log: createLogger(component, {
      level: 'debug',
      write: (l) => {
        lines.push(l);
        if (echo) process.stderr.write(l + '\n');
      },
    }),
  };
}
