# syntax=docker/dockerfile:1
# mesh/proxy: the data plane: sidecar, ingress/egress gateway, and the istio-init iptables setup
# (`init` subcommand, run as root with NET_ADMIN/NET_RAW in the init container; the
# proxy itself runs as uid 1337, whose traffic the capture rules let through).
# Build from the repository root (the build context must be the whole workspace):
#   docker build -f deploy/images/proxy.Dockerfile -t mesh/proxy:0.1.0 .

# Stage 0: only the workspace manifests, so the npm ci layers below are reused
# until a package.json or the lockfile changes.
FROM node:24-bookworm-slim AS manifests
WORKDIR /src
COPY . .
RUN node deploy/images/collect-manifests.mjs /manifests

# Stage 1: the whole workspace installed, and the app bundled by esbuild
# (apps/proxy/dist/main.js holds the app and its @mesh/* libraries; third-party
# packages stay external). Task dependencies are skipped: the bundle is built
# from the libraries' sources, their own tsc builds are not needed.
FROM node:24-bookworm-slim AS build
# A C compiler, make and Python for node-gyp: @mesh/original-dst is a Node-API
# addon (SO_ORIGINAL_DST, how the 15001/15006 listeners find where a captured
# connection was going).
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential python3 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
ENV NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked npm ci --no-audit --no-fund
COPY . .
# npm ci above saw only the manifests, so the addon's install script had nothing
# to build; build it now against the image's Node headers (/usr/local/include/node,
# nothing downloaded). `npm rebuild` fails the build if it does not compile.
RUN npm rebuild @mesh/original-dst --foreground-scripts
# tools/build-app.mjs copies the addon next to the bundle (apps/proxy/dist/original_dst.node),
# where @mesh/original-dst finds it at run time.
RUN npx nx run @mesh/proxy:build --excludeTaskDependencies --outputStyle=static
# Data files the libraries export (e.g. libs/ca-client/proto/ca.proto): the
# bundle holds their code, not these, and finds them through node_modules/@mesh.
RUN node deploy/images/collect-assets.mjs /assets

# Stage 2: the runtime — the bundle plus only the production dependencies of
# @mesh/proxy (npm ci --omit=dev -w: no dev tools, no other app's packages).
# Install scripts stay off: nothing in the production closure needs one.
FROM node:24-bookworm-slim
# iptables for `proxy init` (Debian ships both the nft and the legacy backends).
RUN apt-get update \
 && apt-get install -y --no-install-recommends iptables \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# V8 sized for a sidecar (apps/proxy/README.md, "Memory"; `npm run bench -- memory` measures with these):
# a 2 MiB young-generation semi-space (4 MiB of new space instead of up to 64), and one V8 background thread instead of
# four: a 3,002-cluster sidecar idles at 138 MiB instead of 180 and stays at 158 instead of 290 through a
# 10-minute soak, for the same CPU. No --enable-source-maps here: the bundle keeps its function names,
# and the parsed map costs ~4 MiB once the first stack trace is printed.
ENV NODE_ENV=production NODE_OPTIONS="--max-semi-space-size=2 --v8-pool-size=1"
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked npm ci --omit=dev --workspace apps/proxy --no-audit --no-fund --ignore-scripts
COPY --from=build /assets/ ./
# The bundle and, beside it, the SO_ORIGINAL_DST addon (built on this same base image, so its glibc matches).
COPY --from=build /src/apps/proxy/dist/ apps/proxy/dist/
RUN groupadd --system --gid 1337 istio-proxy \
 && useradd --system --uid 1337 --gid 1337 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin istio-proxy
USER 1337:1337
EXPOSE 8080 8443 15001 15006 15020 15021 15090
ENTRYPOINT ["node", "apps/proxy/dist/main.js"]
