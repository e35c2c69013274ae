// Contract: the store surface the verify service relies on (contract §3) and the properties
// of the log that make issuing safe. Run against every adapter by contract.test.ts.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, signStatus } from '@licensor/token';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openIssuer } from '../../src/domain/open-issuer.js';
import type { Issuer } from '../../src/facade.js';
import type { CheckRecord } from '../../src/records.js';
import type { LicensorStore } from '../../src/store/ports.js';
import type { Adapter, StoreHandle } from '../support/adapters.js';
import { frozenClock, T0, TestInstallation } from '../support/fixtures.js';

const terms = {
  customerName: 'Acme Corp',
  model: 'subscription',
  credentials: 5,
  termDays: 30,
} as const;

export function storeContract(adapter: Adapter): void {
  let handle: StoreHandle;
  let store: LicensorStore;
  let issuer: Issuer;
  const clock = frozenClock();

  beforeEach(async () => {
    clock.set(T0);
    handle = await adapter.create();
    store = await handle.open();
    issuer = await openIssuer({ store, now: clock.now, passphrase: '' });
  });
  afterEach(async () => {
    await store.close();
    await adapter.cleanup();
  });

  it('answers a check for an unknown license with null', async () => {
    expect(await store.getCheckView('lic_nothere')).toBeNull();
  });

  it('answers a check with state, model, revision, term, the bound installation and its key', async () => {
    await issuer.init('alice');
    const installation = new TestInstallation();
    const issued = await issuer.issue(installation.challenge(), terms, 'alice');
    expect(await store.getCheckView(issued.license.id)).toEqual({
      licenseId: issued.license.id,
      state: 'active',
      model: 'subscription',
      revision: 1,
      term: issued.license.term,
      installationId: installation.id,
      installationKey: issued.license.installationKey,
      latestToken: issued.token,
    });
    await issuer.suspend(issued.license.id, 'alice', 'unpaid');
    expect((await store.getCheckView(issued.license.id))?.state).toBe('suspended');
  });

  it('records checks in a batch and lists them newest first, ignoring a repeated id', async () => {
    const check = (id: string, at: number): CheckRecord => ({
      id,
      at,
      licenseId: 'lic_a',
      installationId: 'inst',
      sdkVersion: '1.0.0',
      credentialsInUse: 4,
      outcome: 'VALID',
    });
    await store.recordChecks([check('chk_1', T0), check('chk_2', T0 + 5)]);
    await store.recordChecks([check('chk_2', T0 + 5), check('chk_3', T0 + 9)]);
    await store.recordChecks([]);
    const listed = await store.listChecks('lic_a');
    expect(listed.map((c) => c.id)).toEqual(['chk_3', 'chk_2', 'chk_1']);
    expect(listed[0]).toEqual(check('chk_3', T0 + 9));
    expect(await store.listChecks('lic_b')).toEqual([]);
  });

  it('loads status keys, active first, and never a license key', async () => {
    await issuer.init('alice');
    clock.advance(1000);
    const rotated = await issuer.keys.rotate('status', 'alice');
    // The next key is loaded (ready for its activation), after the active one.
    const nextFirst = await store.loadStatusSigningKeys();
    expect(nextFirst.map((p) => p.kid)).toHaveLength(2);
    expect(nextFirst[1]!.kid).toBe(rotated.kid);
    clock.advance(1000);
    await issuer.keys.activate(rotated.kid, 'alice');
    const pairs = await store.loadStatusSigningKeys();
    expect(pairs.map((p) => p.kid)).toEqual([rotated.kid]);
    const licenseKids = (await store.listSigningKeys())
      .filter((k) => k.purpose === 'license')
      .map((k) => k.kid);
    for (const pair of pairs) expect(licenseKids).not.toContain(pair.kid);
    expect((await store.readPrivateKeys('status')).every((k) => k.purpose === 'status')).toBe(true);
    // The loaded key signs a status the exported keyring accepts.
    expect(
      signStatus(
        {
          v: 1,
          iat: 1,
          nonce: 'AAAAAAAAAAAAAAAAAAAAAA',
          lid: 'lic_a',
          sub: generateKeyPair().kid,
          outcome: 'UNKNOWN',
          rev: null,
          termEnd: null,
          checkBy: 2,
          license: null,
        },
        pairs[0]!,
      ),
    ).toMatch(/^ey/);
  });

  it('loads status keys without reading any license key', async () => {
    await issuer.init('alice');
    // Plain key files: the license key file gone entirely does not matter.
    const license = (await store.listSigningKeys()).find((k) => k.purpose === 'license')!;
    rmSync(join(handle.dataDir, 'keys', 'license'), { recursive: true, force: true });
    expect(await store.loadStatusSigningKeys()).toHaveLength(1);
    const fresh = await openIssuer({ store, now: clock.now, passphrase: '' });
    await expect(fresh.issue(new TestInstallation().challenge(), terms, 'a')).rejects.toMatchObject(
      {
        code: 'ERR_KEY_FILE',
      },
    );
    expect(license.protection).toBe('file');
  });

  it('leaves retired status keys out', async () => {
    await issuer.init('alice');
    const [first] = (await store.listSigningKeys()).filter((k) => k.purpose === 'status');
    clock.advance(1000);
    const next = await issuer.keys.rotate('status', 'alice');
    await issuer.keys.activate(next.kid, 'alice');
    expect((await issuer.keys.retire(first!.kid, 'alice')).status).toBe('retired');
    expect((await store.loadStatusSigningKeys()).map((p) => p.kid)).not.toContain(first!.kid);
  });

  it('needs the passphrase for sealed keys, and the right one', async () => {
    const sealed = await openIssuer({
      store,
      now: clock.now,
      passphrase: 'the issuing secret',
      statusPassphrase: 'correct horse battery',
    });
    await sealed.init('alice');
    expect((await store.listSigningKeys()).every((k) => k.protection === 'encrypted')).toBe(true);
    await expect(store.loadStatusSigningKeys('')).rejects.toMatchObject({
      code: 'ERR_PASSPHRASE_REQUIRED',
    });
    await expect(store.loadStatusSigningKeys('wrong')).rejects.toMatchObject({
      code: 'ERR_PASSPHRASE_WRONG',
    });
    expect(await store.loadStatusSigningKeys('correct horse battery')).toHaveLength(1);
  });

  it('pings while open and reports ERR_STORE_UNAVAILABLE once closed', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
    await expect(store.ping()).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    await expect(store.getCheckView('lic_a')).rejects.toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
    });
    store = await handle.open();
  });

  it('keeps what it stored across a reopen', async () => {
    await issuer.init('alice');
    const issued = await issuer.issue(new TestInstallation().challenge(), terms, 'alice');
    await store.close();
    store = await handle.open();
    expect((await store.getCheckView(issued.license.id))?.latestToken).toBe(issued.token);
  });

  it('lists the licenses bound to an installation, newest first, revoked ones too', async () => {
    await issuer.init('alice');
    const installation = new TestInstallation();
    const first = await issuer.issue(installation.challenge(), terms, 'alice');
    clock.advance(1000);
    // Revoked on its own, a second before the next license is issued: each license's last
    // change is at its own instant, so the order is decided by time, not by the id tiebreak
    // (a supersede revokes the old one at the instant the new one is issued). Oldest first
    // would answer [first, second].
    await issuer.revoke(first.license.id, 'alice', 'replaced');
    clock.advance(1000);
    const second = await issuer.issue(installation.challenge(), terms, 'alice');
    const bound = await store.listLicensesOfInstallation(installation.id);
    expect(bound.map((license) => [license.id, license.state])).toEqual([
      [second.license.id, 'active'],
      [first.license.id, 'revoked'],
    ]);
    expect(await store.listLicensesOfInstallation(new TestInstallation().id)).toEqual([]);
  });

  it('refuses a second transaction at the same position of a license log', async () => {
    await issuer.init('alice');
    const issued = await issuer.issue(new TestInstallation().challenge(), terms, 'alice');
    const suspended = await issuer.suspend(issued.license.id, 'alice');
    const rival = { ...suspended.transaction, id: 'txn_rival', applied: false };
    expect(await store.commitTransaction(rival)).toEqual({ status: 'conflict' });
  });

  it('never lets an older transaction overwrite a newer license record', async () => {
    await issuer.init('alice');
    const issued = await issuer.issue(new TestInstallation().challenge(), terms, 'alice');
    await issuer.revoke(issued.license.id, 'alice', 'fraud');
    await store.applyTransaction(issued.transaction);
    expect(await store.getLicense(issued.license.id)).toMatchObject({ state: 'revoked', seq: 2 });
  });

  it('keeps one approval request per challenge', async () => {
    const base = {
      kind: 'model-switch',
      status: 'pending',
      licenseId: 'lic_a',
      installationId: 'inst',
      challenge: 'x.y.z',
      challengeHash: 'hash-1',
      asked: { kind: 'model-switch', model: 'subscription' },
      createdAt: T0,
      createdBy: 'alice',
      decidedAt: null,
      decidedBy: null,
      reason: null,
      transactionId: null,
    } as const;
    const first = await store.putRequest({ ...base, id: 'req_1' });
    const second = await store.putRequest({ ...base, id: 'req_2' });
    expect(second.id).toBe(first.id);
    expect(await store.listRequests({ status: 'pending' })).toHaveLength(1);
  });

  it('ignores an audit event appended twice', async () => {
    const event = {
      id: 'evt_1',
      at: T0,
      actor: 'a',
      action: 'x',
      subjectId: null,
      transactionId: null,
      details: { n: 1 },
    };
    await store.appendAuditEvent(event);
    await store.appendAuditEvent({ ...event, details: { n: 2 } });
    expect(await store.listAuditEvents({ action: 'x' })).toEqual([event]);
  });

  it('treats user names as unique regardless of case', async () => {
    await issuer.users.add('Alice', 'admin', 'a long password 1');
    await expect(issuer.users.add('alice', 'viewer', 'a long password 2')).rejects.toMatchObject({
      code: 'ERR_USER_EXISTS',
    });
    expect((await store.getUserByName('ALICE'))?.name).toBe('Alice');
  });
}
