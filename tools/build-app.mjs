// Builds the app in the current directory for deployment: one ESM bundle,
// dist/main.js, holding the app and the @mesh/* libraries it uses. Third-party
// packages stay external and are installed in the image with `npm ci -w`.
// Native addons cannot be bundled: a bundled library that loads one at run time
// (from a computed path, which esbuild leaves alone) finds it next to
// dist/main.js, where this copies it.
import { build } from 'esbuild';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Library entry -> the addon it loads (libs/original-dst/src/index.ts: SO_ORIGINAL_DST, for the proxy's capture listeners).
const NATIVE_ADDONS = [
  {
    lib: 'libs/original-dst/src/index.ts',
    file: 'libs/original-dst/build/Release/original_dst.node',
    fix: 'run `npm rebuild @mesh/original-dst` (needs python3, make and g++: Debian `apt-get install build-essential python3`)',
  },
];

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const result = await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/main.js',
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
  plugins: [
    {
      name: 'externals',
      setup(b) {
        // Bundle our own libraries; leave every other bare import to node_modules.
        b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@mesh/') ? undefined : { path: args.path, external: true }));
      },
    },
  ],
  banner: { js: `// ${pkg.name} ${pkg.version}` },
});
const bundled = new Set(Object.keys(result.metafile.inputs).map((f) => path.resolve(f)));
const addons = NATIVE_ADDONS.filter((a) => bundled.has(path.join(root, a.lib)));
for (const a of addons) {
  const from = path.join(root, a.file);
  if (!existsSync(from)) {
    console.error(`${pkg.name} bundles ${a.lib}, which loads the native addon ${a.file}; it is not built: ${a.fix}`);
    process.exit(1);
  }
  copyFileSync(from, path.join('dist', path.basename(a.file)));
}
console.log(`built ${pkg.name} -> dist/main.js${addons.map((a) => ` + dist/${path.basename(a.file)}`).join('')}`);
