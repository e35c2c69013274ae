// Chooses the adapter: MongoDB when a connection string is given, the SQLite file otherwise.

import { resolve } from 'node:path';
import { InputInvalidError } from '../errors.js';
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
  const fromEnv = Number(process.env.LICENSOR_SQLITE_CACHE_MIB);
  const cacheMiB =
    options.sqliteCacheMiB ?? (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : undefined);
  return SqliteStore.open(dataDir, {
    ...hooks,
    cacheMiB,
    warm: options.prepare !== false,
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
  throw new InputInvalidError(
    name,
    `is ${JSON.stringify(value)}: set it to on (the default) or off, or unset it`,
  );
}
