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
  auditEntryLine,
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

interface Walk {
  walker: AuditChainWalker;
  legacy: number;
  anchoredAt: number | null;
}

/**
 * The walk shared by verify and export: the entries before the chain (into the anchor's
 * digest), then the chain from 1 to `until`, stopping at the first break. `emit` gets each line
 * in export order, only while nothing is broken.
 */
async function walk(
  context: IssuerContext,
  until: number,
  emit: (line: string) => void,
): Promise<Walk> {
  const digest = new LegacyDigest();
  for await (const event of legacyEvents(context)) {
    digest.add(event);
    emit(legacyAuditLine(event));
  }
  const walker = new AuditChainWalker();
  let anchoredAt: number | null = null;
  let afterSeq = 0;
  pages: while (afterSeq < until) {
    const page = await context.store.listAuditChain(afterSeq, Math.min(PAGE, until - afterSeq));
    if (page.length === 0) break;
    for (const entry of page) {
      if (entry.seq > until) break pages;
      if (!walker.step(entry)) break pages;
      if (entry.seq === 1) {
        anchoredAt = entry.at;
        if (!walker.checkLegacy(digest.result())) break pages;
      }
      emit(auditEntryLine(entry));
      afterSeq = entry.seq;
    }
  }
  walker.finish(until);
  return { walker, legacy: digest.result().entries, anchoredAt };
}

export async function verifyAuditChain(context: IssuerContext): Promise<AuditChainStatus> {
  const head = await context.store.auditChainHead();
  const { walker, legacy, anchoredAt } = await walk(context, head?.seq ?? 0, () => {});
  return {
    ok: walker.broken === null,
    entries: walker.head?.seq ?? 0,
    legacy,
    head,
    anchoredAt,
    broken: walker.broken,
    checkedAt: context.now(),
  };
}

/**
 * The export as lines (each ending in "\n"): the entries before the chain, the chained entries
 * up to the head, then `{"head":"<signed head>"}`. It is built whole before the first line is
 * given out, so a break anywhere refuses it (ERR_AUDIT_CHAIN_BROKEN, naming the entry) and the
 * signed head never certifies a broken chain.
 */
export async function exportAuditLog(context: IssuerContext): Promise<string[]> {
  const signer = await context.licenseKeys.active();
  const head = await context.store.anchorAuditChain(context.now());
  const lines: string[] = [];
  const { walker, legacy } = await walk(context, head.seq, (line) => lines.push(`${line}\n`));
  const reached = walker.head;
  if (walker.broken !== null) throw new AuditChainBrokenError(walker.broken);
  if (reached === null) throw new Error('the audit chain walk reached no entry below its head');
  const claims: AuditHeadClaims = {
    v: 1,
    iat: nowSeconds(context),
    seq: reached.seq,
    hash: reached.hash,
    legacy,
  };
  const signed = await signCompactJwsWith(
    { alg: 'EdDSA', typ: AUDIT_HEAD_TYP, kid: signer.kid },
    claims,
    signer,
    MAX_HEAD_LENGTH,
  );
  lines.push(`${JSON.stringify({ head: signed })}\n`);
  return lines;
}
