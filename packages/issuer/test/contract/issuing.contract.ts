// Contract: issuing. Run against every adapter by contract.test.ts.

import { challengeHash, Keyring, verifyLicense } from '@licensor/token';
import { expect, it } from 'vitest';
import { openIssuer } from '../../src/domain/open-issuer.js';
import type { Issuer } from '../../src/facade.js';
import type { LicensorStore } from '../../src/store/ports.js';
import type { Adapter } from '../support/adapters.js';
import { DAY_MS, frozenClock, T0, TestInstallation } from '../support/fixtures.js';
import { writeCustomerName } from '../support/legacy-customer-name.js';
import { openedIssuer } from '../support/opened-issuer.js';

const perpetual = { customerName: 'Acme Corp', model: 'perpetual', credentials: 50 } as const;

export function issuingContract(adapter: Adapter): void {
  let store: LicensorStore;
  let issuer: Issuer;
  const clock = frozenClock();
  openedIssuer(adapter, clock, {
    use: (opened) => {
      ({ store, issuer } = opened);
    },
  });

  async function keyring(): Promise<Keyring> {
    return Keyring.fromJwks(await issuer.keys.exportJwks());
  }

  it('issues a key bound to the installation and the challenge, verifiable with the exported JWKS', async () => {
    const installation = new TestInstallation();
    const challenge = installation.challenge();
    const result = await issuer.issue(challenge, perpetual, 'alice');
    const { claims } = verifyLicense(result.token, await keyring());
    expect(claims).toMatchObject({
      sub: installation.id,
      chal: challengeHash(challenge),
      rev: 1,
      lid: result.license.id,
      jti: result.transaction.id,
      model: 'perpetual',
      credentials: 50,
      term: null,
      customer: { name: 'Acme Corp' },
      iat: Math.floor(T0 / 1000),
    });
    expect(result.replayed).toBe(false);
    expect(result.transaction.applied).toBe(true);
    expect(await store.getTransaction(result.transaction.id)).toMatchObject({
      applied: true,
      token: result.token,
    });
  });

  it('gives back the same key and transaction for the same challenge and terms', async () => {
    const challenge = new TestInstallation().challenge();
    const first = await issuer.issue(challenge, perpetual, 'alice');
    clock.advance(60_000);
    const again = await issuer.issue(challenge, { ...perpetual }, 'bob');
    expect(again.token).toBe(first.token);
    expect(again.transaction.id).toBe(first.transaction.id);
    expect(again.replayed).toBe(true);
    expect(await issuer.listTransactions()).toHaveLength(1);
  });

  it('refuses other terms for a challenge already answered', async () => {
    const challenge = new TestInstallation().challenge();
    await issuer.issue(challenge, perpetual, 'alice');
    await expect(
      issuer.issue(challenge, { ...perpetual, credentials: 51 }, 'alice'),
    ).rejects.toMatchObject({
      code: 'ERR_CHALLENGE_USED',
    });
  });

  it('answers concurrent issues of one challenge with one transaction', async () => {
    const challenge = new TestInstallation().challenge();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => issuer.issue(challenge, perpetual, 'alice')),
    );
    expect(new Set(results.map((r) => r.token)).size).toBe(1);
    expect(await issuer.listTransactions()).toHaveLength(1);
    expect(await issuer.listLicenses()).toHaveLength(1);
  });

  it('refuses an expired challenge', async () => {
    const challenge = new TestInstallation().challenge({ validFor: 3600 });
    clock.advance(2 * 3600_000);
    await expect(issuer.issue(challenge, perpetual, 'alice')).rejects.toMatchObject({
      code: 'ERR_CHALLENGE_EXPIRED',
    });
  });

  it('refuses a challenge whose signature does not hold', async () => {
    const challenge = new TestInstallation().challenge();
    const [h, p, s] = challenge.split('.');
    const flipped = `${h}.${p}.${s!.startsWith('A') ? `B${s!.slice(1)}` : `A${s!.slice(1)}`}`;
    await expect(issuer.issue(flipped, perpetual, 'alice')).rejects.toMatchObject({
      code: 'ERR_SIGNATURE_INVALID',
    });
    expect(await issuer.listTransactions()).toHaveLength(0);
  });

  it('refuses invalid terms with the field named', async () => {
    const challenge = new TestInstallation().challenge();
    await expect(
      issuer.issue(challenge, { ...perpetual, credentials: 0 }, 'a'),
    ).rejects.toMatchObject({
      code: 'ERR_TERMS_INVALID',
      field: 'credentials',
    });
    await expect(
      issuer.issue(challenge, { ...perpetual, termDays: 30 }, 'a'),
    ).rejects.toMatchObject({
      code: 'ERR_TERMS_INVALID',
      field: 'termDays',
    });
    await expect(
      issuer.issue(challenge, { ...perpetual, customerName: '  ' }, 'a'),
    ).rejects.toMatchObject({
      code: 'ERR_TERMS_INVALID',
      field: 'customerName',
    });
  });

  it('issues a subscription with its term and grace period', async () => {
    const result = await issuer.issue(
      new TestInstallation().challenge(),
      { customerName: 'Beta', model: 'subscription', credentials: 10, termDays: 30, graceDays: 7 },
      'alice',
    );
    const start = Math.floor(T0 / 1000);
    expect(verifyLicense(result.token, await keyring()).claims.term).toEqual({
      start,
      end: start + 30 * 86_400,
      grace: 7 * 86_400,
    });
  });

  it('upgrades a license: the next revision, same license id, with the new terms', async () => {
    const installation = new TestInstallation();
    const first = await issuer.issue(installation.challenge(), perpetual, 'alice');
    clock.advance(DAY_MS);
    const challenge = installation.challenge({
      at: clock.now(),
      license: { id: first.license.id, revision: 1, customerName: 'Acme Corp', model: 'perpetual' },
      request: { kind: 'license', credentials: 80 },
    });
    const second = await issuer.issue(challenge, { ...perpetual, credentials: 80 }, 'alice');
    expect(second.license).toMatchObject({
      id: first.license.id,
      revision: 2,
      credentials: 80,
      seq: 2,
    });
    expect(verifyLicense(second.token, await keyring()).claims.rev).toBe(2);
    expect(await store.getCheckView(first.license.id)).toMatchObject({
      revision: 2,
      latestToken: second.token,
    });
  });

  it('gives each of two concurrent upgrades of one license its own revision', async () => {
    const installation = new TestInstallation();
    const first = await issuer.issue(installation.challenge(), perpetual, 'alice');
    const claimed = {
      id: first.license.id,
      revision: 1,
      customerName: 'Acme Corp',
      model: 'perpetual',
    } as const;
    const [a, b] = await Promise.all([
      issuer.issue(
        installation.challenge({ license: claimed }),
        { ...perpetual, credentials: 60 },
        'alice',
      ),
      issuer.issue(
        installation.challenge({ license: claimed }),
        { ...perpetual, credentials: 70 },
        'bob',
      ),
    ]);
    expect([a.transaction.revision, b.transaction.revision].sort()).toEqual([2, 3]);
    expect((await issuer.getLicense(first.license.id))?.license.revision).toBe(3);
  });

  it('refuses to issue for a license this store does not have', async () => {
    const challenge = new TestInstallation().challenge({
      license: { id: 'lic_unknown', revision: 1, customerName: 'X', model: 'perpetual' },
    });
    await expect(issuer.issue(challenge, perpetual, 'alice')).rejects.toMatchObject({
      code: 'ERR_LICENSE_NOT_FOUND',
    });
  });

  it('refuses to issue before init', async () => {
    const bare = await openIssuer({
      store: await (await adapter.create()).open(),
      now: clock.now,
      passphrase: '',
    });
    await expect(
      bare.issue(new TestInstallation().challenge(), perpetual, 'a'),
    ).rejects.toMatchObject({
      code: 'ERR_NOT_INITIALISED',
    });
    await bare.store.close();
  });

  it('reuses a customer of the same name and keeps a renamed name for the next token', async () => {
    const a = await issuer.issue(new TestInstallation().challenge(), perpetual, 'alice');
    const b = await issuer.issue(new TestInstallation().challenge(), perpetual, 'alice');
    expect(b.license.customerId).toBe(a.license.customerId);
    const renamed = await issuer.renameCustomer(a.license.customerId, 'Acme Corporation', 'alice');
    expect(renamed).toMatchObject({ name: 'Acme Corporation', version: 2 });
    expect((await issuer.listCustomers()).map((c) => c.name)).toEqual(['Acme Corporation']);
    const kinds = (await issuer.listTransactions()).map((t) => t.kind);
    expect(kinds).toContain('rename-customer');
  });

  it("names the existing customer a first key would go to, and refuses a rename onto another customer's name", async () => {
    const a = await issuer.issue(new TestInstallation().challenge(), perpetual, 'alice');
    const second = new TestInstallation().challenge({
      request: { kind: 'license', customerName: 'Acme Corp' },
    });
    const inspection = await issuer.inspect(second, 'alice');
    expect(inspection.customer).toMatchObject({ id: a.license.customerId, name: 'Acme Corp' });
    expect(inspection.findings).toContainEqual({
      kind: 'existing-customer',
      message: expect.stringContaining(`"Acme Corp" exists (${a.license.customerId})`),
    });
    // A name no customer has: a new customer, said by its absence.
    const fresh = await issuer.inspect(
      new TestInstallation().challenge({ request: { kind: 'license', customerName: 'Globex' } }),
      'alice',
    );
    expect(fresh.customer).toBeNull();
    expect(fresh.findings.map((f) => f.kind)).not.toContain('existing-customer');

    // Two customers of one name would leave the second unreachable by name: refused, unchanged.
    const globex = await issuer.issue(
      new TestInstallation().challenge(),
      { ...perpetual, customerName: 'Globex' },
      'alice',
    );
    const before = await issuer.listCustomers();
    await expect(
      issuer.renameCustomer(globex.license.customerId, 'Acme Corp', 'alice'),
    ).rejects.toMatchObject({
      code: 'ERR_NAME_TAKEN',
      message: expect.stringContaining('customer'),
    });
    expect(await issuer.listCustomers()).toEqual(before);
  });

  it("refuses a key that would rename its customer onto another customer's name (ignoring case), stores nothing, and inspect says so", async () => {
    const acme = await issuer.issue(new TestInstallation().challenge(), perpetual, 'alice');
    const installation = new TestInstallation();
    const globex = await issuer.issue(
      installation.challenge(),
      { ...perpetual, customerName: 'Globex' },
      'alice',
    );
    const renaming = installation.challenge({
      at: clock.now(),
      license: { id: globex.license.id, revision: 1, customerName: 'Globex', model: 'perpetual' },
      request: { kind: 'license', customerName: 'acme corp' },
    });
    const inspection = await issuer.inspect(renaming, 'alice');
    expect(inspection.findings).toContainEqual({
      kind: 'customer-name-change',
      message: expect.stringContaining(
        `customer ${acme.license.customerId} is named "Acme Corp": a key renaming customer ${globex.license.customerId} ("Globex") to it is refused (ERR_NAME_TAKEN)`,
      ),
    });
    const before = {
      customers: await issuer.listCustomers(),
      transactions: await issuer.listTransactions(),
      license: await store.getLicense(globex.license.id),
      audit: await issuer.listAuditEvents(),
    };
    for (const customerName of ['acme corp', 'Acme Corp']) {
      await expect(
        issuer.issue(renaming, { ...perpetual, customerName }, 'alice'),
      ).rejects.toMatchObject({
        code: 'ERR_NAME_TAKEN',
        holder: acme.license.customerId,
        message: expect.stringContaining(
          `customer ${acme.license.customerId} is named "Acme Corp"`,
        ),
      });
    }
    expect({
      customers: await issuer.listCustomers(),
      transactions: await issuer.listTransactions(),
      license: await store.getLicense(globex.license.id),
      audit: await issuer.listAuditEvents(),
    }).toEqual(before);
    // Under its own name the key is issued.
    const kept = await issuer.issue(renaming, { ...perpetual, customerName: 'Globex' }, 'alice');
    expect(kept.license).toMatchObject({ revision: 2, customerName: 'Globex' });
  });

  it('keeps customer names unique ignoring case: a first key goes to the customer of that name, a rename onto it is refused', async () => {
    const acme = await issuer.issue(new TestInstallation().challenge(), perpetual, 'alice');
    const shouted = new TestInstallation().challenge({
      request: { kind: 'license', customerName: 'ACME CORP' },
    });
    const inspection = await issuer.inspect(shouted, 'alice');
    expect(inspection.customer).toMatchObject({ id: acme.license.customerId });
    expect(inspection.findings).toContainEqual({
      kind: 'existing-customer',
      message: expect.stringContaining(
        'named "Acme Corp" (customer names are unique ignoring case)',
      ),
    });
    const second = await issuer.issue(
      shouted,
      { ...perpetual, customerName: 'ACME CORP' },
      'alice',
    );
    expect(second.license).toMatchObject({
      customerId: acme.license.customerId,
      customerName: 'Acme Corp',
    });
    expect((await issuer.listCustomers()).map((c) => c.name)).toEqual(['Acme Corp']);

    const globex = await issuer.issue(
      new TestInstallation().challenge(),
      { ...perpetual, customerName: 'Globex' },
      'alice',
    );
    const before = {
      customers: await issuer.listCustomers(),
      audit: await issuer.listAuditEvents(),
    };
    await expect(
      issuer.renameCustomer(globex.license.customerId, 'acme corp', 'alice'),
    ).rejects.toMatchObject({ code: 'ERR_NAME_TAKEN', holder: acme.license.customerId });
    expect({
      customers: await issuer.listCustomers(),
      audit: await issuer.listAuditEvents(),
    }).toEqual(before);
    // A customer's own name in another case is no clash.
    expect(
      await issuer.renameCustomer(acme.license.customerId, 'ACME Corp', 'alice'),
    ).toMatchObject({ name: 'ACME Corp' });
  });

  it('keeps names that differ only in case, written before, reachable each by its exact name', async () => {
    const upper = await issuer.issue(new TestInstallation().challenge(), perpetual, 'alice');
    const other = await issuer.issue(
      new TestInstallation().challenge(),
      { ...perpetual, customerName: 'Other' },
      'alice',
    );
    await writeCustomerName(store, other.license.customerId, 'acme corp', clock.now());
    const lower = await issuer.issue(
      new TestInstallation().challenge(),
      { ...perpetual, customerName: 'acme corp' },
      'alice',
    );
    expect(lower.license.customerId).toBe(other.license.customerId);
    const again = await issuer.issue(new TestInstallation().challenge(), perpetual, 'alice');
    expect(again.license.customerId).toBe(upper.license.customerId);
  });

  it('says a re-pasted challenge was answered, with its license, and raises no copy alarm for it', async () => {
    const installation = new TestInstallation();
    const challenge = installation.challenge();
    const issued = await issuer.issue(challenge, perpetual, 'alice');
    const again = await issuer.inspect(challenge, 'alice');
    expect(again.findings).toContainEqual({
      kind: 'already-issued',
      message: expect.stringContaining(`license ${issued.license.id} of Acme Corp`),
    });
    expect(again.findings.map((f) => f.kind)).not.toContain('possible-copy');
    expect(again.findings.map((f) => f.kind)).not.toContain('existing-customer');
  });

  it('records each issue in the audit log', async () => {
    const result = await issuer.issue(new TestInstallation().challenge(), perpetual, 'alice');
    const events = await issuer.listAuditEvents({ subjectId: result.license.id });
    expect(events).toEqual([
      expect.objectContaining({
        action: 'license.issue',
        actor: 'alice',
        transactionId: result.transaction.id,
      }),
    ]);
  });
}
