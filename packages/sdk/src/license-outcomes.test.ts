// What signed statuses do to the license state: outcomes (also for perpetual licenses), grace,
// statuses that only move forward, and a clock set back.
import { afterEach, describe, expect, it } from 'vitest';
import { admin, DAY, setup } from '../test/fixtures.js';
import { closeServers, licensedOnline, subscribed } from '../test/online.js';
import { statusFor, unreachableUrl } from '../test/verify-server.js';
import { parseStoredState, sealState } from './stored-state.js';

afterEach(closeServers);

describe('license state after online checks', () => {
  it('detects a stored status whose outcome was edited', async () => {
    const { licensor, server, clock, url, store } = await subscribed();
    server.plan = (check, id) => statusFor(check, id, clock, { outcome: 'REVOKED' });
    await licensor.verifyOnline(admin, { url });
    const state = JSON.parse(store.rawState() ?? '{}');
    const [header, payload, signature] = state.lastStatus.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    state.lastStatus = [
      header,
      Buffer.from(JSON.stringify({ ...claims, outcome: 'VALID' })).toString('base64url'),
      signature,
    ].join('.');
    store.setRawState(JSON.stringify(state));
    await expect(licensor.assertCanManage(0)).rejects.toMatchObject({
      code: 'ERR_STATE_TAMPERED',
      reason: 'ERR_SIGNATURE_INVALID',
    });
  });

  it.each([
    [
      'replaced by the older VALID one',
      (state: Record<string, unknown>) => {
        state.lastStatus = state.lastValidStatus;
      },
    ],
    [
      'removed',
      (state: Record<string, unknown>) => {
        state.lastStatus = null;
      },
    ],
    [
      'removed with the VALID one',
      (state: Record<string, unknown>) => {
        state.lastStatus = null;
        state.lastValidStatus = null;
      },
    ],
  ])('refuses a state whose signed REVOKED status was %s', async (_, edit) => {
    const { licensor, server, clock, url, store } = await subscribed();
    clock.advance(DAY);
    await licensor.verifyOnline(admin, { url });
    clock.advance(DAY);
    server.plan = (check, id) => statusFor(check, id, clock, { outcome: 'REVOKED' });
    await licensor.verifyOnline(admin, { url });
    const state = JSON.parse(store.rawState() ?? '{}');
    edit(state);
    const edited = JSON.stringify(state);
    store.setRawState(edited);
    const again = setup({ store, clock }).licensor;
    await expect(again.getLicenseInfo(admin)).rejects.toMatchObject({
      code: 'ERR_STATE_TAMPERED',
    });
    await expect(again.assertCanManage(0)).rejects.toMatchObject({ code: 'ERR_STATE_TAMPERED' });
    expect(store.rawState()).toBe(edited);
  });

  // The attack of issue #17: four fields copied from a state.json saved before the REVOKED
  // status, the rest (the trusted time among it) left as it is.
  const PARTIAL = ['lastStatus', 'lastValidStatus', 'statusTime', 'lastAttempt'] as const;

  async function revokedWithOlderCopy() {
    const setupOnline = await subscribed();
    const { licensor, server, clock, url, store } = setupOnline;
    clock.advance(DAY);
    await licensor.verifyOnline(admin, { url });
    const older = JSON.parse(store.rawState() ?? '{}');
    clock.advance(DAY);
    server.plan = (check, id) => statusFor(check, id, clock, { outcome: 'REVOKED' });
    await licensor.verifyOnline(admin, { url });
    return { ...setupOnline, older, current: JSON.parse(store.rawState() ?? '{}') };
  }

  it('refuses a state partly restored from an older copy (lastStatus, lastValidStatus, statusTime, lastAttempt), leaving it as it is', async () => {
    const { store, clock, older, current } = await revokedWithOlderCopy();
    for (const field of PARTIAL) current[field] = older[field];
    const edited = JSON.stringify(current);
    store.setRawState(edited);
    const again = setup({ store, clock }).licensor;
    await expect(again.capacity(0)).rejects.toMatchObject({ code: 'ERR_STATE_TAMPERED' });
    await expect(again.assertCanManage(0)).rejects.toMatchObject({ code: 'ERR_STATE_TAMPERED' });
    await expect(again.getLicenseInfo(admin)).rejects.toMatchObject({
      code: 'ERR_STATE_TAMPERED',
    });
    expect(store.rawState()).toBe(edited);
  });

  it('refuses the same partial restore re-sealed with the installation key: the trusted time outruns every status held', async () => {
    const { store, clock, older, current } = await revokedWithOlderCopy();
    for (const field of PARTIAL) current[field] = older[field];
    const seed = (await store.loadInstallationKey()) as Uint8Array;
    const resealed = JSON.stringify(sealState(parseStoredState(current).state, seed));
    store.setRawState(resealed);
    await expect(setup({ store, clock }).licensor.capacity(0)).rejects.toMatchObject({
      code: 'ERR_STATE_TAMPERED',
      message: expect.stringMatching(/older than one this installation already recorded/),
    });
    expect(store.rawState()).toBe(resealed);
  });

  it('reads a whole state restored from an older backup (a copy: the next online check names it to the vendor)', async () => {
    const { store, clock, older } = await revokedWithOlderCopy();
    store.setRawState(JSON.stringify(older));
    const again = setup({ store, clock }).licensor;
    expect(await again.capacity(0)).toMatchObject({ state: 'active' });
    // The audit trail still holds every entry; the state's anchor is behind it.
    const audit = await again.verifyAudit(admin);
    expect(audit).toMatchObject({ ok: true });
    expect(audit.unanchored).toBe(1);
  });

  it.each([
    [
      'observedTime lowered (to hide a clock set back)',
      (s: Record<string, unknown>) => {
        s.observedTime = 0;
      },
    ],
    [
      'a pending challenge removed',
      (s: Record<string, unknown>) => {
        s.pending = [];
      },
    ],
    [
      'the seal removed, as an SDK before seals wrote it',
      (s: Record<string, unknown>) => {
        delete s.seal;
        delete s.audit;
        s.v = 1;
      },
    ],
  ])('refuses a state with %s', async (_, edit) => {
    const { licensor, store, clock } = await subscribed();
    await licensor.createChallenge(admin, { credentials: 20 });
    const state = JSON.parse(store.rawState() ?? '{}');
    edit(state);
    const edited = JSON.stringify(state);
    store.setRawState(edited);
    await expect(setup({ store, clock }).licensor.capacity(0)).rejects.toMatchObject({
      code: 'ERR_STATE_TAMPERED',
    });
    expect(store.rawState()).toBe(edited);
  });

  it('does not record a status older than the one recorded, and keeps a loadable state', async () => {
    const { licensor, server, clock, url } = await subscribed();
    clock.advance(DAY);
    await licensor.verifyOnline(admin, { url });
    server.plan = (check, id) =>
      statusFor(check, id, clock, { iat: clock.seconds - 60, outcome: 'SUSPENDED' });
    const result = await licensor.verifyOnline(admin, { url });
    expect(result.error?.code).toBe('ERR_STATUS_MISMATCH');
    expect(result.info).toMatchObject({ lastVerifyResult: 'VALID', lastVerifyTime: clock.seconds });
  });

  it.each([
    ['REVOKED', 'revoked', 'ERR_LICENSE_REVOKED'],
    ['SUSPENDED', 'suspended', 'ERR_LICENSE_SUSPENDED'],
    ['EXPIRED', 'expired', 'ERR_LICENSE_EXPIRED'],
  ] as const)(
    'a signed %s status makes the license %s, not usable, and blocks new credentials',
    async (outcome, state, code) => {
      const { licensor, server, clock, url } = await subscribed();
      server.plan = (check, id) => statusFor(check, id, clock, { outcome });
      const result = await licensor.verifyOnline(admin, { url });
      expect(result).toMatchObject({ ok: true, outcome });
      expect(result.info.state).toBe(state);
      // No "usable until" or "check by" date in the future for a license the vendor stopped.
      expect(result.info).toMatchObject({ usableUntil: null, checkBy: null });
      await expect(licensor.assertCanManage(0)).rejects.toMatchObject({ code });
    },
  );

  it.each([
    ['REVOKED', 'revoked', 'ERR_LICENSE_REVOKED'],
    ['SUSPENDED', 'suspended', 'ERR_LICENSE_SUSPENDED'],
  ] as const)(
    'honours a signed %s status for a perpetual license too',
    async (outcome, state, code) => {
      const { licensor, server, clock, url } = await licensedOnline('perpetual');
      server.plan = (check, id) => statusFor(check, id, clock, { outcome });
      const result = await licensor.verifyOnline(admin, { url });
      expect(result.info).toMatchObject({ type: 'perpetual', state, lastVerifyResult: outcome });
      await expect(licensor.assertCanManage(0)).rejects.toMatchObject({ code });
      server.plan = (check, id) => statusFor(check, id, clock, { outcome: 'VALID' });
      clock.advance(60);
      expect((await licensor.verifyOnline(admin, { url })).info.state).toBe('active');
    },
  );

  it('keeps a perpetual license active after an EXPIRED or UNKNOWN status', async () => {
    for (const outcome of ['EXPIRED', 'UNKNOWN'] as const) {
      const { licensor, server, clock, url } = await licensedOnline('perpetual');
      server.plan = (check, id) =>
        statusFor(check, id, clock, { outcome, ...(outcome === 'UNKNOWN' ? { rev: null } : {}) });
      const result = await licensor.verifyOnline(admin, { url });
      expect(result.info).toMatchObject({ state: 'active', lastVerifyResult: outcome });
    }
  });

  it('an UNKNOWN status is not a successful check', async () => {
    const { licensor, server, clock, url } = await subscribed();
    server.plan = (check, id) => statusFor(check, id, clock, { outcome: 'UNKNOWN', rev: null });
    const result = await licensor.verifyOnline(admin, { url });
    expect(result.info).toMatchObject({ lastVerifyResult: 'UNKNOWN', state: 'grace' });
  });

  it('counts grace from the last successful check, and never past the term end plus grace', async () => {
    const { licensor, server, clock, url, start } = await subscribed();
    clock.advance(100 * DAY);
    await licensor.verifyOnline(admin, { url });
    const down = await unreachableUrl();
    clock.advance(13 * DAY);
    expect((await licensor.verifyOnline(admin, { url: down })).info.state).toBe('grace');
    clock.advance(2 * DAY);
    const expired = await licensor.verifyOnline(admin, { url: down });
    expect(expired.info).toMatchObject({ state: 'expired', usableUntil: start + 114 * DAY });

    clock.seconds = start + 364 * DAY;
    server.plan = (check, id) => statusFor(check, id, clock, { checkBy: clock.seconds + 30 * DAY });
    expect((await licensor.verifyOnline(admin, { url })).info.state).toBe('active');
    clock.seconds = start + 366 * DAY;
    expect((await licensor.getLicenseInfo(admin)).state).toBe('grace');
    clock.seconds = start + 379 * DAY + 1;
    expect((await licensor.getLicenseInfo(admin)).state).toBe('expired');
  });

  it('reports a clock set back, which does not bring an expired grace period back', async () => {
    const { licensor, server, clock, url } = await subscribed();
    clock.advance(20 * DAY);
    await licensor.verifyOnline(admin, { url });
    const verifiedAt = clock.seconds;
    clock.advance(15 * DAY);
    expect((await licensor.getLicenseInfo(admin)).state).toBe('expired');
    const seen = clock.seconds;
    clock.seconds = verifiedAt - 30 * DAY;
    const info = await licensor.getLicenseInfo(admin);
    expect(info.clock).toEqual({
      local: verifiedAt - 30 * DAY,
      trusted: verifiedAt,
      highestSeen: seen,
      rollbackDetected: true,
      offset: 0,
      offsetText: null,
    });
    expect(info.state).toBe('expired');
    clock.seconds = verifiedAt + 3600;
    expect((await licensor.getLicenseInfo(admin)).state).toBe('expired');
    await expect(licensor.assertCanManage(0)).rejects.toMatchObject({
      code: 'ERR_LICENSE_EXPIRED',
    });

    // A signed status is the vendor's word on the time: after it, the clock is trusted again.
    server.plan = (check, id) => statusFor(check, id, clock);
    const verified = await licensor.verifyOnline(admin, { url });
    expect(verified.info.state).toBe('active');
    expect(verified.info.clock.rollbackDetected).toBe(false);
  });

  it('keeps working with a clock 2 h 10 min behind: the signed status says so in words, and rules run on the corrected time', async () => {
    const { licensor, server, clock, url } = await subscribed();
    // The vendor's time is 2 h 10 min after this machine's.
    server.plan = (check, id) =>
      statusFor(check, id, clock, { iat: clock.seconds + 7800, checkBy: clock.seconds + DAY });
    const result = await licensor.verifyOnline(admin, { url });
    expect(result).toMatchObject({ ok: true, outcome: 'VALID' });
    expect(result.info.clock).toMatchObject({
      offset: 7800,
      local: clock.seconds + 7800,
      rollbackDetected: false,
      offsetText: expect.stringMatching(/^this server's clock is 2 h 10 min behind the vendor's/),
    });
    expect(result.info).toMatchObject({ state: 'active', stateReason: null });
    expect(await licensor.capacity(0)).toMatchObject({ blockedBy: null });
    // Winding the clock back after the measurement is still a clock set back.
    clock.advance(-DAY);
    expect((await licensor.getLicenseInfo(admin)).clock.rollbackDetected).toBe(true);
  });

  it("says a clock ahead of the vendor's in words too", async () => {
    const { licensor, server, clock, url } = await subscribed();
    server.plan = (check, id) => statusFor(check, id, clock, { iat: clock.seconds - 3 * DAY });
    clock.advance(3 * DAY);
    const result = await licensor.verifyOnline(admin, { url });
    expect(result.info.clock.offsetText).toMatch(
      /^this server's clock is 3 d ahead of the vendor's/,
    );
  });

  it('blocks a subscription when a status without a clock offset (version 1) is far ahead of the clock, until it is set right', async () => {
    const { licensor, clock, url, server } = await subscribed();
    server.plan = (check, id) =>
      statusFor({ ...check, v: 1 }, id, clock, {
        iat: clock.seconds + 40 * DAY,
        checkBy: clock.seconds + 41 * DAY,
      });
    await licensor.verifyOnline(admin, { url });
    const info = await licensor.getLicenseInfo(admin);
    expect(info.clock).toMatchObject({ trusted: clock.seconds + 40 * DAY, rollbackDetected: true });
    expect(info).toMatchObject({ state: 'expired', stateReason: 'clock-rollback' });
    expect(await licensor.capacity(0)).toMatchObject({
      available: 0,
      blockedBy: 'ERR_CLOCK_ROLLBACK',
    });
    await expect(licensor.assertCanManage(0)).rejects.toMatchObject({
      code: 'ERR_CLOCK_ROLLBACK',
    });
    clock.advance(40 * DAY);
    expect(await licensor.getLicenseInfo(admin)).toMatchObject({
      state: 'active',
      stateReason: null,
    });
  });
});
