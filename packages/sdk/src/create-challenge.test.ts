import { decodeChallengeUnverified, verifyChallenge } from '@licensor/token';
import { describe, expect, it } from 'vitest';
import { admin, answer, DAY, FrozenClock, setup, trust } from '../test/fixtures.js';
import { MAX_PENDING_REQUESTS } from './create-challenge.js';
import { createLicensor } from './licensor.js';
import { MemoryStore } from './store/memory-store.js';

describe('createChallenge', () => {
  it('signs a challenge with the installation key that says who asks and what for', async () => {
    const { licensor, clock } = setup();
    const result = await licensor.createChallenge(admin, {
      credentials: 250,
      customerName: '  Acme Europe  ',
      credentialsInUse: 12,
    });
    const verified = verifyChallenge(result.challenge);
    expect(verified.installationId).toBe(await licensor.installationId());
    expect(verified.claims).toEqual({
      v: 2, // this SDK reads license format 2, so it asks in challenge format 2
      jti: result.request.id,
      iat: clock.seconds,
      exp: clock.seconds + 30 * DAY,
      sub: verified.installationId,
      product: { name: 'CMS', version: '5.2.0' },
      license: null,
      usage: { credentialsInUse: 12 },
      request: { kind: 'license', credentials: 250, customerName: 'Acme Europe' },
      keyset: 0, // the vendor key set version trusted: only the shipped keys yet
    });
    expect(result.armoured).toMatch(/^-----BEGIN LICENSOR CHALLENGE-----\n/);
    expect(result.request).toMatchObject({
      kind: 'license',
      requestedBy: 'alice',
      challenge: result.challenge,
    });
  });

  it('carries the license in force', async () => {
    const { licensor } = setup();
    const first = await licensor.createChallenge(admin);
    const applied = await licensor.applyLicenseKey(admin, answer(first.challenge, { rev: 4 }));
    const second = await licensor.createChallenge(admin, { model: 'subscription' });
    expect(decodeChallengeUnverified(second.challenge).claims.license).toEqual({
      id: applied.licenseId,
      revision: 4,
      customerName: 'Acme Corporation',
      model: 'perpetual',
    });
  });

  it('asks the credentialsInUse hook when the caller gives no count', async () => {
    const store = new MemoryStore();
    const licensor = createLicensor({
      store,
      trust,
      product: { name: 'CMS', version: '1' },
      credentialsInUse: async () => 77,
    });
    const { challenge } = await licensor.createChallenge(admin);
    expect(verifyChallenge(challenge).claims.usage.credentialsInUse).toBe(77);
  });

  it('keeps challenges pending, lists them, and drops them after the configured time', async () => {
    const clock = new FrozenClock();
    const licensor = createLicensor({
      store: new MemoryStore(),
      trust,
      product: { name: 'CMS', version: '1' },
      now: clock.now,
      pendingTtlSeconds: 2 * DAY,
    });
    const first = await licensor.createChallenge(admin);
    clock.advance(DAY);
    const second = await licensor.createChallenge(admin, { credentials: 3 });
    expect((await licensor.listPendingRequests(admin)).map((r) => r.id)).toEqual([
      first.request.id,
      second.request.id,
    ]);
    clock.advance(DAY + 1);
    expect((await licensor.listPendingRequests(admin)).map((r) => r.id)).toEqual([
      second.request.id,
    ]);
    expect((await licensor.getLicenseInfo(admin)).pendingRequests).toHaveLength(1);
  });

  it.each([
    [{ credentials: 0 }],
    [{ credentials: 1.5 }],
    [{ customerName: '   ' }],
    [{ model: 'lifetime' as 'perpetual' }],
    [{ credentialsInUse: -1 }],
    [{ customerName: 42 as unknown as string }],
    [{ customerName: 'a\nb' }],
    [{ customerName: 'x'.repeat(201) }],
    [{ credentials: 2e9 }],
    [{ credentialsInUse: 2e9 }],
    [{ features: null as unknown as string[] }],
    [{ features: 'hsm-support' as unknown as string[] }],
    [{ features: [1] as unknown as string[] }],
    [{ limits: null as unknown as Record<string, number> }],
    [{ limitsInUse: null as unknown as Record<string, number> }],
    [null as unknown as object],
    ['100' as unknown as object],
  ])('refuses invalid input %j', async (options) => {
    const { licensor, store } = setup();
    await licensor.installationId();
    const before = store.rawState();
    await expect(licensor.createChallenge(admin, options)).rejects.toMatchObject({
      code: 'ERR_INPUT_INVALID',
    });
    expect(store.rawState()).toBe(before);
  });

  it('makes the installation key once and keeps it', async () => {
    const { licensor } = setup();
    const id = await licensor.installationId();
    const { challenge } = await licensor.createChallenge(admin);
    expect(verifyChallenge(challenge).installationId).toBe(id);
    expect(await licensor.installationId()).toBe(id);
  });

  it.each([
    ['pendingTtlSeconds', 1.5 * DAY + 0.5],
    ['clockSkewSeconds', 0.25],
    ['pendingTtlSeconds', 0],
  ])('refuses %s = %d, not whole seconds, when the licensor is made', (option, value) => {
    expect(() =>
      createLicensor({
        store: new MemoryStore(),
        trust,
        product: { name: 'CMS', version: '1' },
        [option]: value,
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
  });

  it('refuses missing options or a store that is not one', () => {
    expect(() => createLicensor(undefined as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INPUT_INVALID' }),
    );
    expect(() =>
      createLicensor({ store: {} as never, trust, product: { name: 'CMS', version: '1' } }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
  });

  it('refuses a new request beyond MAX_PENDING_REQUESTS pending, naming how to cancel, the state unchanged', async () => {
    const { licensor, store } = setup();
    const made = [];
    for (let index = 0; index < MAX_PENDING_REQUESTS; index++) {
      made.push(await licensor.createChallenge(admin, { credentials: 5 }));
    }
    const before = store.rawState();
    const error = await licensor
      .createChallenge(admin, { credentials: 5 })
      .catch((caught) => caught);
    expect(error).toMatchObject({ code: 'ERR_TOO_MANY_PENDING' });
    expect(error.message).toMatch(/20 requests are pending already .*cancel those not needed/);
    expect(store.rawState()).toBe(before);
    expect(await licensor.listPendingRequests(admin)).toHaveLength(MAX_PENDING_REQUESTS);
    await licensor.cancelRequest(admin, made[0]!.request.id);
    await expect(licensor.createChallenge(admin)).resolves.toMatchObject({
      challenge: expect.any(String),
    });
  });

  it('refuses an option it does not know, naming it, the state unchanged', async () => {
    const { licensor, store } = setup();
    await licensor.installationId();
    await licensor.getLicenseInfo(admin);
    const before = store.rawState();
    await expect(
      licensor.createChallenge(admin, { credentails: 5 } as never),
    ).rejects.toMatchObject({
      code: 'ERR_INPUT_INVALID',
      message: expect.stringContaining('"credentails"'),
    });
    await expect(
      licensor.requestModelSwitch(admin, 'subscription', { inUse: 1 } as never),
    ).rejects.toMatchObject({
      code: 'ERR_INPUT_INVALID',
      message: expect.stringContaining('"inUse"'),
    });
    await expect(licensor.listAudit(admin, { limt: 1 } as never)).rejects.toMatchObject({
      code: 'ERR_INPUT_INVALID',
      message: expect.stringContaining('"limt"'),
    });
    expect(store.rawState()).toBe(before);
  });
});
