// The issue path's group commit on SQLite, off the event loop (#15.5). The event loop verifies the
// challenge, decides and signs; the transaction's rows (the statement parameters of
// sqlite-commit.ts, made on the event loop) go to one worker thread with its own connection to the
// store's file, which writes every commit that arrived since its previous one as one SQLite
// transaction, each commit in a savepoint of its own (a commit that fails is refused alone), and
// answers a commit once a sync of the log that began after that transaction's COMMIT has returned
// (sync-pipeline.ts: the thread's own fdatasync, pipelined, a descriptor per slot, the directory
// synced once; the check writer's pattern). A key is handed out only after that answer, so what
// "an acknowledged write survives a crash" means is unchanged: on disk as under synchronous=FULL.
//
// What the thread does is what the event loop's committer does (SqliteCommitter.commitSync), in
// the same order and with the same statements: the transaction row (its unique dedupe key: a
// challenge taken already, in this group, an earlier one or another process's, answers with the
// stored transaction), the customer, installation and license upserts, the request it decides,
// the audit chain entry (the head read once inside each IMMEDIATE transaction and carried from
// entry to entry while it is open, again after a commit rolled back; the entry's line made
// from the parts the event loop cut, auditEntryLineParts, and hashed there: the same bytes as
// chainAuditEvent) and the webhook outbox event. A crash leaves all of a commit or none of it.
//
// Visibility. The thread's connection runs synchronous=NORMAL: a group is visible to readers
// (this process's reads, other processes) from its COMMIT, a sync before it is durable. Reads
// that only inform (licenses, customers, the inspection of a challenge) may see it that early, as
// they could see it a moment before the answer anyway. The reads that return a transaction with
// the key (token) another commit wrote, the answer to a challenge issued already
// (findTransactionByChallenge) and getTransaction / listTransactions (the portal shows their
// keys), wait for a sync that began after they read (`durable()`, SqliteStore.onDisk).
// getCheckView, whose license carries its newest token (the verify service's online delivery),
// needs no wait of its own: the verify service sends a status only once its check's nonce is
// on disk (nonce-writer.ts: a sync of the log that began after the nonce's commit, which came
// after the view was read, cached or not). A sync of the log covers every frame in it, any
// process's; a checkpoint that moved the frames out synced the database file first (the
// checkpoints of synchronous=NORMAL do). So the token a status relays is on disk when it is sent.
// Read-your-writes holds: a commit is answered after its COMMIT, so every read on the event loop
// after the answer sees it.

import { StoreUnavailableError } from '../../errors.js';
import type { Transaction } from '../../records.js';
import { auditEntryLineParts } from '../audit-chain.js';
import { auditEventOf } from '../transaction-effects.js';
import { webhookEventOfTransaction } from '../webhook-events.js';
import { AUDIT_EXISTS_SQL, AUDIT_HEAD_SQL, AUDIT_INSERT_SQL } from './audit-chain.js';
import { OUTBOX_INSERT_SQL } from './automation.js';
import { GroupWriter } from './group-writer.js';
import {
  type CommitRows,
  CUSTOMER_UPSERT_SQL,
  commitRowsOf,
  INSTALLATION_UPSERT_SQL,
  LICENSE_UPSERT_SQL,
  REQUEST_DECIDE_SQL,
  REQUEST_SELECT_SQL,
  TRANSACTION_BY_DEDUPE_SQL,
  TRANSACTION_INSERT_SQL,
  type TransactionRow,
} from './sqlite-commit.js';
import { groupWriterSource, type WriterFaults } from './sync-pipeline.js';

/**
 * Faults for the tests, on the writer's thread, beside the sync faults of WriterFaults:
 * `failAfterStep` makes the write of the first commit that reaches that step ('transaction',
 * 'customer', 'installation', 'license', 'request', 'audit', 'outbox') throw there (SQLITE_IOERR),
 * inside its savepoint, once; `failGroupAt` makes the nth transaction the thread writes fail (SQLITE_FULL)
 * after all its commits were written, so that none of them is kept; `fullAt` makes the nth commit
 * the thread writes run out of space for real after its transaction row, inside its savepoint
 * (max_page_count held at the file's size while it writes a page more): SQLite rolls the whole
 * transaction back (SQLITE_FULL), as it may on SQLITE_FULL, SQLITE_IOERR or SQLITE_NOMEM.
 */
export interface IssueWriterFaults extends WriterFaults {
  failAfterStep?: string;
  failGroupAt?: number;
  fullAt?: number;
  /**
   * The thread dies (an exception nothing catches) right after it committed the nth transaction
   * it writes, before that transaction's sync: what a crash of the thread alone looks like.
   */
  dieAt?: number;
  /** While it holds a non-zero at 0, a thread fails as it starts (before it prepares anything). */
  failStart?: Int32Array;
}

/** A commit as the thread takes it: the rows, the audit entry's parts, the outbox event. */
interface CommitItem extends CommitRows {
  /** id, at, actor, action, subject_id, transaction_id, details (JSON); before, after. */
  audit: [string, number, string, string, string | null, string | null, string, string, string];
  outbox: [string, number, string] | null;
}

/** What the thread answers for one commit. */
export type ItemOutcome =
  | { status: 'committed' | 'conflict' }
  | { status: 'challenge-used'; row: TransactionRow }
  | { status: 'error'; error: string; code?: string };

const WORKER_OWN = `
if (faults.failStart && Atomics.load(faults.failStart, 0) !== 0) {
  throw Object.assign(new Error('unable to open database file (injected)'), { code: 'SQLITE_CANTOPEN' });
}
const { createHash } = require('node:crypto');
// The page cache of the event loop's connection (sized for issuing on a large store): the
// thread's inserts go to the same hash-keyed indexes.
db.pragma('cache_size = ' + Number(workerData.cacheSize));
const insertTransaction = db.prepare(${JSON.stringify(TRANSACTION_INSERT_SQL)});
const selectByDedupe = db.prepare(${JSON.stringify(TRANSACTION_BY_DEDUPE_SQL)});
const upsertCustomer = db.prepare(${JSON.stringify(CUSTOMER_UPSERT_SQL)});
const upsertInstallation = db.prepare(${JSON.stringify(INSTALLATION_UPSERT_SQL)});
const upsertLicense = db.prepare(${JSON.stringify(LICENSE_UPSERT_SQL)});
const selectRequest = db.prepare(${JSON.stringify(REQUEST_SELECT_SQL)});
const updateRequest = db.prepare(${JSON.stringify(REQUEST_DECIDE_SQL)});
const auditExists = db.prepare(${JSON.stringify(AUDIT_EXISTS_SQL)});
const auditHead = db.prepare(${JSON.stringify(AUDIT_HEAD_SQL)});
const insertAudit = db.prepare(${JSON.stringify(AUDIT_INSERT_SQL)});
const insertOutbox = db.prepare(${JSON.stringify(OUTBOX_INSERT_SQL)});
let transactions = 0;
let stepFailed = false;
// The chain's head as this thread's transaction left it (null: read it). Only this connection
// writes while its IMMEDIATE transaction is open, so after each entry it appends the head is
// that entry; it is read again at each transaction's start and after a commit's savepoint rolled
// back (what it appended is gone with it).
let head = null;
let commitsWritten = 0;

// A real SQLITE_FULL: no page more may be added to the file while a row of a table that exists
// already is written (a CREATE TABLE that runs out of space is only rolled back itself).
if (faults.fullAt) db.exec('CREATE TABLE IF NOT EXISTS injected_full (b BLOB)');
function fillUp() {
  const max = db.pragma('max_page_count', { simple: true });
  db.pragma('max_page_count = ' + db.pragma('page_count', { simple: true }));
  try {
    db.prepare('INSERT INTO injected_full VALUES (zeroblob(1000000))').run();
  } finally {
    db.pragma('max_page_count = ' + max);
  }
}

function step(name, item) {
  if (name === 'transaction' && faults.fullAt === ++commitsWritten) fillUp();
  if (faults.failAfterStep === name && !stepFailed) {
    stepFailed = true;
    throw Object.assign(new Error('the write of ' + item.transaction[0] + ' failed after its ' + name + ' (injected)'), { code: 'SQLITE_IOERR' });
  }
}

function isUniqueViolation(error) {
  return error && (error.code === 'SQLITE_CONSTRAINT_UNIQUE' || error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY');
}

// One commit, in a savepoint: SqliteCommitter.commitSync's steps, in its order.
const commitOne = db.transaction((item) => {
  try {
    insertTransaction.run(item.transaction);
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const row = selectByDedupe.get(item.dedupeKey);
    if (row !== undefined && item.dedupeKey.startsWith('chal:')) return { status: 'challenge-used', row };
    return { status: 'conflict' };
  }
  step('transaction', item);
  if (item.customer !== null) upsertCustomer.run(item.customer);
  step('customer', item);
  if (item.installation !== null) upsertInstallation.run(item.installation);
  step('installation', item);
  if (item.license !== null) upsertLicense.run(item.license);
  step('license', item);
  if (item.request !== null) {
    const row = selectRequest.get(item.request.id);
    if (row !== undefined) {
      const request = Object.assign(JSON.parse(row.body), JSON.parse(item.request.decision));
      updateRequest.run(item.request.status, JSON.stringify(request), item.request.id);
    }
  }
  step('request', item);
  const audit = item.audit;
  if (auditExists.get(audit[0]) === undefined) {
    // The event loop anchored the chain before the first commit: there is a head.
    if (head === null) head = auditHead.get() ?? null;
    if (head === null) throw new Error('the audit chain has no anchor');
    const seq = head.seq + 1;
    const line = audit[7] + '"prev":' + JSON.stringify(head.hash) + ',"seq":' + seq + audit[8];
    const hash = createHash('sha256').update(line, 'utf8').digest('base64url');
    insertAudit.run(audit[0], audit[1], audit[2], audit[3], audit[4], audit[5], audit[6], seq, head.hash, hash);
    head = { seq, hash };
  }
  step('audit', item);
  if (item.outbox !== null) insertOutbox.run(item.outbox);
  step('outbox', item);
  return { status: 'committed' };
});

function writeOne(group) {
  const outcomes = group.items.map((item) => {
    try {
      return commitOne(item);
    } catch (error) {
      head = null;
      // SQLite rolled the whole transaction back (it may on SQLITE_FULL, SQLITE_IOERR,
      // SQLITE_NOMEM inside a savepoint), not only this commit's savepoint: what the group's
      // earlier commits wrote is gone, and a later commit would run as a transaction of its own
      // and be kept though the group is refused. The whole attempt is abandoned, with this cause.
      if (!db.inTransaction) throw error;
      return { status: 'error', error: String(error && error.message), code: error && error.code };
    }
  });
  return { id: group.id, outcomes };
}
// Every group that came in since the last commit, in one transaction.
const writeAll = db.transaction((groups) => {
  head = null;
  const replies = groups.map(writeOne);
  transactions++;
  if (faults.dieAt === transactions) {
    setImmediate(() => {
      throw new Error('the issue writer thread died (injected)');
    });
  }
  if (faults.failGroupAt === transactions) {
    throw Object.assign(new Error('database or disk is full (injected)'), { code: 'SQLITE_FULL' });
  }
  return replies;
});

function transferOf() {
  return [];
}
`;

const WORKER_SOURCE = groupWriterSource(WORKER_OWN);

/** A group is sent once this many commits wait for it (see scheduleSend). */
export const SEND_EVERY = 32;

/**
 * Groups in flight at once: one. The next gathers while it is written and synced, and goes when
 * it is answered (see scheduleSend).
 */
export const GROUPS_IN_FLIGHT = 1;

interface Waiting {
  /** null: a barrier (answered once a sync that began after it returned). */
  item: CommitItem | null;
  resolve: (outcome: ItemOutcome | null) => void;
  reject: (error: unknown) => void;
}

export function commitItemOf(transaction: Transaction): CommitItem {
  const { event, detailsJson, before, after } = auditEntryLineParts(auditEventOf(transaction));
  const webhook = webhookEventOfTransaction(transaction);
  return {
    ...commitRowsOf(transaction),
    audit: [
      event.id,
      event.at,
      event.actor,
      event.action,
      event.subjectId,
      event.transactionId,
      detailsJson,
      before,
      after,
    ],
    outbox: webhook === null ? null : [webhook.id, webhook.at, JSON.stringify(webhook)],
  };
}

export class IssueWriter extends GroupWriter<Waiting, { outcomes: ItemOutcome[] }> {
  #anchored = false;
  /** Groups answered, and the commits in them (the tests read these). */
  groups = 0;
  commits = 0;

  /**
   * `cacheSize`: the thread's connection's `PRAGMA cache_size` (the store's; negative: KiB).
   * `beforeFirst(at)` runs on the event loop before the first commit is sent, `at` its time (the
   * store anchors the audit chain there, so that the thread always finds a head).
   */
  constructor(
    file: string,
    cacheSize: number,
    private readonly beforeFirst: (at: number) => void,
    faults: IssueWriterFaults = {},
  ) {
    super(WORKER_SOURCE, file, { cacheSize, faults }, 'the issue writer');
  }

  /** Writes the transaction and its records; answers once they are on disk. */
  commit(transaction: Transaction): Promise<ItemOutcome> {
    let item: CommitItem;
    try {
      item = commitItemOf(transaction);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.enqueue({ item, resolve: resolve as (o: ItemOutcome | null) => void, reject });
    });
  }

  /** Answers once a sync of the log that began after this call has returned. */
  durable(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.enqueue({ item: null, resolve: () => resolve(), reject });
    });
  }

  // What arrives in one turn of the event loop goes together, but a group is sent as soon as
  // SEND_EVERY commits wait: an issue's reads are synchronous on SQLite, so a burst of callers
  // runs its whole event-loop work in one turn, and a group sent only at the turn's end left the
  // thread idle meanwhile, then the event loop idle while the thread wrote the lot. One group is
  // in flight at a time; what comes meanwhile gathers and goes as one group when it is answered:
  // fewer, larger transactions (fewer log pages an issue) and fewer messages, while the callers
  // not in that group keep the event loop busy (two groups of 32 in flight held all 64 of the
  // bench's callers, and the event loop waited). Bench A/B, 30 Nov 21:47 and 22:07 (load 1-3.8):
  // 32 and one in flight 0.64 and 0.64 of bare, 575-627 µs of CPU an issue; 32 and two 0.60 and
  // 0.61 (564-613 µs); 16 and two 0.58 and 0.67 (599-645 µs); 16 with no bound 619-647 µs.
  protected scheduleSend(): void {
    if (this.waiting >= SEND_EVERY) this.sendNow();
    else this.sendAtTurnEnd();
  }

  protected canSend(): boolean {
    return this.inFlight < GROUPS_IN_FLIGHT;
  }

  protected messageOf(id: number, group: Waiting[]): unknown {
    const items: CommitItem[] = [];
    for (const waiting of group) if (waiting.item !== null) items.push(waiting.item);
    if (!this.#anchored && items.length > 0) {
      this.beforeFirst(items[0]!.transaction[5]);
      this.#anchored = true;
    }
    return { id, items };
  }

  protected settle(group: Waiting[], answer: { outcomes: ItemOutcome[] }): void {
    this.groups += 1;
    let next = 0;
    for (const waiting of group) {
      if (waiting.item === null) {
        waiting.resolve(null);
        continue;
      }
      this.commits += 1;
      waiting.resolve(answer.outcomes[next++]!);
    }
  }

  protected fail(group: Waiting[], cause: unknown): void {
    const code = (cause as { code?: unknown } | null)?.code;
    // SQLite's code (SQLITE_FULL, SQLITE_IOERR_WRITE, EIO of a sync) in the message, as the
    // event loop's committer says it.
    const reason = `${code ? `(${String(code)}) ` : ''}${(cause as Error)?.message ?? String(cause)}`;
    for (const waiting of group) {
      waiting.reject(
        new StoreUnavailableError(
          `${waiting.item === null ? 'the store could not sync' : 'the transaction could not be written'}: ${reason}`,
          { cause },
        ),
      );
    }
  }
}
