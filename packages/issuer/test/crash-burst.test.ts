// kill -9 in the middle of a burst of issues: a child process issues with 8 in flight and
// prints each key it gets back; it is killed without warning; after a restart, every printed
// key is in the store, verifies with the exported JWKS, and the same challenge gives it back;
// and the store holds nothing half-written.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Keyring, verifyLicense } from '@licensor/token';
import { afterEach, describe, expect, it } from 'vitest';
import { openIssuer } from '../src/domain/open-issuer.js';
import { expectWhole } from './contract/crash.contract.js';
import { adapters } from './support/adapters.js';
import { PACKAGE_ROOT } from './support/run-cli.js';

/** Keys printed before the kill: FerretDB issues far slower than SQLite. */
const KEYS_BEFORE_KILL = { sqlite: 200, mongo: 30 } as const;

interface Printed {
  transactionId: string;
  challenge: string;
  key: string;
}

/** Runs the burst until it printed `count` keys, then kills it with SIGKILL. */
function burstThenKill(options: object, count: number): Promise<Printed[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(PACKAGE_ROOT, 'test', 'support', 'burst.mjs'), JSON.stringify(options)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const printed: Printed[] = [];
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'READY') return;
      const [transactionId, challenge, key] = line.split(' ');
      printed.push({ transactionId: transactionId!, challenge: challenge!, key: key! });
      if (printed.length === count) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(printed);
      else reject(new Error(`the burst ended on its own (code ${code}): ${stderr}`));
    });
  });
}

for (const adapter of adapters()) {
  describe.skipIf(adapter.unavailable !== null)(`kill -9 mid-burst on ${adapter.name}`, () => {
    afterEach(async () => {
      await adapter.cleanup();
    });

    it('keeps every printed key, whole, after a restart', async () => {
      const handle = await adapter.create();
      const count = KEYS_BEFORE_KILL[adapter.name];
      const printed = await burstThenKill(handle.options, count);
      expect(printed.length).toBeGreaterThanOrEqual(count);

      const store = await handle.open();
      try {
        const issuer = await openIssuer({ store, passphrase: '' });
        await expectWhole(store);
        const keyring = Keyring.fromJwks(await issuer.keys.exportJwks());
        for (const { transactionId, key } of printed) {
          const stored = await store.getTransaction(transactionId);
          expect(stored?.token).toBe(key);
          expect(stored?.applied).toBe(true);
          expect(verifyLicense(key, keyring).claims.jti).toBe(transactionId);
          expect((await store.getCheckView(stored!.licenseId!))?.latestToken).toBe(key);
        }
        for (const { challenge, key } of printed.slice(0, 10)) {
          const { credentials, customerName } = (await store.getTransaction(
            verifyLicense(key, keyring).claims.jti,
          ))!.terms!;
          const again = await issuer.issue(
            challenge,
            { customerName, credentials, model: 'perpetual' },
            'after-restart',
          );
          expect(again).toMatchObject({ token: key, replayed: true });
        }
        const transactions = await store.listTransactions({ limit: 10_000 });
        expect(transactions.length).toBeGreaterThanOrEqual(printed.length);
        expect(await store.listLicenses({ limit: 10_000 })).toHaveLength(transactions.length);
      } finally {
        await store.close();
      }
    }, 90_000);
  });
}
