// POST /v1/checks: one signed status for every verification outcome, with the fields the SDK
// shows ("Last verify time", "Last verify result") and a newer license token when there is one.
import { describe, expect, it } from 'vitest';
import {
  checkToken,
  installationA,
  installationB,
  T0,
  T0s,
  targets,
  testService,
} from './support/fixtures.js';
import { postCheck, statusOf } from './support/http.js';

describe.each(targets)('POST /v1/checks outcomes (%s)', (_name, target) => {
  it('answers VALID for an active perpetual license, echoing the check', async () => {
    const { service } = testService();
    const token = checkToken({ nonce: 'AAAAAAAAAAAAAAAAAAAAAA' });
    const answer = await postCheck(target(service), token);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/jose');
    const status = statusOf(answer);
    expect(status).toEqual({
      v: 1,
      iat: T0s,
      nonce: 'AAAAAAAAAAAAAAAAAAAAAA',
      lid: 'lic_valid',
      sub: installationA.kid,
      outcome: 'VALID',
      rev: 1,
      termEnd: null,
      checkBy: T0s + 86_400,
      license: null,
    });
  });

  it('answers VALID for a subscription inside its term, with the term end', async () => {
    const { service, store } = testService();
    const status = statusOf(
      await postCheck(target(service), checkToken({ lid: 'lic_subscription' })),
    );
    expect(status.outcome).toBe('VALID');
    expect(status.termEnd).toBe(store.views.get('lic_subscription')!.term!.end);
  });

  it('answers EXPIRED for a subscription past its term end', async () => {
    const { service } = testService();
    const status = statusOf(await postCheck(target(service), checkToken({ lid: 'lic_expired' })));
    expect(status.outcome).toBe('EXPIRED');
    expect(status.termEnd).toBe(T0s - 86_400);
  });

  it('answers SUSPENDED for a suspended license', async () => {
    const { service } = testService();
    const status = statusOf(await postCheck(target(service), checkToken({ lid: 'lic_suspended' })));
    expect(status.outcome).toBe('SUSPENDED');
  });

  it('answers REVOKED for a revoked license and hands over no token', async () => {
    const { service } = testService();
    const status = statusOf(await postCheck(target(service), checkToken({ lid: 'lic_revoked' })));
    expect(status.outcome).toBe('REVOKED');
    expect(status.rev).toBe(3);
    expect(status.license).toBeNull();
  });

  it('answers UNKNOWN for a license id the store does not have', async () => {
    const { service } = testService();
    const status = statusOf(await postCheck(target(service), checkToken({ lid: 'lic_nosuch' })));
    expect(status).toMatchObject({
      outcome: 'UNKNOWN',
      lid: 'lic_nosuch',
      rev: null,
      termEnd: null,
      license: null,
    });
  });

  it('answers UNKNOWN to an installation the license is not bound to', async () => {
    const { service } = testService();
    const status = statusOf(await postCheck(target(service), checkToken({}, installationB)));
    expect(status).toMatchObject({ outcome: 'UNKNOWN', sub: installationB.kid, rev: null });
  });

  it('answers UNKNOWN for a license bound to no installation', async () => {
    const { service } = testService();
    const status = statusOf(await postCheck(target(service), checkToken({ lid: 'lic_unbound' })));
    expect(status.outcome).toBe('UNKNOWN');
  });

  it('hands over the newer license token when the record is ahead of the check', async () => {
    const { service, store } = testService();
    const status = statusOf(
      await postCheck(target(service), checkToken({ lid: 'lic_renewed', rev: 1 })),
    );
    expect(status.outcome).toBe('VALID');
    expect(status.rev).toBe(2);
    expect(status.license).toBe(store.views.get('lic_renewed')!.latestToken);
  });

  it('hands over nothing when the installation already holds the newest revision', async () => {
    const { service } = testService();
    const status = statusOf(
      await postCheck(target(service), checkToken({ lid: 'lic_renewed', rev: 2 })),
    );
    expect(status.license).toBeNull();
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

  it('records checks by the bound installation, in a batch, after answering', async () => {
    const { service, store } = testService();
    await postCheck(target(service), checkToken({ lid: 'lic_valid' }));
    await postCheck(
      target(service),
      checkToken({ lid: 'lic_suspended', usage: { credentialsInUse: 7 } }),
    );
    expect(store.records).toHaveLength(0);
    await service.recorder.flush();
    expect(store.records).toEqual([
      expect.objectContaining({
        licenseId: 'lic_valid',
        installationId: installationA.kid,
        sdkVersion: '0.1.0',
        credentialsInUse: 42,
        outcome: 'VALID',
        at: T0,
      }),
      expect.objectContaining({
        licenseId: 'lic_suspended',
        credentialsInUse: 7,
        outcome: 'SUSPENDED',
      }),
    ]);
    expect(store.records[0]!.id).toMatch(/^chk_[A-Za-z0-9_-]{22}$/);
  });

  it('records no check for an UNKNOWN answer, whose claims no key can vouch for', async () => {
    const { service, store } = testService();
    await postCheck(target(service), checkToken({ lid: 'lic_nosuch' }));
    await postCheck(target(service), checkToken({}, installationB));
    await service.recorder.flush();
    expect(store.records).toHaveLength(0);
    expect(await service.metrics.checks('UNKNOWN')).toBe(2);
  });
});
