// POST /v1/checks: one signed status for every verification outcome, with the fields the SDK
// shows ("Last verify time", "Last verify result") and a newer license token when there is one.
// The outcome suite runs on every store: the in-memory one, the real SQLite store and MongoDB
// (see support/outcome-worlds.ts), through both ways in (the express app, the lean listener).
import { randomBytes } from 'node:crypto';
import { type StatusClaims, verifyStatus } from '@licensor/token';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkToken,
  installationA,
  installationB,
  T0,
  T0s,
  targets,
  testService,
} from './support/fixtures.js';
import { type Answer, postCheck, statusOf } from './support/http.js';
import { type OutcomeWorld, outcomeWorlds } from './support/outcome-worlds.js';

describe.each(outcomeWorlds())('POST /v1/checks outcomes on the %s', (_name, open) => {
  let world: OutcomeWorld;
  beforeAll(async () => {
    world = await open();
  });
  afterAll(async () => {
    await world?.close();
  });

  function status(answer: Answer): StatusClaims {
    if (answer.status !== 200)
      throw new Error(`expected 200, got ${answer.status}: ${answer.text}`);
    return verifyStatus(answer.text, world.keyring).claims;
  }

  describe.each(targets)('through the %s', (_way, target) => {
    async function check(
      name: Parameters<OutcomeWorld['license']>[0],
      claims: Parameters<typeof checkToken>[0] = {},
    ): Promise<StatusClaims> {
      const { lid, installation } = world.license(name);
      const { service } = world.service();
      const answer = await postCheck(target(service), checkToken({ lid, ...claims }, installation));
      // Its record is written now, not by a timer during a later test that counts records.
      expect(await service.drain(Date.now() + 5_000)).toBe(0);
      return status(answer);
    }

    it('answers VALID for an active perpetual license, echoing the check', async () => {
      const view = await world.view('valid');
      const { lid, installation } = world.license('valid');
      // A fresh nonce: the store's nonce window is shared by every service on it (one per way in).
      const nonce = randomBytes(16).toString('base64url');
      expect(await check('valid', { nonce, rev: view.revision })).toEqual({
        v: 1,
        iat: T0s,
        nonce,
        lid,
        sub: installation.kid,
        outcome: 'VALID',
        rev: view.revision,
        termEnd: null,
        checkBy: T0s + 86_400,
        license: null,
      });
    });

    it('answers VALID for a subscription inside its term, with the term end', async () => {
      const claims = await check('subscription');
      expect(claims.outcome).toBe('VALID');
      expect(claims.termEnd).toBe((await world.view('subscription')).term!.end);
      expect(claims.termEnd).toBeGreaterThan(T0s);
    });

    it('answers EXPIRED for a subscription past its term end', async () => {
      const claims = await check('expired');
      expect(claims.outcome).toBe('EXPIRED');
      expect(claims.termEnd).toBe((await world.view('expired')).term!.end);
      expect(claims.termEnd).toBeLessThan(T0s);
    });

    it('answers SUSPENDED for a suspended license', async () => {
      expect((await check('suspended')).outcome).toBe('SUSPENDED');
    });

    it('answers REVOKED for a revoked license and hands over no token', async () => {
      const view = await world.view('revoked');
      const claims = await check('revoked');
      expect(claims.outcome).toBe('REVOKED');
      expect(claims.rev).toBe(view.revision);
      expect(claims.license).toBeNull();
    });

    it('answers UNKNOWN for a license id the store does not have', async () => {
      const lid = `lic_${randomBytes(16).toString('base64url')}`;
      const { service } = world.service();
      const claims = status(await postCheck(target(service), checkToken({ lid })));
      expect(claims).toMatchObject({
        outcome: 'UNKNOWN',
        lid,
        rev: null,
        termEnd: null,
        license: null,
      });
    });

    it('answers UNKNOWN to an installation the license is not bound to', async () => {
      const { lid } = world.license('valid');
      const { service } = world.service();
      const claims = status(await postCheck(target(service), checkToken({ lid }, installationB)));
      expect(claims).toMatchObject({ outcome: 'UNKNOWN', sub: installationB.kid, rev: null });
    });

    it('relays the newer license token when the record is ahead of the check', async () => {
      const view = await world.view('renewed');
      expect(view.revision).toBeGreaterThan(1);
      const claims = await check('renewed', { rev: 1 });
      expect(claims.outcome).toBe('VALID');
      expect(claims.rev).toBe(view.revision);
      expect(claims.license).toBe(view.latestToken);
      expect(claims.license).not.toBeNull();
    });

    it('hands over nothing when the installation already holds the newest revision', async () => {
      const view = await world.view('renewed');
      expect((await check('renewed', { rev: view.revision })).license).toBeNull();
    });

    it('records checks by the bound installation, in a batch, after answering', async () => {
      const { service } = world.service();
      const mark = 1_000 + Math.floor(Math.random() * 1_000_000);
      for (const name of ['valid', 'suspended'] as const) {
        const { lid, installation } = world.license(name);
        const token = checkToken({ lid, usage: { credentialsInUse: mark } }, installation);
        await postCheck(target(service), token);
      }
      const ours = async (name: 'valid' | 'suspended') =>
        (await world.records(world.license(name).lid)).filter((r) => r.credentialsInUse === mark);
      expect(await ours('valid')).toHaveLength(0);
      expect(await service.drain(Date.now() + 5_000)).toBe(0);
      expect(await ours('valid')).toEqual([
        expect.objectContaining({
          licenseId: world.license('valid').lid,
          installationId: world.license('valid').installation.kid,
          sdkVersion: '0.1.0',
          outcome: 'VALID',
          at: T0,
        }),
      ]);
      expect(await ours('suspended')).toEqual([expect.objectContaining({ outcome: 'SUSPENDED' })]);
      expect((await ours('valid'))[0]!.id).toMatch(/^chk_[A-Za-z0-9_-]{22}$/);
    });

    it('records no check for an UNKNOWN answer, whose claims no key can vouch for', async () => {
      const { service } = world.service();
      const { lid } = world.license('valid');
      const before = (await world.records(lid)).length;
      await postCheck(target(service), checkToken({ lid }, installationB));
      expect(await service.drain(Date.now() + 5_000)).toBe(0);
      expect(await world.records(lid)).toHaveLength(before);
      expect(await service.metrics.checks('UNKNOWN')).toBe(1);
    });
  });
});

describe.each(targets)('POST /v1/checks on the memory store only (%s)', (_name, target) => {
  it('answers UNKNOWN for a license bound to no installation', async () => {
    const { service } = testService();
    const status = statusOf(await postCheck(target(service), checkToken({ lid: 'lic_unbound' })));
    expect(status.outcome).toBe('UNKNOWN');
  });

  it('tells the SDK to check again no later than the term end', async () => {
    const { service, store } = testService();
    store.update('lic_subscription', {
      term: { start: T0s - 1000, end: T0s + 3600, grace: 0 },
    });
    const status = statusOf(
      await postCheck(target(service), checkToken({ lid: 'lic_subscription' })),
    );
    expect(status.checkBy).toBe(T0s + 3600);
  });

  it('signs with the service time, not the time the installation claims', async () => {
    const { service, clock } = testService();
    clock.now = T0 + 120_000;
    const status = statusOf(await postCheck(target(service), checkToken({ iat: T0s })));
    expect(status.iat).toBe(T0s + 120);
  });

  it('answers for installation A by its own key only', async () => {
    const { service } = testService();
    const status = statusOf(await postCheck(target(service), checkToken({}, installationA)));
    expect(status.sub).toBe(installationA.kid);
  });
});
