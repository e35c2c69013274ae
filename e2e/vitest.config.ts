import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The run's temporary files in one directory, removed at the end (test-support/temp-root.mjs).
    globalSetup: ['../packages/test-support/temp-root.mjs'],
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Real processes on real ports: one file at a time keeps the 2-core machine honest.
    fileParallelism: false,
  },
});
