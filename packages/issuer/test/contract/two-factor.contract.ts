// Contract: the two-factor port (TOTP enrolments, recovery codes, used codes, the policy), the
// same on both adapters. Two handles on one store stand for two portal processes.

import { expect, it } from 'vitest';
import type { TwoFactorRecord } from '../../src/store/two-factor-port.js';
import { type Adapter, twoHandlesPerTest } from '../support/adapters.js';
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
  const handles = twoHandlesPerTest(adapter);

  it('keeps a pending enrolment, restarts it, enables it with its recovery codes', async () => {
    expect(await handles.store.twoFactor.getTwoFactor('usr_1')).toBeNull();
    expect(await handles.store.twoFactor.putPendingTwoFactor(pending())).toBe(true);
    const restarted = pending({ secret: { protection: 'plain', base32: 'KRSXG5CTMVRXEZLU' } });
    expect(await handles.store.twoFactor.putPendingTwoFactor(restarted)).toBe(true);
    expect(await handles.other.twoFactor.getTwoFactor('usr_1')).toEqual(restarted);
    expect(await handles.store.twoFactor.listTwoFactorEnabled()).toEqual([]);

    expect(await handles.store.twoFactor.enableTwoFactor('usr_1', T0 + 5, ['h1', 'h2'])).toBe(true);
    expect(await handles.other.twoFactor.getTwoFactor('usr_1')).toEqual({
      ...restarted,
      state: 'enabled',
      enabledAt: T0 + 5,
    });
    expect(await handles.other.twoFactor.listTwoFactorEnabled()).toEqual(['usr_1']);
    expect(await handles.other.twoFactor.listRecoveryCodes('usr_1')).toEqual([
      { hash: 'h1', used: false },
      { hash: 'h2', used: false },
    ]);
  });

  it('refuses to restart or re-enable an enabled enrolment, writing nothing', async () => {
    await handles.store.twoFactor.putPendingTwoFactor(pending());
    await handles.store.twoFactor.enableTwoFactor('usr_1', T0, ['h1']);
    const before = await handles.store.twoFactor.getTwoFactor('usr_1');
    const other_secret = pending({ secret: { protection: 'plain', base32: 'GEZDGNBVGY3TQOJQ' } });
    expect(await handles.other.twoFactor.putPendingTwoFactor(other_secret)).toBe(false);
    expect(await handles.other.twoFactor.enableTwoFactor('usr_1', T0 + 9, ['h9'])).toBe(false);
    expect(await handles.store.twoFactor.getTwoFactor('usr_1')).toEqual(before);
    expect((await handles.store.twoFactor.listRecoveryCodes('usr_1')).map((c) => c.hash)).toEqual([
      'h1',
    ]);
    expect(await handles.store.twoFactor.enableTwoFactor('usr_nobody', T0, ['h1'])).toBe(false);
  });

  it('accepts each use once, across processes, and answers the highest TOTP step', async () => {
    expect(await handles.store.twoFactor.lastTotpStep('usr_1')).toBeNull();
    expect(await handles.store.twoFactor.claimCodeUse('usr_1', 'totp:100', T0, 100)).toBe(true);
    expect(await handles.other.twoFactor.claimCodeUse('usr_1', 'totp:100', T0, 100)).toBe(false);
    expect(await handles.other.twoFactor.claimCodeUse('usr_2', 'totp:100', T0, 100)).toBe(true);
    expect(await handles.other.twoFactor.claimCodeUse('usr_1', 'totp:101', T0, 101)).toBe(true);
    expect(await handles.store.twoFactor.lastTotpStep('usr_1')).toBe(101);
    const racing = await Promise.all([
      handles.store.twoFactor.claimCodeUse('usr_1', 'recovery:h1', T0, null),
      handles.other.twoFactor.claimCodeUse('usr_1', 'recovery:h1', T0, null),
    ]);
    expect(racing.filter(Boolean)).toHaveLength(1);
    expect(await handles.store.twoFactor.lastTotpStep('usr_1')).toBe(101);
  });

  it('keeps the used steps that can still verify, and drops older ones', async () => {
    await handles.store.twoFactor.claimCodeUse('usr_1', 'totp:100', T0, 100);
    await handles.store.twoFactor.claimCodeUse('usr_1', 'totp:102', T0, 102);
    // 100 is within two steps of 102: still refused.
    expect(await handles.other.twoFactor.claimCodeUse('usr_1', 'totp:100', T0, 100)).toBe(false);
    await handles.store.twoFactor.claimCodeUse('usr_1', 'totp:103', T0, 103);
    // 100 is now three below the newest: its row is gone (no code of it verifies any more).
    expect(await handles.other.twoFactor.claimCodeUse('usr_1', 'totp:100', T0, 100)).toBe(true);
    expect(await handles.store.twoFactor.lastTotpStep('usr_1')).toBe(103);
  });

  it('marks used recovery codes, replaces them, and forgets all on delete', async () => {
    await handles.store.twoFactor.putPendingTwoFactor(pending());
    await handles.store.twoFactor.enableTwoFactor('usr_1', T0, ['h1', 'h2']);
    await handles.store.twoFactor.claimCodeUse('usr_1', 'recovery:h2', T0, null);
    expect(await handles.other.twoFactor.listRecoveryCodes('usr_1')).toEqual([
      { hash: 'h1', used: false },
      { hash: 'h2', used: true },
    ]);
    await handles.other.twoFactor.replaceRecoveryCodes('usr_1', ['h3']);
    expect(await handles.store.twoFactor.listRecoveryCodes('usr_1')).toEqual([
      { hash: 'h3', used: false },
    ]);
    await handles.store.twoFactor.claimCodeUse('usr_1', 'totp:7', T0, 7);
    expect(await handles.store.twoFactor.deleteTwoFactor('usr_1')).toBe(true);
    expect(await handles.store.twoFactor.deleteTwoFactor('usr_1')).toBe(false);
    expect(await handles.other.twoFactor.getTwoFactor('usr_1')).toBeNull();
    expect(await handles.other.twoFactor.listRecoveryCodes('usr_1')).toEqual([]);
    expect(await handles.other.twoFactor.lastTotpStep('usr_1')).toBeNull();
  });

  it('keeps one policy, last write wins', async () => {
    expect(await handles.store.twoFactor.getTwoFactorPolicy()).toBeNull();
    await handles.store.twoFactor.setTwoFactorPolicy({
      policy: 'admins',
      updatedAt: T0,
      updatedBy: 'a',
    });
    await handles.other.twoFactor.setTwoFactorPolicy({
      policy: 'everyone',
      updatedAt: T0 + 1,
      updatedBy: 'b',
    });
    expect(await handles.store.twoFactor.getTwoFactorPolicy()).toEqual({
      policy: 'everyone',
      updatedAt: T0 + 1,
      updatedBy: 'b',
    });
  });
}
