// Key rotation when the store fails part-way through the re-signing of an activation: no
// re-sign is left writing once the activation has answered (SQLite, where 32 run side by side).

import { afterEach, describe, expect, it } from 'vitest';
import { openIssuer } from '../src/domain/open-issuer.js';
import { seedStore } from '../src/seed/seed-data.js';
import type { LicensorStore } from '../src/store/ports.js';
import { sqliteAdapter } from './support/adapters.js';
import { T0 } from './support/fixtures.js';

const adapter = sqliteAdapter();

describe('an activation whose read of the next page of licenses fails', () => {
  afterEach(async () => {
    await adapter.cleanup();
  });

  it('answers with that error only once every re-sign it started has finished', {
    timeout: 60_000,
  }, async () => {
    const store = await (await adapter.create()).open();
    try {
      const issuer = await openIssuer({ store, now: () => T0, passphrase: '' });
      await issuer.init('alice');
      // More than one page of licenses in force (the re-sign reads 500 a page).
      await seedStore(store, { licenses: 520, days: 0, now: T0, seed: 'faults', workers: 0 });
      const inForce = (await store.listLicenses({ limit: 1000 })).filter(
        (l) => l.state !== 'revoked' && l.installationId !== null && l.latestToken !== null,
      ).length;
      const rotated = await issuer.keys.rotate('license', 'alice');
      const committedAt: number[] = [];
      const failing = new Proxy(store, {
        get(target, name) {
          if (name === 'listLicenses') {
            return (filter: Parameters<LicensorStore['listLicenses']>[0]) =>
              filter.after === undefined
                ? target.listLicenses(filter)
                : Promise.reject(new Error('page 2 read failed'));
          }
          if (name === 'commitTransaction') {
            return async (transaction: Parameters<LicensorStore['commitTransaction']>[0]) => {
              await new Promise((resolve) => setTimeout(resolve, 30));
              const outcome = await target.commitTransaction(transaction);
              committedAt.push(performance.now());
              return outcome;
            };
          }
          const value = Reflect.get(target, name, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const flaky = await openIssuer({ store: failing, now: () => T0 + 1000, passphrase: '' });
      const refused = await flaky.keys.activate(rotated.kid, 'alice').catch((e: unknown) => e);
      const answeredAt = performance.now();
      expect((refused as Error).message).toBe('page 2 read failed');
      await new Promise((resolve) => setTimeout(resolve, 200));
      // The first page's re-signs (500 licenses, a few of them revoked), none after the answer.
      expect(committedAt.length).toBeGreaterThan(450);
      expect(committedAt.filter((at) => at > answeredAt)).toEqual([]);
      // The activation was not audited as done: running it again re-signs the rest.
      await issuer.keys.activate(rotated.kid, 'alice');
      const resigned = await store.listTransactions({ limit: 2000, factsOnly: true });
      expect(resigned.filter((t) => t.kind === 'resign')).toHaveLength(inForce);
    } finally {
      await store.close();
    }
  });
});
