import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckRecord } from '../records.js';
import { startCheckRetention } from './check-retention.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 10, 12);

const check = (id: string, at: number): CheckRecord => ({
  id,
  at,
  licenseId: 'lic_a',
  installationId: 'inst',
  sdkVersion: '1.0.0',
  credentialsInUse: 3,
  outcome: 'VALID',
});

describe('the check retention job', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('rolls up what is older than the window on start and on demand, and stops', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'licensor-retention-'));
    dirs.push(dir);
    const store = SqliteStore.open(dir);
    await store.recordChecks([check('chk_old', NOW - 40 * DAY), check('chk_new', NOW - DAY)]);
    const job = startCheckRetention({ store, keepDays: 30, now: () => NOW });
    const result = await job.runOnce();
    await job.stop();
    expect(result.done).toBe(true);
    expect((await store.listChecks('lic_a')).map((c) => c.id)).toEqual(['chk_new']);
    expect((await store.dailyUsage('lic_a')).map((d) => d.checks)).toEqual([1, 1]);
    await store.close();
  });

  it('refuses a window under one day, before touching the store', () => {
    let touched = false;
    const store = {
      rollUpChecks: async () => {
        touched = true;
        return { rolledUp: 0, batches: 0, done: true };
      },
    };
    expect(() => startCheckRetention({ store, keepDays: 0 })).toThrow(RangeError);
    expect(touched).toBe(false);
  });
});
