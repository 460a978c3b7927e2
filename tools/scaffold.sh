#!/usr/bin/env bash
# Creates the package.json/tsconfig.json of a new app or library: bash tools/scaffold.sh apps|libs NAME "description"
set -euo pipefail
kind=$1; name=$2; desc=$3
dir="$kind/$name"; mkdir -p "$dir/src"
if [ "$kind" = apps ]; then
  tag=type:app; build="node ../../tools/build-app.mjs"; exports=''
else
  tag=type:lib; build="tsc -p tsconfig.json --noEmit false --outDir dist"; exports='"exports": { ".": "./src/index.ts" },'
fi
cat > "$dir/package.json" <<JSON
{
  "name": "@mesh/$name",
  "version": "0.1.0",
  "private": true,
  "description": "$desc",
  "type": "module",
  $exports
  "scripts": {
    "build": "$build",
    "test": "node --test --test-reporter=spec --test-timeout=120000 'src/**/*.test.ts'",
    "lint": "eslint src",
    "typecheck": "tsc -p tsconfig.json"
  },
  "dependencies": {},
  "nx": { "tags": ["$tag"] }
}
JSON
cat > "$dir/tsconfig.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "include": ["src/**/*.ts"]
}
JSON
