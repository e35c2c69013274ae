// Contract: the two-factor port (TOTP enrolments, recovery codes, used codes, the policy), the
// same on both adapters. Two handles on one store stand for two portal processes.

import { afterEach, beforeEach, expect, it } from 'vitest';
import type { TwoFactorRecord } from '../../src/store/two-factor-port.js';
import type { LicensorStore } from '../../src/types.js';
import type { Adapter } from '../support/adapters.js';
import { T0 } from '../support/fixtures.js';

function pending(overrides: Partial<TwoFactorRecord> = {}): TwoFactorRecord {
  return {
    userId: 'usr_1',
    state: 'pending',
    secret: { protection: 'plain', base32: 'JBSWY3DPEHPK3PXP' },
    createdAt: T0,
    enabledAt: null,
    ...overrides,
  };
}

export function twoFactorContract(adapter: Adapter): void {
  let store: LicensorStore;
  let other: LicensorStore;

  beforeEach(async () => {
    const handle = await adapter.create();
    store = await handle.open();
    other = await handle.open();
  });
  afterEach(async () => {
    await store.close();
    await other.close();
    await adapter.cleanup();
  });

  it('keeps a pending enrolment, restarts it, enables it with its recovery codes', async () => {
    expect(await store.twoFactor.getTwoFactor('usr_1')).toBeNull();
    expect(await store.twoFactor.putPendingTwoFactor(pending())).toBe(true);
    const restarted = pending({ secret: { protection: 'plain', base32: 'KRSXG5CTMVRXEZLU' } });
    expect(await store.twoFactor.putPendingTwoFactor(restarted)).toBe(true);
    expect(await other.twoFactor.getTwoFactor('usr_1')).toEqual(restarted);
    expect(await store.twoFactor.listTwoFactorEnabled()).toEqual([]);

    expect(await store.twoFactor.enableTwoFactor('usr_1', T0 + 5, ['h1', 'h2'])).toBe(true);
    expect(await other.twoFactor.getTwoFactor('usr_1')).toEqual({
      ...restarted,
      state: 'enabled',
      enabledAt: T0 + 5,
    });
    expect(await other.twoFactor.listTwoFactorEnabled()).toEqual(['usr_1']);
    expect(await other.twoFactor.listRecoveryCodes('usr_1')).toEqual([
      { hash: 'h1', used: false },
      { hash: 'h2', used: false },
    ]);
  });

  it('refuses to restart or re-enable an enabled enrolment, writing nothing', async () => {
    await store.twoFactor.putPendingTwoFactor(pending());
    await store.twoFactor.enableTwoFactor('usr_1', T0, ['h1']);
    const before = await store.twoFactor.getTwoFactor('usr_1');
    const other_secret = pending({ secret: { protection: 'plain', base32: 'GEZDGNBVGY3TQOJQ' } });
    expect(await other.twoFactor.putPendingTwoFactor(other_secret)).toBe(false);
    expect(await other.twoFactor.enableTwoFactor('usr_1', T0 + 9, ['h9'])).toBe(false);
    expect(await store.twoFactor.getTwoFactor('usr_1')).toEqual(before);
    expect((await store.twoFactor.listRecoveryCodes('usr_1')).map((c) => c.hash)).toEqual(['h1']);
    expect(await store.twoFactor.enableTwoFactor('usr_nobody', T0, ['h1'])).toBe(false);
  });

  it('accepts each use once, across processes, and answers the highest TOTP step', async () => {
    expect(await store.twoFactor.lastTotpStep('usr_1')).toBeNull();
    expect(await store.twoFactor.claimCodeUse('usr_1', 'totp:100', T0, 100)).toBe(true);
    expect(await other.twoFactor.claimCodeUse('usr_1', 'totp:100', T0, 100)).toBe(false);
    expect(await other.twoFactor.claimCodeUse('usr_2', 'totp:100', T0, 100)).toBe(true);
    expect(await other.twoFactor.claimCodeUse('usr_1', 'totp:101', T0, 101)).toBe(true);
    expect(await store.twoFactor.lastTotpStep('usr_1')).toBe(101);
    const racing = await Promise.all([
      store.twoFactor.claimCodeUse('usr_1', 'recovery:h1', T0, null),
      other.twoFactor.claimCodeUse('usr_1', 'recovery:h1', T0, null),
    ]);
    expect(racing.filter(Boolean)).toHaveLength(1);
    expect(await store.twoFactor.lastTotpStep('usr_1')).toBe(101);
  });

  it('keeps the used steps that can still verify, and drops older ones', async () => {
    await store.twoFactor.claimCodeUse('usr_1', 'totp:100', T0, 100);
    await store.twoFactor.claimCodeUse('usr_1', 'totp:102', T0, 102);
    // 100 is within two steps of 102: still refused.
    expect(await other.twoFactor.claimCodeUse('usr_1', 'totp:100', T0, 100)).toBe(false);
    await store.twoFactor.claimCodeUse('usr_1', 'totp:103', T0, 103);
    // 100 is now three below the newest: its row is gone (no code of it verifies any more).
    expect(await other.twoFactor.claimCodeUse('usr_1', 'totp:100', T0, 100)).toBe(true);
    expect(await store.twoFactor.lastTotpStep('usr_1')).toBe(103);
  });

  it('marks used recovery codes, replaces them, and forgets all on delete', async () => {
    await store.twoFactor.putPendingTwoFactor(pending());
    await store.twoFactor.enableTwoFactor('usr_1', T0, ['h1', 'h2']);
    await store.twoFactor.claimCodeUse('usr_1', 'recovery:h2', T0, null);
    expect(await other.twoFactor.listRecoveryCodes('usr_1')).toEqual([
      { hash: 'h1', used: false },
      { hash: 'h2', used: true },
    ]);
    await other.twoFactor.replaceRecoveryCodes('usr_1', ['h3']);
    expect(await store.twoFactor.listRecoveryCodes('usr_1')).toEqual([{ hash: 'h3', used: false }]);
    await store.twoFactor.claimCodeUse('usr_1', 'totp:7', T0, 7);
    expect(await store.twoFactor.deleteTwoFactor('usr_1')).toBe(true);
    expect(await store.twoFactor.deleteTwoFactor('usr_1')).toBe(false);
    expect(await other.twoFactor.getTwoFactor('usr_1')).toBeNull();
    expect(await other.twoFactor.listRecoveryCodes('usr_1')).toEqual([]);
    expect(await other.twoFactor.lastTotpStep('usr_1')).toBeNull();
  });

  it('keeps one policy, last write wins', async () => {
    expect(await store.twoFactor.getTwoFactorPolicy()).toBeNull();
    await store.twoFactor.setTwoFactorPolicy({ policy: 'admins', updatedAt: T0, updatedBy: 'a' });
    await other.twoFactor.setTwoFactorPolicy({
      policy: 'everyone',
      updatedAt: T0 + 1,
      updatedBy: 'b',
    });
    expect(await store.twoFactor.getTwoFactorPolicy()).toEqual({
      policy: 'everyone',
      updatedAt: T0 + 1,
      updatedBy: 'b',
    });
  });
}
