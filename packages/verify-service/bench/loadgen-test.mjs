// `pnpm --filter @licensor/verify-service test:loadgen`: the Go load generator's own tests
// (`go test` in bench/loadgen: its answer parser and event loop). Not part of `pnpm test`, so
// that CI needs no Go; without Go it says so and exits 0.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const source = join(dirname(fileURLToPath(import.meta.url)), 'loadgen');
const run = spawnSync('go', ['test', '-count=1', './...'], {
  cwd: source,
  env: { ...process.env, GOTOOLCHAIN: 'local', GOPROXY: 'off' },
  stdio: 'inherit',
});
if (run.error?.code === 'ENOENT') {
  if (process.env.CI === 'true' || process.env.LICENSOR_REQUIRE_GO === '1') {
    console.error('Go is required here (CI=true or LICENSOR_REQUIRE_GO=1) and `go` is not on PATH');
    process.exit(1);
  }
  console.log('skipped: Go is not installed (no `go` on PATH); the bench falls back to Node');
  process.exit(0);
}
process.exit(run.status ?? 1);
