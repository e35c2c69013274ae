// Requests closed without a key (#16.14): a model switch the vendor declined is closed by the
// next verified status that names it, with the vendor's reason and an audit entry; a status
// that does not verify closes nothing; an operator can cancel a pending request here.
import { challengeHash } from '@licensor/token';
import { afterEach, describe, expect, it } from 'vitest';
import { admin, answer, licenseKey, term, viewer } from '../test/fixtures.js';
import { closeServers, licensedOnline } from '../test/online.js';
import { statusFor } from '../test/verify-server.js';

afterEach(closeServers);

/** A perpetual license with a pending switch to subscription, and its verify server. */
async function withPendingSwitch() {
  const online = await licensedOnline('perpetual');
  const request = await online.licensor.requestModelSwitch(admin, 'subscription');
  return { ...online, request };
}

describe('a request the vendor declined', () => {
  it('is closed by the next verified status, with the reason, and audited', async () => {
    const { licensor, server, clock, url, request } = await withPendingSwitch();
    const declinedAt = clock.seconds - 60;
    const other = Buffer.alloc(32, 7).toString('base64url'); // a request not held here
    server.plan = (check, id) =>
      statusFor(check, id, clock, {
        rejected: [
          { chal: other, at: declinedAt, reason: null },
          { chal: challengeHash(request.challenge), at: declinedAt, reason: 'stay perpetual' },
        ],
      });
    const before = await licensor.getLicenseInfo(admin);
    expect(before).toMatchObject({ pendingModelSwitch: 'subscription', closedRequests: [] });

    const result = await licensor.verifyOnline(viewer, { url });
    expect(result).toMatchObject({ ok: true, outcome: 'VALID' });
    const closed = {
      id: request.request.id,
      kind: 'model-switch',
      outcome: 'rejected',
      closedAt: declinedAt,
      closedBy: 'vendor',
      reason: 'stay perpetual',
      challenge: request.challenge,
    };
    expect(result.rejectedRequests).toEqual([expect.objectContaining(closed)]);
    expect(result.info).toMatchObject({ pendingModelSwitch: null, pendingRequests: [] });
    expect(result.info.closedRequests).toEqual([expect.objectContaining(closed)]);
    expect(await licensor.listClosedRequests(viewer)).toEqual(result.info.closedRequests);

    const [entry] = (await licensor.listAudit(admin)).filter((e) => e.action === 'verify');
    expect(entry?.detail).toBe(
      `outcome VALID; the vendor declined request ${request.request.id}: stay perpetual`,
    );
    // Held as closed across a reload (the state is sealed with it) and not closed twice.
    await licensor.verifyOnline(viewer, { url });
    expect((await licensor.getLicenseInfo(admin)).closedRequests).toHaveLength(1);
  });

  it('refuses a key that answers it afterwards, naming why, and changes nothing', async () => {
    const { licensor, server, clock, url, request, store } = await withPendingSwitch();
    server.plan = (check, id) =>
      statusFor(check, id, clock, {
        rejected: [{ chal: challengeHash(request.challenge), at: clock.seconds, reason: null }],
      });
    await licensor.verifyOnline(viewer, { url });
    const state = store.rawState();
    const key = answer(request.challenge, {
      model: 'subscription',
      term: term(clock.seconds, 30, 7),
    });
    const refused = await licensor.applyLicenseKey(admin, key).catch((e) => e);
    expect(refused).toMatchObject({ code: 'ERR_CHALLENGE_UNKNOWN' });
    expect(refused.message).toContain(`request ${request.request.id}, which is closed`);
    expect(refused.message).toContain('the vendor declined it');
    expect(store.rawState()).toBe(state);
  });

  it('stays pending when the status naming it does not verify (not signed by a status key)', async () => {
    const { licensor, server, clock, url, request, store } = await withPendingSwitch();
    const rejected = [{ chal: challengeHash(request.challenge), at: clock.seconds, reason: 'x' }];
    // A status signed by the license key: a vendor key, but not for this purpose.
    server.plan = (check, id) => statusFor(check, id, clock, { rejected }, licenseKey);
    const pendingBefore = JSON.parse(store.rawState() ?? '{}').pending;
    const result = await licensor.verifyOnline(viewer, { url });
    expect(result).toMatchObject({ ok: false, error: { code: 'ERR_STATUS_INVALID' } });
    expect(result.rejectedRequests).toEqual([]);
    const after = JSON.parse(store.rawState() ?? '{}');
    expect(after.pending).toEqual(pendingBefore);
    expect(after.closed ?? []).toEqual([]);
    expect(result.info).toMatchObject({ pendingModelSwitch: 'subscription', closedRequests: [] });
  });
});

describe('cancelRequest', () => {
  it('withdraws a pending request here, kept as closed and audited; its key is refused', async () => {
    const { licensor, clock, request, store } = await withPendingSwitch();
    const closed = await licensor.cancelRequest(admin, request.request.id, '  asked by mistake ');
    expect(closed).toMatchObject({
      id: request.request.id,
      outcome: 'cancelled',
      closedBy: admin.id,
      closedAt: clock.seconds,
      reason: 'asked by mistake',
    });
    const info = await licensor.getLicenseInfo(admin);
    expect(info).toMatchObject({ pendingRequests: [], pendingModelSwitch: null });
    expect(info.closedRequests).toEqual([closed]);
    const [entry] = (await licensor.listAudit(admin)).filter((e) => e.action === 'cancel');
    expect(entry).toMatchObject({
      outcome: 'ok',
      detail: `alice cancelled request ${request.request.id}: asked by mistake`,
    });
    const state = store.rawState();
    const key = answer(request.challenge, {
      model: 'subscription',
      term: term(clock.seconds, 30, 7),
    });
    const refused = await licensor.applyLicenseKey(admin, key).catch((e) => e);
    expect(refused.code).toBe('ERR_CHALLENGE_UNKNOWN');
    expect(refused.message).toContain('alice cancelled it here');
    expect(store.rawState()).toBe(state);
  });

  it('refuses a key for it delivered online afterwards (the vendor was not told); the license stays', async () => {
    const { licensor, server, clock, url, request, store } = await withPendingSwitch();
    await licensor.cancelRequest(admin, request.request.id, 'asked by mistake');
    const licenseBefore = JSON.parse(store.rawState() ?? '{}').license;
    // The vendor approves the switch it was never told was cancelled: the service delivers it.
    const key = answer(request.challenge, {
      model: 'subscription',
      term: term(clock.seconds, 30, 7),
    });
    server.plan = (check, id) => statusFor(check, id, clock, { license: key, rev: 2 });
    clock.advance(60);
    const result = await licensor.verifyOnline(admin, { url });
    expect(result).toMatchObject({
      ok: true,
      outcome: 'VALID',
      appliedRevision: null,
      deliveredTokenRefused: { code: 'ERR_CHALLENGE_UNKNOWN' },
    });
    expect(result.deliveredTokenRefused?.message).toContain('alice cancelled it here');
    expect(result.info).toMatchObject({ type: 'perpetual', revision: 1, pendingModelSwitch: null });
    expect(JSON.parse(store.rawState() ?? '{}').license).toEqual(licenseBefore);
    expect((await licensor.getLicenseInfo(admin)).closedRequests).toHaveLength(1);
  });

  it.each([
    ['an unknown id', 'chl_doesnotexist00000000', 'ERR_REQUEST_UNKNOWN'],
    ['no id', '', 'ERR_INPUT_INVALID'],
  ])('refuses %s and changes nothing', async (_, id, code) => {
    const { licensor, store } = await withPendingSwitch();
    const state = store.rawState();
    await expect(licensor.cancelRequest(admin, id)).rejects.toMatchObject({ code });
    expect(store.rawState()).toBe(state);
    expect((await licensor.getLicenseInfo(admin)).pendingModelSwitch).toBe('subscription');
  });

  it('refuses an operator without the System Administrator role, and one closed already', async () => {
    const { licensor, request, store } = await withPendingSwitch();
    const state = store.rawState();
    await expect(licensor.cancelRequest(viewer, request.request.id)).rejects.toMatchObject({
      code: 'ERR_NOT_AUTHORIZED',
    });
    expect(store.rawState()).toBe(state);
    await licensor.cancelRequest(admin, request.request.id);
    const again = await licensor.cancelRequest(admin, request.request.id).catch((e) => e);
    expect(again.code).toBe('ERR_REQUEST_UNKNOWN');
    expect(again.message).toContain('already closed: alice cancelled it');
  });

  it('refuses a reason over 500 characters, and an edited closed request breaks the seal', async () => {
    const { licensor, request, store } = await withPendingSwitch();
    await expect(
      licensor.cancelRequest(admin, request.request.id, 'x'.repeat(501)),
    ).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    await licensor.cancelRequest(admin, request.request.id, 'mistake');
    const document = JSON.parse(store.rawState() ?? '{}');
    document.closed[0].reason = 'the vendor said so';
    await store.saveState(document);
    await expect(licensor.getLicenseInfo(admin)).rejects.toMatchObject({
      code: 'ERR_STATE_TAMPERED',
    });
  });
});
