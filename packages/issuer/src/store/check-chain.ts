// Fork detection (issue #17): the rule, in one place, over the shared store's chain records.
//
// Each version 2 status hands the installation a chain value; its next check presents it. The
// head record keeps the newest value presented and the values handed out since (`issued`):
//   - presenting the head again: an answer was lost on the way; one more value is handed out
//     (the same check token again is no lost answer: its value was handed out already, so it is
//     that check replayed once the nonce window dropped its nonce, and refused);
//   - presenting one of `issued`: the chain moves on (that value becomes the head);
//   - anything else (an older value, a sibling's value, none after the chain began): a second
//     copy of the installation, or an older backup of it, checked in. That is a fork.
// Two copies present the same value once, get different values back, and the second of them to
// move on is the fork. A CMS on several nodes sharing one SDK store (with `exclusive`) checks
// one at a time from one state, so it is one chain and never a fork. A head with no value and
// nothing handed out (first check, or re-bound by a challenge without a chain value) accepts
// whatever is presented.
//
// After the vendor restores the store from a backup, every installation that checked since the
// backup presents a value the restored head never saw. The vendor opens a window for that
// (`markRestored`, `forks after-restore`): a head from the backup carries a `restored` mark until
// a time, and the first check presenting an unknown value re-anchors the chain on it (once: the
// re-anchor drops the mark, recorded as a closed fork with its evidence). A check that continues
// the chain as restored drops the mark too. Everything else is as above: a second copy that checks
// after the re-anchor forks, and so does any divergence once the window has passed.

import { createHash } from 'node:crypto';
import { newId } from '@licensor/token';
import {
  CHAIN_ISSUED_LIMIT,
  type ChainEvidence,
  type ChainHead,
  type ChainStore,
  type CheckChainStore,
  type ForkAction,
  type ForkRecord,
  type RestoreMark,
} from './chain-port.js';

/** The value a status hands out after a check: unique per check token. */
export function nextChainValue(presented: string | null, checkToken: string): string {
  return createHash('sha256')
    .update(`licensor-chain\0${presented ?? ''}\0${checkToken}`)
    .digest('base64url');
}

export interface ChainCheck {
  installationId: string;
  licenseId: string;
  /** The check's `prev` (null: a version 1 check, or none yet). */
  presented: string | null;
  checkToken: string;
  evidence: ChainEvidence;
  now: number;
  /**
   * Refuse, rather than record as a fork, a check that does not continue the chain: set for a
   * check made further behind the service's clock than the clock window. Its nonce may have been
   * held and dropped already (a captured check replayed after its hold), so a divergence then
   * proves nothing about a second copy; the chain and the forks are left as they are.
   */
  refuseFork?: boolean;
}

export interface ChainAnswer {
  /** The value for the status's `chain`. */
  next: string;
  /** The fork this check belongs to, when it did not continue the chain. */
  fork: ForkRecord | null;
  /**
   * The fork policy answers this check SUSPENDED: it is the copy (`suspend`, `suspend-both`),
   * or it continues a chain that has an open fork under `suspend-both`.
   */
  suspend: boolean;
  /** It continues a chain that has an open fork (the original side, told under `suspend-both`). */
  openFork: ForkRecord | null;
  /**
   * Set when nothing was written and the check is refused: `refuseFork` held and it did not
   * continue the chain, or it is a check already answered (`replayed`).
   */
  refused?: true;
  /** This very check token was answered before: a replay whose nonce the window had dropped. */
  replayed?: true;
}

const suspendsCopy = (action: ForkAction) => action === 'suspend' || action === 'suspend-both';

type Decision = {
  head: ChainHead;
  forked: boolean;
  replayed?: true;
  /** The restore window this check re-anchored the chain under. */
  reanchored?: RestoreMark;
};

/** A head as it goes on after a check that moved the chain: a restore mark has done its work. */
function withoutMark(head: ChainHead): ChainHead {
  const { restored: _done, ...rest } = head;
  return rest;
}

/** The restore window open on this head for this check, if any (see ChainHead.restored). */
function openWindow(stored: ChainHead, check: ChainCheck): RestoreMark | null {
  const mark = stored.restored;
  if (mark === undefined || check.now > mark.until) return null;
  // A check made off the clock may be a captured one replayed (see refuseFork), and a check
  // without a value is no installation restored behind the store's back: neither re-anchors.
  if (check.refuseFork === true || check.presented === null) return null;
  return mark;
}

function decide(stored: ChainHead | null, check: ChainCheck, next: string): Decision {
  const base = {
    installationId: check.installationId,
    licenseId: check.licenseId,
    updatedAt: check.now,
  };
  if (stored === null || (stored.head === null && stored.issued.length === 0)) {
    return {
      head: {
        ...base,
        head: check.presented,
        issued: [next],
        last: check.evidence,
        openForkId: stored?.openForkId ?? null,
        version: (stored?.version ?? 0) + 1,
      },
      forked: false,
    };
  }
  if (check.presented === stored.head) {
    // The value this check would be handed was handed out already: this check token was
    // answered before (an installation whose answer was lost makes a new check, with a new
    // token and so a new value). Nothing is written.
    if (stored.issued.includes(next)) return { head: stored, forked: false, replayed: true };
    const issued = [...stored.issued, next].slice(-CHAIN_ISSUED_LIMIT);
    return {
      head: {
        ...withoutMark(stored),
        ...base,
        issued,
        last: check.evidence,
        version: stored.version + 1,
      },
      forked: false,
    };
  }
  // The chain goes on from the value presented: the head moves to it, and `next` is handed out.
  const movedOn = (): ChainHead => ({
    ...withoutMark(stored),
    ...base,
    head: check.presented,
    issued: [next],
    last: check.evidence,
    version: stored.version + 1,
  });
  if (check.presented !== null && stored.issued.includes(check.presented)) {
    return { head: movedOn(), forked: false };
  }
  const window = openWindow(stored, check);
  if (window !== null) {
    // The store was restored from a backup older than this installation's newest checks: the
    // chain goes on from what it presents (a fork open before is kept: it was not the restore's).
    return { head: movedOn(), forked: false, reanchored: window };
  }
  // A fork: the chain stays where the installation that continues it left it.
  const openForkId = stored.openForkId ?? newId('frk');
  return {
    head: { ...stored, updatedAt: check.now, openForkId, version: stored.version + 1 },
    forked: true,
  };
}

/** Decides and records one check's step, retrying when another instance wrote in between. */
export async function stepChain(
  chains: CheckChainStore,
  check: ChainCheck,
  defaultAction: ForkAction,
): Promise<ChainAnswer> {
  const next = nextChainValue(check.presented, check.checkToken);
  for (let attempt = 0; attempt < 16; attempt++) {
    const stored = await chains.getChainHead(check.installationId);
    const decision = decide(stored, check, next);
    if (decision.replayed === true) {
      return { next, fork: null, suspend: false, openFork: null, refused: true, replayed: true };
    }
    if (decision.forked && check.refuseFork === true) {
      return { next, fork: null, suspend: false, openFork: null, refused: true };
    }
    if (!(await chains.putChainHead(decision.head, stored?.version ?? null))) continue;
    if (decision.reanchored !== undefined) {
      await recordReanchor(chains, check, stored?.last ?? null, decision.reanchored, defaultAction);
    }
    if (!decision.forked)
      return {
        next,
        fork: null,
        ...(await originalSide(chains, check, decision.head, defaultAction)),
      };
    const action = (await chains.resolveForkPolicy(check.licenseId))?.action ?? defaultAction;
    const fork = await chains.recordFork({
      id: decision.head.openForkId as string,
      licenseId: check.licenseId,
      installationId: check.installationId,
      status: 'open',
      detectedAt: check.now,
      lastSeenAt: check.now,
      divergentChecks: 1,
      copy: check.evidence,
      original: stored?.last ?? null,
      action,
      closedAt: null,
      closedBy: null,
      closeReason: null,
    });
    return { next, fork, suspend: suspendsCopy(fork.action), openFork: null };
  }
  throw new Error(`the check chain of ${check.installationId} kept changing under 16 attempts`);
}

/**
 * The audit of a re-anchor: a fork record, closed at once, naming the check adopted (`copy`), the
 * newest check the restored head knew (`original`) and the window's operator, so that the vendor
 * sees in `forks list --status closed` every chain a restore window moved, and from where.
 */
async function recordReanchor(
  chains: CheckChainStore,
  check: ChainCheck,
  original: ChainEvidence | null,
  mark: RestoreMark,
  defaultAction: ForkAction,
): Promise<void> {
  const action = (await chains.resolveForkPolicy(check.licenseId))?.action ?? defaultAction;
  await chains.recordFork({
    id: newId('frk'),
    licenseId: check.licenseId,
    installationId: check.installationId,
    status: 'closed',
    detectedAt: check.now,
    lastSeenAt: check.now,
    divergentChecks: 1,
    copy: check.evidence,
    original,
    action,
    closedAt: check.now,
    closedBy: mark.openedBy,
    closeReason: `${REANCHOR_REASON} (window opened ${iso(mark.openedAt)} for a backup of ${iso(mark.since)})`,
  });
}

/** How a re-anchor's fork record begins its reason (it is no copy: the store was restored). */
export const REANCHOR_REASON =
  're-anchored after the store was restored from a backup: the chain goes on from this check';

const iso = (ms: number) => new Date(ms).toISOString();

/** A check that continued the chain: suspended only under `suspend-both` while a fork is open. */
async function originalSide(
  chains: CheckChainStore,
  check: ChainCheck,
  head: ChainHead,
  defaultAction: ForkAction,
): Promise<{ suspend: boolean; openFork: ForkRecord | null }> {
  if (head.openForkId === null) return { suspend: false, openFork: null };
  const fork = await chains.getFork(head.openForkId);
  if (fork === null || fork.status !== 'open') return { suspend: false, openFork: null };
  const action = (await chains.resolveForkPolicy(check.licenseId))?.action ?? defaultAction;
  return { suspend: action === 'suspend-both', openFork: fork };
}

/**
 * Detaches a closed fork from its installation's chain, so that a later divergence opens a new
 * fork instead of counting into the closed one (closing a fork: the copy is gone).
 */
export async function detachFork(chains: ChainStore, fork: ForkRecord, now: number): Promise<void> {
  for (let attempt = 0; attempt < 16; attempt++) {
    const stored = await chains.getChainHead(fork.installationId);
    if (stored === null || stored.openForkId !== fork.id) return;
    const head = { ...stored, openForkId: null, version: stored.version + 1, updatedAt: now };
    if (await chains.putChainHead(head, stored.version)) return;
  }
  throw new Error(`the check chain of ${fork.installationId} kept changing under 16 attempts`);
}

/**
 * A new license key answering a challenge re-binds the installation: the challenge's chain value
 * is accepted from now on (the installation that made it continues from there, a copy or an
 * older backup the vendor chose included), and the open fork is closed. What the chain accepted
 * before stays accepted: the head and the values handed out since. A challenge is often older
 * than the installation's newest check (made, then the daily check ran before the vendor
 * answered; or the older of two pending challenges), and the installation then presents a value
 * handed out after the challenge's: restarting the chain from the challenge's value alone would
 * take that installation for a copy of itself. Nothing is accepted that was not accepted just
 * before the re-bind, beside the challenge's own value; two copies that both keep running still
 * diverge, and the second to move on opens a new fork. With a fork open, the vendor has chosen
 * between the two sides: the chain then restarts from the challenge's value alone, and the other
 * side's next check is a fork (a copy that moved the chain on first does not win). Without a chain value the next check
 * starts the chain afresh.
 */
export async function rebindChain(
  chains: ChainStore,
  rebind: {
    installationId: string;
    licenseId: string;
    chain: string | null;
    now: number;
    operator: string;
    reason: string;
  },
): Promise<ForkRecord | null> {
  for (let attempt = 0; attempt < 16; attempt++) {
    const stored = await chains.getChainHead(rebind.installationId);
    if (stored === null && rebind.chain === null) return null;
    const head: ChainHead = {
      installationId: rebind.installationId,
      licenseId: rebind.licenseId,
      head: rebind.chain,
      // With a fork open the vendor has chosen between two installations: only the chosen one's
      // value goes on (what the chain accepted is the other side's). Without one, nothing was
      // in doubt: an installation that checked after making its challenge goes on too.
      issued:
        rebind.chain === null || (stored?.openForkId ?? null) !== null
          ? []
          : stillAccepted(stored, rebind.chain),
      last: stored?.last ?? null,
      openForkId: null,
      version: (stored?.version ?? 0) + 1,
      updatedAt: rebind.now,
    };
    if (!(await chains.putChainHead(head, stored?.version ?? null))) continue;
    const forkId = stored?.openForkId ?? null;
    if (forkId === null) return null;
    await chains.closeFork(forkId, rebind.now, rebind.operator, rebind.reason);
    return chains.getFork(forkId);
  }
  throw new Error(`the check chain of ${rebind.installationId} kept changing under 16 attempts`);
}

/**
 * The values a check may present to move the chain on after a re-bind to `chain`, beside `chain`
 * itself (the new head): the head it had (its answer may have been lost) and the values handed
 * out since (the newest check's answer), oldest first, at most CHAIN_ISSUED_LIMIT.
 */
function stillAccepted(stored: ChainHead | null, chain: string): string[] {
  if (stored === null) return [];
  const before = stored.head === null ? stored.issued : [stored.head, ...stored.issued];
  return before.filter((value) => value !== chain).slice(-CHAIN_ISSUED_LIMIT);
}

/** Where a challenge's chain value stands against the newest checks, for the inspection. */
export function chainStanding(
  stored: ChainHead | null,
  chain: string | null,
): 'current' | 'behind' | 'unknown' {
  if (stored === null || (stored.head === null && stored.issued.length === 0)) return 'unknown';
  if (chain !== null && (chain === stored.head || stored.issued.includes(chain))) return 'current';
  return 'behind';
}

/**
 * Opens a restore window on one installation's head (`forks after-restore`): marked when the head
 * came from the backup (its newest check no newer than `mark.since`) and has a chain to diverge
 * from. Returns the head as written, or null when it was left alone (none, no chain, or checked
 * since the backup: that installation continued the chain as restored, and a divergence of it is a
 * fork as ever).
 */
export async function markRestored(
  chains: ChainStore,
  installationId: string,
  mark: RestoreMark,
): Promise<ChainHead | null> {
  for (let attempt = 0; attempt < 16; attempt++) {
    const stored = await chains.getChainHead(installationId);
    if (stored === null || (stored.head === null && stored.issued.length === 0)) return null;
    if ((stored.last?.at ?? Number.NEGATIVE_INFINITY) > mark.since) return null;
    const head: ChainHead = {
      ...stored,
      restored: mark,
      version: stored.version + 1,
      updatedAt: mark.openedAt,
    };
    if (await chains.putChainHead(head, stored.version)) return head;
  }
  throw new Error(`the check chain of ${installationId} kept changing under 16 attempts`);
}
