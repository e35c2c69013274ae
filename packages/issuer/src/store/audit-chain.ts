// The vendor's audit log as a hash chain (issue #17.3), the rule in one place for both adapters,
// the verifier and the export.
//
// Every entry has a sequence number `seq` (1, 2, …; unique in the store: two writers that read
// the same head collide on the unique insert and the loser reads again) and `prev`, the hash of
// the entry before it (null for the first). An entry's hash is SHA-256, base64url, of its line:
// the entry as canonical JSON (members sorted by name at every depth, no spaces, the members of
// `AuditEvent` plus `seq` and `prev`). The export writes exactly these lines, so a third party
// hashes the bytes it reads and needs no canonical form of its own.
//
// Entries written before the chain existed ("legacy": no seq) are anchored: the first chained
// entry (seq 1, action `audit.anchor`) holds their number and the SHA-256 of their lines (each
// followed by "\n", oldest first by time then id), so editing, deleting or adding one of them
// changes that digest.

import { createHash } from 'node:crypto';
import type { AuditEvent } from '../records.js';
import { wellFormed, wellFormedJson } from '../text.js';

/** The action of the chain's first entry, which anchors the entries written before the chain. */
export const AUDIT_ANCHOR_ACTION = 'audit.anchor';
export const AUDIT_ANCHOR_ACTOR = 'licensor';

/** An entry of the chain as the store keeps it. */
export interface ChainedAuditEvent extends AuditEvent {
  seq: number;
  /** Hash of the entry `seq - 1`; null for the first. */
  prev: string | null;
  /** Hash of this entry's line (stored so that appends need not recompute the head). */
  hash: string;
}

export interface AuditChainHead {
  seq: number;
  hash: string;
  at: number;
}

/** JSON with object members sorted by name at every depth; undefined members left out. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  // One string built in a loop (no filtered, mapped and joined arrays): every issue hashes a line.
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let text = '{';
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) continue;
    text += `${text.length === 1 ? '' : ','}${JSON.stringify(key)}:${canonicalJson(member)}`;
  }
  return `${text}}`;
}

/**
 * The event as it is stored and hashed: details through JSON (no undefined, no class
 * instances), and every string in it well-formed (a lone surrogate as U+FFFD, as SQLite and
 * BSON would store it), so that what a store gives back canonicalises to the same bytes. Every
 * entry is built here (chainAuditEvent) or by auditEntryLineParts, which does the same.
 */
export function normaliseAuditEvent(event: AuditEvent): AuditEvent {
  return auditEntryLineParts(event).event;
}

/** The top-level strings of an event well-formed (details: see storedDetails). */
function wellFormedMembers(event: AuditEvent): Record<string, unknown> {
  const members = eventMembers(event);
  for (const name of ['id', 'actor', 'action', 'subjectId', 'transactionId'] as const) {
    const value = members[name];
    if (typeof value === 'string') members[name] = wellFormed(value);
  }
  return members;
}

/** JSON.stringify writes a lone surrogate as "\udXXX" (a pair is written as it is). */
const LONE_SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/** The details as stored (their JSON) and as hashed (parsed back), every string well-formed. */
function storedDetails(details: Record<string, unknown> | undefined): {
  json: string;
  parsed: Record<string, unknown>;
} {
  let json = JSON.stringify(details ?? {});
  let parsed = JSON.parse(json) as Record<string, unknown>;
  // Only then walked (an escaped backslash before "ud8…" also matches: a walk that changes
  // nothing).
  if (LONE_SURROGATE_ESCAPE.test(json)) {
    parsed = wellFormedJson(parsed);
    json = JSON.stringify(parsed);
  }
  return { json, parsed };
}

function eventMembers(event: AuditEvent): Record<string, unknown> {
  return {
    id: event.id,
    at: event.at,
    actor: event.actor,
    action: event.action,
    subjectId: event.subjectId ?? null,
    transactionId: event.transactionId ?? null,
    details: event.details ?? {},
  };
}

/** The exported (and hashed) line of a chained entry. */
export function auditEntryLine(entry: AuditEvent & { seq: number; prev: string | null }): string {
  return canonicalJson({ ...eventMembers(entry), seq: entry.seq, prev: entry.prev });
}

/** The exported line of an entry written before the chain. */
export function legacyAuditLine(event: AuditEvent): string {
  return canonicalJson(eventMembers(event));
}

export function sha256Base64url(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url');
}

/** Where an entry's place in the chain sits in its line (members sorted: prev, then seq). */
const PLACE_HOLE = '"prev":null,"seq":0';

/**
 * The line of `event` around its place in the chain, for a writer that reads the head only
 * when it writes (the SQLite issue writer's thread): the line of the entry chained at `seq`
 * after `prev` is `before + '"prev":' + JSON.stringify(prev) + ',"seq":' + seq + after`, the
 * same bytes as auditEntryLine. `event` is the event as stored (normalised); `detailsJson` its
 * details as stored (JSON.stringify of them, which the normalisation went through already).
 */
export function auditEntryLineParts(event: AuditEvent): {
  event: AuditEvent;
  detailsJson: string;
  before: string;
  after: string;
} {
  // The details through JSON, their text kept: stringifying the parsed details again gives the
  // same text.
  const { json: detailsJson, parsed } = storedDetails(event.details);
  const normalised = { ...wellFormedMembers(event), details: parsed } as AuditEvent;
  const { id, at, actor, action, subjectId, transactionId } = normalised;
  if (
    typeof id === 'string' &&
    typeof at === 'number' &&
    typeof actor === 'string' &&
    typeof action === 'string' &&
    (subjectId === null || typeof subjectId === 'string') &&
    (transactionId === null || typeof transactionId === 'string')
  ) {
    // The members of a line in canonical order (action, actor, at, details, id, prev, seq,
    // subjectId, transactionId), each as canonicalJson writes it, without sorting them on every
    // issue; an event of other shapes (a member missing) takes the general way below.
    return {
      event: normalised,
      detailsJson,
      before: `{"action":${JSON.stringify(action)},"actor":${JSON.stringify(actor)},"at":${canonicalJson(at)},"details":${canonicalJson(normalised.details)},"id":${JSON.stringify(id)},`,
      after: `,"subjectId":${JSON.stringify(subjectId)},"transactionId":${JSON.stringify(transactionId)}}`,
    };
  }
  const line = auditEntryLine({ ...normalised, seq: 0, prev: null });
  // The last one: members after `details` (id, prev, seq, subjectId, transactionId) are
  // top-level, and a string value holds no unescaped quote, so only `details` could hold the
  // same bytes, and it comes before.
  const place = line.lastIndexOf(PLACE_HOLE);
  return {
    event: normalised,
    detailsJson,
    before: line.slice(0, place),
    after: line.slice(place + PLACE_HOLE.length),
  };
}

/** The event chained after `head` (null: the chain is empty). */
export function chainAuditEvent(event: AuditEvent, head: AuditChainHead | null): ChainedAuditEvent {
  const normalised = normaliseAuditEvent(event);
  const seq = (head?.seq ?? 0) + 1;
  const prev = head?.hash ?? null;
  return {
    ...normalised,
    seq,
    prev,
    hash: sha256Base64url(auditEntryLine({ ...normalised, seq, prev })),
  };
}

/** Folds the lines of the legacy entries, oldest first, into the anchor's digest. */
export class LegacyDigest {
  #hash = createHash('sha256');
  #count = 0;

  add(event: AuditEvent): void {
    this.#hash.update(`${legacyAuditLine(event)}\n`, 'utf8');
    this.#count += 1;
  }

  result(): { entries: number; digest: string } {
    return { entries: this.#count, digest: this.#hash.copy().digest('base64url') };
  }
}

/** The chain's first entry, over the entries written before it (oldest first). */
export function anchorAuditEvent(
  id: string,
  at: number,
  legacy: Iterable<AuditEvent>,
): ChainedAuditEvent {
  const digest = new LegacyDigest();
  for (const event of legacy) digest.add(event);
  return chainAuditEvent(
    {
      id,
      at,
      actor: AUDIT_ANCHOR_ACTOR,
      action: AUDIT_ANCHOR_ACTION,
      subjectId: null,
      transactionId: null,
      details: { before: digest.result() },
    },
    null,
  );
}

/** What `verify` found wrong at the first broken place. */
export type AuditBreakProblem =
  /** The entry's content no longer gives its recorded hash: it was edited. */
  | 'edited'
  /** Its `prev` is not the hash of the entry before it: an entry before it was changed or replaced. */
  | 'link'
  /** A sequence number is missing: an entry was deleted. */
  | 'missing'
  /** Sequence numbers out of order or repeated: entries were reordered. */
  | 'order'
  /** The entries written before the chain do not give the anchor's digest. */
  | 'anchor';

export interface AuditBreak {
  /** The sequence number of the first broken entry (0: the entries before the chain). */
  seq: number;
  /** Its event id, when there is an entry at that place. */
  id: string | null;
  problem: AuditBreakProblem;
  message: string;
}

/**
 * Walks chained entries in the order the store (or an export) gives them, from seq 1; the first
 * break is kept and the walk stops there. `hashOf` recomputes an entry's hash from its content.
 */
export class AuditChainWalker {
  #expected = 1;
  #prevHash: string | null = null;
  #broken: AuditBreak | null = null;
  #anchor: { entries: number; digest: string } | null = null;
  #line: string | null = null;

  get broken(): AuditBreak | null {
    return this.#broken;
  }

  /** The head reached so far (null: no entry yet). */
  get head(): { seq: number; hash: string } | null {
    return this.#prevHash === null ? null : { seq: this.#expected - 1, hash: this.#prevHash };
  }

  /** The line (auditEntryLine) of the entry the last step took: the export writes it. */
  get line(): string | null {
    return this.#line;
  }

  /** The anchor's record of the entries before the chain, once seq 1 was walked. */
  get anchor(): { entries: number; digest: string } | null {
    return this.#anchor;
  }

  /** Takes the next entry; false once the chain is broken. */
  step(entry: AuditEvent & { seq: number; prev: string | null; hash?: string }): boolean {
    if (this.#broken !== null) return false;
    const fail = (problem: AuditBreakProblem, seq: number, id: string | null, message: string) => {
      this.#broken = { seq, id, problem, message };
      return false;
    };
    if (entry.seq !== this.#expected) {
      if (Number.isInteger(entry.seq) && entry.seq > this.#expected) {
        return fail(
          'missing',
          this.#expected,
          null,
          `audit entry ${this.#expected} is missing (the next one found is ${entry.seq}, ${entry.id}): it was deleted`,
        );
      }
      return fail(
        'order',
        entry.seq,
        entry.id,
        `audit entry ${entry.id} has sequence number ${entry.seq} where ${this.#expected} was expected: entries were reordered or repeated`,
      );
    }
    const line = auditEntryLine(entry);
    const actual = sha256Base64url(line);
    if (entry.hash !== undefined && entry.hash !== actual) {
      return fail(
        'edited',
        entry.seq,
        entry.id,
        `audit entry ${entry.seq} (${entry.id}) was changed after it was written: its content no longer gives its recorded hash`,
      );
    }
    if (entry.prev !== this.#prevHash) {
      return fail(
        'link',
        entry.seq,
        entry.id,
        `audit entry ${entry.seq} (${entry.id}) does not continue the chain: entry ${entry.seq - 1} before it was changed, replaced or inserted`,
      );
    }
    if (entry.seq === 1) {
      const before = (entry.details as { before?: { entries?: unknown; digest?: unknown } }).before;
      if (
        entry.action !== AUDIT_ANCHOR_ACTION ||
        typeof before?.entries !== 'number' ||
        typeof before.digest !== 'string'
      ) {
        return fail(
          'anchor',
          1,
          entry.id,
          `audit entry 1 (${entry.id}) is not the chain's anchor (${AUDIT_ANCHOR_ACTION})`,
        );
      }
      this.#anchor = { entries: before.entries, digest: before.digest };
    }
    this.#prevHash = actual;
    this.#line = line;
    this.#expected += 1;
    return true;
  }

  /** Ends the walk at `until`: an entry up to it that never came was deleted. */
  finish(until: number): boolean {
    if (this.#broken !== null) return false;
    if (this.#expected > until) return true;
    this.#broken = {
      seq: this.#expected,
      id: null,
      problem: 'missing',
      message: `audit entry ${this.#expected} is missing (the chain's head is ${until}): it was deleted`,
    };
    return false;
  }

  /** Compares the entries before the chain with the anchor (call after walking seq 1). */
  checkLegacy(found: { entries: number; digest: string }): boolean {
    if (this.#broken !== null || this.#anchor === null) return this.#broken === null;
    if (found.entries === this.#anchor.entries && found.digest === this.#anchor.digest) return true;
    this.#broken = {
      seq: 0,
      id: null,
      problem: 'anchor',
      message: `the audit entries written before the chain do not match its anchor (it recorded ${this.#anchor.entries}, the store holds ${found.entries}${found.entries === this.#anchor.entries ? ' with other content' : ''}): one was edited, deleted or added`,
    };
    return false;
  }
}
