import { defineConfig } from 'vitest/config';

// `npm run test:chaos`: the long reliability runs (issue 5) on the same local control plane as the integration
// tests. Not part of `npm test`; the short versions of the same scenarios are (test/integration/reliability-*).
export default defineConfig({
  test: {
    name: 'chaos',
    include: ['test/chaos/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    testTimeout: 1_800_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
