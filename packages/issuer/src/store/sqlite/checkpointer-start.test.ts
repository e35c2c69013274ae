// SqliteStore.open when the checkpoint thread cannot be made (new Worker throwing: out of memory,
// too many threads): the open is refused with ERR_STORE_UNAVAILABLE, and the connection it had
// opened is closed with it, not left holding the file (review-s5 S7).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { descriptorsOn } from '../../../test/support/descriptors.js';
import { SQLITE_FILE } from '../data-folder.js';
import { SQLITE_AUTOCHECKPOINT_FRAMES, writerAutocheckpoint } from './checkpointer.js';
import { SqliteStore } from './sqlite-store.js';

const control = vi.hoisted(() => ({ failStart: false }));

vi.mock('./checkpointer.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./checkpointer.js')>();
  class StartFailing extends actual.Checkpointer {
    constructor(file: string, options?: { atFrames?: number; pollMs?: number }) {
      if (control.failStart) throw new Error('the checkpoint thread could not be made (test)');
      super(file, options);
    }
  }
  return { ...actual, Checkpointer: StartFailing };
});

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'licensor-checkpointer-start-'));
  control.failStart = false;
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe.runIf(process.platform === 'linux')('a checkpoint thread that cannot be made', () => {
  it('refuses the open with ERR_STORE_UNAVAILABLE, closes the connection it opened, and changes nothing', async () => {
    const NOW = Date.UTC(2026, 5, 1);
    const IAT = NOW / 1000;
    const before = SqliteStore.open(dir);
    expect(await before.chains.admitNonce('inst', 'n', IAT, NOW + 600_000, NOW)).toBe(true);
    await before.close();
    const file = join(dir, SQLITE_FILE);
    expect(descriptorsOn(file)).toBe(0);

    control.failStart = true;
    expect(() => SqliteStore.open(dir)).toThrow(
      expect.objectContaining({
        code: 'ERR_STORE_UNAVAILABLE',
        message: expect.stringContaining('the checkpoint thread could not be made (test)'),
      }),
    );
    expect(descriptorsOn(file)).toBe(0);
    expect(writerAutocheckpoint(file)).toBe(SQLITE_AUTOCHECKPOINT_FRAMES);

    control.failStart = false;
    const after = SqliteStore.open(dir);
    // The nonce admitted before is still held: nothing was lost or written by the refused open.
    expect(await after.chains.admitNonce('inst', 'n', IAT, NOW + 600_000, NOW + 1)).toBe(false);
    await after.close();
    expect(descriptorsOn(file)).toBe(0);
  });
});
