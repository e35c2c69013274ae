import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The run's temporary files in one directory, removed at the end (test-support/temp-root.mjs).
    globalSetup: ['../../packages/test-support/temp-root.mjs'],
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Logins and fixtures hash passwords with scrypt (deliberately slow); on a busy machine
    // a fixture with three users can take several seconds.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
