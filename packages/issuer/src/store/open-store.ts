// Chooses the adapter: MongoDB when a connection string is given, the SQLite file otherwise.

import { resolve } from 'node:path';
import type { LicensorStore, StoreOptions } from './ports.js';
import type { WriteStepHook } from './transaction-effects.js';

export const DEFAULT_DATA_DIR = './.licensor-issuer';
/** The embedded store's file under the data folder. */
export const SQLITE_FILE = 'licensor.db';

export interface OpenStoreOptions extends StoreOptions {
  /** MongoDB database name; default the one in the URI, else `licensor`. */
  mongoDbName?: string;
  /** Test hook: called after each write of a commit; throwing there simulates a crash. */
  onWriteStep?: WriteStepHook;
}

export async function openStore(options: OpenStoreOptions = {}): Promise<LicensorStore> {
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const hooks = options.onWriteStep === undefined ? {} : { onWriteStep: options.onWriteStep };
  if (options.mongoUri !== undefined && options.mongoUri !== '') {
    const { MongoStore } = await import('./mongo/mongo-store.js');
    return MongoStore.open(options.mongoUri, dataDir, { ...hooks, dbName: options.mongoDbName });
  }
  const { SqliteStore } = await import('./sqlite/sqlite-store.js');
  return SqliteStore.open(dataDir, hooks);
}
