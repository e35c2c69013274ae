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
import type { LicensorStore } from '../src/store/ports.js';
import { expectWhole } from './contract/crash.contract.js';
import { adapters, describeOn, type StoreHandle, sqliteAdapter } from './support/adapters.js';
import { PACKAGE_ROOT } from './support/run-cli.js';

/** Keys printed before the kill: FerretDB issues far slower than SQLite. */
const KEYS_BEFORE_KILL = { sqlite: 200, mongo: 30 } as const;

interface Printed {
  transactionId: string;
  challenge: string;
  key: string;
}

/** Runs the burst (`inFlight` issues at once) until it printed `count` keys, then SIGKILLs it. */
function burstThenKill(options: object, count: number, inFlight = 8): Promise<Printed[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(PACKAGE_ROOT, 'test', 'support', 'burst.mjs'), JSON.stringify(options), `${inFlight}`],
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

/** After the restart: every printed key stored whole, applied, verifying, given back again. */
async function expectPrintedKept(store: LicensorStore, printed: Printed[]): Promise<void> {
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
}

/** The burst killed after `count` keys, the store reopened: every printed key kept. */
async function killAndRestart(
  handle: StoreHandle,
  options: object,
  count: number,
  inFlight?: number,
): Promise<void> {
  const printed = await burstThenKill(options, count, inFlight);
  expect(printed.length).toBeGreaterThanOrEqual(count);
  const store = await handle.open();
  try {
    await expectPrintedKept(store, printed);
  } finally {
    await store.close();
  }
}

for (const adapter of adapters()) {
  describeOn(adapter, `kill -9 mid-burst on ${adapter.name}`, () => {
    afterEach(async () => {
      await adapter.cleanup();
    });

    it('keeps every printed key, whole, after a restart', async () => {
      const handle = await adapter.create();
      await killAndRestart(handle, handle.options, KEYS_BEFORE_KILL[adapter.name]);
    }, 90_000);
  });
}

describe('kill -9 with groups in flight on the SQLite issue writer thread', () => {
  const adapter = sqliteAdapter();
  afterEach(async () => {
    await adapter.cleanup();
  });

  it('keeps every printed key, whole, and nothing half-written, after a restart', async () => {
    const handle = await adapter.create();
    // 64 in flight, each sync of the log 15 ms late: at the kill the thread holds a group
    // committed and not yet synced, and commits gathered behind it not yet written.
    await killAndRestart(
      handle,
      { ...handle.options, issueWriterFaults: { syncDelayMs: 15 } },
      KEYS_BEFORE_KILL.sqlite,
      64,
    );
  }, 90_000);
});
