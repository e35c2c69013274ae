// The check path's group commit on SQLite (#15.5): nonces (and batches of check records) that
// arrive together are written as one transaction by the writer's thread, each answer given once
// a sync of the log that began after the group's commit returned; the next group is written
// while the previous one's sync runs; a nonce twice in one group, or in two overlapping groups,
// is admitted once; a nonce held is refused by another handle on the file and after the store
// is reopened; a writer that cannot write refuses with a typed error and writes nothing, and
// recovers once it can; a failed sync (of the log, on either slot's descriptor, or of the
// database's directory, synced once before the first answer) refuses every group not yet
// answered, and nothing more is written until the log is checkpointed whole.

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CheckRecord } from '../../records.js';
import { SQLITE_FILE } from '../open-store.js';
import { START_BACKOFF_MS } from './group-writer.js';
import {
  MAX_SYNCS,
  NONCE_PURGE_BATCH,
  NONCE_PURGE_EVERY,
  NonceWriter,
  type WriterFaults,
} from './nonce-writer.js';
import { SqliteStore } from './sqlite-store.js';
import { IDLE_BACK_OFF } from './sync-pipeline.js';

const NOW = Date.UTC(2026, 5, 1);
const HELD = NOW + 600_000;
/** The checks' signed iat (s): the nonce key's first column. */
const IAT = NOW / 1000;

let dir: string;
let opened: { close(): Promise<void> }[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'licensor-nonces-'));
  opened = [];
});
afterEach(async () => {
  for (const handle of opened) await handle.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(checkWriterFaults?: WriterFaults): SqliteStore {
  const store = SqliteStore.open(dir, checkWriterFaults ? { checkWriterFaults } : {});
  opened.push(store);
  return store;
}

/** The nonce rows as a separate connection sees them (what is committed, not what is pending). */
function storedNonces(): { key: string; expires_at: number }[] {
  const db = new Database(join(dir, SQLITE_FILE), { readonly: true });
  try {
    return db
      .prepare(
        "SELECT installation_id || '.' || nonce AS key, expires_at FROM check_nonces ORDER BY key",
      )
      .all() as {
      key: string;
      expires_at: number;
    }[];
  } finally {
    db.close();
  }
}

/** Every one of these admissions refused as the store unavailable, for the injected EIO. */
async function expectRefusedForEio(admissions: Promise<boolean>[]): Promise<void> {
  for (const refused of await Promise.allSettled(admissions)) {
    expect(refused.status).toBe('rejected');
    expect((refused as PromiseRejectedResult).reason).toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
      message: expect.stringContaining('EIO'),
    });
  }
}

/** An admission, and whether it has been answered yet. */
function tracked(admission: Promise<boolean>): {
  admission: Promise<boolean>;
  answered: () => boolean;
} {
  let answered = false;
  return {
    admission: admission.then((admitted) => {
      answered = true;
      return admitted;
    }),
    answered: () => answered,
  };
}

function writerOf(store: SqliteStore): NonceWriter {
  return (store as unknown as { nonces: NonceWriter }).nonces;
}

describe('the SQLite nonce writer', () => {
  it('writes the nonces of one turn as one group, and refuses a nonce twice in that group', async () => {
    const store = open();
    const answers = await Promise.all([
      store.chains.admitNonce('inst', 'a', IAT, HELD, NOW),
      store.chains.admitNonce('inst', 'b', IAT, HELD, NOW),
      store.chains.admitNonce('inst', 'a', IAT, HELD, NOW),
      store.chains.admitNonce('other', 'a', IAT, HELD, NOW),
    ]);
    expect(answers).toEqual([true, true, false, true]);
    expect(writerOf(store).groups).toBe(1);
    expect(writerOf(store).written).toBe(4);
    // Committed when answered: another connection reads them; the refused one changed nothing.
    expect(storedNonces()).toEqual([
      { key: 'inst.a', expires_at: HELD },
      { key: 'inst.b', expires_at: HELD },
      { key: 'other.a', expires_at: HELD },
    ]);
  });

  it('writes the group of the next turn while the first one is syncing; a nonce of the first is refused in it', async () => {
    // Each sync starts 100 ms late: the first group is committed and still syncing when the
    // second one comes.
    const store = open({ syncDelayMs: 100 });
    const first = store.chains.admitNonce('inst', 'a', IAT, HELD, NOW);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [
      store.chains.admitNonce('inst', 'b', IAT, HELD, NOW),
      store.chains.admitNonce('inst', 'a', IAT, HELD, NOW),
    ];
    expect(await first).toBe(true);
    expect(await Promise.all(later)).toEqual([true, false]);
    expect(writerOf(store).groups).toBe(2);
    expect(writerOf(store).mostInFlight).toBe(2);
    expect(storedNonces().map((row) => row.key)).toEqual(['inst.a', 'inst.b']);
  });

  it('answers a group only once a sync of the log that began after its commit returned', async () => {
    const store = open({ syncDelayMs: 400 });
    const { admission, answered } = tracked(store.chains.admitNonce('inst', 'a', IAT, HELD, NOW));
    // Committed (another connection reads it) and not answered: its sync has not run yet.
    await vi.waitFor(() => expect(storedNonces()).toHaveLength(1), { timeout: 5_000 });
    expect(answered()).toBe(false);
    expect(await admission).toBe(true);
  });

  it('refuses every group not yet answered when a sync fails, and writes nothing more until the log is checkpointed whole', async () => {
    // The first sync fails (EIO) 50 ms after the first group's commit; the second group is
    // committed meanwhile, and its own sync succeeds: it is refused all the same.
    const store = open({ failSyncAt: 1, syncDelayMs: 50 });
    const wal = `${join(dir, SQLITE_FILE)}-wal`;
    const first = store.chains.admitNonce('inst', 'a', IAT, HELD, NOW);
    await new Promise((resolve) => setImmediate(resolve));
    const second = store.chains.admitNonce('inst', 'b', IAT, HELD, NOW);
    await expectRefusedForEio([first, second]);
    expect(writerOf(store).written).toBe(0);
    // Their rows may survive, as a check whose answer was lost on the way: a replay of either
    // is refused, never admitted twice.
    const walBefore = statSync(wal).size;
    expect(await store.chains.admitNonce('inst', 'a', IAT, HELD, NOW)).toBe(false);
    expect(await store.chains.admitNonce('inst', 'c', IAT, HELD, NOW)).toBe(true);
    // The next group was written after a TRUNCATE checkpoint: the log holds that group alone.
    expect(statSync(wal).size).toBeLessThan(walBefore);
    expect(storedNonces().map((row) => row.key)).toEqual(['inst.a', 'inst.b', 'inst.c']);
  });

  it.each([
    ['the first slot', 0, [300, 600]],
    ['the second slot', 1, [600, 300]],
  ])(
    'refuses every group not yet answered when a sync on %s fails first, though the other slot syncs',
    async (_, slot, slotDelayMs) => {
      // Each slot syncs on a descriptor of its own (a write-back error is reported to each); the
      // slot that fails returns first, the other one's sync succeeds after and answers nothing.
      const store = open({ failSyncOnSlot: slot, slotDelayMs });
      const first = store.chains.admitNonce('inst', 'a', IAT, HELD, NOW);
      // The second group is committed after the first (a transaction of its own, on the other
      // slot).
      await vi.waitFor(() => expect(storedNonces()).toHaveLength(1), { timeout: 5_000 });
      const second = store.chains.admitNonce('inst', 'b', IAT, HELD, NOW);
      await expectRefusedForEio([first, second]);
      expect(writerOf(store).written).toBe(0);
      // After the checkpoint, with its descriptors opened anew, the writer answers again.
      expect(await store.chains.admitNonce('inst', 'b', IAT, HELD, NOW)).toBe(false);
      expect(await store.chains.admitNonce('inst', 'c', IAT, HELD, NOW)).toBe(true);
      expect(storedNonces().map((row) => row.key)).toEqual(['inst.a', 'inst.b', 'inst.c']);
    },
  );

  it('answers the first group only once the database directory is synced, after the log is opened', async () => {
    const dirSyncs = new Int32Array(new SharedArrayBuffer(4));
    const store = open({ dirSyncDelayMs: 400, dirSyncs });
    const { admission, answered } = tracked(store.chains.admitNonce('inst', 'a', IAT, HELD, NOW));
    // Committed, and its log sync (not delayed) long returned: the directory's sync holds it.
    await vi.waitFor(() => expect(storedNonces()).toHaveLength(1), { timeout: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    // Not answered while the directory's sync has not returned; on a machine too slow for it to
    // be still held here, the count at the answer shows the same.
    if (dirSyncs[0] === 0) expect(answered()).toBe(false);
    expect(await admission).toBe(true);
    expect(dirSyncs[0]).toBe(1);
    // Once: the next groups wait for their log sync alone, and the directory is not synced again
    // (closing the store waits for a sync of it in flight).
    expect(await store.chains.admitNonce('inst', 'b', IAT, HELD, NOW)).toBe(true);
    expect(await store.chains.admitNonce('inst', 'c', IAT, HELD, NOW)).toBe(true);
    await store.close();
    expect(dirSyncs[0]).toBe(1);
  });

  it('refuses the groups not yet answered when the directory sync fails, as a failed log sync does', async () => {
    const store = open({ failDirSyncAt: 1 });
    await expect(store.chains.admitNonce('inst', 'a', IAT, HELD, NOW)).rejects.toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
      message: expect.stringContaining('fsync of the directory: EIO'),
    });
    expect(writerOf(store).written).toBe(0);
    // The row may survive (refused as a replay); after the checkpoint the directory is synced
    // again and the next group is answered.
    expect(await store.chains.admitNonce('inst', 'a', IAT, HELD, NOW)).toBe(false);
    expect(await store.chains.admitNonce('inst', 'c', IAT, HELD, NOW)).toBe(true);
  });

  describe('the idle path: the thread syncs a group itself when nothing else is in flight', () => {
    /**
     * A sync gate (open) and the counts of syncs by path, as WriterFaults takes them; no sync
     * counts as slow (a loaded disk must not send groups the pipelined way here).
     */
    function gateAndCounts(): { syncGate: Int32Array; syncCounts: Int32Array; idleSlowMs: number } {
      const syncGate = new Int32Array(new SharedArrayBuffer(8));
      Atomics.store(syncGate, 0, 1);
      return { syncGate, syncCounts: new Int32Array(new SharedArrayBuffer(8)), idleSlowMs: 60_000 };
    }
    const shut = (gate: Int32Array) => Atomics.store(gate, 0, 0);
    const open_ = (gate: Int32Array) => {
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
    };
    const syncs = (counts: Int32Array) => ({ idle: counts[0], pipelined: counts[1] });

    it('answers a group alone only after its sync, made on the idle path', async () => {
      const faults = gateAndCounts();
      const store = open(faults);
      // The first group takes the pipelined path: the directory is synced once before any answer.
      expect(await store.chains.admitNonce('inst', 'a', IAT, HELD, NOW)).toBe(true);
      expect(syncs(faults.syncCounts)).toEqual({ idle: 0, pipelined: 1 });
      shut(faults.syncGate);
      const { admission, answered } = tracked(store.chains.admitNonce('inst', 'b', IAT, HELD, NOW));
      // Committed (another connection reads it), held at the gate before its sync: not answered.
      await vi.waitFor(() => expect(Atomics.load(faults.syncGate, 1)).toBe(1), { timeout: 5_000 });
      expect(storedNonces().map((row) => row.key)).toEqual(['inst.a', 'inst.b']);
      // The thread is parked at the gate (Atomics.wait): nothing to wait for before looking.
      expect(answered()).toBe(false);
      open_(faults.syncGate);
      expect(await admission).toBe(true);
      expect(syncs(faults.syncCounts)).toEqual({ idle: 1, pipelined: 1 });
      // A replay of either is refused on the idle path too.
      expect(await store.chains.admitNonce('inst', 'b', IAT, HELD, NOW)).toBe(false);
      expect(syncs(faults.syncCounts)).toEqual({ idle: 2, pipelined: 1 });
    });

    it('hands over to the pipelined path when a group waits once one is committed, and back when idle', async () => {
      const faults = gateAndCounts();
      const store = open(faults);
      expect(await store.chains.admitNonce('inst', 'a', IAT, HELD, NOW)).toBe(true);
      shut(faults.syncGate);
      const first = store.chains.admitNonce('inst', 'b', IAT, HELD, NOW);
      await vi.waitFor(() => expect(Atomics.load(faults.syncGate, 1)).toBe(1), { timeout: 5_000 });
      // A second group is sent while the first waits to be synced (two may be in flight): it
      // waits on the thread's port, and a replay of the first group's nonce rides in it.
      const second = [
        store.chains.admitNonce('inst', 'c', IAT, HELD, NOW),
        store.chains.admitNonce('inst', 'b', IAT, HELD, NOW),
      ];
      await vi.waitFor(() => expect(writerOf(store).mostInFlight).toBe(2), { timeout: 5_000 });
      open_(faults.syncGate);
      expect(await first).toBe(true);
      expect(await Promise.all(second)).toEqual([true, false]);
      // Both synced on the pipelined path: the second group was committed beside the first's sync.
      // (A sync is counted when it returns, and the second group's may return first and answer
      // both: the first one's is waited for.)
      await vi.waitFor(() => expect(syncs(faults.syncCounts)).toEqual({ idle: 0, pipelined: 3 }), {
        timeout: 5_000,
      });
      expect(writerOf(store).groups).toBe(3);
      // Nothing in flight again: the next group takes the idle path.
      expect(await store.chains.admitNonce('inst', 'd', IAT, HELD, NOW)).toBe(true);
      expect(syncs(faults.syncCounts)).toEqual({ idle: 1, pipelined: 3 });
      expect(storedNonces().map((row) => row.key)).toEqual([
        'inst.a',
        'inst.b',
        'inst.c',
        'inst.d',
      ]);
    });

    it('sends the next 32 groups the pipelined way after a slow sync on the idle path', async () => {
      const { syncCounts } = gateAndCounts();
      // Every idle-path sync counts as slow.
      const store = open({ syncCounts, idleSlowMs: 0 });
      expect(await store.chains.admitNonce('inst', 'a', IAT, HELD, NOW)).toBe(true);
      expect(await store.chains.admitNonce('inst', 'b', IAT, HELD, NOW)).toBe(true);
      expect(syncs(syncCounts)).toEqual({ idle: 1, pipelined: 1 });
      for (let i = 0; i < IDLE_BACK_OFF; i++) {
        expect(await store.chains.admitNonce('inst', `n${i}`, IAT, HELD, NOW)).toBe(true);
      }
      expect(syncs(syncCounts)).toEqual({ idle: 1, pipelined: 1 + IDLE_BACK_OFF });
      expect(await store.chains.admitNonce('inst', 'b', IAT, HELD, NOW)).toBe(false);
      expect(syncs(syncCounts)).toEqual({ idle: 2, pipelined: 1 + IDLE_BACK_OFF });
    });

    it('refuses the group when its sync on the idle path fails (EIO), and writes nothing more until the log is checkpointed whole', async () => {
      const { syncCounts, idleSlowMs } = gateAndCounts();
      // The second sync fails: the first group's (pipelined) succeeds, the second group's is the
      // idle path's.
      const store = open({ failSyncAt: 2, syncCounts, idleSlowMs });
      const wal = `${join(dir, SQLITE_FILE)}-wal`;
      expect(await store.chains.admitNonce('inst', 'a', IAT, HELD, NOW)).toBe(true);
      await expectRefusedForEio([store.chains.admitNonce('inst', 'b', IAT, HELD, NOW)]);
      expect(syncs(syncCounts)).toEqual({ idle: 1, pipelined: 1 });
      expect(writerOf(store).written).toBe(1);
      // Its row may survive (a replay is refused, never admitted twice); the next group is
      // written after a TRUNCATE checkpoint, and synced on the pipelined path (the directory
      // again first), then the idle path again.
      const walBefore = statSync(wal).size;
      expect(await store.chains.admitNonce('inst', 'b', IAT, HELD, NOW)).toBe(false);
      expect(statSync(wal).size).toBeLessThan(walBefore);
      expect(await store.chains.admitNonce('inst', 'c', IAT, HELD, NOW)).toBe(true);
      expect(syncs(syncCounts)).toEqual({ idle: 2, pipelined: 2 });
      expect(storedNonces().map((row) => row.key)).toEqual(['inst.a', 'inst.b', 'inst.c']);
    });

    it('refuses the group whose sync fails at the hand-over (EIO); the group waiting behind it is written after the checkpoint', async () => {
      const faults = gateAndCounts();
      const store = open({ ...faults, failSyncAt: 2 });
      expect(await store.chains.admitNonce('inst', 'a', IAT, HELD, NOW)).toBe(true);
      shut(faults.syncGate);
      const first = store.chains.admitNonce('inst', 'b', IAT, HELD, NOW);
      await vi.waitFor(() => expect(Atomics.load(faults.syncGate, 1)).toBe(1), { timeout: 5_000 });
      const second = store.chains.admitNonce('inst', 'c', IAT, HELD, NOW);
      await vi.waitFor(() => expect(writerOf(store).mostInFlight).toBe(2), { timeout: 5_000 });
      open_(faults.syncGate);
      await expectRefusedForEio([first]);
      expect(await second).toBe(true);
      expect(syncs(faults.syncCounts)).toEqual({ idle: 0, pipelined: 3 });
      expect(writerOf(store).written).toBe(2);
      expect(await store.chains.admitNonce('inst', 'b', IAT, HELD, NOW)).toBe(false);
      expect(storedNonces().map((row) => row.key)).toEqual(['inst.a', 'inst.b', 'inst.c']);
    });
  });

  it('opens its descriptors on the log before the first group is written, and anew after a failed sync before the next group is written', async () => {
    const logOpens = new Int32Array(new SharedArrayBuffer(8));
    // The second sync fails while the third (the next group's, on the other slot) is in flight.
    const store = open({ logOpens, failSyncAt: 2, syncDelayMs: 30 });
    expect(await store.chains.admitNonce('inst', 'a', IAT, HELD, NOW)).toBe(true);
    // One per slot, at the thread's start: none opened after a page it is to cover.
    expect([logOpens[0], logOpens[1]]).toEqual([MAX_SYNCS, 0]);
    const first = store.chains.admitNonce('inst', 'b', IAT, HELD, NOW);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = store.chains.admitNonce('inst', 'c', IAT, HELD, NOW);
    await expectRefusedForEio([first, second]);
    expect(logOpens[0]).toBe(MAX_SYNCS);
    // After the checkpoint, every slot's descriptor anew (the one still syncing too), before
    // the group is written.
    expect(await store.chains.admitNonce('inst', 'd', IAT, HELD, NOW)).toBe(true);
    expect([logOpens[0], logOpens[1]]).toEqual([2 * MAX_SYNCS, 0]);
    expect(await store.chains.admitNonce('inst', 'e', IAT, HELD, NOW)).toBe(true);
    expect([logOpens[0], logOpens[1]]).toEqual([2 * MAX_SYNCS, 0]);
    expect(storedNonces().map((row) => row.key)).toContain('inst.e');
  });

  it('closes the descriptor a still-syncing slot was given at a recovery when a second failure comes before that sync returns', async () => {
    const logOpens = new Int32Array(new SharedArrayBuffer(12));
    // Slot 0's syncs take 300 ms, slot 1's none; the third and fourth syncs (both on slot 1) fail
    // while the second (slot 0) is still in flight.
    const store = open({ logOpens, failSyncAt: [3, 4], slotDelayMs: [300, 0] });
    // The thread started and its first sync (slot 0) done.
    expect(await store.chains.admitNonce('inst', 'warm', IAT, HELD, NOW)).toBe(true);
    const first = store.chains.admitNonce('inst', 'a', IAT, HELD, NOW);
    // The second group must be sent after the first (its sync on slot 0 holds 300 ms).
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = store.chains.admitNonce('inst', 'b', IAT, HELD, NOW);
    await expectRefusedForEio([first, second]);
    // The first recovery gives slot 0 a new descriptor while its sync is in flight; this group's
    // sync (slot 1) fails too, before that sync returns.
    await expectRefusedForEio([store.chains.admitNonce('inst', 'c', IAT, HELD, NOW)]);
    expect(await store.chains.admitNonce('inst', 'd', IAT, HELD, NOW)).toBe(true);
    // Once slot 0's old sync has returned, exactly one descriptor per slot is open on the log.
    expect(logOpens[0]).toBe(3 * MAX_SYNCS);
    await vi.waitFor(() => expect(logOpens[0]! - logOpens[2]!).toBe(MAX_SYNCS), { timeout: 5_000 });
    expect(storedNonces().map((row) => row.key)).toContain('inst.d');
  });

  it('refuses a held nonce from another handle on the file and after the store is reopened', async () => {
    const first = open();
    const second = open();
    expect(await first.chains.admitNonce('inst', 'n', IAT, HELD, NOW)).toBe(true);
    expect(await second.chains.admitNonce('inst', 'n', IAT, HELD, NOW + 1)).toBe(false);
    await first.close();
    await second.close();

    const reopened = open();
    expect(await reopened.chains.admitNonce('inst', 'n', IAT, HELD, NOW + 2)).toBe(false);
    // Once it expired it is admitted again, and held anew.
    expect(await reopened.chains.admitNonce('inst', 'n', IAT, HELD + 600_000, HELD)).toBe(true);
    expect(storedNonces()).toEqual([{ key: 'inst.n', expires_at: HELD + 600_000 }]);
  });

  it('writes what was waiting when the store closes, and refuses admissions after', async () => {
    const store = open();
    const pending = store.chains.admitNonce('inst', 'n', IAT, HELD, NOW);
    await store.close();
    expect(await pending).toBe(true);
    expect(storedNonces()).toHaveLength(1);
    await expect(store.chains.admitNonce('inst', 'm', IAT, HELD, NOW)).rejects.toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
    });
    expect(storedNonces()).toHaveLength(1);
  });

  it('removes expired nonces once every NONCE_PURGE_EVERY admissions', async () => {
    const store = open();
    expect(await store.chains.admitNonce('inst', 'old', IAT, NOW, NOW - 1)).toBe(true);
    const later = NOW + 1;
    await Promise.all(
      Array.from({ length: NONCE_PURGE_EVERY - 2 }, (_, i) =>
        store.chains.admitNonce('inst', `n${i}`, IAT, HELD, later),
      ),
    );
    expect(storedNonces().some((row) => row.key === 'inst.old')).toBe(true);
    await store.chains.admitNonce('inst', 'last', IAT, HELD, later);
    expect(storedNonces().some((row) => row.key === 'inst.old')).toBe(false);
    expect(storedNonces()).toHaveLength(NONCE_PURGE_EVERY - 1);
  });

  it('removes a backlog of expired nonces a bounded batch at a time, oldest first, so one purge never holds the writer long', async () => {
    const store = open();
    expect(await store.chains.admitNonce('inst', 'first', IAT, HELD, NOW)).toBe(true);
    // A store the service restarts on after a busy day: far more expired nonces than one batch.
    const backlog = 2 * NONCE_PURGE_BATCH + NONCE_PURGE_BATCH / 2;
    const db = new Database(join(dir, SQLITE_FILE));
    const put = db.prepare(
      'INSERT INTO check_nonces (iat, installation_id, nonce, expires_at) VALUES (?, ?, ?, ?)',
    );
    db.transaction(() => {
      for (let i = 0; i < backlog; i++) put.run(IAT - 1_200, 'old', `${i}`, NOW - backlog + i);
    })();
    db.close();
    const expired = () => storedNonces().filter((row) => row.expires_at <= NOW + 1);
    const admitMany = (prefix: string) =>
      Promise.all(
        Array.from({ length: NONCE_PURGE_EVERY }, (_, i) =>
          store.chains.admitNonce('inst', `${prefix}${i}`, IAT, HELD, NOW + 1),
        ),
      );
    await admitMany('a');
    // One purge: twice what arrived since the last one, at least a batch, went, the oldest; the
    // rest and every held nonce stay. What arrived is 'first' and this group (66), or, when the
    // writer cut the group so that a purge came after exactly 32, NONCE_PURGE_BATCH (64).
    const left = expired();
    const purged = backlog - left.length;
    expect(purged).toBeGreaterThanOrEqual(NONCE_PURGE_BATCH);
    expect(purged).toBeLessThanOrEqual(Math.max(NONCE_PURGE_BATCH, 2 * (1 + NONCE_PURGE_EVERY)));
    expect(Math.min(...left.map((row) => row.expires_at))).toBe(NOW - backlog + purged);
    expect(storedNonces().some((row) => row.key === 'inst.first')).toBe(true);
    await admitMany('b');
    await admitMany('c');
    expect(expired()).toHaveLength(0);
    // A held nonce is still refused after the purges.
    expect(await store.chains.admitNonce('inst', 'first', IAT, HELD, NOW + 2)).toBe(false);
  });

  it('purges a store carrying expired nonces a few at a time: 64, the oldest, in its first 32 admissions', async () => {
    // Each nonce purged is on a page of its own (the keys are random): one purge of a thousand
    // made one group's commit ~900 pages long; 64 at a time keeps every commit short.
    const store = open();
    const backlog = 1_000;
    const db = new Database(join(dir, SQLITE_FILE));
    const put = db.prepare(
      'INSERT INTO check_nonces (iat, installation_id, nonce, expires_at) VALUES (?, ?, ?, ?)',
    );
    db.transaction(() => {
      for (let i = 0; i < backlog; i++) put.run(IAT - 1_200, 'old', `${i}`, NOW - backlog + i);
    })();
    db.close();
    for (let i = 0; i < 32; i++) {
      expect(await store.chains.admitNonce('inst', `n${i}`, IAT, HELD, NOW)).toBe(true);
    }
    const expired = storedNonces().filter((row) => row.expires_at <= NOW);
    expect(expired).toHaveLength(backlog - 64);
    expect(Math.min(...expired.map((row) => row.expires_at))).toBe(NOW - backlog + 64);
    expect(storedNonces().filter((row) => row.key.startsWith('inst.'))).toHaveLength(32);
  });

  it('removes expired nonces at least as fast as they arrive when a write group holds more than a purge batch', async () => {
    // 100 connections make groups of up to 100 admissions: a purge of a fixed 64 per group let
    // expired nonces pile up by a third of the traffic (review of 1 Dec, M1).
    const store = open();
    const backlog = 2_000;
    const db = new Database(join(dir, SQLITE_FILE));
    const put = db.prepare(
      'INSERT INTO check_nonces (iat, installation_id, nonce, expires_at) VALUES (?, ?, ?, ?)',
    );
    db.transaction(() => {
      for (let i = 0; i < backlog; i++) put.run(IAT - 1_200, 'old', `${i}`, NOW - backlog + i);
    })();
    db.close();
    const groups = 5;
    const size = 100;
    for (let g = 0; g < groups; g++) {
      // One turn's worth: the writer takes them as one group (or a few).
      const admitted = await Promise.all(
        Array.from({ length: size }, (_, i) =>
          store.chains.admitNonce('inst', `g${g}.${i}`, IAT, HELD, NOW),
        ),
      );
      expect(admitted.every(Boolean)).toBe(true);
    }
    const removed = backlog - storedNonces().filter((row) => row.expires_at <= NOW).length;
    // At most one purge's worth of arrivals (fewer than NONCE_PURGE_EVERY) may wait for the next.
    expect(removed).toBeGreaterThanOrEqual(groups * size - NONCE_PURGE_EVERY);
    // Oldest first, and every nonce admitted is held.
    const left = storedNonces().filter((row) => row.expires_at <= NOW);
    expect(Math.min(...left.map((row) => row.expires_at))).toBe(NOW - backlog + removed);
    expect(storedNonces().filter((row) => row.key.startsWith('inst.'))).toHaveLength(groups * size);
  });

  it('refuses with ERR_STORE_UNAVAILABLE when it cannot write, writes nothing, and recovers', async () => {
    const writer = new NonceWriter(join(dir, SQLITE_FILE));
    opened.push(writer);
    let now = NOW;
    writer.clock = () => now;
    // No store file yet: the writer's thread cannot open it.
    await expect(writer.admit(IAT, 'inst', 'n', HELD, NOW)).rejects.toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
      message: expect.stringContaining('the check nonce could not be written'),
    });
    const store = open();
    expect(storedNonces()).toEqual([]);
    // The file is there now: the next admission after the start backoff starts a new thread and
    // is written.
    now += START_BACKOFF_MS;
    expect(await writer.admit(IAT, 'inst', 'n', HELD, NOW)).toBe(true);
    expect(await store.chains.admitNonce('inst', 'n', IAT, HELD, NOW)).toBe(false);
  });

  it('refuses the whole group with ERR_STORE_UNAVAILABLE when its transaction fails, and keeps none of it', async () => {
    const store = open();
    expect(await store.chains.admitNonce('inst', 'before', IAT, HELD, NOW)).toBe(true);
    // A row whose nonce the statement cannot bind (a nonce must be text): SQLite refuses the
    // statement, and the transaction of the group rolls back.
    const writer = writerOf(store);
    const group = [
      writer.admit(IAT, 'inst', 'x', HELD, NOW),
      writer.admit(IAT, 'inst', { not: 'text' } as unknown as string, HELD, NOW),
    ];
    const settled = await Promise.allSettled(group);
    expect(settled.map((x) => x.status)).toEqual(['rejected', 'rejected']);
    expect((settled[0] as PromiseRejectedResult).reason).toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
    });
    expect(storedNonces().map((row) => row.key)).toEqual(['inst.before']);
    // The next group is written as usual.
    expect(await store.chains.admitNonce('inst', 'x', IAT, HELD, NOW)).toBe(true);
  });

  it('moves a chain head by compare-and-set in the group: of two moves over one version, one wins', async () => {
    const store = open();
    const head = (version: number, value: string) => ({
      installationId: 'inst',
      licenseId: 'lic_x',
      head: value,
      issued: [],
      last: null,
      openForkId: null,
      version,
      updatedAt: NOW,
    });
    // Two first heads, and a nonce, in one group: the first insert wins.
    expect(
      await Promise.all([
        store.chains.putChainHead(head(1, 'a'), null),
        store.chains.admitNonce('inst', 'n', IAT, HELD, NOW),
        store.chains.putChainHead(head(1, 'b'), null),
      ]),
    ).toEqual([true, true, false]);
    expect(writerOf(store).groups).toBe(1);
    // Two moves over version 1 in one group: the second reads a stale version and changes nothing.
    expect(
      await Promise.all([
        store.chains.putChainHead(head(2, 'c'), 1),
        store.chains.putChainHead(head(2, 'd'), 1),
      ]),
    ).toEqual([true, false]);
    expect(await store.chains.getChainHead('inst')).toMatchObject({ version: 2, head: 'c' });
    await store.close();
    await expect(store.chains.putChainHead(head(3, 'e'), 2)).rejects.toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
    });
  });

  it('writes a batch of check records in the group of the nonces, on the same fsync', async () => {
    const store = open();
    const [a, , b] = await Promise.all([
      store.chains.admitNonce('inst', 'a', IAT, HELD, NOW),
      store.recordChecks([checkRecord('chk_1'), checkRecord('chk_2')]),
      store.chains.admitNonce('inst', 'b', IAT, HELD, NOW),
    ]);
    expect([a, b]).toEqual([true, true]);
    expect(writerOf(store).groups).toBe(1);
    expect(writerOf(store).batches).toBe(1);
    expect(storedChecks()).toEqual(['chk_1', 'chk_2']);
    // A record written again (a retried batch) is left as it is.
    await store.recordChecks([checkRecord('chk_2'), checkRecord('chk_3')]);
    expect(storedChecks()).toEqual(['chk_1', 'chk_2', 'chk_3']);
  });

  it('refuses a failing batch of check records alone (ERR_STORE_UNAVAILABLE, none of it kept), not the nonces beside it', async () => {
    const store = open();
    const broken = {
      ...checkRecord('chk_bad'),
      outcome: { not: 'text' },
    } as unknown as CheckRecord;
    const [nonce, batch, other] = await Promise.allSettled([
      store.chains.admitNonce('inst', 'a', IAT, HELD, NOW),
      store.recordChecks([checkRecord('chk_good'), broken]),
      store.recordChecks([checkRecord('chk_other')]),
    ]);
    expect(nonce).toEqual({ status: 'fulfilled', value: true });
    expect(batch.status).toBe('rejected');
    expect((batch as PromiseRejectedResult).reason).toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
      message: expect.stringContaining('the check records could not be written'),
    });
    expect(other.status).toBe('fulfilled');
    expect(writerOf(store).groups).toBe(1);
    expect(storedChecks()).toEqual(['chk_other']);
    expect(storedNonces().map((row) => row.key)).toEqual(['inst.a']);
  });
});

function checkRecord(id: string): CheckRecord {
  return {
    id,
    at: NOW,
    licenseId: 'lic_x',
    installationId: 'inst',
    sdkVersion: '0.2.0',
    credentialsInUse: 3,
    outcome: 'VALID',
  };
}

/** The ids of the check records another connection reads. */
function storedChecks(): string[] {
  const db = new Database(join(dir, SQLITE_FILE), { readonly: true });
  try {
    return (db.prepare('SELECT id FROM checks ORDER BY id').all() as { id: string }[]).map(
      (row) => row.id,
    );
  } finally {
    db.close();
  }
}
