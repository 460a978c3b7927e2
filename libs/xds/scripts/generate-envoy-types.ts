// Generates TypeScript types for every Envoy message in PROTO_FILES with
// @grpc/proto-loader's `proto-loader-gen-types`, in the in-memory shape pilot
// and the proxy use (protobufjs' lowerCamelCase names, enums and 64-bit ints
// as strings; docs/xds-representation.md). The output is committed under
// src/generated/ so a wrong field name fails `tsc` on both sides; a test
// fails when it is stale.
//
//   node libs/xds/scripts/generate-envoy-types.ts [OUT_DIR]   (default: libs/xds/src/generated)
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROTO_FILES } from '../src/protos.ts';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));

export function generateEnvoyTypes(outDir: string): void {
  const deps = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  const protobufjsDir = path.dirname(require.resolve('protobufjs/package.json'));
  const loaderDir = path.dirname(require.resolve('@grpc/proto-loader/package.json'));
  const bin = path.join(loaderDir, 'build/bin/proto-loader-gen-types.js');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'envoy-types-'));
  try {
    const includes = [path.join(deps, 'envoy-api'), path.join(deps, 'xds'), path.join(deps, 'googleapis'), path.join(deps, 'protoc-gen-validate'), protobufjsDir];
    // The options mirror TO_OBJECT_OPTIONS in src/codec.ts (defaults and oneofs off).
    execFileSync(
      process.execPath,
      // File names go first: -I takes every argument after it.
      [bin, ...PROTO_FILES, '--longs=String', '--enums=String', '--json', '--inputTemplate=%s', '--outputTemplate=%s__Output', '--importFileExtension=.ts', '--grpcLib=@grpc/grpc-js', '-O', tmp, '-I', ...includes],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(path.dirname(outDir), { recursive: true });
    for (const file of walk(tmp)) {
      const rel = path.relative(tmp, file);
      // Keep message and enum types only: the per-file package roots describe services we load elsewhere.
      if (!rel.includes(path.sep)) {
        rmSync(file);
        continue;
      }
      writeFileSync(file, postProcess(readFileSync(file, 'utf8')));
    }
    renameSync(tmp, outDir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** The comment naming the source file must not carry a machine path. */
function postProcess(source: string): string {
  return (
    '/* eslint-disable */\n' +
    source
      .replace(/^\/\/ Original file: .*node_modules\/@grpc\/grpc-js-xds\/deps\/[^/]+\//gm, '// Original file: ')
      .replace(/^\/\/ Original file: .*node_modules\/protobufjs\//gm, '// Original file: protobufjs/')
  );
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else yield p;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = path.resolve(process.argv[2] ?? path.join(here, '../src/generated'));
  generateEnvoyTypes(out);
  console.log(`generated Envoy types into ${path.relative(process.cwd(), out) || out}`);
}
