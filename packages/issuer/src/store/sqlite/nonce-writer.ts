// The check path's writes on SQLite (the nonce window, and the check records the verify service
// batches), off the event loop and in groups (#15.5). A check's nonce must be on disk before the
// check is answered (a replay is refused after a restart, and by every process on the file). One
// worker thread holds its own connection to the store's file and writes every nonce that arrived
// since its previous commit as one transaction; a check is answered once a sync of the
// write-ahead log that began after that commit has returned. Durability and the replay rule are
// those of synchronous=FULL: the INSERT is the same single statement per nonce, in order, so a
// nonce twice in one group, or in two groups, is admitted once and refused the second time.
// A version 2 check's chain head moves the same way (its compare-and-set statement, in arrival
// order). A batch of check records rides in the same group, in a savepoint of its own: it shares
// the sync, and a batch that fails is refused alone (the recorder keeps it and retries) without
// undoing the nonces.
//
// The thread's sync of the log (its own, pipelined, a descriptor per slot, the directory synced
// once, a failed sync refusing every group not yet answered; on the idle path, when nothing else
// is in flight, made by the thread itself and answered at once) is sync-pipeline.ts's.

import { StoreUnavailableError } from '../../errors.js';
import { GroupWriter } from './group-writer.js';
import { LEGACY_IAT } from './nonce-keys.js';
import { groupWriterSource, MAX_SYNCS, type WriterFaults } from './sync-pipeline.js';

export { MAX_SYNCS, type WriterFaults };

/** Expired nonces are removed once every this many admissions (SQLite has no TTL index). */
export const NONCE_PURGE_EVERY = 32;
/**
 * The fewest expired nonces one purge may remove, oldest first; a purge removes twice what
 * arrived since the last one when that is more (a write group of 100 checks), so a backlog
 * drains at any group size, and a service started on a store holding a busy day's expired
 * nonces (hundreds of thousands) does not hold its check writer for seconds in one DELETE. Small
 * and often: while nonces were keyed `installation.nonce` (random, before migration 21) each one
 * purged was on a page of the key index of its own, and a purge of 1,024 (every 512 admissions,
 * before 1 Dec) made one group's commit ~900 pages (3.6 MB of log) and ~21 ms longer
 * (e2e/bench/check-pages.mjs). Keyed time first (nonce-keys.ts), the oldest are side by side.
 */
export const NONCE_PURGE_BATCH = 64;

/**
 * One nonce, keyed (the check's signed iat, its installation, the nonce): inserted, or an
 * expired one replaced; a nonce still held changes nothing. Arguments: iat, installation id,
 * nonce, expires at, now.
 */
export const NONCE_ADMIT_SQL =
  'INSERT INTO check_nonces (iat, installation_id, nonce, expires_at) VALUES (?, ?, ?, ?) ' +
  'ON CONFLICT (iat, installation_id, nonce) DO UPDATE SET expires_at = excluded.expires_at ' +
  'WHERE check_nonces.expires_at <= ?';
/**
 * The same, while the store still holds nonces of before migration 21 (iat LEGACY_IAT): refused
 * too while the installation's nonce is held there. Arguments: those of NONCE_ADMIT_SQL, then
 * the installation id, the nonce and now again.
 */
export const NONCE_ADMIT_BESIDE_LEGACY_SQL =
  'INSERT INTO check_nonces (iat, installation_id, nonce, expires_at) SELECT ?, ?, ?, ? ' +
  `WHERE NOT EXISTS (SELECT 1 FROM check_nonces WHERE iat = ${LEGACY_IAT} ` +
  'AND installation_id = ? AND nonce = ? AND expires_at > ?) ' +
  'ON CONFLICT (iat, installation_id, nonce) DO UPDATE SET expires_at = excluded.expires_at ' +
  'WHERE check_nonces.expires_at <= ?';
/** Whether any nonce of before migration 21 is left (expired or not). */
export const NONCE_LEGACY_LEFT_SQL = `SELECT 1 FROM check_nonces WHERE iat = ${LEGACY_IAT} LIMIT 1`;
/** The oldest expired nonces (by expiry: mostly the left edge of the key), at most a limit. */
export const NONCE_PURGE_SQL =
  'DELETE FROM check_nonces WHERE (iat, installation_id, nonce) IN ' +
  '(SELECT iat, installation_id, nonce FROM check_nonces WHERE expires_at <= ? ' +
  'ORDER BY expires_at LIMIT ?)';
/** One check record; a record written already (same id) is left as it is. */
export const CHECK_INSERT_SQL =
  'INSERT OR IGNORE INTO checks (id, at, license_id, installation_id, sdk_version, ' +
  'credentials_in_use, outcome) VALUES (?, ?, ?, ?, ?, ?, ?)';

/** A new chain head, unless the installation has one. */
export const CHAIN_INSERT_SQL =
  'INSERT INTO chain_heads (installation_id, version, body) VALUES (?, ?, ?) ON CONFLICT DO NOTHING';
/** The chain head moved on, only over the version its writer read (compare-and-set). */
export const CHAIN_UPDATE_SQL =
  'UPDATE chain_heads SET version = ?, body = ? WHERE installation_id = ? AND version = ?';

/** A check record as the writer takes it: the columns of CHECK_INSERT_SQL, in order. */
export type CheckRow = [string, number, string, string, string, number, string];

// The worker: its statements and group write; the rest is sync-pipeline.ts's.
const WORKER_SOURCE = groupWriterSource(
  `
const admit = db.prepare(${JSON.stringify(NONCE_ADMIT_SQL)});
const admitBesideLegacy = db.prepare(${JSON.stringify(NONCE_ADMIT_BESIDE_LEGACY_SQL)});
const legacyLeft = db.prepare(${JSON.stringify(NONCE_LEGACY_LEFT_SQL)});
const purge = db.prepare(${JSON.stringify(NONCE_PURGE_SQL)});
const insertCheck = db.prepare(${JSON.stringify(CHECK_INSERT_SQL)});
const insertHead = db.prepare(${JSON.stringify(CHAIN_INSERT_SQL)});
const updateHead = db.prepare(${JSON.stringify(CHAIN_UPDATE_SQL)});
// Nested in the group's transaction: a savepoint per batch.
const insertChecks = db.transaction((rows) => {
  for (const row of rows) insertCheck.run(row);
});
let sincePurge = 0;
// Nonces held since before migration 21 (nonce-keys.ts) are looked up beside each admission
// until the purges have removed the last of them; none is ever added again.
let legacy = legacyLeft.get() !== undefined;
function writeOne(group) {
  const { iats, installations, nonces, expiries, nows, heads, batches } = group;
  sincePurge += nonces.length;
  if (sincePurge >= workerData.purgeEvery && nonces.length > 0) {
    // Twice what arrived since the last purge, at least a batch: a group of 100 checks (100
    // connections) purges 200, so expired nonces never pile up faster than they go.
    purge.run(nows[0], Math.max(workerData.purgeBatch, 2 * sincePurge));
    sincePurge = 0;
    if (legacy) legacy = legacyLeft.get() !== undefined;
  }
  const admitted = new Uint8Array(nonces.length);
  for (let i = 0; i < nonces.length; i++) {
    const result = legacy
      ? admitBesideLegacy.run(iats[i], installations[i], nonces[i], expiries[i], installations[i], nonces[i], nows[i], nows[i])
      : admit.run(iats[i], installations[i], nonces[i], expiries[i], nows[i]);
    admitted[i] = result.changes === 1 ? 1 : 0;
  }
  // In the order they arrived: two moves of one head in a group, the second over a stale version,
  // change it once.
  const moved = new Uint8Array(heads.length);
  for (let i = 0; i < heads.length; i++) {
    const statement = heads[i][0] === 'insert' ? insertHead : updateHead;
    moved[i] = statement.run(...heads[i][1]).changes === 1 ? 1 : 0;
  }
  const failed = batches.map((rows) => {
    try {
      insertChecks(rows);
      return null;
    } catch (error) {
      return { error: String(error && error.message), code: error && error.code };
    }
  });
  return { id: group.id, admitted, moved, failed };
}
// Every group that came in since the last commit, in one transaction.
const writeAll = db.transaction((groups) => groups.map(writeOne));

function transferOf(reply) {
  return [reply.admitted.buffer, reply.moved.buffer];
}
`,
  // When no sync is in flight and no group waits, the thread syncs and answers a group itself:
  // at a few checks at a time most of a check's wait was thread wake-ups (sync-pipeline.ts).
  { idleSync: true },
);

type Waiting =
  | {
      kind: 'nonce';
      iat: number;
      installationId: string;
      nonce: string;
      expiresAt: number;
      now: number;
      resolve: (admitted: boolean) => void;
      reject: (error: unknown) => void;
    }
  | {
      kind: 'head';
      head: ['insert', [string, number, string]] | ['update', [number, string, string, number]];
      resolve: (moved: boolean) => void;
      reject: (error: unknown) => void;
    }
  | {
      kind: 'checks';
      rows: CheckRow[];
      resolve: () => void;
      reject: (error: unknown) => void;
    };

/** The thread's answer to a group: per nonce and head, whether it changed; per batch, its failure. */
interface Answer {
  admitted: Uint8Array;
  moved: Uint8Array;
  failed: ({ error: string; code?: string } | null)[];
}

export class NonceWriter extends GroupWriter<Waiting, Answer> {
  /** Groups written, nonces and check record batches in them (the tests read these). */
  groups = 0;
  written = 0;
  batches = 0;

  constructor(file: string, faults: WriterFaults = {}) {
    super(
      WORKER_SOURCE,
      file,
      { purgeEvery: NONCE_PURGE_EVERY, purgeBatch: NONCE_PURGE_BATCH, faults },
      'the check writer',
    );
  }

  /**
   * True the first time a check's nonce (keyed by its signed `iat`, in seconds, its installation
   * and the nonce) is held, until `expiresAt`; false while it is held.
   */
  admit(
    iat: number,
    installationId: string,
    nonce: string,
    expiresAt: number,
    now: number,
  ): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.enqueue({ kind: 'nonce', iat, installationId, nonce, expiresAt, now, resolve, reject });
    });
  }

  /**
   * Writes an installation's chain head: a new one when `expectedVersion` is null (false when
   * it has one), else only over `expectedVersion` (false when another writer moved it first).
   */
  putHead(
    installationId: string,
    version: number,
    body: string,
    expectedVersion: number | null,
  ): Promise<boolean> {
    const head: Extract<Waiting, { kind: 'head' }>['head'] =
      expectedVersion === null
        ? ['insert', [installationId, version, body]]
        : ['update', [version, body, installationId, expectedVersion]];
    return new Promise((resolve, reject) => {
      this.enqueue({ kind: 'head', head, resolve, reject });
    });
  }

  /** Writes check records (a record whose id is stored already is left as it is). */
  record(rows: CheckRow[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.enqueue({ kind: 'checks', rows, resolve, reject });
    });
  }

  // The writes of one turn of the event loop go together. A group is sent at once while fewer
  // than MAX_SYNCS are unanswered (the thread commits it and syncs it beside the one before);
  // otherwise it waits for an answer and gathers what comes meanwhile (fewer, larger groups
  // under load: each message to the thread costs the event loop about as much as a check's
  // JSON).
  protected scheduleSend(): void {
    if (this.inFlight < MAX_SYNCS) this.sendAtTurnEnd();
  }

  protected canSend(): boolean {
    return this.inFlight < MAX_SYNCS;
  }

  protected messageOf(id: number, group: Waiting[]): unknown {
    const iats: number[] = [];
    const installations: string[] = [];
    const nonces: string[] = [];
    const expiries: number[] = [];
    const nows: number[] = [];
    const heads: Extract<Waiting, { kind: 'head' }>['head'][] = [];
    const batches: CheckRow[][] = [];
    for (const item of group) {
      if (item.kind === 'nonce') {
        iats.push(item.iat);
        installations.push(item.installationId);
        nonces.push(item.nonce);
        expiries.push(item.expiresAt);
        nows.push(item.now);
      } else if (item.kind === 'head') {
        heads.push(item.head);
      } else {
        batches.push(item.rows);
      }
    }
    return { id, iats, installations, nonces, expiries, nows, heads, batches };
  }

  protected settle(group: Waiting[], reply: Answer): void {
    this.groups += 1;
    let nonce = 0;
    let head = 0;
    let batch = 0;
    for (const item of group) {
      if (item.kind === 'nonce') {
        this.written += 1;
        item.resolve(reply.admitted[nonce++] === 1);
        continue;
      }
      if (item.kind === 'head') {
        item.resolve(reply.moved[head++] === 1);
        continue;
      }
      const failed = reply.failed[batch++];
      if (failed === null || failed === undefined) {
        this.batches += 1;
        item.resolve();
      } else {
        this.fail([item], Object.assign(new Error(failed.error), { code: failed.code }));
      }
    }
  }

  protected fail(group: Waiting[], cause: unknown): void {
    const reason = (cause as Error)?.message ?? String(cause);
    for (const item of group) {
      const what =
        item.kind === 'nonce'
          ? 'the check nonce'
          : item.kind === 'head'
            ? 'the check chain head'
            : 'the check records';
      item.reject(new StoreUnavailableError(`${what} could not be written: ${reason}`, { cause }));
    }
  }
}
