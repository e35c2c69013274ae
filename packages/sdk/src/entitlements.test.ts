import { verifyChallenge } from '@licensor/token';
import { describe, expect, it } from 'vitest';
import { admin, answer, DAY, setup, term } from '../test/fixtures.js';

const v2 = (extra: Record<string, unknown>) => ({ v: 2 as const, ...extra });

describe('entitlements of the license in force', () => {
  it('answers hasFeature and limit from a format 2 license, and lists them in the info', async () => {
    const { licensor, clock } = setup();
    const { challenge } = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(
      admin,
      answer(
        challenge,
        v2({
          plan: 'pln_standard',
          products: [{ name: 'CMS', versions: ['5'] }],
          features: [
            { name: 'hsm-support' },
            { name: 'mobile-credentials', until: clock.seconds + 10 * DAY },
          ],
          limits: [{ name: 'sites', value: 3 }],
        }),
      ),
    );
    expect(await licensor.hasFeature('hsm-support')).toBe(true);
    expect(await licensor.hasFeature('mobile-credentials')).toBe(true);
    expect(await licensor.hasFeature('reporting')).toBe(false);
    expect(await licensor.limit('sites')).toBe(3);
    expect(await licensor.limit('seats')).toBeNull();
    const info = await licensor.getLicenseInfo(admin);
    expect(info).toMatchObject({
      plan: 'pln_standard',
      products: [{ name: 'CMS', versions: ['5'] }],
      limits: [{ name: 'sites', value: 3, until: null, active: true }],
    });
    expect(info.features.map((f) => [f.name, f.active])).toEqual([
      ['hsm-support', true],
      ['mobile-credentials', true],
    ]);
    // A feature's own end: past it, the feature is gone while the license goes on.
    clock.advance(10 * DAY);
    expect(await licensor.hasFeature('mobile-credentials')).toBe(false);
    expect(await licensor.hasFeature('hsm-support')).toBe(true);
  });

  it('ends a feature and a limit with ends of their own while the clock is held back, on a perpetual license too', async () => {
    const { licensor, clock } = setup();
    const { challenge } = await licensor.createChallenge(admin);
    const until = clock.seconds + 10 * DAY;
    await licensor.applyLicenseKey(
      admin,
      answer(
        challenge,
        v2({
          features: [{ name: 'hsm-support' }, { name: 'trial', until }],
          limits: [
            { name: 'seats', value: 2 },
            { name: 'sites', value: 5, until },
          ],
        }),
      ),
    );
    clock.advance(10 * DAY - 3_600); // an hour before the end, seen
    expect(await licensor.hasFeature('trial')).toBe(true);
    expect(await licensor.limit('sites')).toBe(5);
    clock.advance(-9 * DAY); // set back nine days: the end would never come
    const info = await licensor.getLicenseInfo(admin);
    expect(info.clock.rollbackDetected).toBe(true);
    expect(info.state).toBe('active'); // a perpetual license itself goes on
    expect(await licensor.hasFeature('trial')).toBe(false);
    expect(await licensor.limit('sites')).toBe(0);
    // What has no end of its own is unchanged.
    expect(await licensor.hasFeature('hsm-support')).toBe(true);
    expect(await licensor.limit('seats')).toBe(2);
    // The clock right again, before the end: back.
    clock.advance(9 * DAY);
    expect(await licensor.hasFeature('trial')).toBe(true);
    expect(await licensor.limit('sites')).toBe(5);
  });

  it('a limit past its own end is 0', async () => {
    const { licensor, clock } = setup();
    const { challenge } = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(
      admin,
      answer(challenge, v2({ limits: [{ name: 'sites', value: 3, until: clock.seconds + DAY }] })),
    );
    expect(await licensor.limit('sites')).toBe(3);
    clock.advance(DAY);
    expect(await licensor.limit('sites')).toBe(0);
    await expect(licensor.assertWithinLimit('sites', 0)).rejects.toMatchObject({
      code: 'ERR_CAPACITY_REACHED',
    });
  });

  it('capacity per limit: the same answers and typed errors as credentials', async () => {
    const { licensor, clock } = setup();
    const { challenge } = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(
      admin,
      answer(
        challenge,
        v2({
          model: 'subscription',
          term: term(clock.seconds - 28 * DAY, 30, 7),
          limits: [{ name: 'sites', value: 3 }],
        }),
      ),
    );
    expect(await licensor.limitCapacity('sites', 2)).toEqual({
      name: 'sites',
      state: 'active',
      limit: 3,
      inUse: 2,
      available: 1,
      blockedBy: null,
    });
    await expect(licensor.assertWithinLimit('sites', 2)).resolves.toBeUndefined();
    await expect(licensor.assertWithinLimit('sites', 3)).rejects.toMatchObject({
      code: 'ERR_CAPACITY_REACHED',
      message: expect.stringContaining('allows 3 sites and 3 are in use'),
    });
    await expect(licensor.assertWithinLimit('seats', 0)).rejects.toMatchObject({
      code: 'ERR_CAPACITY_REACHED',
      message: expect.stringContaining('has no "seats" limit'),
    });
    clock.advance(10 * DAY);
    expect(await licensor.limitCapacity('sites', 0)).toMatchObject({
      state: 'expired',
      blockedBy: 'ERR_LICENSE_EXPIRED',
    });
    await expect(licensor.assertWithinLimit('sites', 0)).rejects.toMatchObject({
      code: 'ERR_LICENSE_EXPIRED',
    });
    expect(await licensor.hasFeature('hsm-support')).toBe(false);
  });

  it('a limit counts only while the license is usable: 0 once it expired, null for one it lacks', async () => {
    const { licensor, clock } = setup();
    const { challenge } = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(
      admin,
      answer(
        challenge,
        v2({
          model: 'subscription',
          term: term(clock.seconds - 28 * DAY, 30, 7),
          limits: [{ name: 'sites', value: 3 }],
        }),
      ),
    );
    expect(await licensor.limit('sites')).toBe(3);
    clock.advance(10 * DAY);
    expect((await licensor.getLicenseInfo(admin)).state).toBe('expired');
    expect(await licensor.limit('sites')).toBe(0);
    expect(await licensor.limit('seats')).toBeNull();
    // As capacity says it: the grant is shown, none of it available.
    expect(await licensor.limitCapacity('sites', 0)).toMatchObject({ limit: 3, available: 0 });
  });

  it('refuses a bad feature or limit name with ERR_INPUT_INVALID', async () => {
    const { licensor } = setup();
    await expect(licensor.hasFeature('HSM')).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    await expect(licensor.limit('credentials')).rejects.toMatchObject({
      code: 'ERR_INPUT_INVALID',
    });
    await expect(licensor.assertWithinLimit('sites', -1)).rejects.toMatchObject({
      code: 'ERR_INPUT_INVALID',
    });
  });

  it('a format 1 license has no features and no limits', async () => {
    const { licensor } = setup();
    const { challenge } = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(admin, answer(challenge));
    expect(await licensor.hasFeature('hsm-support')).toBe(false);
    expect(await licensor.limit('sites')).toBeNull();
    expect(await licensor.getLicenseInfo(admin)).toMatchObject({
      plan: null,
      products: null,
      features: [],
      limits: [],
    });
  });

  it('refuses a license for another product or version, and keeps the license in force', async () => {
    const { licensor } = setup();
    const first = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(admin, answer(first.challenge, { credentials: 7 }));
    for (const products of [[{ name: 'Other' }], [{ name: 'CMS', versions: ['6'] }]]) {
      const { challenge } = await licensor.createChallenge(admin);
      const key = answer(challenge, v2({ products, credentials: 99 }));
      await expect(licensor.applyLicenseKey(admin, key)).rejects.toMatchObject({
        code: 'ERR_LICENSE_OTHER_PRODUCT',
      });
    }
    expect((await licensor.getLicenseInfo(admin)).credentials).toBe(7);
  });
});

describe('challenges ask for features and limits', () => {
  it('makes a format 2 challenge with the asked features, limits and the use of limits', async () => {
    const { licensor } = setup();
    const { challenge } = await licensor.createChallenge(admin, {
      features: ['mobile-credentials', 'audit', 'audit'],
      limits: { sites: 5 },
      limitsInUse: { sites: 2 },
      credentialsInUse: 4,
    });
    const { claims } = verifyChallenge(challenge);
    expect(claims.v).toBe(2);
    expect(claims.request).toEqual({
      kind: 'license',
      features: ['audit', 'mobile-credentials'],
      limits: [{ name: 'sites', value: 5 }],
    });
    expect(claims.usage).toEqual({ credentialsInUse: 4, limits: [{ name: 'sites', inUse: 2 }] });
  });

  it('refuses a malformed feature or limit before storing a challenge', async () => {
    const { licensor } = setup();
    await expect(
      licensor.createChallenge(admin, { features: ['Not A Name'] }),
    ).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    await expect(licensor.createChallenge(admin, { limits: { sites: -1 } })).rejects.toMatchObject({
      code: 'ERR_INPUT_INVALID',
    });
    await expect(
      licensor.createChallenge(admin, { limitsInUse: { credentials: 1 } }),
    ).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    expect(await licensor.listPendingRequests(admin)).toEqual([]);
  });

  it('the model switch reports the credentials in use it is given', async () => {
    const { licensor } = setup();
    const { challenge } = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(admin, answer(challenge));
    const result = await licensor.requestModelSwitch(admin, 'subscription', {
      credentialsInUse: 6,
    });
    expect(verifyChallenge(result.challenge).claims.usage.credentialsInUse).toBe(6);
  });
});
