// Contract: what happens to a license after its first key: state changes, renewals, model
// switches and rehosts through approval requests, and what inspect tells the vendor.

import { challengeHash, decodeChallengeUnverified, Keyring, verifyLicense } from '@licensor/token';
import { describe, expect, it } from 'vitest';
import { ApprovalRequiredError, ModelSwitchNotApprovedError } from '../../src/errors.js';
import type { IssueResult, Issuer } from '../../src/facade.js';
import type { LicensorStore } from '../../src/store/ports.js';
import type { Adapter } from '../support/adapters.js';
import { DAY_MS, frozenClock, TestInstallation } from '../support/fixtures.js';
import { openedIssuer } from '../support/opened-issuer.js';

const perpetual = { customerName: 'Acme Corp', model: 'perpetual', credentials: 50 } as const;
const subscription = {
  customerName: 'Acme Corp',
  model: 'subscription',
  credentials: 50,
  termDays: 30,
  graceDays: 7,
} as const;

export function lifecycleContract(adapter: Adapter): void {
  let store: LicensorStore;
  let issuer: Issuer;
  const clock = frozenClock();
  let installation: TestInstallation;
  openedIssuer(adapter, clock, {
    use: (opened) => {
      ({ store, issuer } = opened);
      installation = new TestInstallation();
    },
  });

  function claimed(result: IssueResult) {
    return {
      id: result.license.id,
      revision: result.license.revision,
      customerName: result.license.customerName,
      model: result.license.model,
    };
  }

  describe('state changes', () => {
    it('suspends, resumes and revokes, each a transaction with its reason', async () => {
      const { license } = await issuer.issue(installation.challenge(), perpetual, 'alice');
      expect((await issuer.suspend(license.id, 'bob', 'invoice unpaid')).license).toMatchObject({
        state: 'suspended',
        stateReason: 'invoice unpaid',
      });
      expect((await issuer.resume(license.id, 'bob')).license).toMatchObject({
        state: 'active',
        stateReason: null,
      });
      const revoked = await issuer.revoke(license.id, 'carol', 'refund');
      expect(revoked.transaction).toMatchObject({
        kind: 'revoke',
        operator: 'carol',
        reason: 'refund',
        seq: 4,
      });
      const kinds = (await issuer.listTransactions({ licenseId: license.id })).map((t) => t.kind);
      expect(kinds).toEqual(['revoke', 'resume', 'suspend', 'issue']);
    });

    it('refuses changes that do not fit the state', async () => {
      const { license } = await issuer.issue(installation.challenge(), perpetual, 'alice');
      await expect(issuer.resume(license.id, 'a')).rejects.toMatchObject({
        code: 'ERR_LICENSE_STATE',
        state: 'active',
        message: `license ${license.id} is active: it cannot be resumed`,
      });
      await issuer.suspend(license.id, 'a');
      await expect(issuer.suspend(license.id, 'a')).rejects.toMatchObject({
        code: 'ERR_LICENSE_STATE',
        message: `license ${license.id} is suspended: it cannot be suspended`,
      });
      await issuer.revoke(license.id, 'a');
      await expect(issuer.suspend(license.id, 'a')).rejects.toMatchObject({
        code: 'ERR_LICENSE_STATE',
        message: `license ${license.id} is revoked: it cannot be suspended`,
      });
      await expect(issuer.revoke(license.id, 'a')).rejects.toMatchObject({
        code: 'ERR_LICENSE_STATE',
        message: `license ${license.id} is revoked: it cannot be revoked`,
      });
      await expect(issuer.revoke('lic_missing', 'a')).rejects.toMatchObject({
        code: 'ERR_LICENSE_NOT_FOUND',
      });
    });

    it('refuses to issue a new key for a revoked or suspended license', async () => {
      const first = await issuer.issue(installation.challenge(), perpetual, 'alice');
      await issuer.suspend(first.license.id, 'a');
      const next = installation.challenge({ license: claimed(first) });
      await expect(issuer.issue(next, perpetual, 'a')).rejects.toMatchObject({
        code: 'ERR_LICENSE_STATE',
        state: 'suspended',
      });
      await issuer.revoke(first.license.id, 'a');
      await expect(issuer.issue(next, perpetual, 'a')).rejects.toMatchObject({
        code: 'ERR_LICENSE_STATE',
        state: 'revoked',
      });
    });
  });

  describe('renewal', () => {
    it('extends the term from its end and stores the token for online delivery', async () => {
      const first = await issuer.issue(installation.challenge(), subscription, 'alice');
      clock.advance(10 * DAY_MS);
      const renewed = await issuer.renew(first.license.id, { termDays: 365 }, 'alice');
      const keyring = Keyring.fromJwks(await issuer.keys.exportJwks());
      const { claims } = verifyLicense(renewed.token, keyring);
      expect(claims).toMatchObject({
        chal: null,
        rev: 2,
        sub: installation.id,
        lid: first.license.id,
      });
      expect(claims.term).toEqual({
        start: first.license.term!.start,
        end: first.license.term!.end + 365 * 86_400,
        grace: 7 * 86_400,
      });
      expect(await store.getCheckView(first.license.id)).toMatchObject({
        revision: 2,
        latestToken: renewed.token,
      });
    });

    it('renews an ended term from now', async () => {
      const first = await issuer.issue(installation.challenge(), subscription, 'alice');
      clock.advance(100 * DAY_MS);
      const renewed = await issuer.renew(first.license.id, { termDays: 30, graceDays: 3 }, 'alice');
      const now = Math.floor(clock.now() / 1000);
      expect(renewed.license.term).toEqual({
        start: first.license.term!.start,
        end: now + 30 * 86_400,
        grace: 3 * 86_400,
      });
    });

    it('refuses to renew a perpetual license', async () => {
      const { license } = await issuer.issue(installation.challenge(), perpetual, 'alice');
      await expect(issuer.renew(license.id, { termDays: 30 }, 'a')).rejects.toMatchObject({
        code: 'ERR_NOT_SUBSCRIPTION',
      });
    });
  });

  describe('model switch', () => {
    async function switchChallenge() {
      const first = await issuer.issue(installation.challenge(), perpetual, 'alice');
      const challenge = installation.challenge({
        license: claimed(first),
        request: { kind: 'model-switch', model: 'subscription' },
      });
      return { first, challenge };
    }

    it('becomes a pending request when inspected, and issuing waits for approval', async () => {
      const { challenge } = await switchChallenge();
      const inspection = await issuer.inspect(challenge, 'alice');
      expect(inspection.findings.map((f) => f.kind)).toContain('model-switch');
      expect(inspection.approvalRequest).toMatchObject({ kind: 'model-switch', status: 'pending' });
      const error = await issuer.issue(challenge, perpetual, 'alice').catch((e) => e);
      expect(error).toMatchObject({
        code: 'ERR_APPROVAL_REQUIRED',
        requestId: inspection.approvalRequest!.id,
      });
      expect(await issuer.listRequests({ status: 'pending' })).toHaveLength(1);
    });

    it('on approval issues a token with the new model, for the challenge and for online delivery', async () => {
      const { first, challenge } = await switchChallenge();
      const request = (await issuer.inspect(challenge, 'alice')).approvalRequest!;
      const approved = await issuer.approveRequest(request.id, 'bob', { termDays: 90 });
      const { claims } = verifyLicense(
        approved.token,
        Keyring.fromJwks(await issuer.keys.exportJwks()),
      );
      expect(claims).toMatchObject({
        model: 'subscription',
        rev: 2,
        lid: first.license.id,
        chal: request.challengeHash,
      });
      expect(claims.term!.end - claims.term!.start).toBe(90 * 86_400);
      expect(approved.request).toMatchObject({
        status: 'approved',
        decidedBy: 'bob',
        transactionId: approved.transaction.id,
      });
      expect(await store.getCheckView(first.license.id)).toMatchObject({
        model: 'subscription',
        latestToken: approved.token,
      });
      const again = await issuer.approveRequest(request.id, 'bob');
      expect(again.token).toBe(approved.token);
      expect(again.replayed).toBe(true);
    });

    it('approved again: the same terms give the same key, other terms are refused naming the first (#16.10)', async () => {
      const { challenge } = await switchChallenge();
      const request = (await issuer.inspect(challenge, 'alice')).approvalRequest!;
      const approved = await issuer.approveRequest(request.id, 'bob', { termDays: 90 });
      const same = await issuer.approveRequest(request.id, 'bob', { termDays: 90, graceDays: 30 });
      expect(same).toMatchObject({ token: approved.token, replayed: true });
      const transactions = (await issuer.listTransactions()).length;
      for (const [options, difference] of [
        [{ termDays: 365 }, 'term 365 days, not 90 days'],
        [{ graceDays: 14 }, 'grace 14 days, not 30 days'],
        [{ credentials: 51 }, 'credentials 51, not 50'],
      ] as const) {
        const refused = await issuer.approveRequest(request.id, 'bob', options).catch((e) => e);
        expect(refused).toMatchObject({
          code: 'ERR_CHALLENGE_USED',
          transactionId: approved.transaction.id,
        });
        expect(refused.message).toContain(approved.transaction.id);
        expect(refused.message).toContain(difference);
      }
      expect(await issuer.listTransactions()).toHaveLength(transactions);
      expect((await issuer.getLicense(approved.license.id))?.license.revision).toBe(2);
    });

    it('once rejected, cannot be issued or approved', async () => {
      const { challenge } = await switchChallenge();
      const request = (await issuer.inspect(challenge, 'alice')).approvalRequest!;
      const rejected = await issuer.rejectRequest(request.id, 'bob', 'stay perpetual');
      expect(rejected).toMatchObject({
        status: 'rejected',
        reason: 'stay perpetual',
        decidedBy: 'bob',
      });
      await expect(issuer.approveRequest(request.id, 'bob')).rejects.toMatchObject({
        code: 'ERR_REQUEST_DECIDED',
      });
      await expect(issuer.rejectRequest(request.id, 'bob')).rejects.toMatchObject({
        code: 'ERR_REQUEST_DECIDED',
      });
      await expect(issuer.issue(challenge, perpetual, 'alice')).rejects.toMatchObject({
        code: 'ERR_REQUEST_DECIDED',
      });
      expect((await issuer.listTransactions()).map((t) => t.kind)).toContain('reject-request');
    });

    it("once rejected, is in the license's check view for its installation's next check (#16.14)", async () => {
      const { first, challenge } = await switchChallenge();
      const request = (await issuer.inspect(challenge, 'alice')).approvalRequest!;
      // Pending is not declined: the view carries nothing yet.
      expect((await store.getCheckView(first.license.id))?.rejected).toBeUndefined();
      const rejected = await issuer.rejectRequest(request.id, 'bob', 'stay perpetual');
      const view = await store.getCheckView(first.license.id);
      expect(view?.rejected).toEqual([
        {
          installationId: installation.id,
          challengeHash: challengeHash(challenge),
          expiresAt: decodeChallengeUnverified(challenge).claims.exp,
          decidedAt: rejected.decidedAt,
          reason: 'stay perpetual',
        },
      ]);
      // The rest of the view is what it was.
      expect(view).toMatchObject({ licenseId: first.license.id, revision: 1, state: 'active' });
    });

    it('a plain challenge asking for another model is a model switch: named, issuing it is refused and changes nothing, Activate and approve still switch', async () => {
      const first = await issuer.issue(installation.challenge(), subscription, 'alice');
      // `licensor challenge --model perpetual` while the subscription is in force.
      const challenge = installation.challenge({
        license: claimed(first),
        request: { kind: 'license', model: 'perpetual', credentials: 60 },
      });
      const inspection = await issuer.inspect(challenge, 'alice');
      expect(inspection.findings).toContainEqual({
        kind: 'model-switch',
        message: expect.stringMatching(
          /asks for a perpetual license, but license lic_\S+ is subscription: that is a model switch.*licensor activate perpetual/,
        ),
      });
      // No request from a plain challenge (the customer asks with Activate), and the
      // suggested terms keep the license's model.
      expect(inspection.approvalRequest).toBeNull();
      expect(inspection.suggestedTerms).toMatchObject({ model: 'subscription', credentials: 60 });

      const before = {
        licenses: await issuer.listLicenses(),
        transactions: await issuer.listTransactions(),
        audit: await issuer.listAuditEvents({}),
        view: await store.getCheckView(first.license.id),
      };
      const refused = await issuer
        .issue(challenge, { ...perpetual, credentials: 60 }, 'alice')
        .catch((e) => e);
      expect(refused).toBeInstanceOf(ModelSwitchNotApprovedError);
      expect(refused).toBeInstanceOf(ApprovalRequiredError);
      expect(refused).toMatchObject({
        code: 'ERR_APPROVAL_REQUIRED',
        requestId: null,
        licenseId: first.license.id,
        model: 'subscription',
        asked: 'perpetual',
      });
      expect(refused.message).toMatch(/licensor activate perpetual/);
      expect(refused.message).toMatch(/licensor-issuer approve/);
      // The vendor's own --model on a challenge that asks for no model: refused the same way.
      const plain = installation.challenge({ license: claimed(first) });
      await expect(issuer.issue(plain, perpetual, 'alice')).rejects.toBeInstanceOf(
        ModelSwitchNotApprovedError,
      );
      // Nothing changed: no license row, no transaction, no audit entry, the same check view.
      expect(await issuer.listLicenses()).toEqual(before.licenses);
      expect(await issuer.listTransactions()).toEqual(before.transactions);
      expect(await issuer.listAuditEvents({})).toEqual(before.audit);
      expect(await store.getCheckView(first.license.id)).toEqual(before.view);
      expect(await issuer.listRequests()).toEqual([]);

      // The same challenge answered with the license's model: a plain issue.
      const kept = await issuer.issue(challenge, { ...subscription, credentials: 60 }, 'alice');
      expect(kept.license).toMatchObject({ model: 'subscription', credentials: 60, revision: 2 });

      // The switch itself: Activate, inspect, approve.
      const activate = installation.challenge({
        license: claimed(kept),
        request: { kind: 'model-switch', model: 'perpetual' },
      });
      const request = (await issuer.inspect(activate, 'alice')).approvalRequest!;
      expect(request).toMatchObject({ kind: 'model-switch', status: 'pending' });
      const approved = await issuer.approveRequest(request.id, 'bob');
      expect(approved.license).toMatchObject({ model: 'perpetual', revision: 3, term: null });
    });

    it('reports an unknown request', async () => {
      await expect(issuer.approveRequest('req_missing', 'a')).rejects.toMatchObject({
        code: 'ERR_REQUEST_NOT_FOUND',
      });
    });
  });

  describe('rehost', () => {
    it('asks for approval when a license comes back from another installation, then moves it', async () => {
      const first = await issuer.issue(installation.challenge(), perpetual, 'alice');
      const newMachine = new TestInstallation();
      const challenge = newMachine.challenge({ license: claimed(first) });
      const inspection = await issuer.inspect(challenge, 'alice');
      expect(inspection.findings.map((f) => f.kind)).toEqual(
        expect.arrayContaining(['rehost', 'new-installation']),
      );
      await expect(issuer.issue(challenge, perpetual, 'alice')).rejects.toMatchObject({
        code: 'ERR_APPROVAL_REQUIRED',
      });
      const moved = await issuer.approveRequest(inspection.approvalRequest!.id, 'bob');
      expect(moved.transaction.kind).toBe('rehost');
      expect(await store.getCheckView(first.license.id)).toMatchObject({
        installationId: newMachine.id,
        revision: 2,
      });
    });
  });

  describe('inspect', () => {
    it('describes a first challenge and suggests terms from what it asks', async () => {
      const challenge = installation.challenge({
        request: { kind: 'license', credentials: 25, customerName: 'Gamma' },
      });
      const inspection = await issuer.inspect(challenge);
      expect(inspection).toMatchObject({
        installationId: installation.id,
        license: null,
        transaction: null,
        approvalRequest: null,
        expired: false,
        suggestedTerms: { customerName: 'Gamma', credentials: 25, model: 'perpetual' },
      });
      // What a first challenge asks for is the request itself, not a change to warn about.
      expect(inspection.findings.map((f) => f.kind)).toEqual(['new-installation']);
    });

    it('tells a change of credentials or customer name against the license in force', async () => {
      const first = await issuer.issue(installation.challenge(), perpetual, 'alice');
      const inspection = await issuer.inspect(
        installation.challenge({
          license: claimed(first),
          request: { kind: 'license', credentials: 999, customerName: 'Renamed Ltd' },
        }),
      );
      expect(inspection.findings.map((f) => f.kind)).toEqual([
        'credentials-change',
        'customer-name-change',
      ]);
      expect(inspection.findings[0]!.message).toContain('(now ');
    });

    it('tells a revision behind the record and an expired challenge', async () => {
      const first = await issuer.issue(installation.challenge(), perpetual, 'alice');
      await issuer.issue(installation.challenge({ license: claimed(first) }), perpetual, 'alice');
      const stale = installation.challenge({ license: claimed(first), validFor: 60 });
      clock.advance(120_000);
      const inspection = await issuer.inspect(stale);
      expect(inspection.expired).toBe(true);
      expect(inspection.findings.map((f) => f.kind)).toEqual([
        'revision-behind',
        'challenge-expired',
      ]);
    });

    it('tells a key already issued for the challenge, and an installation holding another license', async () => {
      const challenge = installation.challenge();
      const issued = await issuer.issue(challenge, perpetual, 'alice');
      const answered = await issuer.inspect(challenge);
      expect(answered.transaction?.id).toBe(issued.transaction.id);
      expect(answered.findings.map((f) => f.kind)).toEqual(['already-issued']);
      expect(answered.suggestedTerms).toEqual(perpetual);
      const fresh = await issuer.inspect(installation.challenge());
      expect(fresh.findings.map((f) => f.kind)).toEqual(['installation-bound-elsewhere']);
    });

    it('issue sees what inspect sees: a second license for one installation is refused, or supersedes the first (#16.12)', async () => {
      const first = await issuer.issue(installation.challenge(), perpetual, 'alice');
      const second = installation.challenge();
      const refused = await issuer.issue(second, perpetual, 'alice').catch((e) => e);
      expect(refused).toMatchObject({
        code: 'ERR_INSTALLATION_LICENSED',
        licenseIds: [first.license.id],
      });
      expect(refused.message).toMatch(/supersede/);
      expect(await issuer.listLicenses({})).toHaveLength(1);
      const replacing = await issuer.issue(second, perpetual, 'alice', { supersede: true });
      expect(replacing.license.id).not.toBe(first.license.id);
      expect((await issuer.getLicense(first.license.id))?.license).toMatchObject({
        state: 'revoked',
        stateReason: `superseded by license ${replacing.license.id} on the same installation`,
      });
      expect((await issuer.listLicenses({ state: 'active' })).map((l) => l.id)).toEqual([
        replacing.license.id,
      ]);
      // The same challenge again gives the same key, without supersede too.
      expect((await issuer.issue(second, perpetual, 'alice')).token).toBe(replacing.token);
    });

    it('refuses a challenge that is not one', async () => {
      await expect(issuer.inspect('not a token')).rejects.toMatchObject({
        code: 'ERR_JWS_MALFORMED',
      });
    });
  });
}
