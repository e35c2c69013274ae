// The issue path's group commit on its own thread (#15.5): commits that arrive together are one
// SQLite transaction on the writer's connection, each answered only once a sync of the log that
// began after its COMMIT returned; a challenge issued twice, in one group or in two groups in
// flight, gives one transaction and the same key, and a key read back is handed out only once it
// is on disk; a failed write of one commit refuses it alone and leaves nothing of it; a failed
// group commit, or a failed sync on either slot's descriptor, refuses every commit not yet
// answered with ERR_STORE_UNAVAILABLE, and the retry works (the same key where the transaction
// reached the file); a close writes and answers what is in flight; the audit chain the thread
// extends verifies; what an issue wrote is read back on the event loop as soon as it is answered.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { challengeHash, verifyChallenge } from '@licensor/token';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { descriptorsOn } from '../../../test/support/descriptors.js';
import { frozenClock, T0, TestInstallation } from '../../../test/support/fixtures.js';
import { openIssuer } from '../../domain/open-issuer.js';
import type { Issuer } from '../../facade.js';
import type { AuditEvent } from '../../records.js';
import { auditEntryLine, auditEntryLineParts, normaliseAuditEvent } from '../audit-chain.js';
import { SQLITE_FILE } from '../open-store.js';
import { START_BACKOFF_MAX_MS, START_BACKOFF_MS } from './group-writer.js';
import {
  GROUPS_IN_FLIGHT,
  type IssueWriter,
  type IssueWriterFaults,
  SEND_EVERY,
} from './issue-writer.js';
import { SqliteStore } from './sqlite-store.js';

const terms = { customerName: 'Writer Ltd', model: 'perpetual', credentials: 9 } as const;

let dir: string;
let opened: SqliteStore[];
let gates: Int32Array[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'licensor-issue-writer-'));
  opened = [];
  gates = [];
});
afterEach(async () => {
  // A close waits for the syncs in flight: a test that failed with its gate closed still ends.
  for (const gate of gates) Atomics.store(gate, 0, 1);
  for (const store of opened) await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function openWith(
  issueWriterFaults?: IssueWriterFaults,
  options: { checkpointThread?: boolean } = {},
): Promise<{ store: SqliteStore; issuer: Issuer }> {
  const store = SqliteStore.open(
    dir,
    issueWriterFaults ? { ...options, issueWriterFaults } : options,
  );
  opened.push(store);
  const issuer = await openIssuer({ store, now: frozenClock(T0).now, passphrase: '' });
  await issuer.init('alice');
  return { store, issuer };
}

function writerOf(store: SqliteStore): IssueWriter {
  return (store as unknown as { issues: IssueWriter }).issues;
}

interface Counts {
  transactions: number;
  licenses: number;
  customers: number;
  installations: number;
  audit: number;
  outbox: number;
}

/** Row counts as another connection sees them: what is committed, not what is pending. */
function counts(): Counts {
  const db = new Database(join(dir, SQLITE_FILE), { readonly: true });
  try {
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    return {
      transactions: count('SELECT count(*) AS n FROM transactions'),
      licenses: count('SELECT count(*) AS n FROM licenses'),
      customers: count('SELECT count(*) AS n FROM customers'),
      installations: count('SELECT count(*) AS n FROM installations'),
      audit: count('SELECT count(*) AS n FROM audit_events WHERE transaction_id IS NOT NULL'),
      outbox: count("SELECT count(*) AS n FROM webhook_outbox WHERE id LIKE 'msg\\_%' ESCAPE '\\'"),
    };
  } finally {
    db.close();
  }
}

/** `before` with `n` more transactions, licenses, installations, audit entries, outbox events. */
function added(before: Counts, n: number): Partial<Counts> {
  return {
    transactions: before.transactions + n,
    licenses: before.licenses + n,
    installations: before.installations + n,
    audit: before.audit + n,
    outbox: before.outbox + n,
  };
}

/** Resolves once another connection sees the transaction of this challenge (committed). */
async function committedElsewhere(challenge: string): Promise<void> {
  const key = `chal:${challengeHash(verifyChallenge(challenge).token)}`;
  for (;;) {
    const db = new Database(join(dir, SQLITE_FILE), { readonly: true });
    const row = db.prepare('SELECT 1 FROM transactions WHERE dedupe_key = ?').get(key);
    db.close();
    if (row !== undefined) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * A closed sync gate (WriterFaults.syncGate): no sync of the log starts until `open()`;
 * `held(n)` resolves once n syncs wait at it.
 */
function syncGate(): {
  syncGate: Int32Array;
  open: () => void;
  held: (n: number) => Promise<void>;
} {
  const gate = new Int32Array(new SharedArrayBuffer(8));
  gates.push(gate);
  return {
    syncGate: gate,
    open: () => {
      Atomics.store(gate, 0, 1);
    },
    held: async (n) => {
      while (Atomics.load(gate, 1) < n) await new Promise((resolve) => setTimeout(resolve, 2));
    },
  };
}

/** A promise, and whether it has settled yet. */
function tracked<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false;
  const done = () => {
    settled = true;
  };
  promise.then(done, done);
  return { promise, settled: () => settled };
}

async function expectUnavailable(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await expect(promise).rejects.toMatchObject({
    code: 'ERR_STORE_UNAVAILABLE',
    message: expect.stringMatching(message),
  });
}

describe('the SQLite issue writer', () => {
  it('writes the commits of a burst in groups on its thread, each with its records, audit entry and outbox event', async () => {
    const { store, issuer } = await openWith();
    const before = counts();
    const results = await Promise.all(
      Array.from({ length: 40 }, () =>
        issuer.issue(new TestInstallation().challenge(), terms, 'alice'),
      ),
    );
    expect(new Set(results.map((r) => r.token)).size).toBe(40);
    expect(results.every((r) => !r.replayed)).toBe(true);
    const writer = writerOf(store);
    expect(writer.commits).toBe(40);
    // A group goes once SEND_EVERY commits wait, the rest at the turn's end: more than one group
    // (the thread starts on the first while the event loop makes the rest), fewer than one each.
    expect(writer.groups).toBeGreaterThanOrEqual(Math.ceil(40 / SEND_EVERY));
    expect(writer.groups).toBeLessThan(40);
    expect(counts()).toMatchObject(added(before, 40));
    const status = await issuer.audit.verify();
    expect(status).toMatchObject({ ok: true, broken: null });
    expect(status.entries).toBeGreaterThanOrEqual(41);
  });

  it('answers a commit only once a sync that began after its COMMIT returned, and reads it back at once', async () => {
    const gate = syncGate();
    const { store, issuer } = await openWith({ syncGate: gate.syncGate });
    const challenge = new TestInstallation().challenge();
    const issued = tracked(issuer.issue(challenge, terms, 'alice'));
    await committedElsewhere(challenge);
    // Committed (another connection reads it), its sync held at the gate: not answered, however
    // long it waits (the 20 ms give a wrong early answer the time to arrive).
    await gate.held(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(issued.settled()).toBe(false);
    gate.open();
    const result = await issued.promise;
    // Read-your-writes on the event loop's connection, right after the answer.
    expect((await store.getLicense(result.license.id))?.latestTransactionId).toBe(
      result.transaction.id,
    );
    expect((await store.getTransaction(result.transaction.id))?.token).toBe(result.token);
    expect((await store.getCheckView(result.license.id))?.latestToken).toBe(result.token);
  });

  it("hands a key out through getTransaction, listTransactions, listLicenses and the issuer's getLicense only once its commit is on disk", async () => {
    const { store, issuer } = await openWith({ syncDelayMs: 150 });
    const challenge = new TestInstallation().challenge();
    const issued = tracked(issuer.issue(challenge, terms, 'alice'));
    await committedElsewhere(challenge);
    // Committed (visible to the event loop's connection too), not yet synced.
    const key = `chal:${challengeHash(verifyChallenge(challenge).token)}`;
    const reader = new Database(join(dir, SQLITE_FILE), { readonly: true });
    const { id, license_id: licenseId } = reader
      .prepare('SELECT id, license_id FROM transactions WHERE dedupe_key = ?')
      .get(key) as { id: string; license_id: string };
    reader.close();
    // Each read answers only after the issue was answered (after the sync that covers it):
    // whether the issue had settled is taken when each read settles, not when it is awaited.
    const readAfterIssue = <T>(read: Promise<T>) => {
      const after = read.then(() => issued.settled());
      return { promise: read, after };
    };
    const listed = readAfterIssue(store.listTransactions({}));
    const got = readAfterIssue(store.getTransaction(id));
    // The license's newest key (latestToken) is the same key.
    const license = readAfterIssue(issuer.getLicense(licenseId));
    const licenses = readAfterIssue(store.listLicenses({}));
    expect(await listed.after).toBe(true);
    expect(await got.after).toBe(true);
    expect(await license.after).toBe(true);
    expect(await licenses.after).toBe(true);
    const result = await issued.promise;
    expect((await got.promise)?.token).toBe(result.token);
    expect((await listed.promise).map((t) => t.token)).toContain(result.token);
    expect((await license.promise)?.license.latestToken).toBe(result.token);
    expect((await licenses.promise).map((l) => l.latestToken)).toContain(result.token);
  });

  it("reads transactions for their facts (factsOnly) without waiting for the disk, while the issuer's listTransactions still waits", async () => {
    const gate = syncGate();
    const { store, issuer } = await openWith({ syncGate: gate.syncGate });
    const challenge = new TestInstallation().challenge();
    const issued = tracked(issuer.issue(challenge, terms, 'alice'));
    await committedElsewhere(challenge);
    await gate.held(1);
    // Committed, its sync held at the gate: a key read back would not be on disk yet.
    const facts = await store.listTransactions({ factsOnly: true });
    expect(issued.settled()).toBe(false);
    expect(facts).toHaveLength(1);
    expect(facts[0]?.kind).toBe('issue');
    const keyed = tracked(store.listTransactions({}));
    // The facade hands keys out: it ignores factsOnly.
    const throughIssuer = tracked(issuer.listTransactions({ factsOnly: true }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(keyed.settled()).toBe(false);
    expect(throughIssuer.settled()).toBe(false);
    gate.open();
    const result = await issued.promise;
    expect((await keyed.promise).map((t) => t.token)).toEqual([result.token]);
    expect((await throughIssuer.promise).map((t) => t.token)).toEqual([result.token]);
  });
  it('gives one transaction and the same key to a challenge issued twice in one group', async () => {
    const { store, issuer } = await openWith();
    const before = counts();
    const challenge = new TestInstallation().challenge();
    const [first, second] = await Promise.all([
      issuer.issue(challenge, terms, 'alice'),
      issuer.issue(challenge, terms, 'alice'),
    ]);
    expect(writerOf(store).groups).toBe(1);
    expect(second.token).toBe(first.token);
    expect(second.transaction.id).toBe(first.transaction.id);
    expect([first.replayed, second.replayed].sort()).toEqual([false, true]);
    expect(counts().transactions).toBe(before.transactions + 1);
    expect(counts().audit).toBe(before.audit + 1);
  });

  it('hands a key back to the same challenge in a later group only once the first group is on disk', async () => {
    const gate = syncGate();
    const { store, issuer } = await openWith({ syncGate: gate.syncGate });
    const before = counts();
    const challenge = new TestInstallation().challenge();
    const first = tracked(issuer.issue(challenge, terms, 'alice'));
    await committedElsewhere(challenge);
    await gate.held(1);
    // The second reads the first's transaction (committed, its sync held) and waits for a sync.
    const second = tracked(issuer.issue(challenge, terms, 'alice'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(first.settled()).toBe(false);
    expect(second.settled()).toBe(false);
    gate.open();
    const [a, b] = await Promise.all([first.promise, second.promise]);
    expect(b.token).toBe(a.token);
    expect(b.replayed).toBe(true);
    expect(writerOf(store).groups).toBe(2);
    expect(counts().transactions).toBe(before.transactions + 1);
  });

  it('hands a key read back to a process with the thread off only after a sync of the log of its own', async () => {
    const gate = syncGate();
    const { issuer } = await openWith({ syncGate: gate.syncGate });
    // The other process: no issue thread (sqliteIssueThread: false); its syncs of the log are
    // held at the same gate, as the disk would hold them.
    const other = SqliteStore.open(dir, {
      issueThread: false,
      issueWriterFaults: { syncGate: gate.syncGate },
    });
    opened.push(other);
    const otherIssuer = await openIssuer({
      store: other,
      now: frozenClock(T0).now,
      passphrase: '',
    });
    const challenge = new TestInstallation().challenge();
    const first = tracked(issuer.issue(challenge, terms, 'alice'));
    await committedElsewhere(challenge);
    await gate.held(1);
    // It reads the first's transaction, committed with its sync held, and waits for its own.
    const second = tracked(otherIssuer.issue(challenge, terms, 'bob'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(first.settled()).toBe(false);
    expect(second.settled()).toBe(false);
    expect(Atomics.load(gate.syncGate, 1)).toBe(2);
    gate.open();
    const [a, b] = await Promise.all([first.promise, second.promise]);
    expect(b).toMatchObject({ token: a.token, replayed: true });
  });

  for (const step of ['transaction', 'license', 'audit', 'outbox']) {
    it(`refuses a commit whose write fails after its ${step}, keeps none of it and the rest of its group, and a retry works`, async () => {
      const { store, issuer } = await openWith({ failAfterStep: step });
      const before = counts();
      const failing = new TestInstallation().challenge();
      const others = [new TestInstallation().challenge(), new TestInstallation().challenge()];
      const [refused, ...kept] = await Promise.allSettled([
        issuer.issue(failing, terms, 'alice'),
        ...others.map((c) => issuer.issue(c, terms, 'alice')),
      ]);
      expect(writerOf(store).groups).toBe(1);
      expect(refused).toMatchObject({
        status: 'rejected',
        reason: { code: 'ERR_STORE_UNAVAILABLE', message: expect.stringMatching(/SQLITE_IOERR/) },
      });
      expect(kept.map((k) => k.status)).toEqual(['fulfilled', 'fulfilled']);
      expect(counts()).toMatchObject(added(before, 2));
      const retried = await issuer.issue(failing, terms, 'alice');
      expect(retried.replayed).toBe(false);
      expect(counts().transactions).toBe(before.transactions + 3);
      expect((await issuer.audit.verify()).ok).toBe(true);
    });
  }

  it('refuses every commit of a group whose transaction fails (SQLITE_FULL), writes none of it, and a retry works', async () => {
    // The first transaction on the thread is the first group: a single one, refused whole.
    const { issuer } = await openWith({ failGroupAt: 1 });
    const before = counts();
    const challenges = [new TestInstallation().challenge(), new TestInstallation().challenge()];
    const refused = await Promise.allSettled(
      challenges.map((c) => issuer.issue(c, terms, 'alice')),
    );
    for (const result of refused) {
      expect(result).toMatchObject({
        status: 'rejected',
        reason: { code: 'ERR_STORE_UNAVAILABLE', message: expect.stringMatching(/full/) },
      });
    }
    expect(counts()).toEqual(before);
    const retried = await Promise.all(challenges.map((c) => issuer.issue(c, terms, 'alice')));
    expect(retried.every((r) => !r.replayed)).toBe(true);
    expect(counts().transactions).toBe(before.transactions + 2);
  });

  it('refuses every commit of a group when one of them makes SQLite roll the whole transaction back (a real SQLITE_FULL), keeps none of them, and a retry is not a replay', async () => {
    // The second commit of the group runs out of space inside its savepoint.
    const { store, issuer } = await openWith({ fullAt: 2 });
    const before = counts();
    const challenges = Array.from({ length: 3 }, () => new TestInstallation().challenge());
    const refused = await Promise.allSettled(
      challenges.map((c) => issuer.issue(c, terms, 'alice')),
    );
    expect(writerOf(store).mostInFlight).toBe(1);
    for (const result of refused) {
      expect(result).toMatchObject({
        status: 'rejected',
        reason: {
          code: 'ERR_STORE_UNAVAILABLE',
          message: expect.stringMatching(/\(SQLITE_FULL\) database or disk is full/),
        },
      });
    }
    expect(counts()).toEqual(before);
    expect((await issuer.audit.verify()).ok).toBe(true);
    const retried = await Promise.all(challenges.map((c) => issuer.issue(c, terms, 'alice')));
    expect(retried.map((r) => r.replayed)).toEqual([false, false, false]);
    expect(counts()).toMatchObject(added(before, 3));
    expect((await issuer.audit.verify()).ok).toBe(true);
  });

  it('refuses the commit in flight when its sync fails (EIO), writes what gathered behind it once the log is checkpointed, and a retry gets the refused transaction back', async () => {
    // The first sync of the log fails, late enough that a second issue gathers behind it.
    const { store, issuer } = await openWith({ failSyncAt: 1, syncDelayMs: 60 });
    const first = new TestInstallation().challenge();
    const second = new TestInstallation().challenge();
    const refused = issuer.issue(first, terms, 'alice');
    await committedElsewhere(first);
    const behind = issuer.issue(second, terms, 'alice');
    await expectUnavailable(refused, /EIO/);
    expect((await behind).replayed).toBe(false);
    // One group in flight at a time (GROUPS_IN_FLIGHT): the second went after the first's answer.
    expect(writerOf(store).mostInFlight).toBe(GROUPS_IN_FLIGHT);
    // What the refused commit wrote reached the file (like an answer lost on the way): the same
    // challenge gets that transaction back, once a sync after the recovery returned; never a
    // second transaction for it.
    const again = await issuer.issue(first, terms, 'alice');
    expect(again.replayed).toBe(true);
    expect(
      (await store.listTransactions({})).filter((t) => t.licenseId === again.license.id),
    ).toHaveLength(1);
    expect((await store.listLicenses({})).length).toBe(2);
    expect((await issuer.audit.verify()).ok).toBe(true);
  });

  it('refuses with the cause SQLite gave when its thread fails at start, writes nothing, and the next issue after the start backoff starts a new thread', async () => {
    const { store, issuer } = await openWith();
    let now = T0;
    writerOf(store).clock = () => now;
    const before = counts();
    // A statement the thread prepares at its start no longer prepares.
    const other = new Database(join(dir, SQLITE_FILE));
    other.exec('ALTER TABLE webhook_outbox RENAME TO webhook_outbox_away');
    const challenge = new TestInstallation().challenge();
    await expectUnavailable(
      issuer.issue(challenge, terms, 'alice'),
      /SQLITE_ERROR\) no such table: webhook_outbox/,
    );
    other.exec('ALTER TABLE webhook_outbox_away RENAME TO webhook_outbox');
    other.close();
    expect(counts()).toEqual(before);
    now += START_BACKOFF_MS;
    const retried = await issuer.issue(challenge, terms, 'alice');
    expect(retried.replayed).toBe(false);
    expect(counts()).toMatchObject(added(before, 1));
    expect((await issuer.audit.verify()).ok).toBe(true);
  });

  it('writes and answers the commits in flight when closed, and the store holds them after a reopen', async () => {
    // Transactions made on another store, committed here: the close comes while they are in flight.
    const { issuer } = await openWith();
    const made = await Promise.all(
      Array.from({ length: 6 }, () =>
        issuer.issue(new TestInstallation().challenge(), terms, 'alice'),
      ),
    );
    const otherDir = mkdtempSync(join(tmpdir(), 'licensor-issue-writer-close-'));
    try {
      const store = SqliteStore.open(otherDir, { issueWriterFaults: { syncDelayMs: 80 } });
      const committing = made.map((r) => store.commitTransaction(r.transaction));
      await new Promise((resolve) => setImmediate(resolve));
      await store.close();
      expect(await Promise.all(committing)).toEqual(made.map(() => ({ status: 'committed' })));
      await expect(store.commitTransaction(made[0]!.transaction)).rejects.toMatchObject({
        code: 'ERR_STORE_UNAVAILABLE',
      });
      const reopened = SqliteStore.open(otherDir);
      for (const result of made) {
        expect((await reopened.getTransaction(result.transaction.id))?.token).toBe(result.token);
      }
      await reopened.close();
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });
});

describe("the event loop's group commit (no writer thread)", () => {
  it('refuses every commit of a group when one of them makes SQLite roll the whole transaction back (a real SQLITE_FULL), keeps none of them, and a retry is not a replay', async () => {
    let store: SqliteStore | null = null;
    let seen = 0;
    // The second commit of the group runs out of space inside its savepoint, after its row.
    const fillUp = () => {
      const db = (store as unknown as { db: Database.Database }).db;
      const max = db.pragma('max_page_count', { simple: true });
      db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
      try {
        db.prepare('INSERT INTO injected_full VALUES (zeroblob(1000000))').run();
      } finally {
        db.pragma(`max_page_count = ${max}`);
      }
    };
    let armed = false;
    store = SqliteStore.open(dir, {
      onWriteStep: (step) => {
        if (armed && step === 'transaction' && ++seen === 2) fillUp();
      },
    });
    opened.push(store);
    (store as unknown as { db: Database.Database }).db.exec('CREATE TABLE injected_full (b BLOB)');
    const issuer = await openIssuer({ store, now: frozenClock(T0).now, passphrase: '' });
    await issuer.init('alice');
    const before = counts();
    armed = true;
    const challenges = Array.from({ length: 3 }, () => new TestInstallation().challenge());
    const refused = await Promise.allSettled(
      challenges.map((c) => issuer.issue(c, terms, 'alice')),
    );
    for (const result of refused) {
      expect(result).toMatchObject({
        status: 'rejected',
        reason: {
          code: 'ERR_STORE_UNAVAILABLE',
          message: expect.stringMatching(/SQLITE_FULL\): database or disk is full/),
        },
      });
    }
    expect(counts()).toEqual(before);
    expect((await issuer.audit.verify()).ok).toBe(true);
    const retried = await Promise.all(challenges.map((c) => issuer.issue(c, terms, 'alice')));
    expect(retried.map((r) => r.replayed)).toEqual([false, false, false]);
    expect(counts()).toMatchObject(added(before, 3));
  });
});

describe('an audit entry chained on the writer thread', () => {
  it('has the line auditEntryLine gives, whatever its details hold', () => {
    const base = {
      id: 'evt_1',
      at: T0,
      actor: 'alice',
      action: 'license.issue',
      subjectId: 'lic_1',
      transactionId: 'txn_1',
    };
    const tricky = [
      {},
      { note: '"prev":null,"seq":0' },
      { nested: { prev: null, seq: 0 }, 'z"': '\u2028"prev":null,"seq":0}' },
      { kind: 'issue', terms: { credentials: 3 }, undefinedMember: undefined },
      // Members out of order at every depth, a number-like key, a date, an array: what the
      // line sorts and what the stored JSON keeps as given.
      { z: 1, a: { y: [3, { d: 1, c: null }], b: 'é\n' }, 10: true, at: new Date(T0) },
    ];
    // The members the line is cut around: subject and transaction absent (null), and an event
    // whose members are not all strings (the general way).
    const shapes = [
      base,
      { ...base, subjectId: null, transactionId: null },
      { ...base, subjectId: undefined, transactionId: 'txn_"quoted"' },
      { ...base, at: Number.NaN },
      { ...base, actor: undefined },
    ] as unknown as Omit<AuditEvent, 'details'>[];
    for (const shape of shapes) {
      for (const details of tricky) {
        for (const [seq, prev] of [
          [1, null],
          [42, 'h'.repeat(43)],
        ] as const) {
          const event = { ...shape, details };
          const { event: stored, detailsJson, before, after } = auditEntryLineParts(event);
          const line = `${before}"prev":${JSON.stringify(prev)},"seq":${seq}${after}`;
          expect(line).toBe(auditEntryLine({ ...stored, seq, prev }));
          expect(stored).toEqual(normaliseAuditEvent(event));
          expect(detailsJson).toBe(JSON.stringify(stored.details));
        }
      }
    }
  });
});

describe('a writer thread that dies', () => {
  /** Descriptors this process holds on the store's file, its log and its shared memory. */
  const descriptors = (): number => descriptorsOn(join(dir, SQLITE_FILE));

  it.runIf(process.platform === 'linux')(
    'refuses what it had in flight with the cause, and leaves no descriptor behind however many die',
    async () => {
      // Every thread dies after its first transaction, before that transaction's sync. Without
      // the checkpoint thread, whose own descriptors (its connection's, opened as it starts and
      // first checkpoints) are not what is counted here.
      const { store, issuer } = await openWith({ dieAt: 1 }, { checkpointThread: false });
      // A thread that dies before its first answer counts as one that failed to start: the
      // clock is moved past each start backoff, so that every issue starts a thread.
      let now = T0;
      writerOf(store).clock = () => now;
      const idle = descriptors();
      const after: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        const refused = await issuer
          .issue(new TestInstallation().challenge(), terms, 'alice')
          .catch((error) => error);
        expect(refused).toMatchObject({
          code: 'ERR_STORE_UNAVAILABLE',
          message: expect.stringContaining('the issue writer thread died (injected)'),
        });
        // The thread is torn down after its error is reported: wait for that (5 s at most).
        const deadline = Date.now() + 5_000;
        while (descriptors() > idle + 1 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        after.push(descriptors());
        now += START_BACKOFF_MAX_MS;
      }
      expect(writerOf(store).starts).toBe(3);
      // Each thread held its connection (file, log, shared memory) and a descriptor on the log
      // per sync slot. Node closes the slots' (trackUnmanagedFds) and the driver the connection;
      // SQLite keeps the file's descriptor open while this process's other connection holds
      // locks on it (closing it would drop them) and hands it to the next connection it opens.
      expect(after.every((n) => n <= idle + 1)).toBe(true);
      expect(after).toEqual([after[0], after[0], after[0]]);
    },
  );
});

describe('a writer thread that cannot start', () => {
  it('is not started again for every group: the writes meanwhile are refused at once with its cause, and a thread is started again after a backoff that doubles, reset once one works', async () => {
    const failing = new Int32Array(new SharedArrayBuffer(4));
    const { store, issuer } = await openWith({ failStart: failing });
    const writer = writerOf(store);
    let now = T0;
    writer.clock = () => now;
    const before = counts();
    Atomics.store(failing, 0, 1);
    const attempt = () =>
      issuer.issue(new TestInstallation().challenge(), terms, 'alice').catch((error) => error);
    const refusedWith = (cause: RegExp) => ({
      code: 'ERR_STORE_UNAVAILABLE',
      message: expect.stringMatching(cause),
    });
    const starts = writer.starts;
    expect(await attempt()).toMatchObject(
      refusedWith(/SQLITE_CANTOPEN.*unable to open database file \(injected\)/),
    );
    expect(writer.starts).toBe(starts + 1);
    // Within the backoff: refused at once, with the cause, and no thread started.
    for (let i = 0; i < 5; i += 1) {
      now += START_BACKOFF_MS / 10;
      expect(await attempt()).toMatchObject(
        refusedWith(
          /\(SQLITE_CANTOPEN\) the issue writer failed to start 1 time\(s\) in a row \(unable to open database file \(injected\)\); the next start is tried in \d+ ms/,
        ),
      );
    }
    expect(writer.starts).toBe(starts + 1);
    // After it: one more start, which fails too; the next backoff is twice as long.
    now += START_BACKOFF_MS;
    expect(await attempt()).toMatchObject(refusedWith(/unable to open database file/));
    expect(writer.starts).toBe(starts + 2);
    now += START_BACKOFF_MS;
    expect(await attempt()).toMatchObject(refusedWith(/failed to start 2 time\(s\) in a row/));
    expect(writer.starts).toBe(starts + 2);
    expect(counts()).toEqual(before);
    // The cause gone and the backoff over: the next issue starts a thread and is answered, and a
    // later failure to start backs off from the first step again.
    Atomics.store(failing, 0, 0);
    now += 2 * START_BACKOFF_MS;
    const issued = await issuer.issue(new TestInstallation().challenge(), terms, 'alice');
    expect(issued.replayed).toBe(false);
    expect(writer.starts).toBe(starts + 3);
    expect(counts()).toMatchObject(added(before, 1));
  });

  it('backs off on a monotonic clock by default, and a clock gone back an hour during the backoff does not hold the writes off', async () => {
    const failing = new Int32Array(new SharedArrayBuffer(4));
    const { store, issuer } = await openWith({ failStart: failing });
    const writer = writerOf(store);
    // The default clock is performance.now's (ms since the process started), not Date.now's.
    expect(Math.abs(writer.clock() - performance.now())).toBeLessThan(1_000);
    let now = T0;
    writer.clock = () => now;
    const before = counts();
    Atomics.store(failing, 0, 1);
    const starts = writer.starts;
    await expectUnavailable(
      issuer.issue(new TestInstallation().challenge(), terms, 'alice'),
      /unable to open database file \(injected\)/,
    );
    expect(writer.starts).toBe(starts + 1);
    // Within the backoff, a write is refused at once, no thread started, nothing written.
    await expectUnavailable(
      issuer.issue(new TestInstallation().challenge(), terms, 'alice'),
      /failed to start 1 time\(s\) in a row/,
    );
    expect(writer.starts).toBe(starts + 1);
    expect(counts()).toEqual(before);
    // The clock goes back an hour and the cause is gone: the next issue starts a thread at once
    // and is answered (it was refused for the hour on the wall clock before).
    now -= 3_600_000;
    Atomics.store(failing, 0, 0);
    const issued = await issuer.issue(new TestInstallation().challenge(), terms, 'alice');
    expect(issued.replayed).toBe(false);
    expect(writer.starts).toBe(starts + 2);
    expect(counts()).toMatchObject(added(before, 1));
  });
});
