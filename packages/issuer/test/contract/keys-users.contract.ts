// Contract: signing keys (init, rotation, retirement, export) and vendor users.

import { advanceKeysets, Keyring, newId, verifyLicense } from '@licensor/token';
import { describe, expect, it, vi } from 'vitest';
import { openCheckStore } from '../../src/checks.js';
import { openIssuer } from '../../src/domain/open-issuer.js';
import type { Issuer } from '../../src/facade.js';
import { kidOfToken } from '../../src/keys/token-kid.js';
import type { LicensorStore } from '../../src/store/ports.js';
import type { Adapter, StoreHandle } from '../support/adapters.js';
import { frozenClock, TestInstallation } from '../support/fixtures.js';
import { openedIssuer } from '../support/opened-issuer.js';

const terms = { customerName: 'Acme Corp', model: 'perpetual', credentials: 5 } as const;
/** Two different secrets: license keys under the issuing one, status keys under the service's. */
const SECRETS = { passphrase: 'the issuing secret', statusPassphrase: 'the service secret' };

export function keysAndUsersContract(adapter: Adapter): void {
  let store: LicensorStore;
  let issuer: Issuer;
  let handle: StoreHandle;
  const clock = frozenClock();
  openedIssuer(adapter, clock, {
    init: false,
    use: (opened) => {
      ({ store, issuer, handle } = opened);
    },
  });

  /**
   * The store as the verify service holds it (`@licensor/issuer/checks`), and a check as it
   * records one: the check record, then the revision the installation said it holds.
   */
  async function checkRole() {
    const checks = await openCheckStore({ ...handle.options, env: {} });
    const check = async (licenseId: string, installationId: string, rev: number | null) => {
      const at = clock.now();
      await checks.recordChecks([
        {
          id: newId('chk'),
          at,
          licenseId,
          installationId,
          sdkVersion: '0.2.0',
          credentialsInUse: 1,
          outcome: 'VALID',
          ...(rev === null ? {} : { rev }),
        },
      ]);
      if (rev === null) return 0;
      return checks.recordRevisionReports([{ licenseId, installationId, revision: rev, at }]);
    };
    return { checks, check };
  }

  /** A license issued under the first license key, and its successor made (challenges of now). */
  async function rotatedNow() {
    await issuer.init('alice');
    const old = (await issuer.keys.list()).find((k) => k.purpose === 'license')!;
    const challenge = new TestInstallation().challenge({ at: clock.now() });
    const issued = await issuer.issue(challenge, terms, 'alice');
    const rotated = await issuer.keys.rotate('license', 'alice');
    clock.advance(1000);
    return { old, issued, rotated };
  }

  /** The clock after the store began recording revision reports (an upgrade's marker). */
  async function afterRevisionsRecorded() {
    const since = await store.keyUsage.revisionReportsSince();
    expect(since).not.toBeNull();
    clock.set(Math.max(clock.now(), since! + 1000));
  }

  describe('signing keys', () => {
    it('init creates one active key per purpose, once', async () => {
      const first = await issuer.init('alice');
      expect(first.created.map((k) => [k.purpose, k.status])).toEqual([
        ['license', 'active'],
        ['status', 'active'],
      ]);
      expect((await issuer.init('alice')).created).toEqual([]);
      expect(await issuer.keys.list()).toHaveLength(2);
    });

    it('rotation makes a next key, published before it signs; activation switches signing', async () => {
      await issuer.init('alice');
      const before = await issuer.issue(new TestInstallation().challenge(), terms, 'alice');
      const rotated = await issuer.keys.rotate('license', 'alice');
      expect(rotated.status).toBe('next');
      // Trusted already (in the JWKS and the key set), not signing yet.
      expect((await issuer.keys.exportJwks()).keys.map((k) => k.kid)).toContain(rotated.kid);
      const meanwhile = await issuer.issue(new TestInstallation().challenge(), terms, 'alice');
      expect(meanwhile.transaction.kid).toBe(before.transaction.kid);
      clock.advance(1000);
      await issuer.keys.activate(rotated.kid, 'alice');
      const after = await issuer.issue(new TestInstallation().challenge(), terms, 'alice');
      const keyring = Keyring.fromJwks(await issuer.keys.exportJwks());
      expect(verifyLicense(after.token, keyring).kid).toBe(rotated.kid);
      // The retired key still verifies what it signed.
      expect(verifyLicense(before.token, keyring).kid).toBe(before.transaction.kid);
      const states = (await issuer.keys.list())
        .filter((k) => k.purpose === 'license')
        .map((k) => [k.kid, k.status]);
      expect(Object.fromEntries(states)).toEqual({
        [rotated.kid]: 'active',
        [before.transaction.kid]: 'retired',
      });
    });

    it('activation re-signs every license in force with the new key, for online delivery', async () => {
      await issuer.init('alice');
      const first = await issuer.issue(new TestInstallation().challenge(), terms, 'alice');
      const rotated = await issuer.keys.rotate('license', 'alice');
      clock.advance(1000);
      await issuer.keys.activate(rotated.kid, 'alice');
      const license = (await issuer.getLicense(first.license.id))!.license;
      expect(license.revision).toBe(2);
      const keyring = Keyring.fromJwks(await issuer.keys.exportJwks());
      const resigned = verifyLicense(license.latestToken!, keyring);
      expect(resigned.kid).toBe(rotated.kid);
      expect(resigned.claims).toMatchObject({ rev: 2, chal: null, lid: first.license.id });
      expect(resigned.claims.customer).toEqual(verifyLicense(first.token, keyring).claims.customer);
      // Activating again re-signs nothing more.
      await issuer.keys.activate(rotated.kid, 'alice');
      expect((await issuer.getLicense(first.license.id))!.license.revision).toBe(2);
    });

    it('activation re-signs each of more licenses than it signs side by side exactly once, and a revoke then names each as a dependent', async () => {
      await issuer.init('alice');
      // More than the re-signs in flight at once on SQLite (32).
      const issued: Awaited<ReturnType<Issuer['issue']>>[] = [];
      for (let i = 0; i < 40; i++) {
        issued.push(await issuer.issue(new TestInstallation().challenge(), terms, 'alice'));
      }
      const old = issued[0]!.transaction.kid!;
      const rotated = await issuer.keys.rotate('license', 'alice');
      clock.advance(1000);
      await issuer.keys.activate(rotated.kid, 'alice');
      const licenses = await Promise.all(
        issued.map(async (i) => (await issuer.getLicense(i.license.id))!),
      );
      expect(licenses.map((l) => l.license.revision)).toEqual(issued.map(() => 2));
      const resigns = licenses.map((l) => l.transactions.filter((t) => t.kind === 'resign'));
      expect(resigns.map((r) => r.length)).toEqual(issued.map(() => 1));
      expect(new Set(licenses.map((l) => kidOfToken(l.license.latestToken)))).toEqual(
        new Set([rotated.kid]),
      );
      const activations = await issuer.listAuditEvents({ action: 'key.activate' });
      expect(activations.map((e) => e.details.resigned)).toContain(40);
      const revocation = await issuer.keys.revoke(old, 'alice');
      expect(revocation.dependents.map((d) => d.licenseId).sort()).toEqual(
        issued.map((i) => i.license.id).sort(),
      );
      expect(new Set(revocation.dependents.map((d) => d.remedy))).toEqual(new Set(['challenge']));
    });

    it('an activation whose re-sign of one license fails stops with that error, keeps what it re-signed, and repeating it re-signs the rest', async () => {
      await issuer.init('alice');
      const issued: Awaited<ReturnType<Issuer['issue']>>[] = [];
      for (let i = 0; i < 6; i++) {
        issued.push(await issuer.issue(new TestInstallation().challenge(), terms, 'alice'));
      }
      const broken = issued[3]!.license.id;
      const failing = new Proxy(store, {
        get(target, name) {
          if (name === 'commitTransaction') {
            return (transaction: Parameters<LicensorStore['commitTransaction']>[0]) =>
              transaction.kind === 'resign' && transaction.licenseId === broken
                ? Promise.reject(new Error('the disk went away'))
                : target.commitTransaction(transaction);
          }
          const value = Reflect.get(target, name, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const flaky = await openIssuer({ store: failing, now: clock.now, passphrase: '' });
      const rotated = await issuer.keys.rotate('license', 'alice');
      clock.advance(1000);
      await expect(flaky.keys.activate(rotated.kid, 'alice')).rejects.toThrow('the disk went away');
      const revisions = async () =>
        Promise.all(issued.map(async (i) => (await issuer.getLicense(i.license.id))!.license));
      expect((await revisions()).find((l) => l.id === broken)?.revision).toBe(1);
      await issuer.keys.activate(rotated.kid, 'alice');
      expect((await revisions()).map((l) => [l.revision, kidOfToken(l.latestToken)])).toEqual(
        issued.map(() => [2, rotated.kid]),
      );
    });

    /** An issued license, its license key `old` and a `next` license key `rotated`, a second on. */
    async function licenseKeyRotated() {
      await issuer.init('alice');
      const old = (await issuer.keys.list()).find((k) => k.purpose === 'license')!;
      const issued = await issuer.issue(new TestInstallation().challenge(), terms, 'alice');
      const rotated = await issuer.keys.rotate('license', 'alice');
      clock.advance(1000);
      return { old, issued, rotated };
    }
    const activations = (kid: string) =>
      store.listAuditEvents({ subjectId: kid, action: 'key.activate' });

    it('activating the key that is already active again writes nothing when no license is left to re-sign: no audit entry, no key set, one read-only pass', async () => {
      const { old, issued, rotated } = await licenseKeyRotated();
      expect(await issuer.keys.activate(rotated.kid, 'alice')).toMatchObject({
        kid: rotated.kid,
        status: 'active',
        alreadyActive: false,
        retired: [old.kid],
      });
      const audit = (await store.listAuditEvents({})).length;
      const keysets = (await issuer.keys.keysets()).length;
      const keys = await issuer.keys.list();
      const scan = vi.spyOn(store, 'listLicenses');
      clock.advance(1000);
      try {
        const again = await issuer.keys.activate(rotated.kid, 'alice');
        expect(again).toMatchObject({ kid: rotated.kid, status: 'active', alreadyActive: true });
        // One pass over the licenses in force (one page here), for any the old key still signs.
        expect(scan).toHaveBeenCalledTimes(1);
      } finally {
        scan.mockRestore();
      }
      expect((await store.listAuditEvents({})).length).toBe(audit);
      expect((await issuer.keys.keysets()).length).toBe(keysets);
      expect(await issuer.keys.list()).toEqual(keys);
      expect((await issuer.getLicense(issued.license.id))!.license.revision).toBe(2);
    });

    it('activating a key init made is complete already: no audit entry, nothing retired, nothing written', async () => {
      await issuer.init('alice');
      const keys = await issuer.keys.list();
      expect(keys.filter((k) => k.status === 'active')).toHaveLength(2);
      const audit = await store.listAuditEvents({});
      const keysets = await issuer.keys.keysets();
      for (const key of keys.filter((k) => k.status === 'active')) {
        expect(await issuer.keys.activate(key.kid, 'alice')).toMatchObject({
          kid: key.kid,
          status: 'active',
          alreadyActive: true,
          resigned: 0,
          retired: [],
        });
      }
      expect(await store.listAuditEvents({})).toEqual(audit);
      expect(await issuer.keys.keysets()).toEqual(keysets);
      expect(await issuer.keys.list()).toEqual(keys);
    });

    it('a repeat finishes an activation a crash left with two active keys: the old one retired, the licenses re-signed, audited once', async () => {
      const { old, issued, rotated } = await licenseKeyRotated();
      // What a crash just after the first write of an activation leaves.
      await store.setSigningKeyState(rotated.kid, ['next'], 'active', clock.now());
      const keysets = (await issuer.keys.keysets()).length;
      expect(await issuer.keys.activate(rotated.kid, 'alice')).toMatchObject({
        status: 'active',
        alreadyActive: false,
      });
      const states = Object.fromEntries(
        (await issuer.keys.list())
          .filter((k) => k.purpose === 'license')
          .map((k) => [k.kid, k.status]),
      );
      expect(states).toEqual({ [old.kid]: 'retired', [rotated.kid]: 'active' });
      expect((await issuer.keys.keysets()).length).toBe(keysets + 1);
      const license = (await issuer.getLicense(issued.license.id))!.license;
      expect(license.revision).toBe(2);
      const keyring = Keyring.fromJwks(await issuer.keys.exportJwks());
      expect(verifyLicense(license.latestToken!, keyring).kid).toBe(rotated.kid);
      expect(await activations(rotated.kid)).toHaveLength(1);
    });

    it('activating the older of the two active keys a crash left is refused, naming the key to finish with; nothing changes', async () => {
      const { old, issued, rotated } = await licenseKeyRotated();
      await store.setSigningKeyState(rotated.kid, ['next'], 'active', clock.now());
      const keys = await issuer.keys.list();
      const audit = (await store.listAuditEvents({})).length;
      const keysets = (await issuer.keys.keysets()).length;
      await expect(issuer.keys.activate(old.kid, 'alice')).rejects.toMatchObject({
        code: 'ERR_KEY_STATE',
        message: expect.stringContaining(`run \`keys activate ${rotated.kid}\``),
      });
      expect(await issuer.keys.list()).toEqual(keys);
      expect((await store.listAuditEvents({})).length).toBe(audit);
      expect((await issuer.keys.keysets()).length).toBe(keysets);
      expect((await issuer.getLicense(issued.license.id))!.license.revision).toBe(1);
      // Finishing the newer one still works.
      await issuer.keys.activate(rotated.kid, 'alice');
      const states = Object.fromEntries(
        (await issuer.keys.list())
          .filter((k) => k.purpose === 'license')
          .map((k) => [k.kid, k.status]),
      );
      expect(states).toEqual({ [old.kid]: 'retired', [rotated.kid]: 'active' });
    });

    it('a repeat finishes an activation a crash left before its key set and re-signing: the key signs alone, but was never audited as activated', async () => {
      const { old, issued, rotated } = await licenseKeyRotated();
      // The keys switched, then the crash: no key set yet, no license re-signed, no audit entry.
      await store.setSigningKeyState(rotated.kid, ['next'], 'active', clock.now());
      await store.setSigningKeyState(old.kid, ['active'], 'retired', clock.now());
      const keysets = (await issuer.keys.keysets()).length;
      expect(await issuer.keys.activate(rotated.kid, 'alice')).toMatchObject({
        status: 'active',
        alreadyActive: false,
      });
      const published = await issuer.keys.keysets();
      expect(published.length).toBe(keysets + 1);
      const last = JSON.parse(
        Buffer.from(published.at(-1)!.token.split('.')[1]!, 'base64url').toString(),
      );
      expect(last.keys).toContainEqual(
        expect.objectContaining({ kid: rotated.kid, state: 'active' }),
      );
      const license = (await issuer.getLicense(issued.license.id))!.license;
      expect(license.revision).toBe(2);
      expect(await activations(rotated.kid)).toEqual([
        expect.objectContaining({ details: expect.objectContaining({ resigned: 1 }) }),
      ]);
      // Finished now: one more repeat does nothing.
      const audit = (await store.listAuditEvents({})).length;
      expect(await issuer.keys.activate(rotated.kid, 'alice')).toMatchObject({
        alreadyActive: true,
      });
      expect((await store.listAuditEvents({})).length).toBe(audit);
    });

    it('another issuer on the store signs with the key this one activated; after another activation and the revoke of the key it had cached, with the newest, never the revoked one', async () => {
      // The signing keys are kept per key set version: the other issuer (another portal, the
      // CLI) must not go on signing with what it read before the keys changed.
      await issuer.init('alice');
      const other = await openIssuer({ store, now: clock.now, passphrase: '' });
      const first = await other.issue(new TestInstallation().challenge(), terms, 'bob');
      const second = await issuer.keys.rotate('license', 'alice');
      clock.advance(1000);
      await issuer.keys.activate(second.kid, 'alice');
      // The other issuer reads the keys again and keeps them: `second` is its active key now.
      const afterActivate = await other.issue(new TestInstallation().challenge(), terms, 'bob');
      expect(afterActivate.transaction.kid).toBe(second.kid);
      const cached = await other.issue(new TestInstallation().challenge(), terms, 'bob');
      expect(cached.transaction.kid).toBe(second.kid);
      // Meanwhile this issuer rotates and activates again, then revokes the key the other one
      // had cached as active (leaked): it is out of the published keys, so a license it signed
      // from here on would verify nowhere.
      const third = await issuer.keys.rotate('license', 'alice');
      clock.advance(1000);
      await issuer.keys.activate(third.kid, 'alice');
      await issuer.keys.revoke(second.kid, 'alice', 'leaked');
      const keyring = Keyring.fromJwks(await issuer.keys.exportJwks());
      expect(keyring.kids('license')).not.toContain(second.kid);
      expect(() => verifyLicense(cached.token, keyring)).toThrow();
      const afterRevoke = await other.issue(new TestInstallation().challenge(), terms, 'bob');
      expect(afterRevoke.transaction.kid).not.toBe(second.kid);
      expect(afterRevoke.transaction.kid).toBe(third.kid);
      expect(verifyLicense(afterRevoke.token, keyring).kid).toBe(third.kid);
      expect(verifyLicense(first.token, keyring).kid).toBe(first.transaction.kid);
    });

    it('reads the signing keys once per key set version, not once per issue', async () => {
      await issuer.init('alice');
      await issuer.issue(new TestInstallation().challenge(), terms, 'alice');
      const reads = vi.spyOn(store, 'readPrivateKeys');
      const kept = await issuer.issue(new TestInstallation().challenge(), terms, 'alice');
      await issuer.issue(new TestInstallation().challenge(), terms, 'alice');
      expect(reads).not.toHaveBeenCalled();
      const rotated = await issuer.keys.rotate('license', 'alice');
      clock.advance(1000);
      await issuer.keys.activate(rotated.kid, 'alice');
      const after = await issuer.issue(new TestInstallation().challenge(), terms, 'alice');
      expect(kept.transaction.kid).not.toBe(rotated.kid);
      expect(after.transaction.kid).toBe(rotated.kid);
      reads.mockRestore();
    });

    it('refuses what a key state does not allow, and changes nothing', async () => {
      await issuer.init('alice');
      const [active] = (await issuer.keys.list()).filter((k) => k.purpose === 'license');
      const next = await issuer.keys.rotate('license', 'alice');
      const before = await issuer.keys.list();
      // Each refusal starts only when the one before has settled: started together, a later
      // rejection has no handler yet when it happens (an unhandled rejection fails the run).
      const refusals: [() => Promise<unknown>, string][] = [
        [() => issuer.keys.rotate('license', 'alice'), 'ERR_KEY_STATE'],
        [() => issuer.keys.retire(active!.kid, 'alice'), 'ERR_KEY_ACTIVE'],
        [() => issuer.keys.revoke(active!.kid, 'alice'), 'ERR_KEY_ACTIVE'],
        [() => issuer.keys.retire(next.kid, 'alice'), 'ERR_KEY_STATE'],
        [() => issuer.keys.activate('nope', 'alice'), 'ERR_KEY_NOT_FOUND'],
      ];
      for (const [refuse, code] of refusals) await expect(refuse()).rejects.toMatchObject({ code });
      expect(await issuer.keys.list()).toEqual(before);
      await issuer.keys.revoke(next.kid, 'alice');
      await expect(issuer.keys.activate(next.kid, 'alice')).rejects.toMatchObject({
        code: 'ERR_KEY_STATE',
      });
    });

    it('a revoked key leaves the JWKS and the key set; revoking says who still depends on it', async () => {
      const { old, issued, rotated } = await licenseKeyRotated();
      await issuer.keys.activate(rotated.kid, 'alice');
      expect((await issuer.keys.retire(old.kid, 'alice')).status).toBe('retired');
      const revocation = await issuer.keys.revoke(old.kid, 'alice', 'laptop stolen');
      expect(revocation.key.status).toBe('revoked');
      // It never checked online: the re-signed token cannot reach it; it must send a challenge.
      expect(revocation.dependents).toEqual([
        expect.objectContaining({ licenseId: issued.license.id, remedy: 'challenge' }),
      ]);
      const kids = (await issuer.keys.exportJwks()).keys.map((k) => k.kid);
      expect(kids).not.toContain(old.kid);
      const keysets = await issuer.keys.keysets();
      const last = JSON.parse(
        Buffer.from(keysets.at(-1)!.token.split('.')[1]!, 'base64url').toString(),
      );
      expect(last.revoked).toEqual([old.kid]);
      expect(last.keys.map((k: { kid: string }) => k.kid)).not.toContain(old.kid);
    });

    it('revoking lists a license whose installation checked online but still holds the old key (remedy online) until it reports the re-signed revision; an older report does not lower it', async () => {
      await afterRevisionsRecorded();
      const { old, issued, rotated } = await rotatedNow();
      await issuer.keys.activate(rotated.kid, 'alice');
      const licenseId = issued.license.id;
      const installationId = issued.license.installationId!;
      expect((await issuer.getLicense(licenseId))!.license.revision).toBe(2);
      const { checks, check } = await checkRole();
      try {
        // It checks online and is handed revision 2, but still holds revision 1 (a scheduled
        // Verify by an operator without the System Administrator role does not apply it).
        clock.advance(1000);
        const checkedAt = clock.now();
        expect(await check(licenseId, installationId, 1)).toBe(1);
        clock.advance(1000);
        expect((await issuer.keys.revoke(old.kid, 'alice')).dependents).toEqual([
          expect.objectContaining({
            licenseId,
            installationId,
            latestKid: rotated.kid,
            lastCheckAt: checkedAt,
            remedy: 'online',
          }),
        ]);
        // It applied revision 2 (an administrator's Verify License) and says so at its next check.
        clock.advance(1000);
        expect(await check(licenseId, installationId, 2)).toBe(1);
        expect(await store.keyUsage.getHeldRevision(licenseId, installationId)).toEqual({
          licenseId,
          installationId,
          revision: 2,
          at: clock.now(),
        });
        expect((await issuer.keys.revoke(old.kid, 'alice')).dependents).toEqual([]);
        // A later check reporting revision 1 (replayed, or a copy restored from a backup) does
        // not move it back; nor does revision 2 again.
        const held = await store.keyUsage.getHeldRevision(licenseId, installationId);
        clock.advance(1000);
        expect(await check(licenseId, installationId, 1)).toBe(0);
        expect(await check(licenseId, installationId, 2)).toBe(0);
        expect(await store.keyUsage.getHeldRevision(licenseId, installationId)).toEqual(held);
        expect((await issuer.keys.revoke(old.kid, 'alice')).dependents).toEqual([]);
        // The report is per installation: another installation's says nothing of this one.
        expect(await store.keyUsage.getHeldRevision(licenseId, 'another')).toBeNull();
      } finally {
        await checks.close();
      }
    });

    it('a check recorded before the store recorded revisions counts as moved on, as before; one after it that reported none does not', async () => {
      const since = await store.keyUsage.revisionReportsSince();
      expect(since).not.toBeNull();
      // Both licenses re-signed, then checked online: one before the upgrade, one after it by a
      // service that reports no revision (an older verify service, or a refused write).
      clock.set(since! - 10 * 86_400_000);
      await issuer.init('alice');
      const old = (await issuer.keys.list()).find((k) => k.purpose === 'license')!;
      const made = () => new TestInstallation().challenge({ at: clock.now() });
      const before = await issuer.issue(made(), terms, 'alice');
      const after = await issuer.issue(made(), terms, 'alice');
      const rotated = await issuer.keys.rotate('license', 'alice');
      clock.advance(1000);
      await issuer.keys.activate(rotated.kid, 'alice');
      const { checks, check } = await checkRole();
      try {
        clock.advance(1000);
        await check(before.license.id, before.license.installationId!, null);
        clock.set(since! + 1000);
        await check(after.license.id, after.license.installationId!, null);
        expect((await issuer.keys.revoke(old.kid, 'alice')).dependents).toEqual([
          expect.objectContaining({ licenseId: after.license.id, remedy: 'online' }),
        ]);
      } finally {
        await checks.close();
      }
    });

    it('revoking finds a license with more than a page of transactions since the key signed its token', async () => {
      await afterRevisionsRecorded();
      const { old, issued, rotated } = await rotatedNow();
      const other = await issuer.issue(
        new TestInstallation().challenge({ at: clock.now() }),
        terms,
        'alice',
      );
      await issuer.keys.activate(rotated.kid, 'alice');
      // 52 transactions since the re-signing: one license's in one millisecond (a whole page of
      // one moment), the other's a millisecond apart (pages of several).
      clock.advance(1000);
      for (let i = 0; i < 26; i++) {
        await issuer.suspend(issued.license.id, 'alice', 'unpaid');
        await issuer.resume(issued.license.id, 'alice', 'paid');
      }
      for (let i = 0; i < 26; i++) {
        clock.advance(1);
        await issuer.suspend(other.license.id, 'alice', 'unpaid');
        clock.advance(1);
        await issuer.resume(other.license.id, 'alice', 'paid');
      }
      const transactions = await store.listTransactions({ licenseId: issued.license.id });
      expect(transactions).toHaveLength(54);
      // Neither ever checked: each must send a challenge.
      const listed = (await issuer.keys.revoke(old.kid, 'alice')).dependents;
      expect(listed.map((d) => [d.licenseId, d.remedy]).sort()).toEqual(
        [
          [issued.license.id, 'challenge'],
          [other.license.id, 'challenge'],
        ].sort(),
      );
      // One says it holds the re-signed revision: it has moved on.
      const { checks, check } = await checkRole();
      try {
        await check(other.license.id, other.license.installationId!, 2);
        expect(
          (await issuer.keys.revoke(old.kid, 'alice')).dependents.map((d) => d.licenseId),
        ).toEqual([issued.license.id]);
      } finally {
        await checks.close();
      }
    });

    it('a repeat of a revoke that a crash cut off after its state write writes its audit entry and publishes the key set, each once', async () => {
      const { old, rotated } = await licenseKeyRotated();
      await issuer.keys.activate(rotated.kid, 'alice');
      // What a crash right after the revoke's state write leaves: no key set saying so.
      await store.setSigningKeyState(old.kid, ['retired'], 'revoked', clock.now());
      const before = (await issuer.keys.keysets()).length;
      expect((await issuer.keys.revoke(old.kid, 'alice')).key.status).toBe('revoked');
      const keysets = await issuer.keys.keysets();
      expect(keysets.length).toBe(before + 1);
      const last = JSON.parse(
        Buffer.from(keysets.at(-1)!.token.split('.')[1]!, 'base64url').toString(),
      );
      expect(last.revoked).toEqual([old.kid]);
      const revokes = () => store.listAuditEvents({ subjectId: old.kid, action: 'key.revoke' });
      expect(await revokes()).toHaveLength(1);
      await issuer.keys.revoke(old.kid, 'alice');
      expect((await issuer.keys.keysets()).length).toBe(before + 1);
      expect(await revokes()).toHaveLength(1);
    });

    it('publishes a chain of key sets an installation can follow from the first', async () => {
      await issuer.init('alice');
      const shipped = Keyring.fromJwks(await issuer.keys.exportJwks());
      const license = await issuer.keys.rotate('license', 'alice');
      const status = await issuer.keys.rotate('status', 'alice');
      clock.advance(1000);
      await issuer.keys.activate(license.kid, 'alice');
      await issuer.keys.activate(status.kid, 'alice');
      const keysets = await issuer.keys.keysets();
      expect(keysets.map((k) => k.seq)).toEqual([1, 2, 3, 4, 5]);
      const { trust } = advanceKeysets(
        { seq: 0, keyring: shipped },
        keysets.map((k) => k.token),
      );
      expect(trust.seq).toBe(5);
      expect(trust.keyring.has(license.kid, 'license')).toBe(true);
      expect(trust.keyring.has(status.kid, 'status')).toBe(true);
      // Nothing changed: no new version.
      await issuer.init('alice');
      expect((await issuer.keys.keysets()).length).toBe(5);
    });

    it('unknown keys are refused', async () => {
      await issuer.init('alice');
      await expect(issuer.keys.retire('nope', 'alice')).rejects.toMatchObject({
        code: 'ERR_KEY_NOT_FOUND',
      });
    });

    it('exports a JWKS that marks each key for its purpose', async () => {
      await issuer.init('alice');
      const jwks = await issuer.keys.exportJwks();
      expect(jwks.keys.map((k) => k.purpose).sort()).toEqual(['license', 'status']);
      for (const key of jwks.keys)
        expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    });

    it('refuses to export before init', async () => {
      await expect(issuer.keys.exportJwks()).rejects.toMatchObject({ code: 'ERR_NOT_INITIALISED' });
    });

    it('issues with a sealed key after a reopen, given the passphrase', async () => {
      const sealed = await openIssuer({ store, now: clock.now, ...SECRETS });
      await sealed.init('alice');
      const withoutPassphrase = await openIssuer({ store, now: clock.now, passphrase: '' });
      await expect(
        withoutPassphrase.issue(new TestInstallation().challenge(), terms, 'a'),
      ).rejects.toMatchObject({
        code: 'ERR_PASSPHRASE_REQUIRED',
      });
      const reopened = await openIssuer({ store, now: clock.now, passphrase: SECRETS.passphrase });
      const issued = await reopened.issue(new TestInstallation().challenge(), terms, 'a');
      expect(
        verifyLicense(issued.token, Keyring.fromJwks(await reopened.keys.exportJwks())).claims.rev,
      ).toBe(1);
    });

    it('seals license keys and status keys under two different secrets', async () => {
      const sealed = await openIssuer({ store, now: clock.now, ...SECRETS });
      await sealed.init('alice');
      expect((await store.loadStatusSigningKeys(SECRETS.statusPassphrase)).length).toBe(1);
      await expect(store.loadStatusSigningKeys(SECRETS.passphrase)).rejects.toMatchObject({
        code: 'ERR_PASSPHRASE_WRONG',
      });
    });

    it('refuses one secret for both purposes, and a secret for one purpose only', async () => {
      for (const secrets of [
        { passphrase: 'same secret', statusPassphrase: 'same secret' },
        { passphrase: 'only the issuing one', statusPassphrase: '' },
        { passphrase: '', statusPassphrase: 'only the status one' },
      ]) {
        const refused = await openIssuer({ store, now: clock.now, ...secrets });
        await expect(refused.init('alice')).rejects.toMatchObject({
          code:
            secrets.passphrase === secrets.statusPassphrase
              ? 'ERR_PASSPHRASE_SHARED'
              : 'ERR_PASSPHRASE_REQUIRED',
        });
        expect(await store.listSigningKeys()).toEqual([]);
      }
    });

    it('rotation refuses a wrong passphrase and writes nothing', async () => {
      await (await openIssuer({ store, now: clock.now, ...SECRETS })).init('alice');
      const before = await store.listSigningKeys();
      for (const [purpose, secrets] of [
        ['license', { ...SECRETS, passphrase: 'a typo' }],
        ['status', { ...SECRETS, statusPassphrase: 'a typo' }],
      ] as const) {
        clock.advance(1000);
        const typo = await openIssuer({ store, now: clock.now, ...secrets });
        await expect(typo.keys.rotate(purpose, 'alice')).rejects.toMatchObject({
          code: 'ERR_PASSPHRASE_WRONG',
        });
      }
      expect(await store.listSigningKeys()).toEqual(before);
    });

    it('reads the newest sealed key of a purpose, whatever its state or product, to check a secret with', async () => {
      expect(await store.readSealedKey('license')).toBeNull();
      const sealed = await openIssuer({ store, now: clock.now, ...SECRETS });
      await sealed.init('alice');
      const first = (await store.listSigningKeys()).find((k) => k.purpose === 'license')!;
      const status = (await store.listSigningKeys()).find((k) => k.purpose === 'status')!;
      clock.advance(1000);
      const next = await sealed.keys.rotate('license', 'alice');
      clock.advance(1000);
      await sealed.keys.activate(next.kid, 'alice');
      await sealed.keys.revoke(first.kid, 'alice');
      expect(await store.readSealedKey('license')).toMatchObject({
        kid: next.kid,
        purpose: 'license',
        protection: 'encrypted',
      });
      clock.advance(1000);
      await sealed.products.create({ name: 'Mobile' }, 'alice');
      const own = await sealed.keys.rotate('license', 'alice', { product: 'Mobile' });
      expect((await store.readSealedKey('license'))?.kid).toBe(own.kid);
      expect((await store.readSealedKey('status'))?.kid).toBe(status.kid);
    });

    it('rotation refuses to write a plain key into a store whose keys are sealed', async () => {
      await (await openIssuer({ store, now: clock.now, ...SECRETS })).init('alice');
      const before = await store.listSigningKeys();
      const plain = await openIssuer({
        store,
        now: clock.now,
        passphrase: '',
        statusPassphrase: '',
      });
      for (const purpose of ['license', 'status'] as const) {
        await expect(plain.keys.rotate(purpose, 'alice')).rejects.toMatchObject({
          code: 'ERR_PASSPHRASE_REQUIRED',
        });
      }
      expect(await store.listSigningKeys()).toEqual(before);
    });
  });

  describe('vendor users', () => {
    it('authenticates with the right password only, and never returns the hash', async () => {
      const added = await issuer.users.add('alice', 'admin', 'correct horse battery', 'setup');
      expect(added).not.toHaveProperty('passwordHash');
      expect(await issuer.users.authenticate('alice', 'correct horse battery')).toMatchObject({
        id: added.id,
        role: 'admin',
      });
      expect(await issuer.users.authenticate('alice', 'wrong horse battery')).toBeNull();
      expect(await issuer.users.authenticate('nobody', 'correct horse battery')).toBeNull();
      expect((await issuer.users.list())[0]).not.toHaveProperty('passwordHash');
    });

    it('marks a one-time password until its user sets their own; a refused change keeps the mark', async () => {
      const added = await issuer.users.add('alice', 'admin', 'generated for alice', 'setup', {
        oneTime: true,
      });
      expect(added.passwordOneTime).toBe(true);
      expect(await issuer.users.authenticate('alice', 'generated for alice')).toMatchObject({
        passwordOneTime: true,
      });
      expect((await issuer.users.list())[0]).toMatchObject({ passwordOneTime: true });
      // A too-short own password is refused: the one-time one still works and is still marked.
      await expect(issuer.users.setPassword('alice', 'short', 'alice')).rejects.toMatchObject({
        code: 'ERR_PASSWORD_WEAK',
      });
      expect(await issuer.users.authenticate('alice', 'generated for alice')).toMatchObject({
        passwordOneTime: true,
      });
      // Her own: the mark is gone, in the store too.
      const own = await issuer.users.setPassword('alice', 'alice chose this one', 'alice');
      expect(own).not.toHaveProperty('passwordOneTime');
      expect(await issuer.users.authenticate('alice', 'alice chose this one')).not.toHaveProperty(
        'passwordOneTime',
      );
      // An admin sets it again for her (forgotten): one-time again.
      await issuer.users.add('bob', 'admin', 'bob has his own one');
      await issuer.users.setPassword('alice', 'bob set this for alice', 'bob', { oneTime: true });
      expect(await issuer.users.authenticate('alice', 'bob set this for alice')).toMatchObject({
        passwordOneTime: true,
      });
      expect(await issuer.users.authenticate('bob', 'bob has his own one')).not.toHaveProperty(
        'passwordOneTime',
      );
      const marked = (await issuer.listAuditEvents({ action: 'user.password' })).map(
        (e) => e.details.oneTimePassword ?? false,
      );
      expect(marked.sort()).toEqual([false, true]);
    });

    it('refuses short passwords, bad names and unknown roles', async () => {
      await expect(issuer.users.add('bob', 'issuer', 'short')).rejects.toMatchObject({
        code: 'ERR_PASSWORD_WEAK',
      });
      await expect(
        issuer.users.add('bad name', 'issuer', 'long enough password'),
      ).rejects.toMatchObject({
        code: 'ERR_INPUT_INVALID',
        field: 'name',
      });
      await expect(
        issuer.users.add('bob', 'owner' as never, 'long enough password'),
      ).rejects.toMatchObject({
        code: 'ERR_INPUT_INVALID',
        field: 'role',
      });
    });

    it('changes roles, disables and enables users, and keeps the last admin', async () => {
      await issuer.users.add('alice', 'admin', 'correct horse battery');
      await issuer.users.add('bob', 'viewer', 'another long password');
      await expect(issuer.users.setRole('alice', 'viewer', 'alice')).rejects.toMatchObject({
        code: 'ERR_LAST_ADMIN',
      });
      await expect(issuer.users.disable('alice', 'alice')).rejects.toMatchObject({
        code: 'ERR_LAST_ADMIN',
      });
      expect((await issuer.users.setRole('bob', 'admin', 'alice')).role).toBe('admin');
      expect((await issuer.users.disable('alice', 'bob')).disabled).toBe(true);
      expect(await issuer.users.authenticate('alice', 'correct horse battery')).toBeNull();
      await issuer.users.enable('alice', 'bob');
      await issuer.users.setPassword('alice', 'a brand new password', 'bob');
      expect(await issuer.users.authenticate('alice', 'a brand new password')).not.toBeNull();
      await expect(issuer.users.disable('carol', 'bob')).rejects.toMatchObject({
        code: 'ERR_USER_NOT_FOUND',
      });
      const actions = (await issuer.listAuditEvents({})).map((e) => e.action);
      expect(actions).toEqual(
        expect.arrayContaining([
          'user.add',
          'user.role',
          'user.disable',
          'user.enable',
          'user.password',
        ]),
      );
    });
  });
}
