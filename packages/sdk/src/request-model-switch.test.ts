import { verifyChallenge } from '@licensor/token';
import { describe, expect, it } from 'vitest';
import { admin, answer, setup, term } from '../test/fixtures.js';

describe('requestModelSwitch (Activate)', () => {
  it('asks to switch and shows the switch as pending until the new token arrives', async () => {
    const { licensor, clock } = setup();
    const { challenge } = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(admin, answer(challenge));
    const request = await licensor.requestModelSwitch(admin, 'subscription');
    expect(verifyChallenge(request.challenge).claims.request).toEqual({
      kind: 'model-switch',
      model: 'subscription',
    });
    const pending = await licensor.getLicenseInfo(admin);
    expect(pending).toMatchObject({ type: 'perpetual', pendingModelSwitch: 'subscription' });

    const switched = await licensor.applyLicenseKey(
      admin,
      answer(request.challenge, { model: 'subscription', term: term(clock.seconds, 365, 14) }),
    );
    expect(switched.info).toMatchObject({
      type: 'subscription',
      pendingModelSwitch: null,
      pendingRequests: [],
    });
  });

  it('completes a pending switch when a token with the new model answers another challenge', async () => {
    const { licensor, clock } = setup();
    const first = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(admin, answer(first.challenge));
    await licensor.requestModelSwitch(admin, 'subscription');
    const upgrade = await licensor.createChallenge(admin, { credentials: 50 });
    const result = await licensor.applyLicenseKey(
      admin,
      answer(upgrade.challenge, { model: 'subscription', term: term(clock.seconds, 30, 7) }),
    );
    expect(result.info.pendingModelSwitch).toBeNull();
    expect(result.info.pendingRequests).toEqual([]);
  });

  it('refuses to switch to the model in force, or without a license', async () => {
    const { licensor } = setup();
    await expect(licensor.requestModelSwitch(admin, 'subscription')).rejects.toMatchObject({
      code: 'ERR_NO_LICENSE',
    });
    const { challenge } = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(admin, answer(challenge));
    await expect(licensor.requestModelSwitch(admin, 'perpetual')).rejects.toMatchObject({
      code: 'ERR_MODEL_UNCHANGED',
    });
    await expect(
      licensor.requestModelSwitch(admin, 'monthly' as 'perpetual'),
    ).rejects.toMatchObject({
      code: 'ERR_INPUT_INVALID',
    });
  });
});
