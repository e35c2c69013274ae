import { afterEach, describe, expect, it } from 'vitest';
import { admin, answer, DAY, golden, licenseKey, setup, term, viewer } from '../test/fixtures.js';
import {
  startVerifyServer,
  statusFor,
  unreachableUrl,
  type VerifyServer,
} from '../test/verify-server.js';

const servers: VerifyServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** An installation with a subscription (365 days, 14 days grace) and a verify server that knows it. */
async function subscribed() {
  const context = setup();
  const server = await startVerifyServer(context.clock);
  servers.push(server);
  const { challenge } = await context.licensor.createChallenge(admin, { model: 'subscription' });
  server.register(challenge);
  const start = context.clock.seconds;
  const applied = await context.licensor.applyLicenseKey(
    admin,
    answer(challenge, { model: 'subscription', term: term(start, 365, 14) }),
  );
  return { ...context, server, challenge, start, licenseId: applied.licenseId, url: server.url };
}

describe('verifyOnline', () => {
  it('sends a signed check and records the service time and outcome', async () => {
    const { licensor, server, clock, url, licenseId } = await subscribed();
    clock.advance(3600);
    server.plan = (check, id) => statusFor(check, id, clock, { iat: clock.seconds + 7 });
    const result = await licensor.verifyOnline(viewer, { url, credentialsInUse: 4 });
    expect(result).toMatchObject({
      ok: true,
      outcome: 'VALID',
      verifiedAt: clock.seconds + 7,
      error: null,
    });
    expect(result.info).toMatchObject({
      state: 'active',
      lastVerifyTime: clock.seconds + 7,
      lastVerifyResult: 'VALID',
      checkBy: clock.seconds + DAY,
    });
    expect(server.checks).toEqual([
      expect.objectContaining({
        lid: licenseId,
        rev: 1,
        sdk: '0.1.0',
        usage: { credentialsInUse: 4 },
      }),
    ]);
    expect(server.checks[0]?.product).toEqual({ name: 'CMS', version: '5.2.0' });
  });

  it('refuses a status that echoes another nonce, and keeps the last verification', async () => {
    const { licensor, server, clock, url } = await subscribed();
    await licensor.verifyOnline(admin, { url });
    const first = await licensor.getLicenseInfo(admin);
    clock.advance(600);
    server.plan = (check, id) => statusFor(check, id, clock, { nonce: 'AAAAAAAAAAAAAAAAAAAAAA' });
    const result = await licensor.verifyOnline(admin, { url });
    expect(result.ok).toBe(false);
    expect(result.error?.code).toBe('ERR_STATUS_MISMATCH');
    expect(result.info.lastVerifyTime).toBe(first.lastVerifyTime);
    expect(result.info.lastCheckAttempt).toMatchObject({ ok: false, code: 'ERR_STATUS_MISMATCH' });
    expect(result.info.state).toBe('grace');
  });

  it('refuses a status about another installation', async () => {
    const { licensor, server, clock, url } = await subscribed();
    server.plan = (check) => statusFor(check, golden.keys.installation.kid, clock);
    expect((await licensor.verifyOnline(admin, { url })).error?.code).toBe('ERR_STATUS_MISMATCH');
  });

  it('refuses a status signed by a license-purpose key', async () => {
    const { licensor, server, clock, url } = await subscribed();
    server.plan = (check, id) => statusFor(check, id, clock, {}, licenseKey);
    const result = await licensor.verifyOnline(admin, { url });
    expect(result.error?.code).toBe('ERR_STATUS_INVALID');
    expect(result.info.lastVerifyResult).toBeNull();
  });

  it('reports an unreachable service; the grace rules keep the subscription usable', async () => {
    const { licensor, clock } = await subscribed();
    clock.advance(DAY);
    const result = await licensor.verifyOnline(admin, { url: await unreachableUrl() });
    expect(result).toMatchObject({ ok: false, outcome: null });
    expect(result.error?.code).toBe('ERR_VERIFY_UNREACHABLE');
    expect(result.info.state).toBe('grace');
  });

  it('records a failed online check in the audit trail as failed, with its code', async () => {
    const { licensor, server, clock, url } = await subscribed();
    await licensor.verifyOnline(viewer, { url });
    clock.advance(60);
    await licensor.verifyOnline(viewer, { url: await unreachableUrl() });
    server.plan = (check, id) => statusFor(check, id, clock, {}, licenseKey);
    await licensor.verifyOnline(viewer, { url });
    const trail = (await licensor.listAudit(admin)).filter((entry) => entry.action === 'verify');
    expect(trail.map((entry) => [entry.operator.id, entry.outcome, entry.code])).toEqual([
      ['bob', 'ok', null],
      ['bob', 'failed', 'ERR_VERIFY_UNREACHABLE'],
      ['bob', 'failed', 'ERR_STATUS_INVALID'],
    ]);
  });

  it('gives up after the timeout', async () => {
    const { licensor, server, url } = await subscribed();
    server.plan = () => 'hang';
    const result = await licensor.verifyOnline(admin, { url, timeoutMs: 150 });
    expect(result.error?.code).toBe('ERR_VERIFY_TIMEOUT');
  });

  it('reports the service error code of an HTTP error answer', async () => {
    const { licensor, server, url } = await subscribed();
    server.plan = () => ({
      status: 503,
      contentType: 'application/json',
      body: JSON.stringify({
        error: { code: 'ERR_STORE_UNAVAILABLE', message: 'down', requestId: 'r' },
      }),
    });
    const result = await licensor.verifyOnline(admin, { url });
    expect(result.error?.code).toBe('ERR_VERIFY_HTTP');
    expect(result.error?.message).toContain('ERR_STORE_UNAVAILABLE');
  });

  it('refuses an answer that is not a status token', async () => {
    const { licensor, server, url } = await subscribed();
    server.plan = () => ({ contentType: 'text/html', body: '<html>login</html>' });
    expect((await licensor.verifyOnline(admin, { url })).error?.code).toBe('ERR_STATUS_INVALID');
  });

  it('refuses an answer too large to be a status', async () => {
    const { licensor, server, url } = await subscribed();
    server.plan = () => ({ body: 'a'.repeat(100_000) });
    expect((await licensor.verifyOnline(admin, { url })).error?.code).toBe('ERR_STATUS_INVALID');
  });

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

  it('applies a newer license token the status delivers (renewal)', async () => {
    const { licensor, server, clock, url, challenge, start } = await subscribed();
    clock.advance(300 * DAY);
    const renewed = answer(challenge, {
      rev: 2,
      chal: null,
      iat: clock.seconds,
      model: 'subscription',
      term: term(start, 730, 14),
    });
    server.plan = (check, id) => statusFor(check, id, clock, { rev: 2, license: renewed });
    const result = await licensor.verifyOnline(admin, { url });
    expect(result.appliedRevision).toBe(2);
    expect(result.info).toMatchObject({ revision: 2, state: 'active', term: term(start, 730, 14) });
  });

  it('does not apply a delivered token bound to another installation', async () => {
    const { licensor, server, clock, url } = await subscribed();
    const other = setup();
    const { challenge: foreign } = await other.licensor.createChallenge(admin);
    server.plan = (check, id) =>
      statusFor(check, id, clock, {
        rev: 2,
        license: answer(foreign, { lid: check.lid, rev: 2, chal: null }),
      });
    const result = await licensor.verifyOnline(admin, { url });
    expect(result.ok).toBe(true);
    expect(result.appliedRevision).toBeNull();
    expect(result.deliveredTokenRefused?.code).toBe('ERR_LICENSE_OTHER_INSTALLATION');
    expect(result.info.revision).toBe(1);
  });

  it('ignores a delivered token that is the one already in force', async () => {
    const { licensor, server, clock, url, store } = await subscribed();
    const inForce = JSON.parse(store.rawState() ?? '{}').license.token as string;
    server.plan = (check, id) => statusFor(check, id, clock, { license: inForce });
    const result = await licensor.verifyOnline(admin, { url });
    expect(result).toMatchObject({ ok: true, deliveredTokenRefused: null, appliedRevision: null });
    expect(result.info).toMatchObject({ revision: 1, lastVerifyResult: 'VALID', state: 'active' });
  });

  it.each([
    ['REVOKED', 'revoked', 'ERR_LICENSE_REVOKED'],
    ['SUSPENDED', 'suspended', 'ERR_LICENSE_SUSPENDED'],
    ['EXPIRED', 'expired', 'ERR_LICENSE_EXPIRED'],
  ] as const)(
    'a signed %s status makes the license %s and blocks new credentials',
    async (outcome, state, code) => {
      const { licensor, server, clock, url } = await subscribed();
      server.plan = (check, id) => statusFor(check, id, clock, { outcome });
      const result = await licensor.verifyOnline(admin, { url });
      expect(result).toMatchObject({ ok: true, outcome });
      expect(result.info.state).toBe(state);
      await expect(licensor.assertCanManage(0)).rejects.toMatchObject({ code });
    },
  );

  it.each([
    ['REVOKED', 'revoked', 'ERR_LICENSE_REVOKED'],
    ['SUSPENDED', 'suspended', 'ERR_LICENSE_SUSPENDED'],
  ] as const)(
    'honours a signed %s status for a perpetual license too',
    async (outcome, state, code) => {
      const { licensor, clock } = setup();
      const server = await startVerifyServer(clock);
      servers.push(server);
      const { challenge } = await licensor.createChallenge(admin);
      server.register(challenge);
      await licensor.applyLicenseKey(admin, answer(challenge, { model: 'perpetual' }));
      server.plan = (check, id) => statusFor(check, id, clock, { outcome });
      const result = await licensor.verifyOnline(admin, { url: server.url });
      expect(result.info).toMatchObject({ type: 'perpetual', state, lastVerifyResult: outcome });
      await expect(licensor.assertCanManage(0)).rejects.toMatchObject({ code });
      server.plan = (check, id) => statusFor(check, id, clock, { outcome: 'VALID' });
      clock.advance(60);
      expect((await licensor.verifyOnline(admin, { url: server.url })).info.state).toBe('active');
    },
  );

  it('keeps a perpetual license active after an EXPIRED or UNKNOWN status', async () => {
    for (const outcome of ['EXPIRED', 'UNKNOWN'] as const) {
      const { licensor, clock } = setup();
      const server = await startVerifyServer(clock);
      servers.push(server);
      const { challenge } = await licensor.createChallenge(admin);
      server.register(challenge);
      await licensor.applyLicenseKey(admin, answer(challenge, { model: 'perpetual' }));
      server.plan = (check, id) =>
        statusFor(check, id, clock, { outcome, ...(outcome === 'UNKNOWN' ? { rev: null } : {}) });
      const result = await licensor.verifyOnline(admin, { url: server.url });
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

  it('blocks a subscription while the clock is far behind the service time, until it is set right', async () => {
    const { licensor, server, clock, url } = await subscribed();
    server.plan = (check, id) =>
      statusFor(check, id, clock, {
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

  it('needs a license and a URL', async () => {
    const { licensor } = setup();
    await expect(
      licensor.verifyOnline(admin, { url: 'http://127.0.0.1:1/v1/checks' }),
    ).rejects.toMatchObject({
      code: 'ERR_NO_LICENSE',
    });
    const { licensor: licensed } = await subscribed();
    await expect(licensed.verifyOnline(admin)).rejects.toMatchObject({
      code: 'ERR_VERIFY_URL_MISSING',
    });
    await expect(licensed.verifyOnline(admin, { url: 'ftp://x/y' })).rejects.toMatchObject({
      code: 'ERR_INPUT_INVALID',
    });
  });
});
