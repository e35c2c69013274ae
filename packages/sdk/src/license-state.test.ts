import { describe, expect, it } from 'vitest';
import { admin, answer, DAY, setup, term } from '../test/fixtures.js';
import { parseStoredState, sealState } from './stored-state.js';

const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

describe('license state', () => {
  it('is none before any key is applied', async () => {
    expect((await setup().licensor.getLicenseInfo(admin)).state).toBe('none');
  });

  it('keeps a perpetual license active forever, with no check', async () => {
    const { licensor, clock } = setup();
    const { challenge } = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(admin, answer(challenge));
    clock.advance(3650 * DAY);
    expect(await licensor.getLicenseInfo(admin)).toMatchObject({
      state: 'active',
      usableUntil: null,
      checkBy: null,
    });
  });

  it('runs a never-checked subscription for its grace period from the token issue time', async () => {
    const { licensor, clock } = setup();
    const start = clock.seconds;
    const { challenge } = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(
      admin,
      answer(challenge, { model: 'subscription', term: term(start, 365, 14) }),
    );
    clock.advance(14 * DAY);
    expect(await licensor.getLicenseInfo(admin)).toMatchObject({
      state: 'active',
      usableUntil: start + 14 * DAY,
    });
    clock.advance(1);
    expect((await licensor.getLicenseInfo(admin)).state).toBe('expired');
  });

  it('is in grace after the term ends and expired after term end plus grace', async () => {
    const { licensor, clock } = setup();
    const start = clock.seconds - 20 * DAY;
    const { challenge } = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(
      admin,
      answer(challenge, { model: 'subscription', term: term(start, 25, 10) }),
    );
    clock.advance(5 * DAY + 1);
    expect((await licensor.getLicenseInfo(admin)).state).toBe('grace');
    clock.advance(10 * DAY);
    expect((await licensor.getLicenseInfo(admin)).state).toBe('expired');
  });

  it('says why a subscription expired when no check succeeded within its grace: offline-grace, the date, and Verify License', async () => {
    const { licensor, clock } = setup();
    const start = clock.seconds;
    const { challenge } = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(
      admin,
      answer(challenge, { model: 'subscription', term: term(start, 365, 14) }),
    );
    clock.advance(14 * DAY + 1);
    expect(await licensor.getLicenseInfo(admin)).toMatchObject({
      state: 'expired',
      stateReason: 'offline-grace',
      usableUntil: start + 14 * DAY,
    });
    expect(await licensor.capacity(0)).toMatchObject({ blockedBy: 'ERR_LICENSE_EXPIRED' });
    const refused = await licensor.assertCanManage(0).catch((error) => error);
    expect(refused.code).toBe('ERR_LICENSE_EXPIRED');
    expect(refused.message).toContain(`expired at ${iso(start + 14 * DAY)}`);
    expect(refused.message).toMatch(/no online check succeeded within its grace period/);
    expect(refused.message).toMatch(/Run Verify License/);
    expect(refused.message).not.toMatch(/renew/);
  });

  it('says why a subscription expired when its term and grace ended: term-ended, the dates, and renewal', async () => {
    const { licensor, clock } = setup();
    // Issued (vouched for) after its term ended: only the grace after the term is left.
    const start = clock.seconds - 15 * DAY;
    const { challenge } = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(
      admin,
      answer(challenge, { model: 'subscription', term: term(start, 10, 10) }),
    );
    clock.advance(5 * DAY + 1);
    expect(await licensor.getLicenseInfo(admin)).toMatchObject({
      state: 'expired',
      stateReason: 'term-ended',
      usableUntil: start + 20 * DAY,
    });
    expect(await licensor.capacity(0)).toMatchObject({ blockedBy: 'ERR_LICENSE_EXPIRED' });
    const refused = await licensor.assertCanManage(0).catch((error) => error);
    expect(refused.code).toBe('ERR_LICENSE_EXPIRED');
    expect(refused.message).toContain(`term ended at ${iso(start + 10 * DAY)}`);
    expect(refused.message).toContain(`grace period at ${iso(start + 20 * DAY)}`);
    expect(refused.message).toMatch(/Ask the vendor to renew it/);
  });

  it('does not keep a subscription usable while the clock is set back, offline', async () => {
    const { licensor, clock } = setup();
    const start = clock.seconds;
    const { challenge } = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(
      admin,
      answer(challenge, { model: 'subscription', credentials: 100, term: term(start, 30, 7) }),
    );
    clock.advance(2 * DAY);
    expect((await licensor.getLicenseInfo(admin)).state).toBe('active');
    for (const realDay of [3, 20, 366]) {
      clock.seconds = start + realDay * DAY - 365 * DAY;
      expect(await licensor.getLicenseInfo(admin)).toMatchObject({
        state: 'expired',
        stateReason: 'clock-rollback',
        clock: { rollbackDetected: true },
      });
      await expect(licensor.assertCanManage(50, 10)).rejects.toMatchObject({
        code: 'ERR_CLOCK_ROLLBACK',
      });
    }
  });

  /** A subscription (30 days, 7 days grace) applied now and never checked: grace from its issue. */
  async function offlineSubscription() {
    const context = setup();
    const start = context.clock.seconds;
    const { challenge } = await context.licensor.createChallenge(admin);
    await context.licensor.applyLicenseKey(
      admin,
      answer(challenge, { model: 'subscription', credentials: 100, term: term(start, 30, 7) }),
    );
    return { ...context, start };
  }

  it.each([
    ['290 s every 290 s (within the skew)', 290],
    ['59 s every 59 s (under the minute reads save at)', 59],
  ])('does not let a clock set back %s hold a grace period open, offline', async (_name, step) => {
    const { licensor, clock, start } = await offlineSubscription();
    const held = clock.seconds;
    let real = held;
    // The clock runs `step` seconds, is read, then is set back by as much, and is read again.
    while (real < start + 8 * DAY) {
      clock.seconds = held + step;
      await licensor.capacity(0);
      real += step;
      clock.seconds = held;
      await licensor.capacity(0);
    }
    // Eight days ran (grace: seven from the token's issue): whatever the clock says now.
    for (const reading of [held, held + step]) {
      clock.seconds = reading;
      const info = await licensor.getLicenseInfo(admin);
      expect(info.state).toBe('expired');
      expect(await licensor.capacity(0)).toMatchObject({ available: 0 });
    }
  });

  it('counts a clock set back within the skew as the time it ran when it runs again, in a new process too', async () => {
    const { licensor, clock, store, start } = await offlineSubscription();
    clock.advance(6 * DAY);
    expect((await licensor.getLicenseInfo(admin)).state).toBe('active');
    clock.advance(-250); // within the skew: tolerated, not reported
    const back = await setup({ store, clock }).licensor.getLicenseInfo(admin);
    expect(back).toMatchObject({ state: 'active', clock: { rollbackDetected: false } });
    // It runs on for a day and a bit: 7 days and 250 s have run since the token's issue, the
    // clock says 250 s less, and grace (7 days from the issue) is over.
    clock.advance(DAY + 250);
    const again = setup({ store, clock }).licensor;
    expect(await again.getLicenseInfo(admin)).toMatchObject({
      state: 'expired',
      usableUntil: start + 7 * DAY,
      clock: { local: start + 7 * DAY, highestSeen: start + 7 * DAY + 250 },
    });
  });

  it('keeps the clock reading in the sealed state: edited, the state is refused', async () => {
    const { licensor, clock, store } = await offlineSubscription();
    clock.advance(DAY);
    await licensor.getLicenseInfo(admin);
    const state = JSON.parse(store.rawState() ?? '{}');
    expect(state.clockReading).toBe(clock.seconds);
    const edited = JSON.stringify({ ...state, clockReading: clock.seconds + DAY });
    store.setRawState(edited);
    await expect(licensor.capacity(0)).rejects.toMatchObject({ code: 'ERR_STATE_TAMPERED' });
    expect(store.rawState()).toBe(edited);
  });

  it('loads a sealed state of an SDK before the clock reading, and keeps the reading from then on', async () => {
    const { licensor, clock, store } = await offlineSubscription();
    clock.advance(DAY);
    await licensor.getLicenseInfo(admin);
    const { clockReading: _reading, ...older } = parseStoredState(
      JSON.parse(store.rawState() ?? '{}'),
    ).state;
    const seed = (await store.loadInstallationKey()) as Uint8Array;
    store.setRawState(JSON.stringify(sealState(older, seed)));
    const reopened = setup({ store, clock }).licensor;
    expect(await reopened.getLicenseInfo(admin)).toMatchObject({
      state: 'active',
      clock: { rollbackDetected: false },
    });
    expect(JSON.parse(store.rawState() ?? '{}').clockReading).toBe(clock.seconds);
  });

  it('keeps a perpetual license active when the clock is set back', async () => {
    const { licensor, clock } = setup();
    const { challenge } = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(admin, answer(challenge));
    clock.advance(2 * DAY);
    await licensor.getLicenseInfo(admin);
    clock.advance(-365 * DAY);
    expect(await licensor.getLicenseInfo(admin)).toMatchObject({
      state: 'active',
      stateReason: null,
      clock: { rollbackDetected: true },
    });
    await expect(licensor.assertCanManage(0)).resolves.toBeUndefined();
  });

  it('grants nothing before a subscription term begins', async () => {
    const { licensor, clock } = setup();
    const start = clock.seconds + 10 * DAY;
    const { challenge } = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(
      admin,
      answer(challenge, { model: 'subscription', credentials: 5, term: term(start, 365, 14) }),
    );
    expect(await licensor.getLicenseInfo(admin)).toMatchObject({
      state: 'none',
      stateReason: 'not-started',
      credentials: 5,
    });
    expect(await licensor.capacity(0)).toMatchObject({
      available: 0,
      blockedBy: 'ERR_LICENSE_NOT_STARTED',
    });
    await expect(licensor.assertCanManage(0)).rejects.toMatchObject({
      code: 'ERR_LICENSE_NOT_STARTED',
    });
    clock.seconds = start;
    expect(await licensor.getLicenseInfo(admin)).toMatchObject({
      state: 'active',
      stateReason: null,
    });
  });
});
