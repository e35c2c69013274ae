import { describe, expect, it } from 'vitest';
import { admin, answer, DAY, setup, term } from '../test/fixtures.js';

describe('capacity and assertCanManage', () => {
  it('allows no credential without a license', async () => {
    const { licensor } = setup();
    expect(await licensor.capacity(0)).toEqual({
      state: 'none',
      limit: 0,
      inUse: 0,
      available: 0,
      blockedBy: 'ERR_NO_LICENSE',
    });
    await expect(licensor.assertCanManage(0)).rejects.toMatchObject({ code: 'ERR_NO_LICENSE' });
  });

  it('counts what is left and refuses beyond the licensed number', async () => {
    const { licensor } = setup();
    const { challenge } = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(admin, answer(challenge, { credentials: 10 }));
    expect(await licensor.capacity(7)).toEqual({
      state: 'active',
      limit: 10,
      inUse: 7,
      available: 3,
      blockedBy: null,
    });
    await expect(licensor.assertCanManage(7, 3)).resolves.toBeUndefined();
    await expect(licensor.assertCanManage(7, 4)).rejects.toMatchObject({
      code: 'ERR_CAPACITY_REACHED',
    });
    expect((await licensor.capacity(12)).blockedBy).toBe('ERR_CAPACITY_REACHED');
    await expect(licensor.assertCanManage(10)).rejects.toMatchObject({
      code: 'ERR_CAPACITY_REACHED',
    });
  });

  it('still allows credentials within grace, none once expired', async () => {
    const { licensor, clock } = setup();
    const { challenge } = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(
      admin,
      answer(challenge, {
        model: 'subscription',
        credentials: 5,
        term: term(clock.seconds - 28 * DAY, 30, 7),
      }),
    );
    clock.advance(3 * DAY);
    expect(await licensor.capacity(1)).toMatchObject({ state: 'grace', available: 4 });
    clock.advance(5 * DAY);
    expect(await licensor.capacity(1)).toMatchObject({
      state: 'expired',
      available: 0,
      blockedBy: 'ERR_LICENSE_EXPIRED',
    });
    await expect(licensor.assertCanManage(1)).rejects.toMatchObject({
      code: 'ERR_LICENSE_EXPIRED',
    });
  });

  it('refuses counts that are not whole numbers', async () => {
    const { licensor } = setup();
    await expect(licensor.capacity(-1)).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    await expect(licensor.assertCanManage(1, 0.5)).rejects.toMatchObject({
      code: 'ERR_INPUT_INVALID',
    });
  });
});
