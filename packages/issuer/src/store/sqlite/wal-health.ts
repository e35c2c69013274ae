// The SQLite store's `logHealth()`: the log file's size, the frames not yet copied into the
// database file (read from the wal-index header in -shm, as the checkpoint thread reads it:
// https://www.sqlite.org/walformat.html), and the checkpoint thread's counts. No SQL: it reads
// 136 bytes through the process's descriptor on -shm (ShmHold) and stats one file, so a scrape
// never waits for a lock or a writer.

import { readSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import type { SqliteLogHealth } from '../log-health.js';
import type { Checkpointer, ShmHold } from './checkpointer.js';

const HEADER_BYTES = 136;
const little = endianness() === 'LE';

/**
 * Frames in the log not yet copied (mxFrame at byte 16 of each of the header's two copies,
 * nBackfill at byte 96); null when the header is not readable whole or its copies differ (a
 * writer is changing it), or there is no -shm file.
 */
export function framesWaiting(shm: number | null): number | null {
  if (shm === null) return null;
  const header = Buffer.alloc(HEADER_BYTES);
  try {
    if (readSync(shm, header, 0, HEADER_BYTES, 0) < HEADER_BYTES) return null;
  } catch {
    return null;
  }
  if (header.compare(header, 0, 48, 48, 96) !== 0 || header[12] !== 1) return null;
  const u32 = (at: number) => (little ? header.readUInt32LE(at) : header.readUInt32BE(at));
  const frames = u32(16);
  const copied = u32(96);
  return frames > copied ? frames - copied : 0;
}

/** The health of the log of the database `file`; `shm` null once the store is closed. */
export function walHealth(
  file: string,
  shm: ShmHold | null,
  checkpointer: Checkpointer | null,
): SqliteLogHealth {
  const counts =
    checkpointer === null
      ? {
          checkpointThread: 'off' as const,
          checkpoints: 0,
          checkpointFailures: 0,
          lastFailure: null,
          threadDeaths: 0,
          lastThreadDeath: null,
        }
      : {
          checkpointThread: checkpointer.state,
          checkpoints: checkpointer.checkpoints,
          checkpointFailures: checkpointer.errors,
          lastFailure: checkpointer.lastFailure,
          threadDeaths: checkpointer.deaths,
          lastThreadDeath: checkpointer.lastDeath,
        };
  return {
    kind: 'sqlite',
    ...counts,
    walBytes: statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0,
    framesWaiting: shm === null ? null : framesWaiting(shm.descriptor()),
  };
}
