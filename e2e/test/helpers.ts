// Per-test folders and product lifecycles for the end-to-end suites.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `licensor-e2e-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A fresh database name on the CI MongoDB (FerretDB) for one suite. */
export function mongoUriFor(base: string, suite: string): string {
  const url = new URL(base);
  url.pathname = `/licensor_e2e_${suite}_${process.pid}_${Date.now()}`;
  return url.toString();
}

export const quiet = (): void => {};
