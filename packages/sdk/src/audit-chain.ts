// The audit trail as a chain. Each entry carries the link of the entry before it and the state's
// trusted time, and its own link: a keyed digest (seal.ts) of its members and that `prev`. The
// sealed state records the newest link (its anchor), so an entry deleted, edited or moved, one
// added by hand, or a trail cut short at its end is named; appending through the SDK is the only
// way to add. Entries after the last change the state recorded (reads, refusals, or the entries
// a state restored from a backup never saw) are counted as unanchored.
import type { Context } from './context.js';
import { seal, sealHolds } from './seal.js';
import {
  assertStateNotLost,
  changesIn,
  installationKeyOf,
  loadSnapshot,
  writeState,
} from './snapshot.js';
import type { AuditAnchor, StoredState } from './store/store.js';
import { parseStoredState, sealState, stateSealHolds } from './stored-state.js';
import type { AuditEntry, AuditVerification } from './types.js';

export type AuditFacts = Pick<
  AuditEntry,
  'at' | 'operator' | 'action' | 'outcome' | 'code' | 'detail'
>;

/** The text an entry's link covers: its members in one order, then `prev`. */
function linkedText(entry: AuditFacts, trusted: number, prev: string | null): string {
  return JSON.stringify([
    entry.at,
    entry.operator.id,
    entry.operator.name,
    entry.operator.roles,
    entry.action,
    entry.outcome,
    entry.code,
    entry.detail,
    trusted,
    prev,
  ]);
}

/** The link that covers the entries written before the chain began (null when there were none). */
function unchainedLink(seed: Uint8Array, entries: readonly AuditEntry[]): string | null {
  if (entries.length === 0) return null;
  const text = JSON.stringify(
    entries.map((entry) => linkedText(entry, entry.trusted ?? 0, entry.prev)),
  );
  return seal(seed, 'audit', `unchained:${text}`);
}

/** The link the next entry must carry: the last entry's (the store reads only its tail). */
async function headOf(context: Context, seed: Uint8Array): Promise<string | null> {
  const { store } = context;
  const last =
    store.lastAudit === undefined ? (await store.loadAudit()).at(-1) : await store.lastAudit();
  if (last === undefined || last === null) return null;
  if (last.link !== null) return last.link;
  // The trail so far was written before the chain (an older SDK): the first link covers it all.
  return unchainedLink(seed, await store.loadAudit());
}

/** The state as written, if it is ours and sealed by this installation's key. */
async function sealedState(context: Context, seed: Uint8Array): Promise<StoredState | null> {
  try {
    const raw = await context.store.loadState();
    if (raw === null) return null;
    const parsed = parseStoredState(raw);
    return stateSealHolds(parsed, seed) ? parsed.state : null;
  } catch {
    return null;
  }
}

/**
 * Appends one entry after the last one stored. The caller holds `context.exclusive`, so entries
 * of processes sharing the store never branch. With `anchor` (a change that succeeded: it wrote
 * the state anyway) the sealed state records the new link, so a trail cut short after it is
 * named; reads and refusals leave the state as it was.
 */
export async function appendAuditEntry(
  context: Context,
  facts: AuditFacts,
  anchor = false,
): Promise<void> {
  const key = await installationKeyOf(context);
  const seed = key.privateKey;
  const state = await sealedState(context, seed);
  // A state of an SDK before seals that is read as one (no edit named): sealed with this first
  // chained entry, which would otherwise make it read as a stripped seal at the next load.
  const legacy = state === null ? await acceptedUnsealedState(context) : null;
  const prev = await headOf(context, seed);
  const trusted = (state ?? legacy)?.trustedTime ?? 0;
  const link = seal(seed, 'audit', linkedText(facts, trusted, prev));
  await context.store.appendAudit({ ...facts, trusted, prev, link });
  if (legacy !== null) {
    await writeState(context, { ...legacy, audit: { head: link } });
  } else if (anchor && state !== null) {
    await context.store.saveState(sealState({ ...state, audit: { head: link } }, seed));
  }
}

/**
 * The stored state when it has no seal and loads as one an SDK before seals wrote (this
 * installation's, its tokens verified, no edit named: loadSnapshot's whole rule); otherwise null.
 */
async function acceptedUnsealedState(context: Context): Promise<StoredState | null> {
  try {
    const raw = await context.store.loadState();
    if (raw === null) return null;
    const parsed = parseStoredState(raw);
    if (parsed.seal !== null) return null;
    await loadSnapshot(context);
    return parsed.state;
  } catch {
    return null;
  }
}

/** The anchor a state written now carries when the one it was read from had none (format 1). */
export async function anchorFromTrail(context: Context, seed: Uint8Array): Promise<AuditAnchor> {
  return { head: await headOf(context, seed) };
}

/** Checks every link of the trail and the state's anchor; names the first broken entry. */
export async function verifyAuditTrail(context: Context): Promise<AuditVerification> {
  const key = await installationKeyOf(context);
  const seed = key.privateKey;
  const entries = await context.store.loadAudit();
  const result: AuditVerification = {
    ok: true,
    entries: entries.length,
    unchained: 0,
    firstBroken: null,
    unanchored: 0,
    torn: (await context.store.loadAuditTears?.()) ?? [],
  };
  const broken = (index: number, reason: string): AuditVerification => ({
    ...result,
    ok: false,
    firstBroken: { entry: index + 1, reason },
  });
  while (result.unchained < entries.length && entries[result.unchained]?.link === null) {
    result.unchained++;
  }
  const positions = new Map<string, number>();
  const unchainedHead = unchainedLink(seed, entries.slice(0, result.unchained));
  let expected = unchainedHead;
  for (let index = result.unchained; index < entries.length; index++) {
    const entry = entries[index] as AuditEntry;
    if (entry.link === null) {
      return broken(index, 'it carries no link: it was not written by the SDK (added by hand).');
    }
    if (!sealHolds(seed, 'audit', linkedText(entry, entry.trusted ?? 0, entry.prev), entry.link)) {
      return broken(index, 'its content does not match its link: it was edited.');
    }
    if (entry.prev !== expected) {
      return broken(
        index,
        index === result.unchained && entry.prev === null && result.unchained > 0
          ? 'the entries before it were added by hand.'
          : 'it does not follow the entry before it: an entry was deleted, or entries were moved.',
      );
    }
    if (positions.has(entry.link)) {
      return broken(index, 'it repeats an earlier entry: it was copied.');
    }
    positions.set(entry.link, index);
    expected = entry.link;
  }
  const raw = await context.store.loadState();
  // A trail of changes with no state beside it: the state was lost, not a first run.
  if (raw === null) await assertStateNotLost(context);
  if (raw !== null) {
    const parsed = parseStoredState(raw);
    const anchor = parsed.state.audit;
    const sealed = anchor !== null && stateSealHolds(parsed, seed);
    // A state that records no change beside a trail of changes was made anew (by an SDK that
    // initialised a lost state again). Each change after the first one anchors the state, so two
    // are never left unanchored (one may be: a crash between its entry and the anchor).
    const changes = changesIn(entries.slice(result.unchained));
    if (sealed && anchor.head === null && changes >= 2) {
      return broken(
        entries.length,
        `the state records no change, but the trail holds ${changes}: the state was replaced by a new one. Restore the whole state folder from a backup.`,
      );
    }
    if (sealed && anchor.head !== null) {
      const at = anchor.head === unchainedHead ? result.unchained - 1 : positions.get(anchor.head);
      if (at === undefined) {
        return broken(
          entries.length,
          'the trail ends before the last change the state recorded: entries were deleted from its end.',
        );
      }
      result.unanchored = entries.length - 1 - at;
    }
  }
  return result;
}
