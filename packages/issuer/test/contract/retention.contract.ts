// Contract: bounded growth of the check records (raw records older than the window rolled up per
// license per UTC day, then dropped; the audit log never), daily usage, and the bulk load.

import { afterEach, beforeEach, expect, it } from 'vitest';
import { openIssuer } from '../../src/domain/open-issuer.js';
import type { Issuer } from '../../src/facade.js';
import type { ApprovalRequest, CheckRecord, Transaction } from '../../src/records.js';
import type { LicensorStore } from '../../src/store/ports.js';
import type { Adapter } from '../support/adapters.js';
import { DAY_MS, frozenClock, T0, TestInstallation } from '../support/fixtures.js';
import { openedIssuer } from '../support/opened-issuer.js';
import { expectWhole } from './crash.contract.js';

const HOUR = 3_600_000;
/** Midnight UTC of T0's day. */
const D0 = Math.floor(T0 / DAY_MS) * DAY_MS;
const dayName = (at: number) => new Date(at).toISOString().slice(0, 10);
const KEEP_30_DAYS = 30 * DAY_MS;

let counter = 0;
function check(
  licenseId: string,
  at: number,
  used: number,
  outcome: CheckRecord['outcome'] = 'VALID',
): CheckRecord {
  counter += 1;
  return {
    id: `chk_${String(counter).padStart(22, '0')}`,
    at,
    licenseId,
    installationId: 'inst_a',
    sdkVersion: '1.0.0',
    credentialsInUse: used,
    outcome,
  };
}

/** Checks of two licenses over `days` days, every 6 hours, usage rising through each day. */
function history(days: number): CheckRecord[] {
  const records: CheckRecord[] = [];
  for (let d = 0; d < days; d += 1) {
    for (let h = 0; h < 24; h += 6) {
      const at = D0 + d * DAY_MS + h * HOUR + 1_000;
      records.push(check('lic_a', at, 10 + h, h === 18 && d % 2 === 0 ? 'EXPIRED' : 'VALID'));
      records.push(check('lic_b', at + 7, 100 - h));
    }
  }
  return records;
}

export function retentionContract(adapter: Adapter): void {
  let store: LicensorStore;

  beforeEach(async () => {
    store = await (await adapter.create()).open();
  });
  afterEach(async () => {
    await store.close();
    await adapter.cleanup();
  });

  it('gives daily usage per UTC day: count, outcomes, lowest, highest and last usage', async () => {
    await store.recordChecks(history(3));
    const usage = await store.dailyUsage('lic_a');
    expect(usage.map((u) => u.day)).toEqual([
      dayName(D0),
      dayName(D0 + DAY_MS),
      dayName(D0 + 2 * DAY_MS),
    ]);
    expect(usage[0]).toEqual({
      day: dayName(D0),
      checks: 4,
      outcomes: { VALID: 3, EXPIRED: 1 },
      usageMin: 10,
      usageMax: 28,
      usageLast: 28,
      lastAt: D0 + 18 * HOUR + 1_000,
    });
    expect(usage[1]!.outcomes).toEqual({ VALID: 4 });
    expect(
      (
        await store.dailyUsage('lic_a', { from: dayName(D0 + DAY_MS), to: dayName(D0 + DAY_MS) })
      ).map((u) => u.day),
    ).toEqual([dayName(D0 + DAY_MS)]);
    expect(await store.dailyUsage('lic_nothere')).toEqual([]);
  });

  it('rolls up and drops raw records of days before the window, keeps the window, and usage reads the same', async () => {
    await store.recordChecks(history(40));
    const before = await store.dailyUsage('lic_a');
    const beforeB = await store.dailyUsage('lic_b');
    const now = D0 + 40 * DAY_MS;
    const result = await store.rollUpChecks({ keepMs: KEEP_30_DAYS, now, batchSize: 7 });
    // Days 0..9 are before the window (it starts at day 10): 10 days x 4 checks x 2 licenses.
    expect(result).toMatchObject({ rolledUp: 80, done: true });
    expect(await store.dailyUsage('lic_a')).toEqual(before);
    expect(await store.dailyUsage('lic_b')).toEqual(beforeB);
    const raw = await store.listChecks('lic_a', 10_000);
    expect(raw).toHaveLength(30 * 4);
    expect(Math.min(...raw.map((c) => c.at))).toBeGreaterThanOrEqual(D0 + 10 * DAY_MS);
    // Nothing left to do: a second run changes nothing.
    expect(await store.rollUpChecks({ keepMs: KEEP_30_DAYS, now })).toMatchObject({
      rolledUp: 0,
      done: true,
    });
    expect(await store.dailyUsage('lic_a')).toEqual(before);
  });

  it('works in small batches: a run limited to one batch leaves the rest for the next', async () => {
    await store.recordChecks(history(5));
    const before = await store.dailyUsage('lic_b');
    const options = { keepMs: DAY_MS, now: D0 + 5 * DAY_MS, batchSize: 3 };
    const first = await store.rollUpChecks({ ...options, maxBatches: 1 });
    expect(first).toMatchObject({ batches: 1, done: false });
    expect(first.rolledUp).toBeGreaterThanOrEqual(3);
    expect(await store.dailyUsage('lic_b')).toEqual(before);
    const rest = await store.rollUpChecks(options);
    expect(rest.done).toBe(true);
    expect(first.rolledUp + rest.rolledUp).toBe(4 * 4 * 2);
    expect(await store.dailyUsage('lic_b')).toEqual(before);
  });

  it('counts every check once when a roll-up dies after writing roll-ups, before dropping raw records', async () => {
    await store.recordChecks(history(6));
    const before = await store.dailyUsage('lic_a');
    const options = { keepMs: DAY_MS, now: D0 + 6 * DAY_MS, batchSize: 5 };
    let batches = 0;
    await expect(
      store.rollUpChecks({
        ...options,
        afterRollUpWrite: () => {
          batches += 1;
          if (batches === 2) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    expect(await store.dailyUsage('lic_a')).toEqual(before);
    await store.rollUpChecks(options);
    expect(await store.dailyUsage('lic_a')).toEqual(before);
    expect(await store.listChecks('lic_a', 10_000)).toHaveLength(4);
  });

  it('never drops audit events', async () => {
    const clock = frozenClock(T0);
    const issuer: Issuer = await openIssuer({ store, now: clock.now, passphrase: '' });
    await issuer.init('alice');
    await issuer.issue(
      new TestInstallation().challenge(),
      { customerName: 'Acme', model: 'perpetual', credentials: 5 },
      'alice',
    );
    const events = await store.listAuditEvents({ limit: 1000 });
    await store.recordChecks(history(3));
    await store.rollUpChecks({ keepMs: 0, now: D0 + 400 * DAY_MS });
    expect(await store.listAuditEvents({ limit: 1000 })).toEqual(events);
    expect(await store.listChecks('lic_a')).toEqual([]);
  });

  it('gives the last check from the raw records, and from the roll-ups once they are dropped', async () => {
    expect(await store.lastCheck('lic_a')).toBeNull();
    // lic_a's last check of day 1 (18:00, even days only are EXPIRED) is VALID; day 2's EXPIRED.
    await store.recordChecks(history(3));
    const newest = { at: D0 + 2 * DAY_MS + 18 * HOUR + 1_000, outcome: 'EXPIRED' };
    expect(await store.lastCheck('lic_a')).toEqual({
      ...newest,
      credentialsInUse: 28,
      source: 'raw',
    });
    // A year later every raw record is rolled up and dropped: the last check is still known.
    await store.rollUpChecks({ keepMs: 30 * DAY_MS, now: D0 + 365 * DAY_MS });
    expect(await store.listChecks('lic_a')).toEqual([]);
    expect(await store.lastCheck('lic_a')).toEqual({
      ...newest,
      credentialsInUse: 28,
      source: 'roll-up',
    });
    expect(await store.lastCheck('lic_b')).toMatchObject({
      at: D0 + 2 * DAY_MS + 18 * HOUR + 1_007,
      outcome: 'VALID',
      credentialsInUse: 82,
      source: 'roll-up',
    });
    // A new check after the roll-up is the last one again.
    await store.recordChecks([check('lic_a', D0 + 365 * DAY_MS, 7, 'SUSPENDED')]);
    expect(await store.lastCheck('lic_a')).toEqual({
      at: D0 + 365 * DAY_MS,
      outcome: 'SUSPENDED',
      credentialsInUse: 7,
      source: 'raw',
    });
  });

  it("keeps a day's last outcome when a later batch adds to its roll-up", async () => {
    // Day 0 rolled up in two batches: the second holds the day's last check (EXPIRED at 18:00).
    await store.recordChecks(history(1));
    await store.rollUpChecks({ keepMs: 0, now: D0 + 2 * DAY_MS, batchSize: 3 });
    expect(await store.lastCheck('lic_a')).toEqual({
      at: D0 + 18 * HOUR + 1_000,
      outcome: 'EXPIRED',
      credentialsInUse: 28,
      source: 'roll-up',
    });
  });

  it('shows the last check on the license after its raw records are dropped (issuer)', async () => {
    const clock = frozenClock(T0);
    const issuer: Issuer = await openIssuer({ store, now: clock.now, passphrase: '' });
    await issuer.init('alice');
    const { license } = await issuer.issue(
      new TestInstallation().challenge(),
      { customerName: 'Acme', model: 'perpetual', credentials: 5 },
      'alice',
    );
    await store.recordChecks([check(license.id, T0 + HOUR, 4)]);
    await store.rollUpChecks({ keepMs: 0, now: T0 + 2 * DAY_MS });
    const detail = await issuer.getLicense(license.id);
    expect(detail?.lastCheck).toEqual({
      at: T0 + HOUR,
      outcome: 'VALID',
      credentialsInUse: 4,
      source: 'roll-up',
    });
  });

  it("moves the installation's Last seen with its online checks, never back (#16.15)", async () => {
    const clock = frozenClock(T0);
    const issuer: Issuer = await openIssuer({ store, now: clock.now, passphrase: '' });
    await issuer.init('alice');
    const { license } = await issuer.issue(
      new TestInstallation().challenge(),
      { customerName: 'Acme', model: 'subscription', credentials: 5 },
      'alice',
    );
    const issued = (await issuer.getLicense(license.id))!.installation!.lastSeenAt;
    expect(issued).toBe(T0);
    // A check recorded before the key was issued (it cannot be this installation's) moves nothing.
    await store.recordChecks([check(license.id, T0 - HOUR, 1)]);
    expect((await issuer.getLicense(license.id))!.installation!.lastSeenAt).toBe(T0);
    await store.recordChecks([check(license.id, T0 + 3 * DAY_MS, 4)]);
    const seen = (await issuer.getLicense(license.id))!.installation!;
    expect(seen).toMatchObject({ id: license.installationId, lastSeenAt: T0 + 3 * DAY_MS });
    expect(seen.firstSeenAt).toBe(T0);
    // Still seen then once the raw records are rolled up into the day's totals.
    await store.rollUpChecks({ keepMs: 0, now: T0 + 5 * DAY_MS });
    expect((await issuer.getLicense(license.id))!.installation!.lastSeenAt).toBe(T0 + 3 * DAY_MS);
  });

  it('refuses a day that is not YYYY-MM-DD', async () => {
    await expect(store.dailyUsage('lic_a', { from: '2026-1-5' })).rejects.toThrow(/YYYY-MM-DD/);
  });
}

export function bulkLoadContract(adapter: Adapter): void {
  let store: LicensorStore;
  const clock = frozenClock();
  openedIssuer(adapter, clock, {
    use: (opened) => {
      ({ store } = opened);
    },
  });

  /** Transactions made by a real issuer on another store, to import here. */
  async function madeElsewhere(count: number): Promise<Transaction[]> {
    const other = await (await adapter.create()).open();
    try {
      const source = await openIssuer({ store: other, now: clock.now, passphrase: '' });
      await source.init('alice');
      for (let i = 0; i < count; i += 1) {
        await source.issue(
          new TestInstallation().challenge(),
          { customerName: `Customer ${i % 2}`, model: 'perpetual', credentials: 5 },
          'alice',
        );
      }
      const issued = await source.listTransactions();
      await source.suspend(issued[0]!.licenseId!, 'alice', 'unpaid');
      return (await source.listTransactions()).reverse();
    } finally {
      await other.close();
    }
  }

  it('imports transactions with everything each leads to, as committing them would', async () => {
    const transactions = await madeElsewhere(3);
    await store.importTransactions(transactions);
    expect(await store.listUnappliedTransactions()).toEqual([]);
    const licenses = await store.listLicenses({});
    expect(licenses).toHaveLength(3);
    expect(licenses.filter((l) => l.state === 'suspended')).toHaveLength(1);
    for (const license of licenses) {
      expect((await store.getTransaction(license.latestTransactionId))?.licenseAfter).toEqual(
        license,
      );
    }
    expect(await store.listCustomers()).toHaveLength(2);
    const actions = (await store.listAuditEvents({ limit: 100 })).map((e) => e.action);
    expect(actions.filter((a) => a === 'license.issue')).toHaveLength(3);
    expect(actions).toContain('license.suspend');
  });

  it('imports history without webhook events: subscribers hear of new events only', async () => {
    const transactions = await madeElsewhere(3);
    const before = await store.automation.listUnfannedOutboxEvents(1000);
    await store.importTransactions(transactions);
    expect(await store.listLicenses({})).toHaveLength(3);
    // Not one event of the imported issues and suspension reached the outbox.
    expect(await store.automation.listUnfannedOutboxEvents(1000)).toEqual(before);
    // A transaction committed here afterwards still writes its event.
    const issuer = await openIssuer({ store, now: clock.now, passphrase: '' });
    const { license } = await issuer.issue(
      new TestInstallation().challenge(),
      { customerName: 'Customer 0', model: 'perpetual', credentials: 5 },
      'alice',
    );
    const after = await store.automation.listUnfannedOutboxEvents(1000);
    expect(after.length).toBe(before.length + 1);
    expect(after.filter((e) => e.data.licenseId === license.id)).toMatchObject([
      { type: 'license.issued' },
    ]);
  });

  it('leaves the store whole when an import dies after writing its transactions', async () => {
    const transactions = await madeElsewhere(3);
    const handle = await adapter.create();
    let armed = false;
    const crashing = await handle.open({
      onWriteStep: (step) => {
        if (armed && step === 'transaction') {
          armed = false;
          throw new Error('crash after the transactions');
        }
      },
    });
    const issuer = await openIssuer({ store: crashing, now: clock.now, passphrase: '' });
    await issuer.init('alice');
    armed = true;
    await expect(crashing.importTransactions(transactions)).rejects.toThrow(/crash after/);
    await crashing.close();
    // Reopened (the issuer's open rolls forward what a crash left): all of it, or none of it.
    const reopened = await handle.open();
    try {
      await openIssuer({ store: reopened, now: clock.now, passphrase: '' });
      await expectWhole(reopened);
      const licenses = await reopened.listLicenses({});
      // SQLite: one transaction, rolled back. MongoDB: the import's journal entry names the
      // transactions stored before the error, and the importer wrote their records before
      // rethrowing (an importer killed outright is recovered by an open once its entry is older
      // than IMPORT_RECOVERY_AFTER_MS: test/mongo-import-recovery.test.ts).
      expect(licenses).toHaveLength(adapter.name === 'sqlite' ? 0 : 3);
      if (adapter.name !== 'sqlite') {
        expect(licenses.filter((l) => l.state === 'suspended')).toHaveLength(1);
      }
      // Recovered or not, the imported history fired no webhook event.
      const events = await reopened.automation.listUnfannedOutboxEvents(1000);
      expect(events.filter((e) => e.type.startsWith('license.'))).toEqual([]);
      // And the same batch imports (or is refused as stored) cleanly afterwards.
      if (adapter.name === 'sqlite') {
        await reopened.importTransactions(transactions);
        expect(await reopened.listLicenses({})).toHaveLength(3);
        await expectWhole(reopened);
      }
    } finally {
      await reopened.close();
    }
  });

  it('refuses a batch holding a transaction already stored (ERR_INPUT_INVALID)', async () => {
    const transactions = await madeElsewhere(2);
    await store.importTransactions(transactions.slice(0, 1));
    const licensesBefore = await store.listLicenses({});
    await expect(store.importTransactions([transactions[0]!])).rejects.toMatchObject({
      code: 'ERR_INPUT_INVALID',
    });
    expect(await store.listLicenses({})).toEqual(licensesBefore);
    expect(await store.listUnappliedTransactions()).toEqual([]);
  });

  it('loads check records in bulk: each new one stored once, daily usage and lists read them', async () => {
    const records = history(3);
    const first = await store.importChecks(records.slice(0, 10), records.length);
    expect(first).toMatchObject({ read: 10, written: 10 });
    // Loaded again with the rest: the ten already there are skipped, not doubled.
    const second = await store.importChecks(records, records.length);
    expect(second).toMatchObject({ read: records.length, written: records.length - 10 });
    // A generator is read as the store writes (seed data never holds every record at once).
    function* more(): Generator<CheckRecord> {
      yield check('lic_a', D0 + 3 * DAY_MS + 5, 42);
    }
    expect(await store.importChecks(more())).toMatchObject({ read: 1, written: 1 });
    expect(await store.listChecks('lic_a', 1000)).toHaveLength(3 * 4 + 1);
    const usage = await store.dailyUsage('lic_b');
    expect(usage.map((day) => day.checks)).toEqual([4, 4, 4]);
    expect((await store.lastCheck('lic_a'))?.credentialsInUse).toBe(42);
  });

  it('stores a record given twice in one load once, across many rows a statement', async () => {
    // 40 days: 320 records, past SQLite's 100 rows an INSERT, with a remainder of 20; each record
    // twice (the second copy 100 records later, so within and across statements), and one more.
    const records = history(40);
    const twice = records.flatMap((record, i) =>
      i >= 100 ? [record, records[i - 100]!] : [record],
    );
    twice.push(records[7]!);
    const loaded = await store.importChecks(twice, twice.length);
    expect(loaded).toMatchObject({ read: twice.length, written: records.length });
    expect(await store.listChecks('lic_a', 10_000)).toHaveLength(records.length / 2);
    const usage = await store.dailyUsage('lic_b');
    expect(usage.map((day) => day.checks)).toEqual(Array(40).fill(4));
  });

  it.skipIf(adapter.name !== 'sqlite')(
    'SQLite builds the check indexes after a load larger than the table, and only then',
    async () => {
      const records = history(2);
      const large = await store.importChecks(records.slice(0, 8), 1_000);
      expect(large.indexesRebuilt).toEqual(['checks_by_license', 'checks_by_time']);
      const small = await store.importChecks(records.slice(8), 2);
      expect(small).toMatchObject({ written: records.length - 8, indexesRebuilt: [] });
      expect(await store.listChecks('lic_a', 1000)).toHaveLength(2 * 4);
    },
  );

  it.skipIf(adapter.name !== 'sqlite')(
    'a bulk check load that fails half-way stores nothing on SQLite, and keeps its indexes',
    async () => {
      await store.importChecks(history(1));
      const before = await store.listChecks('lic_a', 1000);
      function* failing(): Generator<CheckRecord> {
        yield check('lic_a', D0 + 5 * DAY_MS, 1);
        throw new Error('the source went away');
      }
      await expect(store.importChecks(failing(), 1_000_000)).rejects.toThrow(
        'the source went away',
      );
      expect(await store.listChecks('lic_a', 1000)).toEqual(before);
      // The indexes dropped for the load came back with the rollback: a new load finds both.
      const again = await store.importChecks([], 1_000_000);
      expect(again.indexesRebuilt).toEqual(['checks_by_license', 'checks_by_time']);
    },
  );

  it('loads approval requests in bulk, each with its request.created event, new ones only', async () => {
    const request = (n: number): ApprovalRequest => ({
      id: `req_${String(n).padStart(22, '0')}`,
      kind: 'rehost',
      status: 'pending',
      licenseId: `lic_${n}`,
      installationId: `inst_${n}`,
      challenge: `seeded.${n}.challenge`,
      challengeHash: `hash_${n}`,
      asked: { kind: 'license' },
      createdAt: T0 + n,
      createdBy: 'seed-data',
      decidedAt: null,
      decidedBy: null,
      reason: null,
      transactionId: null,
    });
    expect(await store.importRequests([request(1), request(2)])).toBe(2);
    // Request 2 again, and a new one whose challenge is request 1's: neither is stored.
    const sameChallenge = { ...request(3), challengeHash: 'hash_1' };
    expect(await store.importRequests([request(2), sameChallenge, request(4)])).toBe(1);
    const stored = await store.listRequests({ status: 'pending' });
    expect(stored.map((r) => r.id).sort()).toEqual([request(1).id, request(2).id, request(4).id]);
    expect(await store.getRequest(request(1).id)).toEqual(request(1));
    const events = await store.automation.listUnfannedOutboxEvents(100);
    const created = events.filter((e) => e.type === 'request.created');
    expect(created).toHaveLength(3);
  });
}
