import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SQLITE_FILE } from './data-folder.js';
import {
  type LogHealth,
  logHealthMetrics,
  type SqliteLogHealth,
  watchLogHealth,
} from './log-health.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

const T0 = Date.UTC(2026, 11, 1, 3, 0, 0);

function healthy(patch: Partial<SqliteLogHealth> = {}): SqliteLogHealth {
  return {
    kind: 'sqlite',
    checkpointThread: 'running',
    checkpoints: 0,
    checkpointFailures: 0,
    lastFailure: null,
    threadDeaths: 0,
    lastThreadDeath: null,
    walBytes: 4_096_000,
    framesWaiting: 12,
    ...patch,
  };
}

/** A pino-shaped logger that keeps its lines. */
function lines() {
  const logged: { level: 'warn' | 'info'; fields: Record<string, unknown>; message: string }[] = [];
  return {
    logged,
    logger: {
      warn: (fields: object, message: string) =>
        logged.push({ level: 'warn', fields: fields as Record<string, unknown>, message }),
      info: (fields: object, message: string) =>
        logged.push({ level: 'info', fields: fields as Record<string, unknown>, message }),
    },
  };
}

const full = { code: 'SQLITE_FULL', message: 'database or disk is full' };

describe('the log-health watch (warn log)', () => {
  it('logs the first failed checkpoint of a run at once, with its cause and what to do, and no line for looks that find nothing new', () => {
    let clock = T0;
    let health: LogHealth = healthy({ checkpoints: 3 });
    const { logged, logger } = lines();
    const watch = watchLogHealth(() => health, logger, { now: () => clock, everyMs: 3_600_000 });
    watch.check();
    expect(logged).toEqual([]);
    health = healthy({
      checkpoints: 3,
      checkpointFailures: 1,
      lastFailure: { ...full, at: clock },
    });
    watch.check();
    watch.check();
    clock += 5_000;
    watch.check();
    watch.stop();
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      level: 'warn',
      fields: {
        event: 'store_checkpoint_failed',
        code: 'SQLITE_FULL',
        cause: 'database or disk is full',
        failures: 1,
        failuresTotal: 1,
        walBytes: 4_096_000,
        framesWaiting: 12,
      },
    });
    expect(logged[0]!.message).toMatch(/SQLITE_FULL: database or disk is full/);
    expect(logged[0]!.message).toMatch(/free disk space/);
    expect(logged[0]!.message).toMatch(/I\/O errors/);
  });

  it('counts the failures of a run that goes on into one line a minute, logs a new cause at once, and says when checkpoints succeed again', () => {
    let clock = T0;
    let failures = 1;
    let cause = full;
    let checkpoints = 3;
    const now = () =>
      healthy({ checkpoints, checkpointFailures: failures, lastFailure: { ...cause, at: clock } });
    const { logged, logger } = lines();
    const watch = watchLogHealth(now, logger, { now: () => clock, everyMs: 3_600_000 });
    watch.check();
    // A failure a second for 59 s: no line.
    for (let second = 1; second < 60; second += 1) {
      clock += 1_000;
      failures += 1;
      watch.check();
    }
    expect(logged).toHaveLength(1);
    clock += 1_000;
    failures += 1;
    watch.check();
    expect(logged).toHaveLength(2);
    expect(logged[1]!.fields).toMatchObject({ failures: 60, failuresTotal: 61 });
    // Another cause: at once.
    clock += 1_000;
    failures += 1;
    cause = { code: 'SQLITE_IOERR_WRITE', message: 'disk I/O error' };
    watch.check();
    expect(logged).toHaveLength(3);
    expect(logged[2]!.fields).toMatchObject({ code: 'SQLITE_IOERR_WRITE', failures: 1 });
    clock += 1_000;
    failures += 2;
    watch.check();
    // A checkpoint succeeds: one line, counting the two failures no line had counted.
    clock += 1_000;
    checkpoints += 1;
    watch.check();
    watch.check();
    watch.stop();
    expect(logged).toHaveLength(4);
    expect(logged[3]).toMatchObject({
      level: 'info',
      fields: { event: 'store_checkpoint_recovered', failures: 2 },
    });
    // Every failure is in exactly one line.
    const counted = logged.reduce((sum, line) => sum + Number(line.fields.failures), 0);
    expect(counted).toBe(failures);
  });

  it('waits for the cause of a failure the thread has counted but not yet sent', () => {
    let health: LogHealth = healthy({ checkpointFailures: 1 });
    const { logged, logger } = lines();
    const watch = watchLogHealth(() => health, logger, { everyMs: 3_600_000 });
    watch.check();
    expect(logged).toEqual([]);
    health = healthy({ checkpointFailures: 1, lastFailure: { ...full, at: T0 } });
    watch.check();
    watch.stop();
    expect(logged).toHaveLength(1);
    expect(logged[0]!.fields).toMatchObject({ failures: 1 });
  });

  it('logs each stop of the checkpoint thread once, with its cause', () => {
    let health: LogHealth = healthy();
    const { logged, logger } = lines();
    const watch = watchLogHealth(() => health, logger, { everyMs: 3_600_000 });
    watch.check();
    const death = { code: 'ERR_WORKER_OUT_OF_MEMORY', message: 'out of memory', at: T0 };
    health = healthy({ checkpointThread: 'restarting', threadDeaths: 1, lastThreadDeath: death });
    watch.check();
    health = healthy({ threadDeaths: 1, lastThreadDeath: death });
    watch.check();
    watch.stop();
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      level: 'warn',
      fields: { event: 'store_checkpoint_thread_died', code: 'ERR_WORKER_OUT_OF_MEMORY' },
    });
    expect(logged[0]!.message).toMatch(/started again/);
  });

  it('reads a store with nothing to watch (MongoDB) once and stops', () => {
    const read = vi.fn((): LogHealth => ({ kind: 'server-managed' }));
    const { logged, logger } = lines();
    vi.useFakeTimers();
    try {
      watchLogHealth(read, logger, { everyMs: 1_000 });
      vi.advanceTimersByTime(5_000);
    } finally {
      vi.useRealTimers();
    }
    expect(read).toHaveBeenCalledTimes(1);
    expect(logged).toEqual([]);
  });
});

describe('the log-health series', () => {
  it('are none on MongoDB, the log size alone without the thread, and all of them with it', () => {
    expect(logHealthMetrics({ kind: 'server-managed' })).toEqual([]);
    const off = logHealthMetrics(healthy({ checkpointThread: 'off' })).map((m) => m.name);
    expect(off).toEqual(['licensor_store_wal_bytes', 'licensor_store_wal_frames_waiting']);
    const on = logHealthMetrics(healthy());
    expect(on.map((m) => m.name)).toContain('licensor_store_checkpoint_failures_total');
    expect(on.map((m) => m.name)).toContain('licensor_store_checkpoint_thread_up');
    const values = Object.fromEntries(
      on.map((m) => [
        m.name,
        m.read(
          healthy({
            checkpointThread: 'restarting',
            checkpointFailures: 4,
            lastFailure: { ...full, at: T0 },
          }),
        ),
      ]),
    );
    expect(values).toMatchObject({
      licensor_store_checkpoint_failures_total: 4,
      licensor_store_checkpoint_thread_up: 0,
      licensor_store_checkpoint_last_failure_timestamp_seconds: T0 / 1000,
      licensor_store_wal_bytes: 4_096_000,
    });
  });
});

describe('the watch on a real store', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('logs a failed checkpoint of a SQLite store once while it keeps failing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'licensor-log-health-'));
    dirs.push(dir);
    const store = SqliteStore.open(dir, {
      checkpointer: {
        atFrames: 5,
        faults: { failCheckpoints: { code: 'SQLITE_IOERR_WRITE', message: 'disk I/O error' } },
      },
    });
    const writer = new Database(join(dir, SQLITE_FILE));
    try {
      writer.exec('CREATE TABLE filler (page BLOB)');
      const insert = writer.prepare('INSERT INTO filler (page) VALUES (randomblob(3900))');
      for (let i = 0; i < 20; i += 1) insert.run();
      const { logged, logger } = lines();
      const watch = watchLogHealth(() => store.logHealth(), logger, { everyMs: 20 });
      try {
        await vi.waitFor(() => expect(logged).toHaveLength(1), { timeout: 5_000, interval: 10 });
        // The thread tries again each second: a second failure, no second line within the minute.
        const failures = () => (store.logHealth() as SqliteLogHealth).checkpointFailures;
        await vi.waitFor(() => expect(failures()).toBeGreaterThanOrEqual(2), {
          timeout: 5_000,
          interval: 50,
        });
        await new Promise((resolve) => setTimeout(resolve, 100));
      } finally {
        watch.stop();
      }
      expect(logged).toHaveLength(1);
      expect(logged[0]!.fields).toMatchObject({
        event: 'store_checkpoint_failed',
        code: 'SQLITE_IOERR_WRITE',
      });
    } finally {
      writer.close();
      await store.close();
    }
  });
});
