// Chooses the adapter: MongoDB when a connection string is given, the SQLite file otherwise.

import { resolve } from 'node:path';
import { SettingInvalidError } from '../errors.js';
import { DEFAULT_DATA_DIR } from './data-folder.js';
import type { LicensorStore, StoreOptions } from './ports.js';
import type { CheckpointerOptions } from './sqlite/checkpointer.js';
import type { IssueWriterFaults } from './sqlite/issue-writer.js';
import type { WriterFaults } from './sqlite/nonce-writer.js';
import type { WriteStepHook } from './transaction-effects.js';

export { DEFAULT_DATA_DIR, dataDirOf, SQLITE_FILE } from './data-folder.js';

export interface OpenStoreOptions extends StoreOptions {
  /** MongoDB database name; default the one in the URI, else `licensor`. */
  mongoDbName?: string;
  /**
   * SQLite page cache per connection (MiB); default env LICENSOR_SQLITE_CACHE_MIB, else 64, or,
   * opened with `prepare` (issuing), 64 plus the size of the indexes an issue reads at random
   * (store/sqlite/hash-indexes.ts).
   */
  sqliteCacheMiB?: number;
  /** Test hook: called after each write of a commit; throwing there simulates a crash. */
  onWriteStep?: WriteStepHook;
  /** Test hook (SQLite): faults for the check writer's thread (a failing sync of the log). */
  checkWriterFaults?: WriterFaults;
  /**
   * SQLite: commits are written and synced on a thread of their own (store/sqlite/
   * issue-writer.ts); false writes them on the event loop (the bench's A/B). Default: env
   * LICENSOR_SQLITE_ISSUE_THREAD (`on` or `off`), else on.
   */
  sqliteIssueThread?: boolean;
  /**
   * SQLite: the log is checkpointed by a thread of its own, not inside a COMMIT
   * (store/sqlite/checkpointer.ts); false leaves it to each connection (the bench's A/B).
   * Default: env LICENSOR_SQLITE_CHECKPOINT_THREAD (`on` or `off`), else on.
   */
  sqliteCheckpointThread?: boolean;
  /** Test hook (SQLite): faults for the issue writer's thread (a failing write or sync). */
  issueWriterFaults?: IssueWriterFaults;
  /** Test hook (SQLite): the checkpoint thread's settings and faults (a failing checkpoint). */
  sqliteCheckpointer?: CheckpointerOptions;
  /**
   * MongoDB: false opens without creating collections or indexes (the verify service's user).
   * SQLite: false opens without sizing the page cache for issuing or reading the hash-keyed
   * indexes into it (the verify service never issues).
   */
  prepare?: boolean;
  /**
   * SQLite: whether a missing store may be made here (the folder, licensor.db and its schema);
   * default true. False refuses a folder without a store (ERR_STORE_NOT_FOUND naming it): what
   * every command but `licensor-issuer init` and `users add`, and the verify service, open with.
   * A file of another program is refused either way (ERR_STORE_CORRUPT) and left unchanged.
   */
  create?: boolean;
}

export async function openStore(options: OpenStoreOptions = {}): Promise<LicensorStore> {
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const hooks = options.onWriteStep === undefined ? {} : { onWriteStep: options.onWriteStep };
  if (options.mongoUri !== undefined && options.mongoUri !== '') {
    const { MongoStore } = await import('./mongo/mongo-store.js');
    return MongoStore.open(options.mongoUri, dataDir, {
      ...hooks,
      dbName: options.mongoDbName,
      ...(options.prepare === false ? { prepare: false } : {}),
    });
  }
  const { SqliteStore } = await import('./sqlite/sqlite-store.js');
  const cacheMiB = options.sqliteCacheMiB ?? cacheMiBFromEnv();
  return SqliteStore.open(dataDir, {
    ...hooks,
    cacheMiB,
    warm: options.prepare !== false,
    ...(options.create === false ? { create: false } : {}),
    ...(options.checkWriterFaults === undefined
      ? {}
      : { checkWriterFaults: options.checkWriterFaults }),
    ...(options.issueWriterFaults === undefined
      ? {}
      : { issueWriterFaults: options.issueWriterFaults }),
    ...((options.sqliteIssueThread ?? issueThreadFromEnv()) === false
      ? { issueThread: false }
      : {}),
    ...((options.sqliteCheckpointThread ?? checkpointThreadFromEnv()) === false
      ? { checkpointThread: false }
      : {}),
    ...(options.sqliteCheckpointer === undefined
      ? {}
      : { checkpointer: options.sqliteCheckpointer }),
  });
}

/**
 * LICENSOR_SQLITE_ISSUE_THREAD: `off` commits issues on the event loop (one core, or a process
 * that runs long writes of its own beside issuing), `on` or unset on a thread of their own.
 * Anything else is refused rather than guessed.
 */
export function issueThreadFromEnv(value = process.env.LICENSOR_SQLITE_ISSUE_THREAD): boolean {
  return onOffFromEnv('LICENSOR_SQLITE_ISSUE_THREAD', value);
}

/**
 * LICENSOR_SQLITE_CHECKPOINT_THREAD: `off` leaves the log's checkpoint to the connection whose
 * COMMIT takes it past 1,000 frames, as SQLite does by default; `on` or unset runs it on a thread
 * of its own (store/sqlite/checkpointer.ts). Anything else is refused rather than guessed.
 */
export function checkpointThreadFromEnv(
  value = process.env.LICENSOR_SQLITE_CHECKPOINT_THREAD,
): boolean {
  return onOffFromEnv('LICENSOR_SQLITE_CHECKPOINT_THREAD', value);
}

/** A switch from the environment: `on` or unset true, `off` false, anything else refused. */
function onOffFromEnv(name: string, value: string | undefined): boolean {
  if (value === undefined || value === '' || value === 'on') return true;
  if (value === 'off') return false;
  throw new SettingInvalidError(name, value, 'on (the default) or off');
}

/**
 * Checks the store's settings in the environment (LICENSOR_SQLITE_ISSUE_THREAD,
 * LICENSOR_SQLITE_CHECKPOINT_THREAD, LICENSOR_SQLITE_CACHE_MIB) before anything is opened: a
 * process checks them with its own settings and refuses a wrong one as a usage error.
 * SettingInvalidError names the first wrong one.
 */
export function checkStoreSettings(env: Record<string, string | undefined> = process.env): void {
  issueThreadFromEnv(env.LICENSOR_SQLITE_ISSUE_THREAD);
  checkpointThreadFromEnv(env.LICENSOR_SQLITE_CHECKPOINT_THREAD);
  cacheMiBFromEnv(env.LICENSOR_SQLITE_CACHE_MIB);
}

/** The largest page cache LICENSOR_SQLITE_CACHE_MIB takes: 1 TiB. */
export const MAX_CACHE_MIB = 1_048_576;

/**
 * LICENSOR_SQLITE_CACHE_MIB: the page cache per connection in MiB, a whole number from 1 to
 * MAX_CACHE_MIB; unset or empty: the default. Anything else is refused rather than ignored.
 */
export function cacheMiBFromEnv(value = process.env.LICENSOR_SQLITE_CACHE_MIB): number | undefined {
  if (value === undefined || value === '') return undefined;
  const mib = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(mib) || mib < 1 || mib > MAX_CACHE_MIB) {
    throw new SettingInvalidError(
      'LICENSOR_SQLITE_CACHE_MIB',
      value,
      `a whole number of MiB from 1 to ${MAX_CACHE_MIB} (default: sized from the store)`,
    );
  }
  return mib;
}
