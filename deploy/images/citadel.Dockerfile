# syntax=docker/dockerfile:1
# mesh/citadel: the certificate authority (CSR signing over gRPC/TLS, trust bundle into NATS).
# Build from the repository root (the build context must be the whole workspace):
#   docker build -f deploy/images/citadel.Dockerfile -t mesh/citadel:0.1.0 .

# Stage 0: only the workspace manifests, so the npm ci layers below are reused
# until a package.json or the lockfile changes.
FROM node:24-bookworm-slim AS manifests
WORKDIR /src
COPY . .
RUN node deploy/images/collect-manifests.mjs /manifests

# Stage 1: the whole workspace installed, and the app bundled by esbuild
# (apps/citadel/dist/main.js holds the app and its @mesh/* libraries; third-party
# packages stay external). Task dependencies are skipped: the bundle is built
# from the libraries' sources, their own tsc builds are not needed.
FROM node:24-bookworm-slim AS build
WORKDIR /src
ENV NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked npm ci --no-audit --no-fund
COPY . .
RUN npx nx run @mesh/citadel:build --excludeTaskDependencies --outputStyle=static
# Data files the libraries export (e.g. libs/ca-client/proto/ca.proto): the
# bundle holds their code, not these, and finds them through node_modules/@mesh.
RUN node deploy/images/collect-assets.mjs /assets

# Stage 2: the runtime — the bundle plus only the production dependencies of
# @mesh/citadel (npm ci --omit=dev -w: no dev tools, no other app's packages).
# Install scripts stay off: nothing in the production closure needs one.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production NODE_OPTIONS=--enable-source-maps
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked npm ci --omit=dev --workspace apps/citadel --no-audit --no-fund --ignore-scripts
COPY --from=build /assets/ ./
COPY --from=build /src/apps/citadel/dist/ apps/citadel/dist/
RUN groupadd --system --gid 10001 mesh \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin mesh
USER 10001:10001
EXPOSE 15012 15014
ENTRYPOINT ["node", "apps/citadel/dist/main.js"]
