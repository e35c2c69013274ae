// Forks for the vendor (issue #17): what the verify service recorded when two copies of one
// installation (or an older backup of it) checked in, the per-license choice of what a fork
// does, the inspection's "possible copy" finding, and the re-bind a new key for a challenge makes.

import type { ChallengeClaims } from '@licensor/token';
import { newId } from '@licensor/token';
import { findPlan } from '../catalog/catalog.js';
import { PlanNotFoundError } from '../catalog/errors.js';
import {
  ForkClosedError,
  ForkNotFoundError,
  InputInvalidError,
  LicenseNotFoundError,
} from '../errors.js';
import type { Operator } from '../records.js';
import {
  FORK_ACTIONS,
  type ForkAction,
  type ForkFilter,
  type ForkRecord,
} from '../store/chain-port.js';
import { chainStanding, detachFork, markRestored, rebindChain } from '../store/check-chain.js';
import { checkOperator, type IssuerContext } from './context.js';
import type { Finding } from './findings.js';

export interface ForksApi {
  /** Forks the verify service recorded, newest first. */
  list(filter?: ForkFilter): Promise<ForkRecord[]>;
  get(id: string): Promise<ForkRecord | null>;
  /**
   * Closes an open fork (e.g. the copy was shut down); the chain goes on from the original, and
   * a later divergence opens a new fork. The reason (1 to 500 characters) goes to the audit log.
   */
  close(id: string, operator: Operator, reason: string): Promise<ForkRecord>;
  /**
   * What a fork of this license does: `warn`, `suspend` (the copy), `suspend-both`, or null:
   * its plan's policy, else the verify service's default.
   */
  setPolicy(licenseId: string, action: ForkAction | null, operator: Operator): Promise<void>;
  getPolicy(licenseId: string): Promise<ForkAction | null>;
  /** The same for every license issued from a plan (id or name) that has no policy of its own. */
  setPlanPolicy(plan: string, action: ForkAction | null, operator: Operator): Promise<void>;
  getPlanPolicy(plan: string): Promise<ForkAction | null>;
  /**
   * After the store was restored from a backup taken at `since` (ms): for `windowMs` (1 hour to
   * 30 days), the first check of each installation whose chain head came from the backup may
   * present a value the head does not know and re-anchor the chain on it, instead of opening a
   * fork; the open forks such an installation opened after `since` (the restore's, not copies)
   * are closed. Audited (`chains.after-restore`, and `fork.close` for each fork closed); each
   * re-anchor is recorded as a closed fork with the check's evidence.
   */
  afterRestore(
    window: { since: number; windowMs: number },
    operator: Operator,
    reason: string,
  ): Promise<AfterRestoreResult>;
}

export interface AfterRestoreResult {
  since: number;
  /** The window ends then (ms). */
  until: number;
  /** Installations whose first divergent check before `until` re-anchors their chain. */
  marked: number;
  /** Forks opened since the backup by the marked installations, closed. */
  closedForks: string[];
}

/** The restore window's bounds: long enough for every installation's daily check, no longer. */
export const RESTORE_WINDOW_MIN_MS = 3_600_000;
export const RESTORE_WINDOW_MAX_MS = 30 * 86_400_000;
const HEAD_PAGE = 500;

function checkReason(reason: string): string {
  const why = typeof reason === 'string' ? reason.trim() : '';
  if (why === '' || why.length > MAX_REASON_LENGTH) {
    throw new InputInvalidError(
      'reason',
      `say why (1 to ${MAX_REASON_LENGTH} characters): it is kept in the audit log`,
    );
  }
  return why;
}

const ACTIONS: readonly (ForkAction | null)[] = [...FORK_ACTIONS, null];
const MAX_REASON_LENGTH = 500;

function checkAction(action: ForkAction | null): void {
  if (!ACTIONS.includes(action)) {
    throw new InputInvalidError(
      'fork policy',
      "must be warn, suspend (the copy), suspend-both, or default (the plan's, else the verify service's)",
    );
  }
}

export function createForks(context: IssuerContext): ForksApi {
  const { store } = context;
  const audit = (
    actor: Operator,
    action: string,
    subjectId: string,
    details: Record<string, unknown>,
  ) =>
    store.appendAuditEvent({
      id: newId('evt'),
      at: context.now(),
      actor,
      action,
      subjectId,
      transactionId: null,
      details,
    });

  return {
    list: (filter = {}) => store.chains.listForks(filter),
    get: (id) => store.chains.getFork(id),
    async close(id, operator, reason) {
      const actor = checkOperator(operator);
      const why = typeof reason === 'string' ? reason.trim() : '';
      if (why === '' || why.length > MAX_REASON_LENGTH) {
        throw new InputInvalidError(
          'reason',
          `say why the fork is closed (1 to ${MAX_REASON_LENGTH} characters): it is kept in the audit log`,
        );
      }
      const fork = await store.chains.getFork(id);
      if (fork === null) throw new ForkNotFoundError(id);
      if (!(await store.chains.closeFork(id, context.now(), actor, why))) {
        throw new ForkClosedError(id, fork.closeReason);
      }
      await detachFork(store.chains, fork, context.now());
      await audit(actor, 'fork.close', fork.licenseId, { forkId: id, reason: why });
      return (await store.chains.getFork(id)) as ForkRecord;
    },
    async setPolicy(licenseId, action, operator) {
      const actor = checkOperator(operator);
      checkAction(action);
      if ((await store.getLicense(licenseId)) === null) throw new LicenseNotFoundError(licenseId);
      await store.chains.setForkPolicy(licenseId, action, context.now());
      await audit(actor, 'license.fork-policy', licenseId, { action: action ?? 'default' });
    },
    getPolicy: (licenseId) => store.chains.getForkPolicy(licenseId),
    async setPlanPolicy(planIdOrName, action, operator) {
      const actor = checkOperator(operator);
      checkAction(action);
      const plan = await findPlan(context, planIdOrName);
      if (plan === null) throw new PlanNotFoundError(planIdOrName);
      await store.chains.setForkPolicy(plan.id, action, context.now());
      await audit(actor, 'plan.fork-policy', plan.id, { action: action ?? 'default' });
    },
    async getPlanPolicy(planIdOrName) {
      const plan = await findPlan(context, planIdOrName);
      if (plan === null) throw new PlanNotFoundError(planIdOrName);
      return store.chains.getForkPolicy(plan.id);
    },
    async afterRestore({ since, windowMs }, operator, reason) {
      const actor = checkOperator(operator);
      const why = checkReason(reason);
      const now = context.now();
      if (!Number.isSafeInteger(since) || since < 0 || since > now) {
        throw new InputInvalidError(
          'since',
          'must be when the restored backup was taken: a time in the past',
        );
      }
      if (
        !Number.isSafeInteger(windowMs) ||
        windowMs < RESTORE_WINDOW_MIN_MS ||
        windowMs > RESTORE_WINDOW_MAX_MS
      ) {
        throw new InputInvalidError(
          'window',
          'must be 1 hour to 30 days: long enough for every installation to check once',
        );
      }
      const mark = { since, until: now + windowMs, openedAt: now, openedBy: actor };
      let marked = 0;
      const closedForks: string[] = [];
      const closeReason = `the store was restored from a backup of ${new Date(since).toISOString()}: this fork is the restore's (${why})`;
      for (let after: string | null = null; ; ) {
        const page = await store.chains.listChainHeads(after, HEAD_PAGE);
        for (const listed of page) {
          const head = await markRestored(store.chains, listed.installationId, mark);
          if (head === null) continue;
          marked++;
          if (head.openForkId === null) continue;
          // A fork the installation opened after the backup was taken: it presented a value the
          // restored head had lost. One detected before is in the backup: a copy, left open.
          const fork = await store.chains.getFork(head.openForkId);
          if (fork === null || fork.status !== 'open' || fork.detectedAt <= since) continue;
          if (!(await store.chains.closeFork(fork.id, now, actor, closeReason))) continue;
          await detachFork(store.chains, fork, now);
          await audit(actor, 'fork.close', fork.licenseId, {
            forkId: fork.id,
            reason: closeReason,
          });
          closedForks.push(fork.id);
        }
        if (page.length < HEAD_PAGE) break;
        after = (page[page.length - 1] as (typeof page)[number]).installationId;
      }
      await audit(actor, 'chains.after-restore', 'store', {
        since,
        until: mark.until,
        marked,
        closedForks,
        reason: why,
      });
      return { since, until: mark.until, marked, closedForks };
    },
  };
}

/** The inspection's findings about copies: a challenge behind the newest checks, an open fork. */
export async function chainFindings(
  context: IssuerContext,
  claims: ChallengeClaims,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const [head, open] = await Promise.all([
    context.store.chains.getChainHead(claims.sub),
    context.store.chains.listForks({ installationId: claims.sub, status: 'open', limit: 1 }),
  ]);
  if (chainStanding(head, claims.chain ?? null) === 'behind') {
    findings.push({
      kind: 'possible-copy',
      message:
        claims.chain === undefined
          ? 'possible copy: this installation has checked online since, but the challenge carries no check chain value (a copy, an older backup, or an older SDK)'
          : 'possible copy: the challenge carries a check chain value older than this installation\u2019s newest online check, so it comes from a copy of the installation or from an older backup of it, or the installation checked online after making it (a challenge that waited, or the older of two). Issuing lets the installation that made this challenge go on checking and closes any open fork, without cutting off the one that checked since: if both are running, their next divergent check opens a new fork.',
    });
  }
  const fork = open[0];
  if (fork !== undefined) {
    findings.push({
      kind: 'fork-open',
      message: `possible copy: the verify service saw this installation's checks fork (${fork.id}, ${fork.divergentChecks} divergent checks since ${new Date(fork.detectedAt).toISOString()}). A key for this challenge closes it.`,
    });
  }
  return findings;
}

/**
 * After a key answering a challenge is stored: the installation that made the challenge goes on
 * from the challenge's chain value, the open fork closes. What the chain accepted before stays
 * accepted (`rebindChain`): a challenge older than the installation's newest check is no fork.
 */
export async function rebindAfterIssue(
  context: IssuerContext,
  claims: ChallengeClaims,
  licenseId: string,
  operator: Operator,
): Promise<void> {
  const closed = await rebindChain(context.store.chains, {
    installationId: claims.sub,
    licenseId,
    chain: claims.chain ?? null,
    now: context.now(),
    operator,
    reason: `a key was issued for challenge ${claims.jti}`,
  });
  if (closed !== null) {
    await context.store.appendAuditEvent({
      id: newId('evt'),
      at: context.now(),
      actor: operator,
      action: 'fork.close',
      subjectId: licenseId,
      transactionId: null,
      details: { forkId: closed.id, reason: closed.closeReason },
    });
  }
}
