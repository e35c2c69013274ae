// "View License": the fields the CMS page shows, taken from the token in force and the newest
// signed status, with the state, the pending requests and the clock report.
import type { LicenseModel } from '@licensor/token';
import { type Clock, readClock } from './clock.js';
import type { Context } from './context.js';
import { entitlementsAt } from './entitlements.js';
import { evaluateLicense } from './license-state.js';
import type { ClosedChallenge, PendingChallenge, Snapshot } from './snapshot.js';
import type { ClosedRequest, LicenseInfo, PendingRequest } from './types.js';

export function toPendingRequest(pending: PendingChallenge): PendingRequest {
  return {
    id: pending.claims.jti,
    kind: pending.claims.request.kind,
    request: pending.claims.request,
    createdAt: pending.claims.iat,
    expiresAt: pending.claims.exp,
    requestedBy: pending.stored.requestedBy,
    challenge: pending.stored.token,
  };
}

export function toClosedRequest(closed: ClosedChallenge): ClosedRequest {
  return {
    ...toPendingRequest(closed),
    outcome: closed.stored.outcome,
    closedAt: closed.stored.closedAt,
    closedBy: closed.stored.closedBy,
    reason: closed.stored.reason,
  };
}

export function pendingRequests(snapshot: Snapshot, clock: Clock): PendingRequest[] {
  return snapshot.pending
    .filter((pending) => pending.claims.exp >= clock.effective)
    .map(toPendingRequest)
    .sort((a, b) => a.createdAt - b.createdAt);
}

function pendingModelSwitch(
  requests: PendingRequest[],
  current: LicenseModel | null,
): LicenseModel | null {
  for (const request of [...requests].reverse()) {
    const target = request.request.model;
    if (request.kind === 'model-switch' && target !== undefined && target !== current)
      return target;
  }
  return null;
}

export function describeLicense(context: Context, snapshot: Snapshot, clock: Clock): LicenseInfo {
  const license = snapshot.license;
  const evaluation = evaluateLicense(snapshot, clock);
  const requests = pendingRequests(snapshot, clock);
  // Last verify time and result belong to the license in force, not to one it replaced.
  const status = snapshot.lastStatus?.lid === license?.lid ? snapshot.lastStatus : null;
  return {
    state: evaluation.state,
    stateReason: evaluation.reason,
    installationId: snapshot.installationId,
    product: context.product,
    type: license?.model ?? null,
    customer: license?.customer.name ?? null,
    customerId: license?.customer.id ?? null,
    licenseId: license?.lid ?? null,
    revision: license?.rev ?? null,
    credentials: license?.credentials ?? null,
    issuedAt: license?.iat ?? null,
    appliedAt: snapshot.stored.license?.appliedAt ?? null,
    transactionId: license?.jti ?? null,
    lastVerifyTime: status?.iat ?? null,
    lastVerifyResult: status?.outcome ?? null,
    lastCheckAttempt: snapshot.stored.lastAttempt,
    term: license?.term ?? null,
    usableUntil: evaluation.usableUntil,
    checkBy: evaluation.checkBy,
    pendingRequests: requests,
    pendingModelSwitch: pendingModelSwitch(requests, license?.model ?? null),
    closedRequests: snapshot.closed.map(toClosedRequest),
    keysetVersion: snapshot.trust.seq,
    clock: {
      local: clock.local,
      trusted: clock.trusted,
      highestSeen: clock.highestSeen,
      rollbackDetected: clock.rollbackDetected,
      offset: clock.offset,
      offsetText: clock.offsetText,
    },
    forked: status?.forked === true,
    plan: license?.plan ?? null,
    products: license?.products ?? null,
    ...entitlementsAt(license, clock.effective, clock.rollbackDetected),
  };
}

export function currentInfo(context: Context, snapshot: Snapshot): LicenseInfo {
  return describeLicense(context, snapshot, readClock(context, snapshot.stored));
}
