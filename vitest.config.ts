import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    // tfjs training and real worker processes: generous per-test budget, suite stays in minutes.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
