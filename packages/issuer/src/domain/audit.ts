// The vendor's audit log as evidence (issue #17.3): `verify` walks the hash chain and names the
// first broken entry; `export` writes the log as JSON lines closed by a head signed with the
// active license key, which a third party checks with the vendor's public keys and
// `scripts/verify-audit-export.mjs` (node:crypto only), without Licensor.

import { signCompactJwsWith } from '@licensor/token';
import { AuditChainBrokenError } from '../errors.js';
import type { AuditEvent } from '../records.js';
import {
  type AuditBreak,
  type AuditChainHead,
  AuditChainWalker,
  LegacyDigest,
  legacyAuditLine,
} from '../store/audit-chain.js';
import { type IssuerContext, nowSeconds } from './context.js';

/** What `verify` found: the chain from its anchor to the head it read when it started. */
export interface AuditChainStatus {
  ok: boolean;
  /** Chained entries walked without a break. */
  entries: number;
  /** Entries written before the chain, anchored by its first entry. */
  legacy: number;
  /** The newest entry when the walk started (null: no chained entry yet). */
  head: AuditChainHead | null;
  /** When the chain began (its anchor's time), or null. */
  anchoredAt: number | null;
  /** The first broken place, or null. */
  broken: AuditBreak | null;
  checkedAt: number;
}

/** `typ` of the export's signed head. */
export const AUDIT_HEAD_TYP = 'licensor-audit-head+jwt';

/** The claims of the export's signed head (docs/contracts.md, "The audit log export"). */
export interface AuditHeadClaims {
  /** Format version of the export. */
  v: 1;
  /** When the export was made (seconds). */
  iat: number;
  /** Sequence number and hash of the export's last entry: the chain up to it is certified. */
  seq: number;
  hash: string;
  /** Entries written before the chain, exported before the chained ones. */
  legacy: number;
}

const PAGE = 1000;
const MAX_HEAD_LENGTH = 4096;

async function* legacyEvents(context: IssuerContext): AsyncGenerator<AuditEvent> {
  let after: { at: number; id: string } | null = null;
  for (;;) {
    const page = await context.store.listLegacyAuditEvents(after, PAGE);
    for (const event of page) yield event;
    const last = page[page.length - 1];
    if (page.length < PAGE || last === undefined) return;
    after = { at: last.at, id: last.id };
  }
}

/**
 * One walk of the log, shared by verify and the export's two passes: the entries before the
 * chain (into the anchor's digest), then the chain from 1 to `until`, stopping at the first
 * break. `lines` gives each line in export order (without its "\n"), only while nothing is
 * broken, and reads the store a page at a time as its lines are taken: what the walk holds is one
 * page, however long the log.
 */
class Walk {
  readonly walker = new AuditChainWalker();
  readonly #digest = new LegacyDigest();
  anchoredAt: number | null = null;

  get legacy(): number {
    return this.#digest.result().entries;
  }

  async *lines(context: IssuerContext, until: number): AsyncGenerator<string> {
    for await (const event of legacyEvents(context)) {
      this.#digest.add(event);
      yield legacyAuditLine(event);
    }
    const walker = this.walker;
    let afterSeq = 0;
    pages: while (afterSeq < until) {
      const page = await context.store.listAuditChain(afterSeq, Math.min(PAGE, until - afterSeq));
      if (page.length === 0) break;
      for (const entry of page) {
        if (entry.seq > until) break pages;
        if (!walker.step(entry)) break pages;
        if (entry.seq === 1) {
          this.anchoredAt = entry.at;
          if (!walker.checkLegacy(this.#digest.result())) break pages;
        }
        // The line the walker hashed: built once per entry.
        yield walker.line as string;
        afterSeq = entry.seq;
      }
    }
    walker.finish(until);
  }
}

export async function verifyAuditChain(context: IssuerContext): Promise<AuditChainStatus> {
  const head = await context.store.auditChainHead();
  const walk = new Walk();
  for await (const _ of walk.lines(context, head?.seq ?? 0)) {
    // Only the walk's verdict counts here.
  }
  const { walker } = walk;
  return {
    ok: walker.broken === null,
    entries: walker.head?.seq ?? 0,
    legacy: walk.legacy,
    head,
    anchoredAt: walk.anchoredAt,
    broken: walker.broken,
    checkedAt: context.now(),
  };
}

/**
 * The export (docs/contracts.md §9): checked, with its head signed, before a line is given out;
 * its lines are read from the store again, a page at a time, as they are taken.
 */
export interface AuditExport extends AsyncIterable<string> {
  /** The signed head (compact JWS): what the last line, `{"head": …}`, holds. */
  readonly head: string;
  readonly claims: AuditHeadClaims;
  /** Lines of the file: the entries before the chain, the chained ones, the head. */
  readonly lines: number;
}

/**
 * The export as lines (each ending in "\n"): the entries before the chain, the chained entries
 * up to the head, then `{"head":"<signed head>"}`. Two passes over the store, a page at a time:
 * the first walks the whole chain (a break anywhere refuses the export, ERR_AUDIT_CHAIN_BROKEN
 * naming the entry, before any line is given out) and signs the head it reached; iterating the
 * result walks again up to that head, giving each line as it is read, and gives the signed head
 * line only when the second walk reached the same head by the same hashes. An entry changed
 * between the two walks throws ERR_AUDIT_CHAIN_BROKEN from the iteration before the head line,
 * so what was written has no head and no verifier accepts it (a caller ends the file or the
 * response there, as cut short). Entries appended meanwhile come after the head: not in it.
 */
export async function exportAuditLog(context: IssuerContext): Promise<AuditExport> {
  const signer = await context.licenseKeys.active();
  const anchored = await context.store.anchorAuditChain(context.now());
  const first = new Walk();
  for await (const _ of first.lines(context, anchored.seq)) {
    // Pass 1: the verdict and the head; no line is kept.
  }
  const reached = first.walker.head;
  if (first.walker.broken !== null) throw new AuditChainBrokenError(first.walker.broken);
  if (reached === null) throw new Error('the audit chain walk reached no entry below its head');
  const claims: AuditHeadClaims = {
    v: 1,
    iat: nowSeconds(context),
    seq: reached.seq,
    hash: reached.hash,
    legacy: first.legacy,
  };
  const signed = await signCompactJwsWith(
    { alg: 'EdDSA', typ: AUDIT_HEAD_TYP, kid: signer.kid },
    claims,
    signer,
    MAX_HEAD_LENGTH,
  );
  const headLine = `${JSON.stringify({ head: signed })}\n`;
  return {
    head: signed,
    claims,
    lines: claims.legacy + claims.seq + 1,
    async *[Symbol.asyncIterator]() {
      const again = new Walk();
      for await (const line of again.lines(context, claims.seq)) yield `${line}\n`;
      const { walker } = again;
      if (walker.broken !== null) throw new AuditChainBrokenError(walker.broken, 'cut');
      if (walker.head?.hash !== claims.hash || again.legacy !== claims.legacy) {
        throw new AuditChainBrokenError(
          {
            seq: claims.seq,
            id: null,
            problem: 'edited',
            message: `audit entry ${claims.seq}, the export's head, was changed while the export was written: its content no longer gives the hash the head certifies`,
          },
          'cut',
        );
      }
      yield headLine;
    },
  };
}

/**
 * The lines of an export joined into strings of about `size` characters, for a stream: one write
 * per line would cost a chunk (and, over HTTP, a chunk header) per line.
 */
export async function* exportChunks(
  lines: AsyncIterable<string>,
  size = 64 * 1024,
): AsyncGenerator<string> {
  let chunk = '';
  for await (const line of lines) {
    chunk += line;
    if (chunk.length >= size) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}
