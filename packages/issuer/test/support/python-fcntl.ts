import { spawnSync } from 'node:child_process';

// The lock tests take SQLite's POSIX locks from ANOTHER process (python3's fcntl: node has no
// fcntl). Skipped with a message where there is no python3; CI (CI=true, set by .ci/run, which
// installs python3) requires it, so a green CI means the lock tests ran.
export const hasPythonFcntl =
  spawnSync('python3', ['-c', 'import fcntl'], { encoding: 'utf8' }).status === 0;

if (!hasPythonFcntl) {
  const message =
    'lock tests skipped: they need python3 (its fcntl module) to lock from another process';
  if (process.env.CI === 'true') throw new Error(`${message}; CI requires it`);
  console.warn(message);
}
