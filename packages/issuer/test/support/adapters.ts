// The two store adapters as the contract suite sees them: each makes a fresh, empty store and
// removes it afterwards. The MongoDB one needs MONGODB_URI (a unique database per store, dropped
// after the test); without it the suite is skipped, unless LICENSOR_REQUIRE_MONGO=1 (CI).

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { afterEach, beforeEach } from 'vitest';
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

export const MONGO_SKIP_MESSAGE =
  'MongoDB suite skipped: MONGODB_URI is not set. Run it with a server, e.g. ' +
  '`MONGODB_URI=$(scripts/ferretdb.sh 27017) pnpm --filter @licensor/issuer test`';

export function mongoAdapter(): Adapter {
  const uri = process.env.MONGODB_URI ?? '';
  const dirs: string[] = [];
  const databases: string[] = [];
  let counter = 0;
  return {
    name: 'mongo',
    unavailable: uri === '' ? MONGO_SKIP_MESSAGE : null,
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
