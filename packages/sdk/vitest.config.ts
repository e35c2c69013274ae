import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The run's temporary files in one directory, removed at the end (test-support/temp-root.mjs).
    globalSetup: ['../../packages/test-support/temp-root.mjs'],
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
