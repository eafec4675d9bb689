import { defineConfig } from 'vitest/config';

// Three tiers, each named for what it needs:
//   unit         pure logic only: no Go, no network, no control plane (runs in well under a minute)
//   deploy       renders deploy/ with kustomize, helm and Argo CD's Lua runtime, which test/harness/tools.ts
//                builds from the Go module proxy on first use (Go on PATH, network, minutes when cold)
//   integration  a real local control plane (kube-apiserver + etcd + kwok), started once per run
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // A few unit files start esbuild, ESLint or node (bundle, lint-boundaries) or build 500-member statuses;
          // vitest's 5 s default timed them out at load average 26 while they need ~1 s on a quiet machine.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'deploy',
          include: ['test/deploy/**/*.test.ts'],
          // A cold tool build happens in beforeAll (its own long timeout); renders themselves take seconds.
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/harness/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // The control plane is shared; test files run one at a time so 2 cores aren't oversubscribed.
          fileParallelism: false,
        },
      },
    ],
  },
});
