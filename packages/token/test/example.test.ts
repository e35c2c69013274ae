// The README's runnable example keeps working: examples/quickstart.mjs runs against the built
// package (turbo runs `build` before `test`) and goes from challenge to a VALID status.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dist = new URL('../dist/index.js', import.meta.url);

describe('examples/quickstart.mjs', () => {
  it('runs the whole exchange and ends with a VALID status', () => {
    expect(
      existsSync(dist),
      'dist/ is missing: run `pnpm --filter @licensor/token build` first',
    ).toBe(true);
    const output = execFileSync(process.execPath, ['examples/quickstart.mjs'], {
      cwd: new URL('..', import.meta.url),
      encoding: 'utf8',
    });
    expect(output).toContain('-----BEGIN LICENSOR CHALLENGE-----');
    expect(output).toContain('-----END LICENSOR LICENSE-----');
    expect(output).toContain('applied: subscription 250 credentials for Acme Corporation');
    expect(output).toMatch(/last verify: \d{4}-\d\d-\d\dT[\d:.]+Z VALID/);
  });
});
