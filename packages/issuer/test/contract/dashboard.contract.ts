// Contract: the dashboard (licenses near their cap, subscriptions whose checks stopped,
// subscriptions ending soon, open forks) and the store read under it, `lastChecks`.

import { expect, it } from 'vitest';
import type { Issuer } from '../../src/facade.js';
import type { CheckRecord, Terms } from '../../src/records.js';
import type { LicensorStore } from '../../src/store/ports.js';
import type { Adapter } from '../support/adapters.js';
import { DAY_MS, frozenClock, T0, TestInstallation } from '../support/fixtures.js';
import { openedIssuer } from '../support/opened-issuer.js';

let counter = 0;
function check(licenseId: string, at: number, used: number): CheckRecord {
  counter += 1;
  return {
    id: `chk_dash${String(counter).padStart(18, '0')}`,
    at,
    licenseId,
    installationId: 'inst_x',
    sdkVersion: '1.0.0',
    credentialsInUse: used,
    outcome: 'VALID',
  };
}

const subscription = (customerName: string, termDays: number): Terms => ({
  customerName,
  model: 'subscription',
  credentials: 100,
  termDays,
  graceDays: 14,
});

export function dashboardContract(adapter: Adapter): void {
  let store: LicensorStore;
  let issuer: Issuer;
  const clock = frozenClock();
  openedIssuer(adapter, clock, {
    use: (opened) => {
      ({ store, issuer } = opened);
    },
  });

  const issueTo = async (terms: Terms) =>
    (await issuer.issue(new TestInstallation().challenge(), terms, 'ivan')).license.id;

  it('reads each license with its newest check in the window, and nothing older', async () => {
    const a = await issueTo(subscription('Acme', 365));
    const b = await issueTo(subscription('Globex', 365));
    await store.recordChecks([
      check(a, T0 + 1_000, 10),
      check(a, T0 + 3_000, 30),
      check(a, T0 + 2_000, 20),
      check(b, T0 - 10 * DAY_MS, 5),
    ]);
    const found = await store.lastChecks(T0 - DAY_MS);
    expect(found.map((f) => [f.license.id, f.lastCheck])).toEqual([
      [a, { at: T0 + 3_000, credentialsInUse: 30, outcome: 'VALID' }],
    ]);
    expect(found[0]?.license.customerName).toBe('Acme');
    expect(await store.lastChecks(T0 + 10_000)).toEqual([]);
  });

  it('lists near-cap licenses, stopped subscriptions, expiring ones and open forks with counts', async () => {
    const full = await issueTo({ ...subscription('Full Corp', 365), credentials: 100 });
    const over = await issueTo({ ...subscription('Over Corp', 365), credentials: 50 });
    const calm = await issueTo(subscription('Calm Corp', 365));
    const silent = await issueTo(subscription('Silent Corp', 365));
    const ending = await issueTo(subscription('Ending Corp', 20));
    const perpetual = await issueTo({
      customerName: 'Perpetual Corp',
      model: 'perpetual',
      credentials: 10,
    });
    clock.set(T0 + 10 * DAY_MS);
    const now = clock.now();
    await store.recordChecks([
      check(full, now - 3_600_000, 95),
      check(over, now - 3_600_000, 60),
      check(calm, now - 3_600_000, 40),
      check(silent, now - 5 * DAY_MS, 99),
      check(silent, now - 6 * DAY_MS, 10),
      check(ending, now - 60_000, 7),
      // A perpetual license checks only when asked: never "stopped".
      check(perpetual, now - 9 * DAY_MS, 1),
    ]);
    await store.chains.recordFork({
      id: 'frk_dash1',
      licenseId: calm,
      installationId: 'inst_x',
      status: 'open',
      detectedAt: now - DAY_MS,
      lastSeenAt: now - DAY_MS,
      divergentChecks: 1,
      copy: {
        at: now - DAY_MS,
        address: null,
        credentialsInUse: 40,
        sdkVersion: '1',
        presented: null,
      },
      original: null,
      action: 'warn',
      closedAt: null,
      closedBy: null,
      closeReason: null,
    });

    const board = await issuer.dashboard();
    expect(board.at).toBe(now);
    expect(board.nearCap.count).toBe(3);
    expect(board.nearCap.items.map((e) => [e.customerName, e.inUse, e.percent])).toEqual([
      ['Over Corp', 60, 120],
      ['Silent Corp', 99, 99],
      ['Full Corp', 95, 95],
    ]);
    expect(board.stopped.items.map((e) => [e.customerName, e.silentDays])).toEqual([
      ['Silent Corp', 5],
    ]);
    expect(board.expiring.items.map((e) => [e.licenseId, e.inUse])).toEqual([[ending, 7]]);
    expect(board.expiring.items[0]?.termEnd).toBe(Math.floor(T0 / 1000) + 20 * 86_400);
    expect(board.forks.items.map((f) => f.id)).toEqual(['frk_dash1']);
    expect(board.forks.count).toBe(1);

    // Thresholds: a lower cap share, a longer silence, a shorter expiry window, a short list.
    const other = await issuer.dashboard({
      nearCapPercent: 40,
      stoppedAfterDays: 7,
      expiringWithinDays: 5,
      limit: 2,
    });
    expect(other.nearCap.count).toBe(4);
    expect(other.nearCap.items).toHaveLength(2);
    expect(other.stopped.count).toBe(0);
    expect(other.expiring.count).toBe(0);

    // A revoked license leaves every list.
    await issuer.revoke(over, 'ivan', 'test');
    expect((await issuer.dashboard()).nearCap.items.map((e) => e.licenseId)).not.toContain(over);
  });

  it('refuses options out of range with ERR_INPUT_INVALID naming the option', async () => {
    for (const [field, value] of [
      ['nearCapPercent', 0],
      ['stoppedAfterDays', 1.5],
      ['lookbackDays', 4000],
      ['expiringWithinDays', -1],
      ['limit', 101],
    ] as const) {
      await expect(issuer.dashboard({ [field]: value })).rejects.toMatchObject({
        code: 'ERR_INPUT_INVALID',
        field,
      });
    }
  });
}
