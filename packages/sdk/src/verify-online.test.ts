import { generateKeyPair, Keyring, verifyChallenge, verifyStatus } from '@licensor/token';
import { afterEach, describe, expect, it } from 'vitest';
import {
  admin,
  answer,
  DAY,
  FrozenClock,
  golden,
  licenseKey,
  setup,
  term,
  trust,
  viewer,
} from '../test/fixtures.js';
import { closeServers, licensedOnline, subscribed } from '../test/online.js';
import { statusFor, unreachableUrl } from '../test/verify-server.js';
import { createLicensor } from './licensor.js';
import { MemoryStore } from './store/memory-store.js';

afterEach(closeServers);

const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

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

  it('presents the chain value of the last status in the next check and in a challenge (format 2)', async () => {
    const { licensor, server, clock, url, store } = await subscribed();
    await licensor.verifyOnline(admin, { url });
    clock.advance(60);
    await licensor.verifyOnline(admin, { url });
    const [first, second] = server.checks;
    expect(first).toMatchObject({ v: 2 });
    expect(first?.prev).toBeUndefined();
    const state = JSON.parse(store.rawState() ?? '{}');
    const held = verifyStatus(state.lastStatus, Keyring.fromJwks(trust)).claims.chain;
    expect(second?.prev).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second?.prev).not.toBe(held);
    const { challenge } = await licensor.createChallenge(admin, { credentials: 20 });
    expect(verifyChallenge(challenge).claims).toMatchObject({ v: 2, chain: held });
  });

  it('shows a status that names a copy: forked, and SUSPENDED when the vendor suspends copies', async () => {
    const { licensor, server, clock, url } = await subscribed();
    server.plan = (check, id) =>
      statusFor(check, id, clock, { outcome: 'SUSPENDED', forked: true });
    const result = await licensor.verifyOnline(admin, { url });
    expect(result).toMatchObject({ ok: true, outcome: 'SUSPENDED', forked: true });
    expect(result.info).toMatchObject({ state: 'suspended', forked: true });
    await expect(licensor.assertCanManage(0)).rejects.toMatchObject({
      code: 'ERR_LICENSE_SUSPENDED',
    });
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

  it('dates a failed check attempt at the local time, not at a reading of a clock that ran ahead and was set right', async () => {
    const { licensor, clock } = await subscribed();
    // The clock ran two days ahead while the license page was read (remembered as observed).
    clock.advance(2 * DAY);
    await licensor.getLicenseInfo(admin);
    clock.advance(-2 * DAY + 60);
    const result = await licensor.verifyOnline(admin, { url: await unreachableUrl() });
    expect(result.info.lastCheckAttempt).toMatchObject({ ok: false, at: clock.seconds });
  });

  it("dates a successful check attempt by the offset that check measured: never ahead of the vendor's time", async () => {
    const { licensor, server, clock, url } = await subscribed();
    const vendor = new FrozenClock(clock.seconds);
    server.plan = (check, id) => statusFor(check, id, vendor);
    // This machine's clock runs 72 min ahead of the vendor's.
    clock.advance(72 * 60);
    const result = await licensor.verifyOnline(admin, { url });
    expect(result.info.lastCheckAttempt).toMatchObject({ ok: true, at: vendor.seconds });
    expect(result.info.lastVerifyTime).toBe(vendor.seconds);
  });

  it('says until when an unreachable service leaves a subscription usable: the end of its grace', async () => {
    const { licensor, clock, start } = await subscribed();
    clock.advance(DAY);
    const result = await licensor.verifyOnline(admin, { url: await unreachableUrl() });
    expect(result.error?.message).toMatch(/cannot be reached .*Check the network and the URL\./);
    expect(result.error?.message).toContain(`usable until ${iso(start + 14 * DAY)}`);
    expect(result.info.lastCheckAttempt?.message).toBe(result.error?.message);
  });

  it('says nothing about grace when the service is unreachable for a perpetual license', async () => {
    const { licensor, clock } = await licensedOnline('perpetual');
    clock.advance(DAY);
    const result = await licensor.verifyOnline(admin, { url: await unreachableUrl() });
    expect(result.error?.code).toBe('ERR_VERIFY_UNREACHABLE');
    expect(result.error?.message).not.toMatch(/grace/);
    expect(result.error?.message).toMatch(/perpetual license does not need the check/);
  });

  it('promises no grace to a subscription already expired when the service is unreachable', async () => {
    const { licensor, clock, start } = await subscribed();
    clock.advance(15 * DAY);
    const result = await licensor.verifyOnline(admin, { url: await unreachableUrl() });
    expect(result.info.state).toBe('expired');
    expect(result.error?.message).not.toMatch(/stays usable|within its grace/);
    expect(result.error?.message).toContain(`expired at ${iso(start + 14 * DAY)}`);
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

  it('takes the service address alone for its check URL (#16.19)', async () => {
    const { licensor, url } = await subscribed();
    const base = url.replace(/\/v1\/checks$/, '');
    for (const given of [base, `${base}/`]) {
      const result = await licensor.verifyOnline(admin, { url: given });
      expect(result).toMatchObject({ ok: true, outcome: 'VALID' });
    }
  });

  it.each([
    ['a 404', { status: 404, contentType: 'application/json', body: '{}' }, /HTTP 404/],
    ['a web page', { contentType: 'text/html', body: '<html>login</html>' }, /text\/html/],
  ])(
    'says the URL is wrong on %s, and records nothing: no grace for a typo (#16.19)',
    async (_, reply, what) => {
      const { licensor, server, clock, url } = await subscribed();
      await licensor.verifyOnline(admin, { url });
      const before = await licensor.getLicenseInfo(admin);
      clock.advance(60);
      server.plan = () => reply;
      const refused = await licensor.verifyOnline(admin, { url }).catch((error) => error);
      expect(refused).toMatchObject({
        code: 'ERR_VERIFY_URL_WRONG',
        message: expect.stringMatching(/^The verify URL \S+ is wrong: /),
      });
      expect(refused.message).toMatch(what);
      expect(refused.message).not.toMatch(/try again later/i);
      const after = await licensor.getLicenseInfo(admin);
      expect(after.state).toBe('active');
      expect(after.lastCheckAttempt).toEqual(before.lastCheckAttempt);
    },
  );

  it('refuses an answer too large to be a status', async () => {
    const { licensor, server, url } = await subscribed();
    server.plan = () => ({ body: 'a'.repeat(100_000) });
    expect((await licensor.verifyOnline(admin, { url })).error?.code).toBe('ERR_STATUS_INVALID');
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

  it('records in the audit trail the license revision a Verify applied, with its model and credentials', async () => {
    const { licensor, server, clock, url, challenge, start } = await subscribed();
    await licensor.verifyOnline(admin, { url });
    clock.advance(300 * DAY);
    const renewed = answer(challenge, {
      rev: 2,
      chal: null,
      iat: clock.seconds,
      model: 'subscription',
      credentials: 25,
      term: term(start, 730, 14),
    });
    server.plan = (check, id) => statusFor(check, id, clock, { rev: 2, license: renewed });
    expect((await licensor.verifyOnline(admin, { url })).appliedRevision).toBe(2);
    const verifies = (await licensor.listAudit(admin)).filter((entry) => entry.action === 'verify');
    expect(verifies.map((entry) => entry.detail)).toEqual([
      'outcome VALID',
      'outcome VALID; applied revision 2 (subscription, 25 credentials)',
    ]);
  });

  it("an operator without the System Administrator role verifies, but the delivered license is not applied: that is the admin's Verify", async () => {
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
    const result = await licensor.verifyOnline(viewer, { url });
    expect(result).toMatchObject({
      ok: true,
      outcome: 'VALID',
      appliedRevision: null,
      deliveredTokenRefused: {
        code: 'ERR_NOT_AUTHORIZED',
        message: expect.stringMatching(/System Administrator/),
      },
    });
    expect(result.info).toMatchObject({ revision: 1, lastVerifyResult: 'VALID' });
    // The administrator's Verify applies it.
    clock.advance(60);
    expect((await licensor.verifyOnline(admin, { url })).appliedRevision).toBe(2);
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

  it('keeps the license it holds when the delivered one is signed by a key it does not trust (a re-sign under a key it lacks)', async () => {
    const { licensor, server, clock, url, challenge, store, start } = await subscribed();
    const before = JSON.parse(store.rawState() ?? '{}').license.token as string;
    // The vendor's newer license key, not in this installation's key set (no relay with it).
    const resigned = answer(
      challenge,
      { rev: 2, chal: null, model: 'subscription', term: term(start, 365, 14) },
      generateKeyPair(),
    );
    server.plan = (check, id) => statusFor(check, id, clock, { rev: 2, license: resigned });
    const result = await licensor.verifyOnline(admin, { url });
    expect(result).toMatchObject({ ok: true, outcome: 'VALID', appliedRevision: null });
    expect(result.deliveredTokenRefused?.code).toBe('ERR_KID_UNKNOWN');
    expect(result.info).toMatchObject({ revision: 1, lastVerifyResult: 'VALID', state: 'active' });
    expect(JSON.parse(store.rawState() ?? '{}').license.token).toBe(before);
    // It goes on working with the token it holds.
    await expect(licensor.assertCanManage(1)).resolves.toBeUndefined();
  });

  it('ignores a delivered token that is the one already in force', async () => {
    const { licensor, server, clock, url, store } = await subscribed();
    const inForce = JSON.parse(store.rawState() ?? '{}').license.token as string;
    server.plan = (check, id) => statusFor(check, id, clock, { license: inForce });
    const result = await licensor.verifyOnline(admin, { url });
    expect(result).toMatchObject({ ok: true, deliveredTokenRefused: null, appliedRevision: null });
    expect(result.info).toMatchObject({ revision: 1, lastVerifyResult: 'VALID', state: 'active' });
  });

  it.each([[null], ['http://verify.example' as unknown]])(
    'refuses options %j that are not an object (ERR_INPUT_INVALID); nothing is sent or recorded',
    async (options) => {
      const { licensor, server, store } = await subscribed();
      const before = store.rawState();
      await expect(licensor.verifyOnline(admin, options as never)).rejects.toMatchObject({
        code: 'ERR_INPUT_INVALID',
        message: expect.stringContaining('options must be an object'),
      });
      expect(server.checks).toEqual([]);
      expect(store.rawState()).toBe(before);
    },
  );

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

describe('verifyOnline timeout', () => {
  it.each([['10s'], [-1], ['abc'], [0], [1.5], [Number.NaN], [2 ** 31], [1e12], [60_001]])(
    'refuses timeoutMs %s before anything is recorded (no check sent, state unchanged)',
    async (timeoutMs) => {
      const { licensor, server, url, store } = await subscribed();
      const before = store.rawState();
      await expect(
        licensor.verifyOnline(admin, { url, timeoutMs: timeoutMs as number }),
      ).rejects.toMatchObject({
        code: 'ERR_INPUT_INVALID',
        message: expect.stringMatching(
          /timeoutMs must be a whole number of milliseconds from 1 to 60000/,
        ),
      });
      expect(server.checks).toEqual([]);
      expect(store.rawState()).toBe(before);
      expect((await licensor.getLicenseInfo(admin)).state).toBe('active');
      const [entry] = (await licensor.listAudit(admin)).filter((item) => item.action === 'verify');
      expect(entry).toMatchObject({ outcome: 'refused', code: 'ERR_INPUT_INVALID' });
    },
  );

  it('takes the upper bound, 60 000 ms', async () => {
    const { licensor, url } = await subscribed();
    await expect(licensor.verifyOnline(admin, { url, timeoutMs: 60_000 })).resolves.toMatchObject({
      ok: true,
    });
  });

  it.each([['10s'], [-1], [0], [2 ** 31]])(
    'refuses verifyTimeoutMs %s of createLicensor',
    (verifyTimeoutMs) => {
      expect(() =>
        createLicensor({
          store: new MemoryStore(),
          trust,
          product: { name: 'CMS', version: '1' },
          verifyTimeoutMs: verifyTimeoutMs as number,
        }),
      ).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
    },
  );

  it('refuses an option it does not know, naming it, before anything is recorded', async () => {
    const { licensor, server, url, store } = await subscribed();
    const before = store.rawState();
    await expect(licensor.verifyOnline(admin, { url, timeout: 5 } as never)).rejects.toMatchObject({
      code: 'ERR_INPUT_INVALID',
      message: expect.stringContaining('"timeout"'),
    });
    expect(server.checks).toEqual([]);
    expect(store.rawState()).toBe(before);
  });
});
