// The seed-data generator: what it writes is what the issuer would have written (every
// transaction applied, tokens that verify, records that agree with their transactions), in
// the numbers asked for, through the store's bulk paths, on both adapters.

import { Keyring, verifyLicense } from '@licensor/token';
import { afterEach, expect, it } from 'vitest';
import { openIssuer } from '../src/domain/open-issuer.js';
import { installationKeyOf, seedChecksOfStore, seedStore } from '../src/seed/seed-data.js';
import { expectWhole } from './contract/crash.contract.js';
import { adapters, describeOn } from './support/adapters.js';
import { DAY_MS, T0 } from './support/fixtures.js';

for (const adapter of adapters()) {
  describeOn(adapter, `seed data on ${adapter.name}`, () => {
    afterEach(async () => {
      await adapter.cleanup();
    });

    it('fills a store with licenses, their transactions and days of checks, all consistent', {
      timeout: 60_000,
    }, async () => {
      const store = await (await adapter.create()).open();
      try {
        const progress: string[] = [];
        const report = await seedStore(store, {
          licenses: 60,
          days: 3,
          checksPerDay: 4,
          now: T0,
          seed: 'test',
          batchSize: 20,
          workers: 2,
          onProgress: (p) => progress.push(`${p.phase} ${p.done}/${p.total}`),
        });
        // Three chunks of 20 licenses (two customers each), made on two worker threads.
        expect(report).toMatchObject({ seed: 'test', licenses: 60, customers: 6, workers: 2 });
        expect(progress).toContain('licenses 60/60');
        const licenses = await store.listLicenses({ limit: 1000 });
        expect(licenses).toHaveLength(60);
        expect(report.transactions).toBeGreaterThanOrEqual(60);
        expect(await store.listTransactions({ limit: 10_000 })).toHaveLength(report.transactions);
        await expectWhole(store);

        // Tokens verify with the store's exported keys; the installation key is derivable.
        const issuer = await openIssuer({ store, now: () => T0, passphrase: '' });
        const keyring = Keyring.fromJwks(await issuer.keys.exportJwks());
        const sample = report.sample[0]!;
        const license = (await store.getLicense(sample.licenseId))!;
        expect(verifyLicense(license.latestToken!, keyring).claims.sub).toBe(
          license.installationId,
        );
        expect(installationKeyOf('test', sample.index).kid).toBe(license.installationId);

        // Checks: 4 a day per license over 3 days, none before the license existed or after now.
        expect(report.checks).toBeGreaterThan(0);
        expect(report.checks).toBeLessThanOrEqual(60 * 3 * 4);
        const checks = await store.listChecks(sample.licenseId, 100);
        expect(checks.every((c) => c.at <= T0 && c.at >= T0 - 4 * DAY_MS)).toBe(true);
        expect(checks.every((c) => c.installationId === license.installationId)).toBe(true);
        const usage = await store.dailyUsage(sample.licenseId);
        expect(usage.reduce((sum, day) => sum + day.checks, 0)).toBe(checks.length);
      } finally {
        await store.close();
      }
    });

    it('makes the same licenses on worker threads as in the writing thread', {
      timeout: 60_000,
    }, async () => {
      const shapes: string[][] = [];
      const reports: { transactions: number; requests: number; workers: number }[] = [];
      for (const workers of [2, 0]) {
        const store = await (await adapter.create()).open();
        try {
          const report = await seedStore(store, {
            licenses: 45,
            customers: 9,
            days: 0,
            now: T0,
            seed: 'same',
            batchSize: 10,
            workers,
          });
          reports.push(report);
          const licenses = await store.listLicenses({ limit: 1000 });
          const customers = new Map((await store.listCustomers()).map((c) => [c.id, c.name]));
          shapes.push(
            licenses
              .map((l) =>
                [
                  l.installationId,
                  customers.get(l.customerId),
                  l.model,
                  l.state,
                  l.credentials,
                  l.revision,
                  l.createdAt,
                ].join(' '),
              )
              .sort(),
          );
        } finally {
          await store.close();
          await adapter.cleanup();
        }
      }
      expect(reports[0]!.workers).toBe(2);
      expect(reports[1]!.workers).toBe(0);
      expect(reports[0]!.transactions).toBe(reports[1]!.transactions);
      expect(reports[0]!.requests).toBe(reports[1]!.requests);
      expect(shapes[0]).toHaveLength(45);
      expect(shapes[0]).toEqual(shapes[1]);
    });

    it('adds days of checks to the licenses a store holds, as their state answers', {
      timeout: 60_000,
    }, async () => {
      const store = await (await adapter.create()).open();
      try {
        const seeded = await seedStore(store, { licenses: 40, days: 0, now: T0, seed: 'only' });
        expect(seeded.checks).toBe(0);
        const transactionsBefore = await store.listTransactions({ limit: 10_000 });
        const added = await seedChecksOfStore(store, {
          days: 2,
          checksPerDay: 3,
          now: T0,
          seed: 'only',
        });
        expect(added.licenses).toBe(40);
        // Each license checks 3 times a day over 2 days, from its creation to now.
        expect(added.checks).toBeGreaterThan(0);
        expect(added.checks).toBeLessThanOrEqual(40 * 2 * 3);
        let counted = 0;
        for (const license of await store.listLicenses({ limit: 1000 })) {
          const checks = await store.listChecks(license.id, 100);
          counted += checks.length;
          expect(checks.length).toBeLessThanOrEqual(2 * 3);
          for (const check of checks) {
            expect(check.installationId).toBe(license.installationId);
            expect(check.at).toBeGreaterThanOrEqual(license.createdAt);
            expect(check.at).toBeLessThanOrEqual(T0);
            if (license.state !== 'active') expect(check.outcome).toBe(license.state.toUpperCase());
          }
        }
        expect(counted).toBe(added.checks);
        // Checks only: no license, transaction or audit event written.
        expect(await store.listTransactions({ limit: 10_000 })).toEqual(transactionsBefore);
      } finally {
        await store.close();
      }
    });
  });
}
