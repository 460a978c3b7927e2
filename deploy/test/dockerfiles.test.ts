// The Dockerfiles, read the way `docker build` reads them: every stage on the
// project's runtime image, the app's bundle as the entry point, a non-root
// user, the ports the manifests use, and COPY sources that exist. No Docker
// engine runs here, so what a build would trip over is checked statically, and
// the one script the images run (collect-manifests.mjs) is run for real.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { APPS, DEPLOY_DIR, REPO_ROOT, containers, meshImage, workloads, type K8sObject } from './load.ts';

const IMAGES_DIR = path.join(DEPLOY_DIR, 'images');
const BASE_IMAGE = 'node:24-bookworm-slim';

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Instructions with continuation lines joined and comments dropped, grouped by stage. */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = lines[i];
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      line = line.slice(0, -1);
      i++;
      if (/^\s*#/.test(lines[i])) continue;
      line += ' ' + lines[i].trim();
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`line ${start}: not an instruction: ${line}`);
    const ins = { keyword: m[1].toUpperCase(), args: m[2].trim(), line: start };
    if (ins.keyword === 'FROM') {
      const [from, as, name] = ins.args.split(/\s+/);
      stages.push({ from, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else {
      if (!stages.length) throw new Error(`line ${start}: ${ins.keyword} before FROM`);
      stages.at(-1)!.instructions.push(ins);
    }
  }
  return stages;
}

const dockerfile = (app: string) => parseDockerfile(readFileSync(path.join(IMAGES_DIR, `${app}.Dockerfile`), 'utf8'));
const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);

/** Container ports of every workload that runs mesh/<app>. */
function portsOfApp(app: string): number[] {
  const ports = new Set<number>();
  for (const { obj } of workloads()) {
    for (const c of containers(obj) as K8sObject[]) {
      if (meshImage(c.image)?.app !== app) continue;
      for (const p of c.ports ?? []) ports.add(p.containerPort);
    }
  }
  return [...ports].sort((a, b) => a - b);
}

describe('container images', () => {
  it('there is one Dockerfile per app, and one app per Dockerfile', () => {
    const apps = readdirSync(path.join(REPO_ROOT, 'apps')).filter((a) => existsSync(path.join(REPO_ROOT, 'apps', a, 'package.json')));
    assert.deepEqual(apps.sort(), [...APPS].sort());
    const files = readdirSync(IMAGES_DIR).filter((f) => f.endsWith('.Dockerfile'));
    assert.deepEqual(files.sort(), APPS.map((a) => `${a}.Dockerfile`).sort());
  });

  for (const app of APPS) {
    describe(`${app}.Dockerfile`, () => {
      const stages = dockerfile(app);
      const runtime = stages.at(-1)!;

      it(`builds every stage FROM ${BASE_IMAGE}`, () => {
        assert.ok(stages.length >= 2, 'multi-stage: build, then runtime');
        for (const s of stages) assert.equal(s.from, BASE_IMAGE, `stage ${s.name ?? '(runtime)'}`);
      });

      it(`runs node apps/${app}/dist/main.js as a fixed non-root user, without HEALTHCHECK`, () => {
        const entry = all(runtime, 'ENTRYPOINT');
        assert.equal(entry.length, 1);
        assert.deepEqual(JSON.parse(entry[0].args), ['node', `apps/${app}/dist/main.js`], 'exec form, so node is PID 1 and gets SIGTERM');
        const users = all(runtime, 'USER');
        assert.equal(users.length, 1);
        const [uid, gid] = users[0].args.split(':').map(Number);
        assert.ok(uid > 0 && gid > 0, `USER ${users[0].args} must be numeric and non-root (Kubernetes runAsNonRoot checks the number)`);
        if (app === 'proxy') assert.equal(uid, 1337, "the proxy's uid is the one the capture rules exempt, as Istio's");
        for (const s of stages) assert.equal(all(s, 'HEALTHCHECK').length, 0, 'Kubernetes probes do health checks');
      });

      it('exposes every port its containers declare in the manifests', () => {
        const exposed = all(runtime, 'EXPOSE').flatMap((i) => i.args.split(/\s+/).map((p) => Number(p.split('/')[0])));
        const used = portsOfApp(app);
        assert.ok(used.length > 0, `no manifest runs mesh/${app}`);
        for (const p of used) assert.ok(exposed.includes(p), `port ${p} is used by the manifests but not EXPOSEd`);
      });

      it(`bundles with nx in the build stage and installs only @mesh/${app}'s production dependencies`, () => {
        const runs = (s: Stage) => all(s, 'RUN').map((i) => i.args);
        const build = stages.find((s) => runs(s).some((r) => r.includes(`nx run @mesh/${app}:build`)));
        assert.ok(build, `no stage runs npx nx run @mesh/${app}:build`);
        assert.ok(runs(build).some((r) => /\bnpm ci\b/.test(r) && !r.includes('--omit=dev')), 'the build stage installs the whole workspace');
        assert.ok(
          runs(runtime).some((r) => /\bnpm ci\b/.test(r) && r.includes('--omit=dev') && new RegExp(`--workspace[= ]apps/${app}\\b`).test(r)),
          `the runtime stage runs npm ci --omit=dev --workspace apps/${app}`,
        );
        const copies = all(runtime, 'COPY').map((i) => i.args);
        assert.ok(copies.some((c) => c.startsWith(`--from=${build.name} `) && c.includes(`apps/${app}/dist/`)), 'the runtime stage copies the bundle from the build stage');
        assert.ok(runs(build).some((r) => r.includes('collect-assets.mjs /assets')), "the build stage collects the libraries' exported data files");
        assert.ok(copies.includes(`--from=${build.name} /assets/ ./`), 'the runtime stage copies them to their paths');
        const iptables = runs(runtime).some((r) => /apt-get install .*\biptables\b/.test(r));
        assert.equal(iptables, app === 'proxy', app === 'proxy' ? 'the proxy image needs iptables for `proxy init`' : 'only the proxy image carries iptables');
      });

      it('copies only sources that exist in the repository, and stages defined before', () => {
        const names: string[] = [];
        for (const s of stages) {
          for (const copy of all(s, 'COPY')) {
            const words = copy.args.split(/\s+/);
            const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
            const paths = words.filter((w) => !w.startsWith('--'));
            if (from) {
              assert.ok(names.includes(from), `line ${copy.line}: --from=${from} is not an earlier stage`);
              continue;
            }
            for (const src of paths.slice(0, -1)) assert.ok(existsSync(path.join(REPO_ROOT, src)), `line ${copy.line}: COPY ${src} does not exist in the build context`);
          }
          for (const run of all(s, 'RUN')) {
            for (const [, script] of run.args.matchAll(/\bnode\s+(\S+\.m?[jt]s)\b/g)) assert.ok(existsSync(path.join(REPO_ROOT, script)), `line ${run.line}: ${script} does not exist`);
          }
          if (s.name) names.push(s.name);
        }
      });
    });
  }

  it('the intended .dockerignore keeps node_modules, dist and the git history out of the context', () => {
    const rules = readFileSync(path.join(IMAGES_DIR, 'dockerignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    for (const r of ['**/node_modules', '**/dist', '.git']) assert.ok(rules.includes(r), `dockerignore lacks ${r}`);
  });
});

describe('collect-assets.mjs', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'assets-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const script = path.join(IMAGES_DIR, 'collect-assets.mjs');

  it("copies the workspace packages' exported data files at their paths, and no code", () => {
    const out = path.join(tmp, 'out');
    const res = spawnSync(process.execPath, [script, out], { cwd: REPO_ROOT, encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
    assert.equal(readFileSync(path.join(out, 'libs/ca-client/proto/ca.proto'), 'utf8'), readFileSync(path.join(REPO_ROOT, 'libs/ca-client/proto/ca.proto'), 'utf8'));
    const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [e.name]));
    assert.deepEqual(files(out).filter((f) => /\.(ts|js|mjs)$/.test(f)), []);
  });

  it('fails, naming the package, when an exported file does not exist', () => {
    const repo = path.join(tmp, 'broken');
    mkdirSync(path.join(repo, 'libs/a'), { recursive: true });
    writeFileSync(path.join(repo, 'package.json'), JSON.stringify({ name: 'x', workspaces: ['libs/*'] }));
    writeFileSync(path.join(repo, 'libs/a/package.json'), JSON.stringify({ name: 'a', exports: { '.': './src/index.ts', './data.proto': './data.proto' } }));
    const res = spawnSync(process.execPath, [script, path.join(tmp, 'broken-out')], { cwd: repo, encoding: 'utf8' });
    assert.equal(res.status, 1);
    assert.match(res.stderr, /libs\/a\/package\.json exports \.\/data\.proto, which does not exist/);
  });
});

describe('collect-manifests.mjs', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'manifests-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const script = path.join(IMAGES_DIR, 'collect-manifests.mjs');

  it('copies the root manifests and every workspace package.json npm ci needs, and nothing else', () => {
    const out = path.join(tmp, 'out');
    const res = spawnSync(process.execPath, [script, out], { cwd: REPO_ROOT, encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
    const lock = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8'));
    const workspaces = Object.values(lock.packages as Record<string, K8sObject>)
      .filter((p) => p.link)
      .map((p) => p.resolved as string);
    assert.ok(workspaces.length >= 10, 'the lockfile links every workspace');
    for (const ws of workspaces) assert.ok(existsSync(path.join(out, ws, 'package.json')), `npm ci needs ${ws}/package.json`);
    assert.equal(readFileSync(path.join(out, 'package-lock.json'), 'utf8'), readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8'));
    const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [e.name]));
    assert.deepEqual([...new Set(files(out))].sort(), ['package-lock.json', 'package.json']);
  });

  it('fails, naming the workspace, when a workspace pattern matches nothing', () => {
    const repo = path.join(tmp, 'broken');
    mkdirSync(repo);
    writeFileSync(path.join(repo, 'package.json'), JSON.stringify({ name: 'x', workspaces: ['apps/*', 'gone'] }));
    writeFileSync(path.join(repo, 'package-lock.json'), '{}');
    mkdirSync(path.join(repo, 'apps/a'), { recursive: true });
    writeFileSync(path.join(repo, 'apps/a/package.json'), '{}');
    const res = spawnSync(process.execPath, [script, path.join(tmp, 'broken-out')], { cwd: repo, encoding: 'utf8' });
    assert.equal(res.status, 1);
    assert.match(res.stderr, /workspace "gone"/);
  });
});
