import { defineConfig } from 'tsup';

export default defineConfig({
  entry: [
    'src/index.ts',
    'src/store.ts',
    'src/checks.ts',
    'src/terms.ts',
    'src/cli.ts',
    'src/seed.ts',
  ],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // import.meta.url in the CommonJS build too (the nonce writer resolves its driver from it).
  shims: true,
});
