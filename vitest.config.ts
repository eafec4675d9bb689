import { defineConfig } from 'vitest/config';

// Two tiers: pure unit tests, and integration tests against the real local control plane
// (kube-apiserver + etcd + kwok), started once per run by the global setup.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
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
