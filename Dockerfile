# syntax=docker/dockerfile:1
# nodebounce-operator image: build with the full toolchain, run the esbuild bundle (scripts/bundle.ts) on distroless
# Node.js, as an unprivileged user (uid 65532), read-only root filesystem friendly.
#   docker build -t nodebounce-operator:dev .
# Node 24 LTS, like the tests (package.json engines; Node 20 reached end of life on 2026-04-30).
ARG NODE_MAJOR=24
# The base images are build args so the image can be built where these registries are unreachable: the e2e tier
# (test/harness/docker.ts) passes local equivalents built from a Debian rootfs and the pinned Node binary.
#   docker build --build-arg BUILD_IMAGE=<node image with npm> --build-arg RUNTIME_IMAGE=<distroless-like, nonroot> .
ARG BUILD_IMAGE=node:${NODE_MAJOR}-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs${NODE_MAJOR}-debian12:nonroot

# 1. Compile TypeScript and bundle the operator (`npm run build`: tsc, which also type-checks, then
#    scripts/bundle.ts): src/main.ts and every dependency it imports become one ES module,
#    dist/nodebounce-operator.mjs, with its source map and the licence texts of the bundled packages.
FROM ${BUILD_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.ts ./scripts/bundle.ts
COPY src ./src
RUN npm run build

# 2. Runtime: no shell, no package manager; the `nonroot` tag runs as uid/gid 65532. The bundle is the whole
#    program: no node_modules, and no package.json (an .mjs file is an ES module by its name).
FROM ${RUNTIME_IMAGE}
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/dist/nodebounce-operator.mjs /app/dist/nodebounce-operator.mjs.map /app/dist/THIRD-PARTY-LICENSES.txt ./dist/
USER 65532:65532
# 8443: /metrics (HTTPS, bearer token), 8081: /healthz and /readyz. The manifests (deploy/, the chart) make them
# listen on every interface; run bare, add --metrics-bind-address=:8443 --health-probe-bind-address=:8081.
EXPOSE 8443 8081
# The distroless entrypoint is node itself. --enable-source-maps: stack traces name src/*.ts lines (the map is
# decoded only when a stack trace is first formatted, not at start-up).
CMD ["--enable-source-maps", "dist/nodebounce-operator.mjs"]
