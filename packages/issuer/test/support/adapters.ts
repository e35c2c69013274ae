// The two store adapters as the contract suite sees them: each makes a fresh, empty store and
// removes it afterwards. The MongoDB one needs MONGODB_URI (a unique database per store, dropped
// after the test); without it the suite is skipped, unless LICENSOR_REQUIRE_MONGO=1 (CI). Every
// suite that runs on an adapter declares itself with `describeOn`, which does that.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { afterEach, beforeEach, describe, it } from 'vitest';
import { type OpenStoreOptions, openStore } from '../../src/store/open-store.js';
import type { LicensorStore } from '../../src/store/ports.js';

export interface StoreHandle {
  dataDir: string;
  /** What openStore needs to open this store (e.g. from a child process). */
  options: OpenStoreOptions;
  open(hooks?: Pick<OpenStoreOptions, 'onWriteStep'>): Promise<LicensorStore>;
}

export interface Adapter {
  name: 'sqlite' | 'mongo';
  /** Why the adapter cannot run here (then its suite is skipped), or null. */
  unavailable: string | null;
  /**
   * The setting that requires its suites to run here (`LICENSOR_REQUIRE_MONGO=1`), or null:
   * when set, an unavailable adapter fails its suites instead of skipping them.
   */
  required: string | null;
  create(): Promise<StoreHandle>;
  cleanup(): Promise<void>;
}

const RUN = `${process.pid}_${randomBytes(4).toString('hex')}`;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'licensor-issuer-test-'));
}

export function sqliteAdapter(): Adapter {
  const dirs: string[] = [];
  return {
    name: 'sqlite',
    unavailable: null,
    required: null,
    async create() {
      const dataDir = tempDir();
      dirs.push(dataDir);
      return {
        dataDir,
        options: { dataDir },
        open: (hooks = {}) => openStore({ dataDir, ...hooks }),
      };
    },
    async cleanup() {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const MONGO_UNAVAILABLE =
  'MONGODB_URI is not set. Run it with a server, e.g. ' +
  '`MONGODB_URI=$(scripts/ferretdb.sh 27017) pnpm --filter @licensor/issuer test`';

export function mongoAdapter(): Adapter {
  const uri = process.env.MONGODB_URI ?? '';
  const dirs: string[] = [];
  const databases: string[] = [];
  let counter = 0;
  return {
    name: 'mongo',
    unavailable: uri === '' ? MONGO_UNAVAILABLE : null,
    required: process.env.LICENSOR_REQUIRE_MONGO === '1' ? 'LICENSOR_REQUIRE_MONGO=1' : null,
    async create() {
      const dataDir = tempDir();
      dirs.push(dataDir);
      const dbName = `licensor_test_${RUN}_${++counter}`;
      databases.push(dbName);
      const options = { dataDir, mongoUri: uri, mongoDbName: dbName };
      return { dataDir, options, open: (hooks = {}) => openStore({ ...options, ...hooks }) };
    },
    async cleanup() {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
      if (databases.length === 0) return;
      const connection = await mongoose
        .createConnection(uri, { serverSelectionTimeoutMS: 3000 })
        .asPromise();
      try {
        for (const name of databases.splice(0)) await connection.useDb(name).dropDatabase();
      } finally {
        await connection.close();
      }
    },
  };
}

export function adapters(): Adapter[] {
  return [sqliteAdapter(), mongoAdapter()];
}

/**
 * The suite `title` on `adapter`: run where the adapter can run. Where it cannot, skipped with
 * the reason printed, or, when the adapter is required here (CI), replaced by one failing test
 * that gives the reason: a required store that is missing fails the run, never skips in silence.
 */
export function describeOn(adapter: Adapter, title: string, body: () => void): void {
  if (adapter.unavailable === null) describe(title, body);
  else unavailableSuite(adapter, title);
}

/** What `describeOn` declares for an adapter that cannot run here: a skip, or a failure. */
export function unavailableSuite(adapter: Adapter, title: string): void {
  const reason = adapter.unavailable ?? 'the adapter is unavailable';
  const required = adapter.required;
  if (required !== null) {
    describe(title, () => {
      it(`runs (${required})`, () => {
        throw new Error(`${required} but ${reason}`);
      });
    });
    return;
  }
  console.warn(`${title}: skipped, ${reason}`);
  describe.skip(`${title} (skipped: ${reason})`, () => {
    it('skipped', () => {});
  });
}

/**
 * Two handles on one fresh store per test (two processes), opened before each test and closed
 * after it: `handles.store` and `handles.other`.
 */
export function twoHandlesPerTest(adapter: Adapter): {
  store: LicensorStore;
  other: LicensorStore;
} {
  const handles = {} as { store: LicensorStore; other: LicensorStore };
  beforeEach(async () => {
    const handle = await adapter.create();
    handles.store = await handle.open();
    handles.other = await handle.open();
  });
  afterEach(async () => {
    await handles.store.close();
    await handles.other.close();
    await adapter.cleanup();
  });
  return handles;
}
