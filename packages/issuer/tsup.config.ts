import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    store: 'src/store.ts',
    checks: 'src/checks.ts',
    terms: 'src/terms.ts',
    cli: 'src/cli.ts',
    seed: 'src/seed.ts',
    // The seed-data worker thread, started by its file (src/seed/seed-pool.ts).
    'seed-worker': 'src/seed/seed-worker.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // import.meta.url in the CommonJS build too (the nonce writer resolves its driver from it).
  shims: true,
});
