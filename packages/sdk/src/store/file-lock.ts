// A lock file that keeps two processes (two CLI runs, a CMS cluster) from changing one state
// directory at the same time, which would lose one of the changes. The lock holds the owner's
// pid; a lock whose owner is gone (crashed) is broken, one that is held too long is an error.

import { randomBytes } from 'node:crypto';
import { link, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { type SdkError, StateLockedError } from '../errors.js';
import { fileError } from './file-error.js';

export interface LockOptions {
  /** How long to wait for another process to finish (ms). */
  timeoutMs: number;
  retryMs: number;
  /** What a holder does, for the message when the wait runs out ("changing the license state"). */
  activity?: string;
}

/** Why the lock could not be had in time: who holds it, and what to do (never: delete a live one). */
function lockedMessage(path: string, text: string | null, activity: string): string {
  let owner: { pid?: unknown; host?: unknown; at?: unknown } = {};
  try {
    owner = JSON.parse(text ?? '') as typeof owner;
  } catch {
    // Unreadable: said below without a holder.
  }
  const pid = typeof owner.pid === 'number' ? owner.pid : null;
  const host = typeof owner.host === 'string' ? owner.host : null;
  const since =
    typeof owner.at === 'number' && owner.at > 0
      ? ` for ${Math.max(0, Math.round((Date.now() - owner.at) / 1000))} s`
      : '';
  if (pid !== null && host === hostname()) {
    // ownerIsGone found it alive: it is released when that process ends, and must not be deleted.
    return `Another process is ${activity}: process ${pid} on this machine has held ${path}${since}. Try again when it has finished; the lock goes away by itself when that process ends (do not delete it while process ${pid} runs).`;
  }
  if (pid !== null && host !== null) {
    return `Another process is ${activity}: process ${pid} on host ${host} has held ${path}${since}. Try again when it has finished. Only if process ${pid} no longer runs on ${host} (a process of another machine cannot be checked from here), delete ${path}.`;
  }
  return `Another process is ${activity} (${path} is held). Try again when it has finished.`;
}

function ownerIsGone(text: string): boolean {
  try {
    const owner = JSON.parse(text) as { pid?: unknown; host?: unknown };
    if (owner.host !== hostname() || typeof owner.pid !== 'number') return false;
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    // ESRCH: no such process. A lock is published whole (link), so one that does not parse was
    // not written by this code: it is not a live lock either.
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ESRCH' || code === undefined;
  }
}

/** Publishes the lock with its content in one step (link), so nobody reads a half-written one. */
async function tryAcquire(path: string): Promise<boolean> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}`;
  try {
    await writeFile(tmp, JSON.stringify({ pid: process.pid, host: hostname(), at: Date.now() }), {
      mode: 0o600,
    });
    await link(tmp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw lockError(path, error);
    return false;
  } finally {
    await rm(tmp, { force: true }).catch(() => undefined);
  }
}

function lockError(path: string, error: unknown): SdkError {
  return fileError(path, 'take the lock', error) as SdkError;
}

/** A guard held for an instant; one older than this was left by a crash. */
const GUARD_STALE_MS = 10_000;

/**
 * Removes a lock whose owner is gone. Two processes can find the same dead lock; the guard makes
 * them take turns, and each removes the lock only if it is still the dead one it saw, so neither
 * removes the fresh lock the other just took.
 */
async function breakStaleLock(path: string, seen: string): Promise<void> {
  const guard = `${path}.break`;
  if (!(await tryAcquire(guard))) {
    const since = await stat(guard).then(
      (info) => Date.now() - info.mtimeMs,
      () => 0,
    );
    if (since > GUARD_STALE_MS) await rm(guard, { force: true });
    return;
  }
  try {
    const current = await readFile(path, 'utf8').catch(() => null);
    if (current === seen) await rm(path, { force: true });
  } finally {
    await rm(guard, { force: true });
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
      await breakStaleLock(path, text);
      continue;
    }
    if (Date.now() > deadline) {
      throw new StateLockedError(
        lockedMessage(path, text, options.activity ?? 'changing the license state'),
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
