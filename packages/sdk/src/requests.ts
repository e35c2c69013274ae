// Requests closed without a license key (#16.14). A model switch the vendor declines reaches
// the installation with its next online check: a verified status lists the declined challenges
// by hash (status v2 `rejected`), and each pending one it names is closed as `rejected`, with
// the vendor's reason. An operator may also cancel a pending request here. Either way the
// challenge leaves the pending list (a key that answers it later is refused), stays listed as
// closed for the operator, and the operation that closed it is in the audit trail.
import { challengeHash, type StatusClaims } from '@licensor/token';
import { type Clock, readClock } from './clock.js';
import type { Context } from './context.js';
import { InputInvalidError, RequestUnknownError } from './errors.js';
import { toClosedRequest } from './info.js';
import { type ClosedChallenge, type Snapshot, saveState } from './snapshot.js';
import type { StoredClosedRequest, StoredState } from './store/store.js';
import type { ClosedRequest, Operator } from './types.js';

/** How many closed requests the state keeps (the newest). */
export const MAX_CLOSED_REQUESTS = 20;
/** Longest reason an operator may give for cancelling. */
export const MAX_CANCEL_REASON_LENGTH = 500;

function withClosed(
  state: StoredState,
  closing: StoredClosedRequest[],
  closedIds: ReadonlySet<string>,
): StoredState {
  return {
    ...state,
    pending: state.pending.filter((entry) => !closedIds.has(entry.id)),
    closed: [...closing, ...state.closed].slice(0, MAX_CLOSED_REQUESTS),
  };
}

/**
 * The pending requests a verified status says the vendor declined, closed in `state` (the
 * state about to be saved with that status). Requests it names that are not pending here
 * (already answered, cancelled, expired, or another installation's) are ignored.
 */
export function closeDeclined(
  snapshot: Snapshot,
  state: StoredState,
  status: StatusClaims,
): { state: StoredState; rejected: ClosedRequest[] } {
  const declined = status.rejected ?? [];
  if (declined.length === 0) return { state, rejected: [] };
  const closing: ClosedChallenge[] = [];
  for (const pending of snapshot.pending) {
    if (!state.pending.some((entry) => entry.id === pending.stored.id)) continue;
    const hash = challengeHash(pending.stored.token);
    const rejection = declined.find((entry) => entry.chal === hash);
    if (rejection === undefined) continue;
    closing.push({
      claims: pending.claims,
      stored: {
        ...pending.stored,
        outcome: 'rejected',
        closedAt: rejection.at,
        closedBy: 'vendor',
        reason: rejection.reason,
      },
    });
  }
  if (closing.length === 0) return { state, rejected: [] };
  const ids = new Set(closing.map((entry) => entry.stored.id));
  return {
    state: withClosed(
      state,
      closing.map((entry) => entry.stored),
      ids,
    ),
    rejected: closing.map(toClosedRequest),
  };
}

function checkReason(reason: unknown): string | null {
  if (reason === undefined || reason === null) return null;
  if (typeof reason !== 'string' || reason.length > MAX_CANCEL_REASON_LENGTH) {
    throw new InputInvalidError(
      `The reason must be text of at most ${MAX_CANCEL_REASON_LENGTH} characters.`,
    );
  }
  const trimmed = reason.trim();
  return trimmed === '' ? null : trimmed;
}

/**
 * Cancels a pending request here: its challenge is no longer held, so a key the vendor sends
 * for it is refused. The vendor is not told (their record of it stays as it is).
 */
export async function cancelRequest(
  context: Context,
  snapshot: Snapshot,
  operator: Operator,
  requestId: unknown,
  reason?: unknown,
): Promise<ClosedRequest> {
  if (typeof requestId !== 'string' || requestId.trim() === '') {
    throw new InputInvalidError('Name the request to cancel by its id (chl_…).');
  }
  const why = checkReason(reason);
  const clock: Clock = readClock(context, snapshot.stored);
  const pending = snapshot.pending.find(
    (entry) => entry.stored.id === requestId.trim() && entry.claims.exp >= clock.effective,
  );
  if (pending === undefined) {
    const closed = snapshot.closed.find((entry) => entry.stored.id === requestId.trim());
    throw new RequestUnknownError(
      closed === undefined
        ? `There is no pending request ${requestId.trim()}: it was answered by a key, expired, or never made here. \`licensor requests\` lists the pending ones.`
        : `Request ${requestId.trim()} is already closed: ${closed.stored.outcome === 'rejected' ? 'the vendor declined it' : `${closed.stored.closedBy} cancelled it`}.`,
    );
  }
  const stored: StoredClosedRequest = {
    ...pending.stored,
    outcome: 'cancelled',
    closedAt: clock.effective,
    closedBy: operator.id,
    reason: why,
  };
  const state = withClosed(snapshot.stored, [stored], new Set([stored.id]));
  await saveState(context, state, clock);
  return toClosedRequest({ stored, claims: pending.claims });
}

/** A sentence on a closed request, for the audit trail and the CLI. */
export function describeClosed(request: ClosedRequest): string {
  const why = request.reason === null ? '' : `: ${request.reason}`;
  return request.outcome === 'rejected'
    ? `the vendor declined request ${request.id}${why}`
    : `${request.closedBy} cancelled request ${request.id}${why}`;
}
