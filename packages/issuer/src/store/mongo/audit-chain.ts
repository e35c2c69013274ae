// The audit log's hash chain on MongoDB (rule in ../audit-chain.ts), without transactions and
// without compare-and-set (FerretDB loses racing updates of one document). An entry is one
// insert with the next `seq`, which a unique index keeps to one writer: two writers that read
// the same head collide on the insert, and the loser reads the head again and chains after it.

import { newId } from '@licensor/token';
import { ConcurrentUpdateError } from '../../errors.js';
import type { AuditEvent } from '../../records.js';
import {
  type AuditChainHead,
  anchorAuditEvent,
  type ChainedAuditEvent,
  chainAuditEvent,
} from '../audit-chain.js';
import { isDuplicateKey } from './mongo-errors.js';
import type { MongoModels } from './schemas.js';

type Doc = Record<string, unknown>;
type Models = Pick<MongoModels, 'auditEvents'>;

/** Rounds of read-head-then-insert before giving up (each loss means another writer won). */
const ATTEMPTS = 64;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A stored document as the event (the chain members left out). */
export function auditEventOfDocument(document: unknown): AuditEvent {
  const d = document as Doc;
  return {
    id: d._id as string,
    at: d.at as number,
    actor: d.actor as string,
    action: d.action as string,
    subjectId: (d.subjectId as string | null | undefined) ?? null,
    transactionId: (d.transactionId as string | null | undefined) ?? null,
    details: (d.details as Record<string, unknown> | undefined) ?? {},
  };
}

export function chainedOfDocument(document: unknown): ChainedAuditEvent {
  const d = document as Doc;
  return {
    ...auditEventOfDocument(d),
    seq: d.seq as number,
    prev: (d.prev as string | null | undefined) ?? null,
    hash: d.hash as string,
  };
}

function documentOf(entry: ChainedAuditEvent): Doc {
  const { id, ...rest } = entry;
  return { _id: id, ...rest };
}

export async function auditHead(models: Models): Promise<AuditChainHead | null> {
  const document = (await models.auditEvents
    .findOne({ seq: { $gte: 1 } }, { seq: 1, hash: 1, at: 1 })
    .sort({ seq: -1 })
    .lean()) as Doc | null;
  if (document === null) return null;
  return { seq: document.seq as number, hash: document.hash as string, at: document.at as number };
}

export async function listAuditChain(
  models: Models,
  afterSeq: number,
  limit: number,
): Promise<ChainedAuditEvent[]> {
  const documents = await models.auditEvents
    .find({ seq: { $gt: afterSeq } })
    .sort({ seq: 1 })
    .limit(limit)
    .lean();
  return documents.map(chainedOfDocument);
}

export async function listLegacyAudit(
  models: Models,
  after: { at: number; id: string } | null,
  limit: number,
): Promise<AuditEvent[]> {
  const query: Doc = { seq: null };
  if (after !== null) {
    query.$or = [{ at: { $gt: after.at } }, { at: after.at, _id: { $gt: after.id } }];
  }
  const documents = await models.auditEvents
    .find(query)
    .sort({ at: 1, _id: 1 })
    .limit(limit)
    .lean();
  return documents.map(auditEventOfDocument);
}

/** Writes the anchor over the entries before the chain; null when another writer did first. */
async function anchor(models: Models, at: number): Promise<AuditChainHead | null> {
  const legacy: AuditEvent[] = [];
  for await (const document of models.auditEvents
    .find({ seq: null })
    .sort({ at: 1, _id: 1 })
    .lean()
    .cursor()) {
    legacy.push(auditEventOfDocument(document));
  }
  const entry = anchorAuditEvent(newId('evt'), at, legacy);
  try {
    await models.auditEvents.create(documentOf(entry));
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    return null;
  }
  return { seq: entry.seq, hash: entry.hash, at: entry.at };
}

/** The head, after writing the anchor if the chain has no entry yet. */
export async function anchorAuditChain(models: Models, at: number): Promise<AuditChainHead> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const head = (await auditHead(models)) ?? (await anchor(models, at));
    if (head !== null) return head;
  }
  throw new ConcurrentUpdateError('the audit log');
}

/**
 * Appends events to the chain in the given order. Events whose id is stored already are left as
 * they are (appends retry, a crashed commit rolls forward). Under contention each round inserts
 * what it can after the head it read and the rest is chained again after the new head.
 */
export async function appendAuditChained(models: Models, events: AuditEvent[]): Promise<void> {
  let pending = events.filter(
    (event, index) => events.findIndex((e) => e.id === event.id) === index,
  );
  for (let attempt = 0; attempt < ATTEMPTS && pending.length > 0; attempt++) {
    const stored = await models.auditEvents
      .find({ _id: { $in: pending.map((event) => event.id) } }, { _id: 1 })
      .lean();
    const present = new Set(stored.map((document) => String((document as Doc)._id)));
    pending = pending.filter((event) => !present.has(event.id));
    if (pending.length === 0) return;
    let head = await auditHead(models);
    if (head === null) head = await anchor(models, (pending[0] as AuditEvent).at);
    if (head === null) continue;
    const entries: ChainedAuditEvent[] = [];
    for (const event of pending) {
      const entry = chainAuditEvent(event, head);
      entries.push(entry);
      head = { seq: entry.seq, hash: entry.hash, at: entry.at };
    }
    try {
      await models.auditEvents.insertMany(entries.map(documentOf), { ordered: true });
      return;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      // Another writer took a position: what went in before the clash is found by id next round.
      await pause(Math.floor(Math.random() * Math.min(20, 1 + attempt * 2)));
    }
  }
  if (pending.length > 0) throw new ConcurrentUpdateError('the audit log');
}
