// The audit log's hash chain on SQLite (rule in ../audit-chain.ts). Appends run inside an
// IMMEDIATE transaction (the caller's), so the head read and the insert are one step for every
// process on the file; the unique index on `seq` is the backstop.

import { newId } from '@licensor/token';
import type Database from 'better-sqlite3';
import type { AuditEvent } from '../../records.js';
import {
  type AuditChainHead,
  anchorAuditEvent,
  type ChainedAuditEvent,
  chainAuditEvent,
} from '../audit-chain.js';
import { auditEventFromRow } from './automation.js';
import { statement } from './statements.js';

export const AUDIT_CHAIN_SQL = `
  ALTER TABLE audit_events ADD COLUMN seq INTEGER;
  ALTER TABLE audit_events ADD COLUMN prev TEXT;
  ALTER TABLE audit_events ADD COLUMN hash TEXT;
  CREATE UNIQUE INDEX audit_events_by_seq ON audit_events (seq) WHERE seq IS NOT NULL;
  CREATE INDEX audit_events_unchained ON audit_events (at, id) WHERE seq IS NULL;
`;

type Row = Record<string, unknown>;

function chainedFromRow(row: Row): ChainedAuditEvent {
  return {
    ...auditEventFromRow(row),
    seq: row.seq as number,
    prev: row.prev as string | null,
    hash: row.hash as string,
  };
}

/** The statements of an append: here, and on the issue writer's thread (issue-writer.ts). */
export const AUDIT_INSERT_SQL = `INSERT INTO audit_events
  (id, at, actor, action, subject_id, transaction_id, details, seq, prev, hash)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
export const AUDIT_HEAD_SQL =
  'SELECT seq, hash, at FROM audit_events WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1';
export const AUDIT_EXISTS_SQL = 'SELECT 1 FROM audit_events WHERE id = ?';

function insert(db: Database.Database, entry: ChainedAuditEvent): void {
  statement(db, AUDIT_INSERT_SQL).run(
    entry.id,
    entry.at,
    entry.actor,
    entry.action,
    entry.subjectId,
    entry.transactionId,
    JSON.stringify(entry.details),
    entry.seq,
    entry.prev,
    entry.hash,
  );
}

export function auditHeadSync(db: Database.Database): AuditChainHead | null {
  const row = statement(db, AUDIT_HEAD_SQL).get() as AuditChainHead | undefined;
  return row ?? null;
}

/** Entries written before the chain, oldest first (by time, then id), after `after`. */
export function legacyAuditSync(
  db: Database.Database,
  after: { at: number; id: string } | null,
  limit: number,
): AuditEvent[] {
  const rows = db
    .prepare(`SELECT * FROM audit_events WHERE seq IS NULL
      AND (at > ? OR (at = ? AND id > ?)) ORDER BY at, id LIMIT ?`)
    .all(after?.at ?? -1, after?.at ?? -1, after?.id ?? '', limit) as Row[];
  return rows.map(auditEventFromRow);
}

/** Chained entries with `seq > afterSeq`, in order. */
export function auditChainSync(
  db: Database.Database,
  afterSeq: number,
  limit: number,
): ChainedAuditEvent[] {
  const rows = db
    .prepare('SELECT * FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?')
    .all(afterSeq, limit) as Row[];
  return rows.map(chainedFromRow);
}

/** Writes the anchor when the chain has no entry yet (inside the caller's transaction). */
export function anchorAuditSync(db: Database.Database, at: number): AuditChainHead {
  const head = auditHeadSync(db);
  if (head !== null) return head;
  const legacy = statement(
    db,
    'SELECT * FROM audit_events WHERE seq IS NULL ORDER BY at, id',
  ).iterate() as IterableIterator<Row>;
  const anchor = anchorAuditEvent(newId('evt'), at, mapIterable(legacy, auditEventFromRow));
  insert(db, anchor);
  return { seq: anchor.seq, hash: anchor.hash, at: anchor.at };
}

function* mapIterable<A, B>(items: Iterable<A>, map: (item: A) => B): Iterable<B> {
  for (const item of items) yield map(item);
}

/**
 * Appends one event to the chain, inside the caller's (IMMEDIATE) transaction. An event whose
 * id is already stored is left as it is: appends retry.
 */
export function appendAuditSync(db: Database.Database, event: AuditEvent): void {
  if (statement(db, AUDIT_EXISTS_SQL).get(event.id) !== undefined) return;
  const head = anchorAuditSync(db, event.at);
  insert(db, chainAuditEvent(event, head));
}
