# syntax=docker/dockerfile:1
# nodebounce-operator image: build with the full toolchain, run on distroless Node.js with production
# dependencies only, as an unprivileged user (uid 65532), read-only root filesystem friendly.
#   docker build -t nodebounce-operator:dev .
# Node 24 LTS, like the tests (package.json engines; Node 20 reached end of life on 2026-04-30).
ARG NODE_MAJOR=24
# The base images are build args so the image can be built where these registries are unreachable: the e2e tier
# (test/harness/docker.ts) passes local equivalents built from a Debian rootfs and the pinned Node binary.
#   docker build --build-arg BUILD_IMAGE=<node image with npm> --build-arg RUNTIME_IMAGE=<distroless-like, nonroot> .
ARG BUILD_IMAGE=node:${NODE_MAJOR}-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs${NODE_MAJOR}-debian12:nonroot

# 1. Compile TypeScript (src/ -> dist/).
FROM ${BUILD_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# 2. Production dependencies only (no tsx, vitest, typescript, ...).
FROM ${BUILD_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# 3. Runtime: no shell, no package manager; the `nonroot` tag runs as uid/gid 65532.
FROM ${RUNTIME_IMAGE}
WORKDIR /app
ENV NODE_ENV=production
# package.json carries "type": "module", which dist/*.js need.
COPY --from=deps /app/package.json ./package.json
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER 65532:65532
# 8080: /metrics, 8081: /healthz and /readyz
EXPOSE 8080 8081
# The distroless entrypoint is node itself.
CMD ["--enable-source-maps", "dist/main.js"]
