import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { withFileLock } from './file-lock.js';

describe('withFileLock', () => {
  it('lets one holder at a time in, also when several waiters find a dead lock at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'licensor-lock-'));
    const path = join(dir, 'state.lock');
    writeFileSync(path, JSON.stringify({ pid: 2 ** 22 + 4321, host: hostname(), at: 0 }));
    let holders = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        withFileLock(path, { timeoutMs: 5000, retryMs: 1 }, async () => {
          holders += 1;
          most = Math.max(most, holders);
          await sleep(5);
          holders -= 1;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('releases the lock when the work throws', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'licensor-lock-'));
    const path = join(dir, 'state.lock');
    await expect(
      withFileLock(path, { timeoutMs: 100, retryMs: 1 }, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(readdirSync(dir)).toEqual([]);
  });
});
