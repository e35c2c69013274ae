// A vitest globalSetup every package's vitest.config.ts names: the run's temporary files go under
// one directory of their own, removed when the run ends. Tests make their stores, state
// directories and key files with mkdtemp(join(tmpdir(), ...)); tmpdir() reads TMPDIR, which the
// test workers and the processes the tests start inherit from here. Without it every run left
// ~1 000 directories (~0.7 GB) in /tmp. A run that is killed leaves its one directory behind;
// LICENSOR_KEEP_TEST_TMP=1 keeps it on purpose (to look at a failed test's store).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup() {
  const previous = process.env.TMPDIR;
  const root = mkdtempSync(join(tmpdir(), 'licensor-test-'));
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    if (process.env.LICENSOR_KEEP_TEST_TMP === '1') {
      console.log(`test files kept in ${root}`);
      return;
    }
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
}
