// What signed statuses do to the license state: outcomes (also for perpetual licenses), grace,
// statuses that answer the check (the latest one is the vendor's word, on the time too), and a
// clock set back.
import { TYP } from '@licensor/token';
import { afterEach, describe, expect, it } from 'vitest';
import { admin, answer, DAY, FrozenClock, setup, statusKey, term } from '../test/fixtures.js';
import { signRaw } from '../test/keysets.js';
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

  it('records a status older than the one recorded that answers this check (a lagging node), and keeps a loadable state', async () => {
    const { licensor, server, clock, url, store } = await subscribed();
    clock.advance(DAY);
    await licensor.verifyOnline(admin, { url });
    server.plan = (check, id) =>
      statusFor(check, id, clock, { iat: clock.seconds - 60, outcome: 'SUSPENDED' });
    const result = await licensor.verifyOnline(admin, { url });
    expect(result).toMatchObject({ ok: true, outcome: 'SUSPENDED', error: null });
    expect(result.info).toMatchObject({
      state: 'suspended',
      lastVerifyResult: 'SUSPENDED',
      lastVerifyTime: clock.seconds - 60,
    });
    // The last VALID status, a minute later, stays beside it; a new process loads the state.
    const again = setup({ store, clock }).licensor;
    const reloaded = await again.getLicenseInfo(admin);
    expect(reloaded).toMatchObject({ state: 'suspended', lastVerifyTime: clock.seconds - 60 });
    expect(reloaded.clock).toMatchObject({ trusted: clock.seconds - 60, rollbackDetected: false });
    server.plan = (check, id) => statusFor(check, id, clock);
    clock.advance(60);
    expect((await again.verifyOnline(admin, { url })).info.state).toBe('active');
  });

  it("records a lagging node's VALID status a few seconds older than the last one: nothing else changes", async () => {
    const { licensor, server, clock, url, store } = await subscribed();
    clock.advance(DAY);
    await licensor.verifyOnline(admin, { url });
    const before = await licensor.getLicenseInfo(admin);
    const last = before.lastVerifyTime as number;
    clock.advance(30);
    // Another node of the service answers the next check, its clock behind the first one's.
    server.plan = (check, id) =>
      statusFor(check, id, clock, { iat: last - 5, checkBy: before.checkBy as number });
    const result = await licensor.verifyOnline(admin, { url });
    expect(result).toMatchObject({ ok: true, outcome: 'VALID', verifiedAt: last - 5, error: null });
    const after = { state: 'active', stateReason: null, checkBy: before.checkBy };
    expect(before).toMatchObject(after);
    expect(result.info).toMatchObject({ ...after, lastVerifyTime: last - 5 });
    expect(result.info.clock).toMatchObject({
      trusted: last - 5,
      local: clock.seconds,
      offset: 0,
      rollbackDetected: false,
    });
    expect(await licensor.capacity(0)).toMatchObject({ blockedBy: null });
    const again = await setup({ store, clock }).licensor.getLicenseInfo(admin);
    expect(again).toEqual(result.info);
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

  it("says a subscription the vendor's service answered EXPIRED for is vendor-expired, naming the date and renewal", async () => {
    const { licensor, server, clock, url, start } = await subscribed();
    clock.advance(30 * DAY);
    server.plan = (check, id) =>
      statusFor(check, id, clock, { outcome: 'EXPIRED', termEnd: start + 365 * DAY });
    const result = await licensor.verifyOnline(admin, { url });
    expect(result.info).toMatchObject({ state: 'expired', stateReason: 'vendor-expired' });
    expect(await licensor.capacity(0)).toMatchObject({ blockedBy: 'ERR_LICENSE_EXPIRED' });
    const refused = await licensor.assertCanManage(0).catch((error) => error);
    expect(refused.code).toBe('ERR_LICENSE_EXPIRED');
    const iso = new Date(clock.seconds * 1000).toISOString().replace('.000Z', 'Z');
    expect(refused.message).toContain(`The vendor's service answered EXPIRED at ${iso}`);
    expect(refused.message).toMatch(/Ask the vendor to renew it/);
  });

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

  /** A subscription verified once, then its machine's clock run 72 min ahead of the vendor's. */
  async function clockAhead() {
    const online = await subscribed();
    const vendor = new FrozenClock(online.clock.seconds);
    online.server.plan = (check, id) => statusFor(check, id, vendor);
    await online.licensor.verifyOnline(admin, { url: online.url });
    online.clock.advance(72 * 60);
    return { ...online, vendor };
  }

  it('leaves a subscription active after one verify with the clock 72 minutes ahead', async () => {
    const { licensor, url, store, clock } = await clockAhead();
    const result = await licensor.verifyOnline(admin, { url });
    expect(result).toMatchObject({ ok: true, outcome: 'VALID' });
    expect(result.info).toMatchObject({ state: 'active', stateReason: null });
    expect(result.info.clock).toMatchObject({ offset: -72 * 60, rollbackDetected: false });
    expect(await licensor.capacity(0)).toMatchObject({ blockedBy: null });
    // And so says the next process that opens the state.
    expect(await setup({ store, clock }).licensor.capacity(0)).toMatchObject({ blockedBy: null });
  });

  it('leaves a subscription active after one verify once the clock that ran ahead is set right', async () => {
    const { licensor, url, clock, vendor } = await clockAhead();
    await licensor.verifyOnline(admin, { url });
    vendor.advance(60);
    clock.seconds = vendor.seconds;
    // Set right after the offset was measured: read without it, not a clock set back.
    expect((await licensor.getLicenseInfo(admin)).clock).toMatchObject({
      offset: 0,
      rollbackDetected: false,
    });
    const result = await licensor.verifyOnline(admin, { url });
    expect(result).toMatchObject({ ok: true, outcome: 'VALID' });
    expect(result.info).toMatchObject({ state: 'active', stateReason: null });
    expect(result.info.clock).toMatchObject({ offset: 0, rollbackDetected: false });
    expect(await licensor.capacity(0)).toMatchObject({ blockedBy: null });
  });

  it('keeps a subscription usable when a clock 10 min fast is set right with the service unreachable; set back further, it is a clock set back', async () => {
    const { licensor, server, clock, url } = await subscribed();
    clock.advance(DAY);
    const vendor = new FrozenClock(clock.seconds);
    clock.advance(600); // this server's clock runs 10 min fast
    server.plan = (check, id) => statusFor(check, id, vendor);
    const measured = await licensor.verifyOnline(admin, { url });
    expect(measured.info.clock).toMatchObject({ offset: -600, rollbackDetected: false });
    clock.advance(-600); // NTP sets it right, as offsetText advises
    vendor.advance(60);
    clock.advance(60);
    const failed = await licensor.verifyOnline(admin, { url: await unreachableUrl() });
    expect(failed.info).toMatchObject({ state: 'grace', stateReason: null });
    expect(failed.info.clock).toMatchObject({
      local: vendor.seconds,
      offset: 0,
      offsetText: null,
      rollbackDetected: false,
    });
    expect(await licensor.capacity(0)).toMatchObject({ blockedBy: null });
    // Its own reading set back beyond the vendor's time: a clock set back, as before.
    clock.advance(-DAY);
    expect(await licensor.getLicenseInfo(admin)).toMatchObject({
      state: 'expired',
      stateReason: 'clock-rollback',
      clock: { offset: -600, rollbackDetected: true },
    });
  });

  it("refuses a version 1 status answering the SDK's version 2 check (a proxy re-signing the check as version 1): ERR_STATUS_MISMATCH, nothing recorded, the chain kept", async () => {
    const { licensor, server, clock, url, store } = await subscribed();
    clock.advance(DAY);
    expect(await licensor.verifyOnline(admin, { url })).toMatchObject({ ok: true });
    const before = recorded(store);
    clock.advance(DAY);
    // What the service signs for the same check re-signed as version 1 (same nonce, iat, lid,
    // rev) with the installation key: a VALID without `skew` or `chain`, signed at the check's time.
    server.plan = (check, id) => statusFor({ ...check, v: 1 }, id, clock);
    const downgraded = await licensor.verifyOnline(admin, { url });
    expect(downgraded).toMatchObject({ ok: false, outcome: null });
    expect(downgraded.error).toMatchObject({
      code: 'ERR_STATUS_MISMATCH',
      message: expect.stringMatching(/^The status does not answer this check: it is of version 1/),
    });
    expect(recorded(store)).toEqual(before);
    expect(downgraded.info).toMatchObject({ state: 'grace', lastVerifyTime: clock.seconds - DAY });
    // The next check still presents the chain value the last version 2 status handed out.
    server.plan = (check, id) => statusFor(check, id, clock);
    expect(await licensor.verifyOnline(admin, { url })).toMatchObject({ ok: true });
    const [first, refused, next] = server.checks;
    expect(first?.prev).toBeUndefined();
    expect(refused?.prev).toEqual(expect.any(String));
    expect(next?.prev).toBe(refused?.prev);
  });

  /** What a refused status must leave as it was: the times and statuses recorded. */
  const recorded = (store: { rawState(): string | null }) => {
    const { statusTime, trustedTime, lastStatus, lastValidStatus } = JSON.parse(
      store.rawState() ?? '{}',
    );
    return { statusTime, trustedTime, lastStatus, lastValidStatus };
  };

  it("refuses a version 2 status whose time less its clock offset is not the check's time, and records none of it", async () => {
    const { licensor, server, clock, url, store } = await subscribed();
    await licensor.verifyOnline(admin, { url });
    clock.advance(60);
    const before = recorded(store);
    // Signed by a trusted status key 50 years ahead, with an offset that does not account for it.
    const far = clock.seconds + 50 * 365 * DAY;
    server.plan = (check, id) => statusFor(check, id, clock, { iat: far, checkBy: far, skew: 0 });
    const result = await licensor.verifyOnline(admin, { url });
    expect(result).toMatchObject({ ok: false, outcome: null });
    expect(result.error).toMatchObject({
      code: 'ERR_STATUS_MISMATCH',
      message: expect.stringMatching(/^The status does not answer this check's time/),
    });
    expect(recorded(store)).toEqual(before);
    expect(result.info).toMatchObject({ state: 'grace', lastVerifyTime: clock.seconds - 60 });
    expect(result.info.clock).toMatchObject({
      trusted: clock.seconds - 60,
      rollbackDetected: false,
    });
  });

  it('refuses a version 1 status (no clock offset) signed 40 days from the check, and records none of it', async () => {
    const { licensor, server, clock, url, store } = await subscribed();
    await licensor.verifyOnline(admin, { url });
    clock.advance(60);
    const before = recorded(store);
    server.plan = (check, id) =>
      statusFor({ ...check, v: 1 }, id, clock, {
        iat: clock.seconds + 40 * DAY,
        checkBy: clock.seconds + 41 * DAY,
      });
    const result = await licensor.verifyOnline(admin, { url });
    expect(result.error).toMatchObject({
      code: 'ERR_STATUS_MISMATCH',
      message: expect.stringMatching(/^The status does not answer this check: it is of version 1/),
    });
    expect(recorded(store)).toEqual(before);
    expect(result.info.clock).toMatchObject({
      trusted: clock.seconds - 60,
      rollbackDetected: false,
    });
  });

  /** A subscription verified once, then answered by a status key signing 9 years ahead. */
  async function answeredFarAhead() {
    const online = await subscribed();
    const { licensor, server, clock, url } = online;
    await licensor.verifyOnline(admin, { url });
    clock.advance(60);
    // A trusted status key (compromised), or a service whose clock jumped, signs 9 years ahead
    // with an offset to match (statusFor: skew = iat − the check's iat): it answers the check.
    const far = clock.seconds + 9 * 365 * DAY;
    server.plan = (check, id) => statusFor(check, id, clock, { iat: far, checkBy: far + DAY });
    const forged = await licensor.verifyOnline(admin, { url });
    expect(forged).toMatchObject({ ok: true, verifiedAt: far });
    expect(forged.info.clock.trusted).toBe(far);
    clock.advance(60);
    return { ...online, far };
  }

  it('records the genuine status after one signed 9 years ahead: trusted time is back, the subscription active again', async () => {
    const { licensor, server, clock, url, store } = await answeredFarAhead();
    expect((await licensor.getLicenseInfo(admin)).state).toBe('expired');
    server.plan = (check, id) => statusFor(check, id, clock);
    const genuine = await licensor.verifyOnline(admin, { url });
    expect(genuine).toMatchObject({ ok: true, outcome: 'VALID', verifiedAt: clock.seconds });
    expect(genuine.info).toMatchObject({
      state: 'active',
      stateReason: null,
      lastVerifyTime: clock.seconds,
      checkBy: clock.seconds + DAY,
    });
    expect(genuine.info.clock).toEqual({
      local: clock.seconds,
      trusted: clock.seconds,
      highestSeen: clock.seconds,
      rollbackDetected: false,
      offset: 0,
      offsetText: null,
    });
    await expect(licensor.assertCanManage(0)).resolves.toBeUndefined();
    expect(JSON.parse(store.rawState() ?? '{}')).toMatchObject({
      statusTime: clock.seconds,
      trustedTime: clock.seconds,
    });
    // A new process reads the same; a clock set back locally after it is still caught.
    const again = setup({ store, clock }).licensor;
    expect(await again.getLicenseInfo(admin)).toEqual(genuine.info);
    clock.advance(-DAY);
    expect(await again.getLicenseInfo(admin)).toMatchObject({
      state: 'expired',
      stateReason: 'clock-rollback',
    });
  });

  it('drops the last VALID status signed 9 years ahead when a genuine non-VALID one follows: grace does not count from it', async () => {
    const { licensor, server, clock, url, store, start } = await answeredFarAhead();
    server.plan = (check, id) => statusFor(check, id, clock, { outcome: 'UNKNOWN', rev: null });
    const genuine = await licensor.verifyOnline(admin, { url });
    expect(genuine).toMatchObject({ ok: true, outcome: 'UNKNOWN' });
    // Grace counts from the license token again (issued at the start), not from 9 years ahead.
    expect(genuine.info).toMatchObject({
      state: 'grace',
      usableUntil: start + 14 * DAY,
      checkBy: null,
      lastVerifyTime: clock.seconds,
    });
    expect(genuine.info.clock).toMatchObject({ trusted: clock.seconds, rollbackDetected: false });
    expect(JSON.parse(store.rawState() ?? '{}').lastValidStatus).toBeNull();
    expect(await setup({ store, clock }).licensor.getLicenseInfo(admin)).toEqual(genuine.info);
    // Later answers (UNKNOWN: the service does not hold the license) do not renew grace.
    clock.advance(14 * DAY + 1);
    expect((await licensor.verifyOnline(admin, { url })).info).toMatchObject({
      state: 'expired',
      stateReason: 'offline-grace',
    });
  });

  it("keeps the last VALID status when a node whose clock lags by 10 min answers UNKNOWN a minute later: the subscription stays in grace from the VALID's time", async () => {
    const { licensor, server, clock, url, store } = await subscribed();
    clock.advance(30 * DAY); // the token was issued 30 days ago, grace 14 days
    expect(await licensor.verifyOnline(admin, { url })).toMatchObject({ outcome: 'VALID' });
    const validAt = clock.seconds;
    clock.advance(60);
    const lagging = new FrozenClock(clock.seconds - 600);
    server.plan = (check, id) => statusFor(check, id, lagging, { outcome: 'UNKNOWN', rev: null });
    const unknown = await licensor.verifyOnline(admin, { url });
    expect(unknown).toMatchObject({ ok: true, outcome: 'UNKNOWN' });
    // Grace counts from the VALID's time, taken no later than the lagging answer's.
    const expected = { state: 'grace', stateReason: null, usableUntil: validAt - 540 + 14 * DAY };
    expect(unknown.info).toMatchObject(expected);
    expect(await licensor.capacity(0)).toMatchObject({ blockedBy: null });
    // A new process loads the state (the kept VALID, signed after the latest, is no edit).
    const again = setup({ store, clock }).licensor;
    expect(await again.getLicenseInfo(admin)).toMatchObject(expected);
    // The next answer from a right node: active again.
    server.plan = (check, id) => statusFor(check, id, clock);
    clock.advance(60);
    expect((await again.verifyOnline(admin, { url })).info.state).toBe('active');
  });

  it('counts failed checks again after a time signed 9 years ahead is undone, for a license applied meanwhile too', async () => {
    const { licensor, server, clock, url, challenge, licenseId, start } = await subscribed();
    await licensor.verifyOnline(admin, { url });
    clock.advance(60);
    const far = clock.seconds + 9 * 365 * DAY;
    // The far-ahead status delivers a renewal: applied at the time then trusted, 9 years ahead.
    const renewal = answer(challenge, {
      lid: licenseId,
      rev: 2,
      chal: null,
      model: 'subscription',
      term: term(start, 730, 14),
    });
    server.plan = (check, id) =>
      statusFor(check, id, clock, { iat: far, checkBy: far + DAY, rev: 2, license: renewal });
    expect(await licensor.verifyOnline(admin, { url })).toMatchObject({ appliedRevision: 2 });
    clock.advance(60);
    server.plan = (check, id) => statusFor(check, id, clock, { rev: 2 });
    const genuine = await licensor.verifyOnline(admin, { url });
    expect(genuine.info).toMatchObject({ state: 'active', appliedAt: clock.seconds });
    // A check that fails after it counts: grace, as for any failed check.
    clock.advance(60);
    const failed = await licensor.verifyOnline(admin, { url: await unreachableUrl() });
    expect(failed.info).toMatchObject({ state: 'grace', lastVerifyTime: clock.seconds - 60 });
  });

  it("refuses a status 50 years ahead with an offset to match: beyond the token's 10-year cap on skew, ERR_STATUS_INVALID", async () => {
    const { licensor, server, clock, url, store } = await subscribed();
    await licensor.verifyOnline(admin, { url });
    clock.advance(60);
    const before = recorded(store);
    const far = clock.seconds + 50 * 365 * DAY;
    // signStatus refuses such claims: signed by hand, as the holder of a status key could.
    server.plan = (check, id) => {
      const [, payload = ''] = statusFor(check, id, clock).body.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      const header = { alg: 'EdDSA', typ: TYP.status, kid: statusKey.kid };
      const skew = far - check.iat;
      return { body: signRaw(header, { ...claims, iat: far, skew, checkBy: far }, statusKey) };
    };
    const result = await licensor.verifyOnline(admin, { url });
    expect(result.error).toMatchObject({ code: 'ERR_STATUS_INVALID' });
    expect(result.error?.message).toMatch(/ERR_CLAIMS_INVALID: claim "skew" must be an integer/);
    expect(recorded(store)).toEqual(before);
    expect(result.info.clock).toMatchObject({ trusted: clock.seconds - 60 });
  });

  it('accepts the genuine status after a refused forged one: the forged time moved nothing', async () => {
    const { licensor, server, clock, url } = await subscribed();
    const far = clock.seconds + 50 * 365 * DAY;
    server.plan = (check, id) => statusFor(check, id, clock, { iat: far, checkBy: far, skew: 0 });
    expect((await licensor.verifyOnline(admin, { url })).error?.code).toBe('ERR_STATUS_MISMATCH');
    clock.advance(60);
    server.plan = (check, id) => statusFor(check, id, clock);
    const genuine = await licensor.verifyOnline(admin, { url });
    expect(genuine).toMatchObject({ ok: true, outcome: 'VALID', verifiedAt: clock.seconds });
    expect(genuine.info).toMatchObject({ state: 'active', lastVerifyTime: clock.seconds });
    expect(genuine.info.clock).toMatchObject({ trusted: clock.seconds, rollbackDetected: false });
    await expect(licensor.assertCanManage(0)).resolves.toBeUndefined();
  });
});
