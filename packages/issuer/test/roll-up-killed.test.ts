// kill -9 in the middle of a roll-up of check records: a child process rolls up in small
// batches and is killed without warning just after one batch wrote its roll-ups; after a
// restart, every license's daily usage is what it was before (each check counted once, in a
// roll-up or as a raw record), and the next roll-up completes the job.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, expect, it } from 'vitest';
import type { CheckRecord } from '../src/records.js';
import { adapters, describeOn } from './support/adapters.js';
import { DAY_MS, T0 } from './support/fixtures.js';
import { PACKAGE_ROOT } from './support/run-cli.js';

const D0 = Math.floor(T0 / DAY_MS) * DAY_MS;
const LICENSES = 12;
const DAYS = 6;

function history(): CheckRecord[] {
  const records: CheckRecord[] = [];
  for (let d = 0; d < DAYS; d += 1) {
    for (let h = 0; h < 24; h += 2) {
      for (let l = 0; l < LICENSES; l += 1) {
        records.push({
          id: `chk_${d}_${h}_${l}`,
          at: D0 + d * DAY_MS + h * 3_600_000 + l,
          licenseId: `lic_${l}`,
          installationId: `inst_${l}`,
          sdkVersion: '1.0.0',
          credentialsInUse: (l * 7 + h * 3 + d) % 50,
          outcome: h === 4 ? 'EXPIRED' : 'VALID',
        });
      }
    }
  }
  return records;
}

/** Runs the roll-up until it wrote `batches` batches of roll-ups, then kills it. */
function rollUpThenKill(
  options: object,
  now: number,
  keepMs: number,
  batches: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        join(PACKAGE_ROOT, 'test', 'support', 'roll-up.mjs'),
        JSON.stringify(options),
        String(now),
        String(keepMs),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    let wrote = 0;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'WROTE' && ++wrote === batches) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`the roll-up ended on its own (code ${code}): ${stderr}`));
    });
  });
}

for (const adapter of adapters()) {
  describeOn(adapter, `kill -9 mid-roll-up on ${adapter.name}`, () => {
    afterEach(async () => {
      await adapter.cleanup();
    });

    it('counts every check once after a restart, and the next roll-up finishes the job', {
      timeout: 60_000,
    }, async () => {
      const handle = await adapter.create();
      const records = history();
      let store = await handle.open();
      await store.recordChecks(records);
      const licenses = Array.from({ length: LICENSES }, (_, l) => `lic_${l}`);
      const usage = async () =>
        Object.fromEntries(
          await Promise.all(licenses.map(async (id) => [id, await store.dailyUsage(id)])),
        );
      const before = await usage();
      await store.close();

      const now = D0 + DAYS * DAY_MS;
      await rollUpThenKill(handle.options, now, 2 * DAY_MS, 3);

      store = await handle.open();
      try {
        expect(await usage()).toEqual(before);
        const finished = await store.rollUpChecks({ now, keepMs: 2 * DAY_MS });
        expect(finished.done).toBe(true);
        expect(await usage()).toEqual(before);
        // Only the two days of the window are left raw: 12 checks a day per license.
        expect(await store.listChecks('lic_0', 10_000)).toHaveLength(2 * 12);
      } finally {
        await store.close();
      }
    });
  });
}
