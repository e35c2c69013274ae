import { defineConfig } from 'tsup';

export default defineConfig({
  // `bounds`: the claims' numeric bounds alone, for browser bundles (the portal's form).
  entry: { index: 'src/index.ts', bounds: 'src/claims/bounds.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
