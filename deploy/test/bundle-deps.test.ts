// Each image runs apps/<app>/dist/main.js on top of `npm ci --omit=dev -w
// apps/<app>` and the libraries' exported data files (collect-assets.mjs). A
// bundle whose external import does not resolve there (or resolves to another
// version than the library was written against), or that looks up a file the
// image lacks, builds fine and crashes at start in the cluster. This bundles
// every app as tools/build-app.mjs does and checks each external import, and
// each package path resolved at run time (require.resolve,
// import.meta.resolve), against the lockfile and the image's files.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';
import { APPS, DEPLOY_DIR, REPO_ROOT } from './load.ts';
import { bundleProblems, packageName, productionClosure, resolveFrom, type ExternalImport, type Lockfile } from './bundle-resolution.ts';

/** tools/build-app.mjs's rule: bundle @mesh/* libraries, leave every other bare import external. */
const externals: Plugin = {
  name: 'externals',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@mesh/') ? undefined : { path: args.path, external: true }));
  },
};

/** Package paths the bundled sources resolve at run time: require.resolve('x/...') and import.meta.resolve('x/...'). */
function runtimeResolutions(files: string[]): ExternalImport[] {
  return files
    .filter((f) => !f.includes('node_modules/'))
    .flatMap((importer) =>
      [...readFileSync(path.join(REPO_ROOT, importer), 'utf8').matchAll(/\b(?:require|import\.meta)\.resolve\(\s*['"]([^'"./][^'"]*)['"]/g)].map((m) => ({ importer, specifier: m[1] })),
    );
}

async function externalImports(app: string): Promise<ExternalImport[]> {
  const result = await build({
    absWorkingDir: REPO_ROOT,
    entryPoints: [`apps/${app}/src/main.ts`],
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [externals],
  });
  const inputs = result.metafile.inputs;
  const imports = Object.entries(inputs).flatMap(([importer, input]) => input.imports.filter((i) => i.external).map((i) => ({ importer, specifier: i.path })));
  return [...imports, ...runtimeResolutions(Object.keys(inputs))];
}

/** The file a workspace package's exported subpath (`@mesh/ca-client/proto/ca.proto`) names, repo-relative. */
function exportedFile(lock: Lockfile, specifier: string): string | undefined {
  const name = packageName(specifier);
  const dir = resolveFrom(lock, '', name);
  if (!dir || dir.includes('node_modules/')) return undefined;
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, dir, 'package.json'), 'utf8'));
  const target = pkg.exports?.['.' + specifier.slice(name.length)];
  return typeof target === 'string' ? path.posix.join(dir, target) : undefined;
}

describe('resolution rules (a lockfile made for the purpose)', () => {
  // The root's yaml is 1.x (another tool's dev dependency); the library uses 2.x, nested under libs/config.
  const lock: Lockfile = {
    packages: {
      '': {},
      'apps/a': { dependencies: { '@mesh/config': '*' } },
      'apps/b': { dependencies: { '@mesh/config': '*', yaml: '^2.9.1' } },
      'libs/config': { dependencies: { yaml: '^2.9.1' } },
      'node_modules/@mesh/config': { link: true, resolved: 'libs/config' },
      'node_modules/yaml': { version: '1.10.3', dev: true },
      'libs/config/node_modules/yaml': { version: '2.9.1' },
      'apps/b/node_modules/yaml': { version: '2.9.1' },
    },
  };
  const imports = [{ importer: 'libs/config/src/parse.ts', specifier: 'yaml' }];

  it('follows workspace links and nested node_modules into the production closure', () => {
    assert.deepEqual([...productionClosure(lock, 'apps/a')].sort(), ['apps/a', 'libs/config', 'libs/config/node_modules/yaml']);
    assert.equal(resolveFrom(lock, 'libs/config/src', 'yaml'), 'libs/config/node_modules/yaml');
    assert.equal(resolveFrom(lock, 'apps/a/dist', 'yaml'), 'node_modules/yaml');
    assert.equal(packageName('@grpc/grpc-js/build/src/index'), '@grpc/grpc-js');
  });

  it("flags a library's nested dependency that the app's bundle cannot see, and names the fix", () => {
    const [problem, ...rest] = bundleProblems(lock, 'a', imports);
    assert.equal(rest.length, 0);
    assert.match(problem, /libs\/config\/src\/parse\.ts imports yaml/);
    assert.match(problem, /resolves to node_modules\/yaml \(1\.10\.3\), which npm ci --omit=dev --workspace apps\/a does not install/);
    assert.match(problem, /declare "yaml" in apps\/a\/package.json/);
  });

  it('accepts the app once it declares the package itself', () => {
    assert.deepEqual(bundleProblems(lock, 'b', imports), []);
  });

  it('ignores Node built-ins', () => {
    assert.deepEqual(bundleProblems(lock, 'a', [{ importer: 'apps/a/src/main.ts', specifier: 'node:fs' }, { importer: 'apps/a/src/main.ts', specifier: 'crypto' }]), []);
  });
});

describe("every app's bundle, in its image", () => {
  const lock = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as Lockfile;
  let assets: string;
  before(() => {
    assets = mkdtempSync(path.join(os.tmpdir(), 'assets-'));
    const res = spawnSync(process.execPath, [path.join(DEPLOY_DIR, 'images/collect-assets.mjs'), assets], { cwd: REPO_ROOT, encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
  });
  after(() => rmSync(assets, { recursive: true, force: true }));

  for (const app of APPS) {
    it(`${app}: every external import resolves from apps/${app}/dist to the version its library uses, and is installed`, async () => {
      const imports = await externalImports(app);
      assert.deepEqual(bundleProblems(lock, app, imports), []);
    });

    it(`${app}: every @mesh/* file it resolves at run time is copied into the image`, async () => {
      const wanted = (await externalImports(app)).filter((i) => i.specifier.startsWith('@mesh/') && packageName(i.specifier) !== i.specifier);
      for (const { importer, specifier } of wanted) {
        const file = exportedFile(lock, specifier);
        assert.ok(file, `${importer} resolves ${specifier}, which its package does not export`);
        assert.ok(existsSync(path.join(assets, file)), `${importer} resolves ${specifier} (${file}) at run time, but collect-assets.mjs does not copy it into the image`);
      }
    });
  }

  it('the check sees run-time lookups: the CA client finds its proto through the package name', async () => {
    const resolved = (await externalImports('citadel')).map((i) => i.specifier);
    assert.ok(resolved.includes('@mesh/ca-client/proto/ca.proto'), `citadel's bundle resolves: ${resolved.join(', ')}`);
    assert.ok(existsSync(path.join(assets, 'libs/ca-client/proto/ca.proto')));
  });
});
