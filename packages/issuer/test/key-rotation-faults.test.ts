// Key rotation when the store fails part-way through the re-signing of an activation: no
// re-sign is left writing once the activation has answered (SQLite, where 32 run side by side).
// And when another process commits an issue it signed with the replaced key late: during the
// re-signing (a later pass finds it) or after the activation answered (a repeated activation
// re-signs it).

import { afterEach, describe, expect, it } from 'vitest';
import { openIssuer } from '../src/domain/open-issuer.js';
import { kidOfToken } from '../src/keys/token-kid.js';
import { seedStore } from '../src/seed/seed-data.js';
import type { LicensorStore } from '../src/store/ports.js';
import { sqliteAdapter } from './support/adapters.js';
import { T0, TestInstallation } from './support/fixtures.js';

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

describe('an issue signed by the replaced key whose commit lands late', () => {
  afterEach(async () => {
    await adapter.cleanup();
  });

  const terms = { customerName: 'Acme', model: 'perpetual', credentials: 5 } as const;
  const fresh = () => new TestInstallation().challenge({ at: Date.now() });

  /**
   * Two processes on one store: the CLI that activates, and the portal, whose commits wait
   * while `held` is set (an issue signed before the new key set, its commit slow).
   */
  async function twoProcesses() {
    const handle = await adapter.create();
    const cliStore = await handle.open();
    const portalStore = await handle.open();
    const cli = await openIssuer({ store: cliStore, passphrase: '' });
    await cli.init('cli');
    const gate: { held: Promise<void> | null } = { held: null };
    const slow = new Proxy(portalStore, {
      get(target, name) {
        if (name === 'commitTransaction') {
          return async (transaction: Parameters<LicensorStore['commitTransaction']>[0]) => {
            if (gate.held !== null) await gate.held;
            return target.commitTransaction(transaction);
          };
        }
        const value = Reflect.get(target, name, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const portal = await openIssuer({ store: slow, passphrase: '' });
    let release = () => {};
    const hold = () => {
      gate.held = new Promise<void>((resolve) => {
        release = resolve;
      });
    };
    return {
      cliStore,
      cli,
      portal,
      hold,
      release: () => release(),
      close: async () => {
        await cliStore.close();
        await portalStore.close();
      },
    };
  }

  const kidOfLicense = async (store: LicensorStore, id: string) =>
    kidOfToken((await store.getLicense(id))!.latestToken);

  it('committed while the activation re-signs (behind its cursor): re-signed by a later pass', async () => {
    const p = await twoProcesses();
    try {
      await p.portal.issue(fresh(), terms, 'portal');
      const next = await p.cli.keys.rotate('license', 'cli');
      p.hold();
      const late = p.portal.issue(fresh(), terms, 'portal');
      await new Promise((resolve) => setTimeout(resolve, 50));
      // The late commit lands once the activation's first re-sign is written: the first pass
      // has read its one page by then.
      const activating = new Proxy(p.cliStore, {
        get(target, name) {
          if (name === 'commitTransaction') {
            return async (transaction: Parameters<LicensorStore['commitTransaction']>[0]) => {
              const outcome = await target.commitTransaction(transaction);
              p.release();
              await late;
              return outcome;
            };
          }
          const value = Reflect.get(target, name, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const cli = await openIssuer({ store: activating, passphrase: '' });
      const activation = await cli.keys.activate(next.kid, 'cli');
      expect(activation.alreadyActive).toBe(false);
      const issued = await late;
      expect(kidOfToken(issued.token)).not.toBe(next.kid);
      expect(await kidOfLicense(p.cliStore, issued.license.id)).toBe(next.kid);
    } finally {
      await p.close();
    }
  });

  it('committed after the activation answered: a repeated activation re-signs it', async () => {
    const p = await twoProcesses();
    try {
      await p.portal.issue(fresh(), terms, 'portal');
      const next = await p.cli.keys.rotate('license', 'cli');
      p.hold();
      const late = p.portal.issue(fresh(), terms, 'portal');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await p.cli.keys.activate(next.kid, 'cli')).alreadyActive).toBe(false);
      p.release();
      const issued = await late;
      expect(await kidOfLicense(p.cliStore, issued.license.id)).not.toBe(next.kid);
      const again = await p.cli.keys.activate(next.kid, 'cli');
      expect(again).toMatchObject({ alreadyActive: true, status: 'active', resigned: 1 });
      expect(await kidOfLicense(p.cliStore, issued.license.id)).toBe(next.kid);
      // Nothing left: a third activation re-signs nothing more.
      const before = (await p.cliStore.listTransactions({ limit: 100, factsOnly: true })).length;
      expect(await p.cli.keys.activate(next.kid, 'cli')).toMatchObject({ resigned: 0 });
      expect(await p.cliStore.listTransactions({ limit: 100, factsOnly: true })).toHaveLength(
        before,
      );
    } finally {
      await p.close();
    }
  });
});
