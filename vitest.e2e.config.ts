import { defineConfig } from 'vitest/config';

// The real-node tier (docs/e2e.md): one real single-node cluster (real kubelet, containerd, controllers) for the
// whole run, the operator's own image built from the Dockerfile and installed as users install it. Separate from
// vitest.config.ts so `npm test` never needs root; `npm run test:e2e` runs it, .ci/run runs it after `npm test`.
export default defineConfig({
  test: {
    name: 'e2e',
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    testTimeout: 240_000,
    hookTimeout: 600_000,
    // One cluster, one operator installation at a time: files run one after the other.
    fileParallelism: false,
    // A failed e2e run must be visible; never retried into green.
    retry: 0,
  },
});
