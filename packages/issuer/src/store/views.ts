// Projections shared by both adapters.

import { decodeChallengeUnverified, MAX_STATUS_REJECTIONS } from '@licensor/token';
import type { ApprovalRequest, CheckView, DeclinedRequestView, License } from '../records.js';

/**
 * How many declined requests of a license a check view carries: twice what a status relays, so
 * that requests of another installation of the license (a rehost) leave room for its own.
 */
export const DECLINED_IN_VIEW = 2 * MAX_STATUS_REJECTIONS;

/**
 * The view one check reads: the license, and the requests of it the vendor declined (newest
 * first, at most DECLINED_IN_VIEW; the adapters read them by license, newest first).
 */
export function checkViewOf(license: License, declined: ApprovalRequest[] = []): CheckView {
  const view: CheckView = {
    licenseId: license.id,
    state: license.state,
    model: license.model,
    revision: license.revision,
    term: license.term,
    installationId: license.installationId,
    installationKey: license.installationKey,
    latestToken: license.latestToken,
  };
  const rejected = declined
    .filter((request) => request.status === 'rejected')
    .slice(0, DECLINED_IN_VIEW)
    .map(declinedView);
  if (rejected.length > 0) view.rejected = rejected;
  return view;
}

/** The challenge's `exp`; 0 (never relayed) for a stored challenge that no longer reads. */
function challengeEnd(challenge: string): number {
  try {
    return decodeChallengeUnverified(challenge).claims.exp;
  } catch {
    return 0;
  }
}

function declinedView(request: ApprovalRequest): DeclinedRequestView {
  return {
    installationId: request.installationId,
    challengeHash: request.challengeHash,
    expiresAt: challengeEnd(request.challenge),
    decidedAt: request.decidedAt ?? request.createdAt,
    reason: request.reason,
  };
}
