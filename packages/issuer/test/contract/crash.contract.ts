// Contract: a crash between any two writes of an issue leaves nothing half-done. A hook throws
// after one write step (the process "dies" there); the store is reopened without the hook, and
// the issuer opened over it must show either no trace of the issue or all of it, and answer
// the same challenge with the same key if the transaction was stored.

import { afterEach, expect, it } from 'vitest';
import { openIssuer } from '../../src/domain/open-issuer.js';
import type { Issuer } from '../../src/facade.js';
import type { LicensorStore } from '../../src/store/ports.js';
import { WRITE_STEPS, type WriteStep } from '../../src/store/transaction-effects.js';
import type { Adapter } from '../support/adapters.js';
import { frozenClock, T0, TestInstallation } from '../support/fixtures.js';

const terms = { customerName: 'Crash Test Ltd', model: 'perpetual', credentials: 7 } as const;

class SimulatedCrash extends Error {}

/** Every stored transaction is applied, and every record it leads to is there and agrees. */
export async function expectWhole(store: LicensorStore): Promise<void> {
  const transactions = await store.listTransactions({ limit: 10_000 });
  expect(await store.listUnappliedTransactions()).toEqual([]);
  for (const transaction of transactions) {
    expect(transaction.applied).toBe(true);
    if (transaction.licenseAfter !== null) {
      const license = await store.getLicense(transaction.licenseAfter.id);
      expect(license).not.toBeNull();
      expect(license!.seq).toBeGreaterThanOrEqual(transaction.licenseAfter.seq);
    }
    if (transaction.customerAfter !== null) {
      expect(await store.getCustomer(transaction.customerAfter.id)).not.toBeNull();
    }
    if (transaction.installationAfter !== null) {
      expect(await store.getInstallation(transaction.installationAfter.id)).not.toBeNull();
    }
    const events = await store.listAuditEvents({ limit: 10_000 });
    expect(events.some((e) => e.transactionId === transaction.id)).toBe(true);
  }
  for (const license of await store.listLicenses({ limit: 10_000 })) {
    const source = await store.getTransaction(license.latestTransactionId);
    expect(source?.licenseAfter).toEqual(license);
    expect(await store.getCustomer(license.customerId)).not.toBeNull();
  }
}

export function crashContract(adapter: Adapter): void {
  afterEach(async () => {
    await adapter.cleanup();
  });

  for (const step of WRITE_STEPS) {
    it(`leaves nothing half-done when the issuer dies after writing the ${step}`, async () => {
      const clock = frozenClock(T0);
      const handle = await adapter.create();
      let armed: WriteStep | null = step;
      const crashing = await handle.open({
        onWriteStep: (at) => {
          if (at === armed) {
            armed = null;
            throw new SimulatedCrash(`crash after ${at}`);
          }
        },
      });
      const first: Issuer = await openIssuer({ store: crashing, now: clock.now, passphrase: '' });
      await first.init('alice');
      const challenge = new TestInstallation().challenge();
      await expect(first.issue(challenge, terms, 'alice')).rejects.toBeInstanceOf(SimulatedCrash);
      await crashing.close();

      const store = await handle.open();
      const stored = await store.listTransactions({});
      // SQLite commits in one SQL transaction: a crash keeps none of it. MongoDB keeps the
      // transaction document, written first, and possibly some of the records after it.
      expect(stored).toHaveLength(adapter.name === 'sqlite' ? 0 : 1);
      // The issuer opens: it rolls forward whatever transaction the crash left unapplied.
      const issuer = await openIssuer({ store, now: clock.now, passphrase: '' });
      await expectWhole(store);
      const again = await issuer.issue(challenge, terms, 'alice');
      if (stored.length === 1) {
        // The transaction was stored before the crash: it is the answer, the key is the same.
        expect(again.replayed).toBe(true);
        expect(again.transaction.id).toBe(stored[0]!.id);
        expect(again.token).toBe(stored[0]!.token);
      } else {
        expect(stored).toEqual([]);
        expect(again.replayed).toBe(false);
      }
      await expectWhole(store);
      expect(await store.listLicenses({})).toHaveLength(1);
      await store.close();
    });
  }

  it('completes an interrupted issue when the same challenge is issued again, before any reopen', async () => {
    const clock = frozenClock(T0);
    const handle = await adapter.create();
    let armed = true;
    const store = await handle.open({
      onWriteStep: (at) => {
        if (armed && at === 'installation') {
          armed = false;
          throw new SimulatedCrash('crash');
        }
      },
    });
    const issuer = await openIssuer({ store, now: clock.now, passphrase: '' });
    await issuer.init('alice');
    const challenge = new TestInstallation().challenge();
    await expect(issuer.issue(challenge, terms, 'alice')).rejects.toBeInstanceOf(SimulatedCrash);
    const retried = await issuer.issue(challenge, terms, 'alice');
    expect((await store.getCheckView(retried.license.id))?.latestToken).toBe(retried.token);
    await expectWhole(store);
    await store.close();
  });
}
