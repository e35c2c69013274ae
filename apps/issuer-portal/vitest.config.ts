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
    // The browser tests' pages wait up to 10 s for an element; an expect.poll on a slow
    // two-core host gets as long (its default is 1 s).
    expect: { poll: { timeout: 10_000 } },
  },
});
