// Builds the app in the current directory for deployment: one ESM bundle,
// dist/main.js, holding the app and the @mesh/* libraries it uses. Third-party
// packages stay external and are installed in the image with `npm ci -w`.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/main.js',
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  sourcemap: true,
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
console.log(`built ${pkg.name} -> dist/main.js`);
