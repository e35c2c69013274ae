// Contract: what each signing key signed (the kid of every token transaction, counted per key),
// which key set version each installation reports trusting (checks and challenges), and the key
// sets that keys from issue, approval, renewal and re-issue carry (#11).

import { describe, expect, it } from 'vitest';
import type { IssueResult, Issuer } from '../../src/facade.js';
import type { LicensorStore } from '../../src/store/ports.js';
import type { Adapter } from '../support/adapters.js';
import { DAY_MS, frozenClock, TestInstallation } from '../support/fixtures.js';
import { openedIssuer } from '../support/opened-issuer.js';

const perpetual = { customerName: 'Acme Corp', model: 'perpetual', credentials: 5 } as const;
const subscription = {
  customerName: 'Acme Corp',
  model: 'subscription',
  credentials: 5,
  termDays: 30,
} as const;

function seqsOf(keysets: readonly string[] | undefined): number[] {
  return (keysets ?? []).map(
    (token) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).seq as number,
  );
}

export function keyUsageContract(adapter: Adapter): void {
  let store: LicensorStore;
  let issuer: Issuer;
  const clock = frozenClock();
  openedIssuer(adapter, clock, {
    use: (opened) => {
      ({ store, issuer } = opened);
    },
  });

  /** Rotates and activates the license key; returns the old and the new kid. */
  async function rotateLicenseKey(): Promise<{ old: string; next: string }> {
    const old = (await issuer.keys.list()).find(
      (k) => k.purpose === 'license' && k.status === 'active',
    )!.kid;
    const next = (await issuer.keys.rotate('license', 'alice')).kid;
    clock.advance(1000);
    await issuer.keys.activate(next, 'alice');
    return { old, next };
  }

  function counts(usage: Awaited<ReturnType<Issuer['keys']['usage']>>) {
    return Object.fromEntries(usage.keys.map((k) => [k.kid, [k.tokens, k.licenses]]));
  }

  describe('tokens signed per key', () => {
    it('every token transaction records its kid; counts follow issue, renewal and re-signing', async () => {
      const a = await issuer.issue(new TestInstallation().challenge(), subscription, 'alice');
      const b = await issuer.issue(new TestInstallation().challenge(), perpetual, 'alice');
      clock.advance(20 * DAY_MS);
      const renewed = await issuer.renew(a.license.id, { termDays: 30 }, 'alice');
      await issuer.suspend(b.license.id, 'alice', 'unpaid');
      await issuer.resume(b.license.id, 'alice');
      const { old, next } = await rotateLicenseKey();
      for (const t of await issuer.listTransactions()) {
        if (t.token === null) expect(t.kid).toBeNull();
        else
          expect(JSON.parse(Buffer.from(t.token.split('.')[0]!, 'base64url').toString()).kid).toBe(
            t.kid,
          );
      }
      expect(renewed.transaction.kid).toBe(old);
      const usage = await issuer.keys.usage();
      const status = usage.keys.find((k) => k.purpose === 'status')!;
      // Two issues and a renewal by the old key; both licenses re-signed by the new one.
      expect(counts(usage)).toEqual({ [old]: [3, 2], [next]: [2, 2], [status.kid]: [0, 0] });
      expect(await issuer.keys.usageOf(next)).toMatchObject({ kid: next, tokens: 2, licenses: 2 });
    });

    it('a kid the store does not hold is ERR_KEY_NOT_FOUND', async () => {
      await expect(issuer.keys.usageOf('no-such-kid')).rejects.toMatchObject({
        code: 'ERR_KEY_NOT_FOUND',
      });
    });
  });

  describe('revoking an old key', () => {
    it('an installation answered a challenge since the re-signing no longer depends on the old key', async () => {
      const answered = new TestInstallation();
      const silent = new TestInstallation();
      const a = await issuer.issue(answered.challenge({ v: 2, keyset: 0 }), perpetual, 'alice');
      const b = await issuer.issue(silent.challenge({ v: 2, keyset: 0 }), perpetual, 'alice');
      const { old } = await rotateLicenseKey();
      clock.advance(1000);
      // Offline, it sends a new challenge and is given a key signed by the new license key.
      await issuer.issue(
        answered.challenge({
          v: 2,
          keyset: 3,
          at: clock.now(),
          license: { id: a.license.id, revision: 1, customerName: 'Acme Corp', model: 'perpetual' },
        }),
        perpetual,
        'alice',
      );
      const revocation = await issuer.keys.revoke(old, 'alice');
      // The other never checked online nor sent a challenge: its re-signed token cannot reach it.
      expect(revocation.dependents).toEqual([
        expect.objectContaining({ licenseId: b.license.id, remedy: 'challenge' }),
      ]);
    });
  });

  describe('installations per key set version', () => {
    it('records the newest report of each installation, for versions that exist only', async () => {
      await rotateLicenseKey(); // versions 1 (init), 2 (next key), 3 (activated)
      const [one, two] = [new TestInstallation().id, new TestInstallation().id];
      const at = clock.now();
      expect(
        await store.recordKeysetReports([
          { installationId: one, keyset: 1, at, source: 'check' },
          { installationId: one, keyset: 3, at: at + 1, source: 'check' },
          { installationId: two, keyset: 0, at, source: 'check' },
        ]),
      ).toBe(2);
      const before = await issuer.keys.usage();
      expect(before.keysets.map((k) => [k.seq, k.installations])).toEqual([
        [0, 1],
        [1, 0],
        [2, 0],
        [3, 1],
      ]);
      expect(before).toMatchObject({
        newestKeyset: 3,
        installationsReporting: 2,
        installationsOnNewest: 1,
      });
      // Refused, and nothing changes: a version never published, a report older than the one
      // on record, the version already on record.
      expect(
        await store.recordKeysetReports([
          { installationId: two, keyset: 4, at: at + 5, source: 'check' },
          { installationId: one, keyset: 2, at: at - 1, source: 'check' },
        ]),
      ).toBe(0);
      expect(
        await store.recordKeysetReports([
          { installationId: one, keyset: 3, at: at + 9, source: 'check' },
        ]),
      ).toBe(0);
      expect(await issuer.keys.usage()).toEqual(before);
      expect(await store.keyUsage.getKeysetReport(one)).toEqual({
        installationId: one,
        keyset: 3,
        at: at + 1,
        source: 'check',
      });
      // A newer report moves the installation.
      expect(
        await store.recordKeysetReports([
          { installationId: two, keyset: 3, at: at + 2, source: 'check' },
        ]),
      ).toBe(1);
      expect((await issuer.keys.usage()).installationsOnNewest).toBe(2);
    });
  });

  describe('key sets carried by keys', () => {
    it('issue: a format 2 challenge is recorded and gets the versions after it', async () => {
      const { old } = await rotateLicenseKey();
      const installation = new TestInstallation();
      const result = await issuer.issue(
        installation.challenge({ v: 2, keyset: 1 }),
        perpetual,
        'alice',
      );
      // Version 1 lists the old key only: version 2 (the next key, signed by the old) first.
      expect(seqsOf(result.keysets)).toEqual([2, 3]);
      expect(result.transaction.kid).not.toBe(old);
      expect(await store.keyUsage.getKeysetReport(installation.id)).toMatchObject({
        keyset: 1,
        source: 'challenge',
      });
    });

    it('inspection names a key set behind the newest, or one never published', async () => {
      await rotateLicenseKey();
      const kinds = async (keyset?: number) =>
        (
          await issuer.inspect(
            new TestInstallation().challenge(keyset === undefined ? {} : { v: 2, keyset }),
          )
        ).findings
          .map((f) => f.kind)
          .filter((kind) => kind.startsWith('keyset-'));
      expect(await kinds(1)).toEqual(['keyset-behind']);
      expect(await kinds(3)).toEqual([]);
      // An installation on the shipped keys is told it is the usual case, not out of date.
      const shipped = await issuer.inspect(new TestInstallation().challenge({ v: 2, keyset: 0 }));
      expect(shipped.findings).toContainEqual({
        kind: 'keyset-behind',
        message: expect.stringMatching(
          /^the installation trusts the keys shipped with the product \(key set version 0\), the usual case at first; its key carries the published versions 1 to 3 before it/,
        ),
      });
      expect(await kinds(4)).toEqual(['keyset-unknown']);
      expect(await kinds()).toEqual([]);
    });

    it('issue: a challenge naming a version never published is ERR_KEYSET_UNKNOWN and changes nothing', async () => {
      const installation = new TestInstallation();
      const transactions = await issuer.listTransactions();
      const before = await issuer.keys.usage();
      const refused = await issuer
        .issue(installation.challenge({ v: 2, keyset: 7 }), perpetual, 'alice')
        .catch((error) => error);
      expect(refused).toMatchObject({ code: 'ERR_KEYSET_UNKNOWN', version: 7 });
      expect(refused.message).toMatch(/version 7.*up to version 1/);
      expect(await issuer.listTransactions()).toEqual(transactions);
      expect(await issuer.listLicenses()).toEqual([]);
      expect(await store.keyUsage.getKeysetReport(installation.id)).toBeNull();
      expect(await issuer.keys.usage()).toEqual(before);
    });

    it('issue: over a challenge whose signature does not hold, the refusals keep their order (version, terms, signature) and change nothing', async () => {
      const installation = new TestInstallation();
      const forged = (keyset: number) => {
        const [h, p, s] = installation.challenge({ v: 2, keyset }).split('.');
        return `${h}.${p}.${s!.startsWith('A') ? `B${s!.slice(1)}` : `A${s!.slice(1)}`}`;
      };
      const transactions = await issuer.listTransactions();
      const before = await issuer.keys.usage();
      const refusal = (challenge: string, terms: object) =>
        issuer.issue(challenge, terms as typeof perpetual, 'alice').catch((error) => error);
      expect(await refusal(forged(7), perpetual)).toMatchObject({
        code: 'ERR_KEYSET_UNKNOWN',
        version: 7,
      });
      expect(await refusal(forged(1), { ...perpetual, credentials: 0 })).toMatchObject({
        code: 'ERR_TERMS_INVALID',
        field: 'credentials',
      });
      expect(await refusal(forged(1), perpetual)).toMatchObject({ code: 'ERR_SIGNATURE_INVALID' });
      expect(await issuer.listTransactions()).toEqual(transactions);
      expect(await issuer.listLicenses()).toEqual([]);
      expect(await store.keyUsage.getKeysetReport(installation.id)).toBeNull();
      expect(await issuer.keys.usage()).toEqual(before);
    });

    it('approval: the answer to a format 2 request carries the versions after the one it reports', async () => {
      const installation = new TestInstallation();
      const first = await issuer.issue(
        installation.challenge({ v: 2, keyset: 1 }),
        perpetual,
        'alice',
      );
      expect(first.keysets).toEqual([]);
      await rotateLicenseKey();
      const challenge = installation.challenge({
        v: 2,
        keyset: 1,
        at: clock.now(),
        license: {
          id: first.license.id,
          revision: 1,
          customerName: first.license.customerName,
          model: 'perpetual',
        },
        request: { kind: 'model-switch', model: 'subscription' },
      });
      const request = (await issuer.inspect(challenge, 'alice')).approvalRequest!;
      const approved = await issuer.approveRequest(request.id, 'bob', { termDays: 90 });
      expect(seqsOf(approved.keysets)).toEqual([2, 3]);
    });

    it('approval: a request naming a version never published is ERR_KEYSET_UNKNOWN and stays pending', async () => {
      const installation = new TestInstallation();
      const first = await issuer.issue(installation.challenge(), perpetual, 'alice');
      const challenge = installation.challenge({
        v: 2,
        keyset: 5,
        license: {
          id: first.license.id,
          revision: 1,
          customerName: first.license.customerName,
          model: 'perpetual',
        },
        request: { kind: 'model-switch', model: 'subscription' },
      });
      const request = (await issuer.inspect(challenge, 'alice')).approvalRequest!;
      const transactions = await issuer.listTransactions();
      await expect(issuer.approveRequest(request.id, 'bob')).rejects.toMatchObject({
        code: 'ERR_KEYSET_UNKNOWN',
      });
      expect(await issuer.getRequest(request.id)).toMatchObject({ status: 'pending' });
      expect(await issuer.listTransactions()).toEqual(transactions);
      expect(await store.keyUsage.getKeysetReport(installation.id)).toBeNull();
    });

    it('renewal and re-issue: the versions after the one the installation last reported', async () => {
      const installation = new TestInstallation();
      const first: IssueResult = await issuer.issue(
        installation.challenge({ v: 2, keyset: 1 }),
        subscription,
        'alice',
      );
      await rotateLicenseKey();
      clock.advance(20 * DAY_MS);
      const renewed = await issuer.renew(first.license.id, { termDays: 30 }, 'alice');
      expect(seqsOf(renewed.keysets)).toEqual([2, 3]);
      await store.recordKeysetReports([
        { installationId: installation.id, keyset: 3, at: clock.now(), source: 'check' },
      ]);
      const reissued = await issuer.reissue(first.license.id, {}, 'alice');
      expect(reissued.keysets).toEqual([]);
    });

    it('a version 1 license (a format 1 SDK) carries no key set', async () => {
      const first = await issuer.issue(new TestInstallation().challenge(), subscription, 'alice');
      expect(first.keysets).toBeUndefined();
      clock.advance(20 * DAY_MS);
      expect(
        (await issuer.renew(first.license.id, { termDays: 30 }, 'alice')).keysets,
      ).toBeUndefined();
    });
  });
}
