// A lock file that keeps two processes (two CLI runs, a CMS cluster) from changing one state
// directory at the same time, which would lose one of the changes. The lock holds the owner's
// pid; a lock whose owner is gone (crashed) is broken, one that is held too long is an error.

import { open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { SdkError } from '../errors.js';

export interface LockOptions {
  /** How long to wait for another process to finish (ms). */
  timeoutMs: number;
  retryMs: number;
}

function ownerIsGone(text: string): boolean {
  try {
    const owner = JSON.parse(text) as { pid?: unknown; host?: unknown };
    if (owner.host !== hostname() || typeof owner.pid !== 'number') return false;
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    // ESRCH: no such process; a lock file we cannot parse was torn by a crash while written.
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ESRCH' || code === undefined;
  }
}

async function tryAcquire(path: string): Promise<boolean> {
  try {
    const file = await open(path, 'wx', 0o600);
    try {
      await file.writeFile(JSON.stringify({ pid: process.pid, host: hostname(), at: Date.now() }));
    } finally {
      await file.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  }
}

export async function withFileLock<T>(
  path: string,
  options: LockOptions,
  work: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  while (!(await tryAcquire(path))) {
    const text = await readFile(path, 'utf8').catch(() => null);
    if (text !== null && ownerIsGone(text)) {
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new SdkError(
        'ERR_STATE_LOCKED',
        `Another process is changing the license state (${path} is held). Try again; if no other process runs, delete ${path}.`,
      );
    }
    await sleep(options.retryMs);
  }
  try {
    return await work();
  } finally {
    await rm(path, { force: true });
  }
}
