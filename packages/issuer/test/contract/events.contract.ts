// Contract: the events no issuer write causes (check.failed, usage.near-cap, check.stopped,
// keys.changed), found by the event watch over the store, the same on both adapters. Two
// handles on one store stand for two processes (two verify service instances, two portals).

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openIssuer } from '../../src/domain/open-issuer.js';
import { checkFailureOf, UNKNOWN_INSTALLATION } from '../../src/events/check-failures.js';
import { EventWatch } from '../../src/events/event-watch.js';
import type { Issuer } from '../../src/facade.js';
import type { CheckRecord, License } from '../../src/records.js';
import type { OutboxEvent } from '../../src/store/automation-port.js';
import type { LicensorStore } from '../../src/store/ports.js';
import type { Adapter } from '../support/adapters.js';
import { DAY_MS, frozenClock, T0, TestInstallation } from '../support/fixtures.js';

const HOUR_MS = 3_600_000;
const terms = { customerName: 'Acme Corp', model: 'perpetual', credentials: 10 } as const;

export function eventsContract(adapter: Adapter): void {
  let store: LicensorStore;
  let other: LicensorStore;
  let issuer: Issuer;
  const clock = frozenClock();
  let checkSeq = 0;

  beforeEach(async () => {
    clock.set(T0);
    const handle = await adapter.create();
    store = await handle.open();
    other = await handle.open();
    issuer = await openIssuer({ store, now: clock.now, passphrase: '' });
    await issuer.init('alice');
  });
  afterEach(async () => {
    await store.close();
    await other.close();
    await adapter.cleanup();
  });

  async function issue(): Promise<{ license: License; installation: TestInstallation }> {
    const installation = new TestInstallation();
    const { license } = await issuer.issue(
      installation.challenge({ at: clock.now() }),
      terms,
      'ivan',
    );
    return { license, installation };
  }

  function check(
    license: License,
    at: number,
    usage: number,
    overrides: Partial<CheckRecord> = {},
  ) {
    checkSeq += 1;
    return {
      id: `chk_${String(checkSeq).padStart(6, '0')}`,
      at,
      licenseId: license.id,
      installationId: license.installationId ?? 'none',
      sdkVersion: '1.0.0',
      credentialsInUse: usage,
      outcome: 'VALID' as const,
      ...overrides,
    };
  }

  /** Every outbox event of a type, by id. */
  async function outbox(type: OutboxEvent['type']): Promise<OutboxEvent[]> {
    const all = await store.automation.listUnfannedOutboxEvents(10_000);
    return all.filter((e) => e.type === type);
  }

  const watchOn = (
    s: LicensorStore,
    options: Partial<ConstructorParameters<typeof EventWatch>[0]> = {},
  ) => new EventWatch({ store: s, now: clock.now, settleMs: 0, ...options });

  describe('check.failed', () => {
    it('one fact per license, reason and hour, from any number of service instances', async () => {
      const { license, installation } = await issue();
      const refused = { licenseId: license.id, installationId: installation.id };
      await store.recordCheckFailures([
        checkFailureOf({ ...refused, reason: 'ERR_SIGNATURE_INVALID', at: T0 + 1 }),
      ]);
      await other.recordCheckFailures([
        checkFailureOf({ ...refused, reason: 'ERR_SIGNATURE_INVALID', at: T0 + 50_000 }),
        checkFailureOf({ ...refused, reason: 'ERR_CHECK_REPLAYED', at: T0 + 60_000 }),
      ]);
      // The next hour is a new fact.
      await store.recordCheckFailures([
        checkFailureOf({ ...refused, reason: 'ERR_SIGNATURE_INVALID', at: T0 + HOUR_MS }),
      ]);
      const facts = await store.eventSources.listUnconvertedCheckFailures(100);
      expect(facts.map((f) => [f.reason, f.at])).toEqual([
        ['ERR_SIGNATURE_INVALID', T0 + 1],
        ['ERR_CHECK_REPLAYED', T0 + 60_000],
        ['ERR_SIGNATURE_INVALID', T0 + HOUR_MS],
      ]);
    });

    it('becomes one event per fact, for licenses that exist, once however often the watch runs', async () => {
      const { license, installation } = await issue();
      await store.recordCheckFailures([
        checkFailureOf({
          licenseId: license.id,
          installationId: 'someone-else',
          reason: UNKNOWN_INSTALLATION,
          at: T0 + 5,
        }),
        checkFailureOf({
          licenseId: 'lic_does_not_exist',
          installationId: installation.id,
          reason: 'ERR_SIGNATURE_INVALID',
          at: T0 + 6,
        }),
      ]);
      expect(await watchOn(store).convertCheckFailures()).toBe(1);
      expect(await watchOn(other).convertCheckFailures()).toBe(0);
      const events = await outbox('check.failed');
      expect(events).toHaveLength(1);
      expect(events[0]!.data).toMatchObject({
        licenseId: license.id,
        customerName: 'Acme Corp',
        installationId: installation.id,
        checkedBy: 'someone-else',
        reason: UNKNOWN_INSTALLATION,
        failedAt: T0 + 5,
      });
      expect(await store.eventSources.listUnconvertedCheckFailures(100)).toEqual([]);
    });
  });

  it('runs every watch when one fails, then says so', async () => {
    const { license } = await issue();
    await store.recordCheckFailures([
      checkFailureOf({
        licenseId: license.id,
        installationId: 'someone-else',
        reason: UNKNOWN_INSTALLATION,
        at: T0 + 5,
      }),
    ]);
    const eventSources = new Proxy(store.eventSources, {
      get(target, property) {
        if (property === 'listChecksAfter') {
          return async () => {
            throw new Error('the store cannot answer this query');
          };
        }
        const value = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const failing = new Proxy(store, {
      get(target, property) {
        if (property === 'eventSources') return eventSources;
        const value = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as LicensorStore;
    const watch = watchOn(failing, { lateScanMs: 0 });
    const after = [vi.spyOn(watch, 'scanStopped'), vi.spyOn(watch, 'scanKeysets')];
    await expect(watch.run()).rejects.toThrow(/2 event watches failed/);
    expect(await outbox('check.failed')).toHaveLength(1);
    for (const scan of after) expect(scan).toHaveBeenCalledTimes(1);
  });

  describe('usage.near-cap', () => {
    it('fires once per upward crossing of the share of the cap', async () => {
      const { license } = await issue();
      // Cap 10, 90 % → 9. Crossings: 9 (from 5), 9 again (after 3); 10 while above is none.
      const usages = [5, 8, 9, 10, 9, 3, 9];
      const checks = usages.map((u, i) => check(license, T0 + i * 1000, u));
      await store.recordChecks(checks);
      clock.advance(60_000);
      expect(await watchOn(store).scanUsage()).toBe(2);
      const events = await outbox('usage.near-cap');
      expect(events.map((e) => e.data.checkId).sort()).toEqual([checks[2]!.id, checks[6]!.id]);
      expect(events[0]!.data).toMatchObject({
        licenseId: license.id,
        credentials: 10,
        threshold: 9,
        percent: 90,
      });
    });

    it('a restarted watch reads the same checks again and writes nothing twice', async () => {
      const { license } = await issue();
      await store.recordChecks([check(license, T0, 2), check(license, T0 + 1000, 9)]);
      clock.advance(60_000);
      await watchOn(store).scanUsage();
      // A new process (no memory of the last usage) asks the store for the check before.
      await watchOn(other).scanUsage();
      expect(await outbox('usage.near-cap')).toHaveLength(1);
    });

    it('sees a crossing against a check written before the watch started reading', async () => {
      const { license } = await issue();
      await store.recordChecks([check(license, T0, 9)]);
      clock.advance(2 * DAY_MS);
      await store.recordChecks([check(license, clock.now(), 10)]);
      clock.advance(60_000);
      // The watch reads one day back: the check at 9 is before that, and still counts.
      expect(await watchOn(store).scanUsage()).toBe(0);
      expect(await outbox('usage.near-cap')).toHaveLength(0);
    });

    it('leaves checks younger than the settle time for the next round', async () => {
      const { license } = await issue();
      const watch = watchOn(store, { settleMs: 30_000 });
      await store.recordChecks([check(license, T0, 9)]);
      expect(await watch.scanUsage()).toBe(0);
      clock.advance(30_001);
      expect(await watch.scanUsage()).toBe(1);
    });
    it('announces a check written long after its time (a buffered batch), once, within the late window', async () => {
      const a = await issue();
      const b = await issue();
      const watch = watchOn(store, { settleMs: 60_000, lateScanMs: 0 });
      const t1 = clock.now();
      // One verify instance writes at once: license A, low usage, at t1 + 30 s.
      await store.recordChecks([check(a.license, t1 + 30_000, 1)]);
      clock.advance(120_000);
      await watch.run(); // the cursor passes t1 + 30 s
      // Another had the store down: its buffered check of license B (at t1 + 10 s, at the cap)
      // lands now, behind the cursor.
      const late = check(b.license, t1 + 10_000, 10);
      await store.recordChecks([late]);
      for (let round = 0; round < 3; round++) {
        clock.advance(120_000);
        await watch.run();
      }
      const events = (await outbox('usage.near-cap')).filter((e) => e.data.checkId === late.id);
      expect(events).toHaveLength(1);
      expect(events[0]!.data).toMatchObject({ licenseId: b.license.id, credentialsInUse: 10 });
      // Judged again by a new process (its replay) and by this one: still one event.
      await watchOn(other, { settleMs: 60_000, lateScanMs: 0 }).run();
      await watch.run();
      expect(
        (await outbox('usage.near-cap')).filter((e) => e.data.checkId === late.id),
      ).toHaveLength(1);
      // A late check is judged against the license's check before it in time.
      const below = check(b.license, t1 + 5_000, 9);
      await store.recordChecks([below, check(b.license, t1 + 6_000, 10)]);
      await watch.run();
      expect(await outbox('usage.near-cap')).toHaveLength(2);
    });

    it('does not announce a check written more than the late window after its time', async () => {
      const { license } = await issue();
      const watch = watchOn(store, { settleMs: 60_000, lateScanMs: 0, lateMs: HOUR_MS });
      const t1 = clock.now();
      await store.recordChecks([check(license, t1 + 100_000, 1)]);
      clock.advance(200_000);
      await watch.run(); // the cursor passes t1 + 100 s
      const tooLate = check(license, t1 + 50_000, 10);
      clock.advance(HOUR_MS);
      await store.recordChecks([tooLate]);
      await watch.run();
      expect(await outbox('usage.near-cap')).toEqual([]);
    });
  });

  describe('check.stopped', () => {
    const interval = HOUR_MS;
    const options = { checkIntervalMs: interval, stoppedScanMs: 0, stoppedWindowMs: 10 * interval };

    async function checkedHourly(license: License, count: number): Promise<void> {
      for (let i = 0; i < count; i++) {
        await store.recordChecks([check(license, clock.now(), 1)]);
        clock.advance(interval);
      }
    }

    it('fires once when an installation that checked regularly stops past two intervals', async () => {
      const { license } = await issue();
      await checkedHourly(license, 4);
      const watch = watchOn(store, options);
      // One interval after the last check: not yet (it is due, not late).
      expect(await watch.scanStopped()).toBe(0);
      clock.advance(interval + 1);
      expect(await watch.scanStopped()).toBe(1);
      expect(await watchOn(other, options).scanStopped()).toBe(1);
      const events = await outbox('check.stopped');
      expect(events).toHaveLength(1);
      expect(events[0]!.data).toMatchObject({
        licenseId: license.id,
        installationId: license.installationId,
        lastCheckAt: T0 + 3 * interval,
        expectedIntervalMs: interval,
        checksBefore: 4,
      });
    });

    it('fires again after the installation came back and stopped again', async () => {
      const { license } = await issue();
      await checkedHourly(license, 3);
      clock.advance(2 * interval);
      await watchOn(store, options).scanStopped();
      await checkedHourly(license, 1);
      clock.advance(2 * interval);
      await watchOn(store, options).scanStopped();
      expect(await outbox('check.stopped')).toHaveLength(2);
    });

    it('finds a stopped installation behind a page of quiet ones that do not count', async () => {
      // Revoked licenses whose installations stopped earlier: a full page of quiet ones.
      const revoked: License[] = [];
      for (let i = 0; i < 3; i++) revoked.push((await issue()).license);
      const live = await issue();
      for (let i = 0; i < 3; i++) {
        await store.recordChecks(revoked.map((l) => check(l, clock.now(), 1)));
        await store.recordChecks([check(live.license, clock.now(), 1)]);
        clock.advance(interval);
      }
      // The live license's installation checks once more, an interval later than the others.
      await store.recordChecks([check(live.license, clock.now(), 1)]);
      for (const l of revoked) await issuer.revoke(l.id, 'alice', 'refund');
      clock.advance(2 * interval + 1);
      const paged = { ...options, stoppedPageSize: 2 };
      expect(await watchOn(store, paged).scanStopped()).toBe(1);
      const events = await outbox('check.stopped');
      expect(events.map((e) => e.data.licenseId)).toEqual([live.license.id]);
      // Pages in (last check, license, installation) order, each after the one before.
      const from = clock.now() - 10 * interval;
      const quietSince = clock.now() - 2 * interval;
      const all = await other.eventSources.listQuietInstallations(from, quietSince, 3, 100);
      expect(all).toHaveLength(4);
      const pages: string[] = [];
      let after: (typeof all)[number] | null = null;
      for (let i = 0; i < 10; i++) {
        const page = await store.eventSources.listQuietInstallations(from, quietSince, 3, 1, after);
        if (page.length === 0) break;
        pages.push(...page.map((q) => q.licenseId));
        after = page[0]!;
      }
      expect(pages).toEqual(all.map((q) => q.licenseId));
    });

    it('says nothing of a revoked license, a single check, or one still checking', async () => {
      const revoked = await issue();
      await checkedHourly(revoked.license, 3);
      await issuer.revoke(revoked.license.id, 'alice', 'refund');
      const once = await issue();
      await store.recordChecks([check(once.license, clock.now() - interval, 1)]);
      const alive = await issue();
      await checkedHourly(alive.license, 3);
      clock.advance(interval + 1);
      await store.recordChecks([check(alive.license, clock.now(), 1)]);
      clock.advance(interval + 1);
      expect(await watchOn(store, options).scanStopped()).toBe(0);
      expect(await outbox('check.stopped')).toEqual([]);
    });
  });

  describe('keys.changed', () => {
    it('is in the outbox with each rotation, activation and revocation, and only once', async () => {
      const before = (await outbox('keys.changed')).length;
      const next = await issuer.keys.rotate('status', 'alice');
      clock.advance(1000);
      await issuer.keys.activate(next.kid, 'alice');
      const retired = (await issuer.keys.list()).find(
        (k) => k.purpose === 'status' && k.status === 'retired',
      )!;
      clock.advance(1000);
      await issuer.keys.revoke(retired.kid, 'alice', 'compromised');
      const events = await outbox('keys.changed');
      expect(events.length - before).toBe(3);
      const last3 = events.slice(-3).map((e) => e.data.changes);
      expect(last3[0]).toEqual([{ kid: next.kid, purpose: 'status', from: null, to: 'next' }]);
      expect(last3[1]).toEqual(
        expect.arrayContaining([
          { kid: next.kid, purpose: 'status', from: 'next', to: 'active' },
          { kid: retired.kid, purpose: 'status', from: 'active', to: 'retired' },
        ]),
      );
      expect(last3[2]).toEqual([
        { kid: retired.kid, purpose: null, from: 'retired', to: 'revoked' },
      ]);
      // The watch finds the same versions and writes nothing new.
      expect(await watchOn(other).scanKeysets()).toBeGreaterThan(0);
      expect((await outbox('keys.changed')).length).toBe(events.length);
    });

    it('is written by the watch when the key operation lost it (a crash after the key set)', async () => {
      const keysets = await store.listKeysets(0);
      const events = await outbox('keys.changed');
      // Stand-in for a crash: an outbox that never got the event of the newest version.
      expect(events.map((e) => e.id)).toContain(`msg_keys_${keysets.at(-1)!.seq}`);
      const fresh = await (await adapter.create()).open();
      try {
        for (const keyset of keysets) await fresh.insertKeyset(keyset);
        expect(await watchOn(fresh).scanKeysets()).toBe(keysets.length);
        const written = await fresh.automation.listUnfannedOutboxEvents(100);
        expect(written.map((e) => e.id)).toEqual(keysets.map((k) => `msg_keys_${k.seq}`));
      } finally {
        await fresh.close();
      }
    });
  });
}
