// The manifests configure each app by flags and environment variables. An
// unknown flag stops the app at start ("unknown flag --x"); an unknown
// environment variable is silently ignored and the default (127.0.0.1, a
// local path) quietly wins. So every flag and variable the manifests pass is
// checked against what the app itself declares in `--help`.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { APPS, REPO_ROOT, containers, meshImage, nameOf, workloads, type App, type K8sObject } from './load.ts';

/** Read by every process through the shared libraries (@mesh/telemetry, @mesh/contracts) or by Node itself, rather than declared per app. */
const PROCESS_WIDE_ENV = /^(LOG_LEVEL|NODE_OPTIONS|OTEL_[A-Z_]+|MESH_KV_REPLICAS)$/;

function declared(app: App): { flags: Set<string>; env: Set<string> } {
  const res = spawnSync(process.execPath, [`apps/${app}/src/main.ts`, '--help'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, NATS_URL: '' } });
  assert.equal(res.status, 0, `${app} --help failed: ${res.stderr}`);
  const flags = new Set([...res.stdout.matchAll(/^\s+--([a-z0-9-]+)/gm)].map((m) => m[1]));
  const env = new Set([...res.stdout.matchAll(/\[env ([A-Z0-9_]+)\]/g)].map((m) => m[1]));
  return { flags, env };
}

/** Containers that run mesh/<app>, with the workload they belong to. */
function uses(app: App): Array<{ workload: K8sObject; container: K8sObject }> {
  return workloads().flatMap(({ obj }) => containers(obj).filter((c) => meshImage(c.image)?.app === app).map((container) => ({ workload: obj, container })));
}

describe('what the manifests tell each app', () => {
  for (const app of APPS) {
    it(`${app}: every flag and environment variable the manifests pass is one the app declares`, () => {
      const { flags, env } = declared(app);
      assert.ok(flags.size > 0, `${app} --help lists no flags`);
      assert.ok(uses(app).length > 0, `no manifest runs mesh/${app}`);
      const problems: string[] = [];
      for (const { workload, container } of uses(app)) {
        for (const arg of container.args ?? []) {
          const m = /^--([a-z0-9-]+)(=|$)/.exec(arg);
          if (m && !flags.has(m[1])) problems.push(`${nameOf(workload)} passes --${m[1]}, which ${app} does not declare`);
        }
        for (const { name } of container.env ?? []) {
          if (!env.has(name) && !PROCESS_WIDE_ENV.test(name)) problems.push(`${nameOf(workload)} sets ${name}, which ${app} does not read`);
        }
      }
      assert.deepEqual(problems, []);
    });
  }
});
