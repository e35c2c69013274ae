// Reads a pasted challenge against the records: verifies its signature, then finds what the
// vendor must know before answering it. Shared by `inspect` (which shows it) and `issue`,
// `approveRequest` (which act on it).

import { challengeHash, newId, type VerifiedChallenge, verifyChallenge } from '@licensor/token';
import type { Finding } from '../facade.js';
import type {
  ApprovalRequest,
  Installation,
  License,
  Operator,
  RequestKind,
  TokenTransaction,
} from '../records.js';
import { currentLicense, type IssuerContext, nowSeconds } from './context.js';

export interface ChallengeAnalysis {
  verified: VerifiedChallenge;
  hash: string;
  expired: boolean;
  license: License | null;
  installation: Installation | null;
  /** Other licenses bound to this installation. */
  boundElsewhere: License[];
  transaction: TokenTransaction | null;
  /** The approval request stored for this challenge, if any. */
  request: ApprovalRequest | null;
  /** The approval this challenge needs, when answering it is not a plain issue. */
  approvalKind: RequestKind | null;
  findings: Finding[];
}

/** `verified`: this challenge, already verified by the caller (it is not verified twice). */
export async function analyseChallenge(
  context: IssuerContext,
  challenge: string,
  verified: VerifiedChallenge = verifyChallenge(challenge),
): Promise<ChallengeAnalysis> {
  const { claims, installationId } = verified;
  const hash = challengeHash(verified.token);
  const store = context.store;
  const findings: Finding[] = [];
  const note = (kind: Finding['kind'], message: string) => findings.push({ kind, message });

  const claimedId = claims.license?.id ?? null;
  // Independent reads, in parallel: on MongoDB each is a round trip.
  const [transaction, request, installation, bound, claimedLicense] = await Promise.all([
    store.findTransactionByChallenge(hash),
    store.findRequestByChallenge(hash),
    store.getInstallation(installationId),
    store.listLicensesOfInstallation(installationId),
    claimedId === null ? null : currentLicense(context, claimedId),
  ]);
  if (transaction !== null) {
    const answered =
      transaction.licenseAfter === null
        ? ''
        : `, license ${transaction.licenseAfter.id} of ${transaction.licenseAfter.customerName}`;
    note(
      'already-issued',
      `a key was issued for this challenge (transaction ${transaction.id}${answered}): issuing again gives that key back, unchanged`,
    );
  }
  if (installation === null) note('new-installation', 'this installation has never been seen');
  // The license this challenge named, or the one a key for this challenge created, is not "elsewhere".
  const own = new Set([claimedId, transaction?.licenseId ?? null]);
  const boundElsewhere = bound.filter(
    (license) => !own.has(license.id) && license.installationId === installationId,
  );
  for (const other of boundElsewhere) {
    note(
      'installation-bound-elsewhere',
      `this installation holds license ${other.id} of ${other.customerName}`,
    );
  }

  const license: License | null = claimedLicense;
  let approvalKind: RequestKind | null = null;
  if (claims.license !== null) {
    if (license === null) {
      note('license-unknown', `license ${claims.license.id} is not in this store`);
    } else {
      if (license.installationId !== installationId) {
        approvalKind = 'rehost';
        note(
          'rehost',
          `license ${license.id} is bound to installation ${license.installationId}: this is a move to another machine, or a copy`,
        );
      }
      if (claims.license.revision < license.revision) {
        note(
          'revision-behind',
          `the installation holds revision ${claims.license.revision}; the record is at ${license.revision} (a newer key was issued and not applied)`,
        );
      } else if (claims.license.revision > license.revision) {
        note(
          'revision-ahead',
          `the installation claims revision ${claims.license.revision}; this store never issued beyond ${license.revision}`,
        );
      }
      if (license.state !== 'active') {
        note(
          license.state === 'revoked' ? 'license-revoked' : 'license-suspended',
          `license ${license.id} is ${license.state}`,
        );
      }
    }
  }

  const asked = claims.request;
  const currentModel = license?.model ?? claims.license?.model;
  if (asked.kind === 'model-switch') {
    approvalKind ??= license === null ? null : 'model-switch';
    note(
      'model-switch',
      `the installation asks to switch from ${currentModel ?? 'no license'} to ${asked.model}`,
    );
  } else if (license !== null && asked.model !== undefined && asked.model !== license.model) {
    // A plain challenge asking for another model than the license in force (`licensor challenge
    // --model`) is a model switch too: only an approved request makes it (issue refuses it).
    note(
      'model-switch',
      `the installation asks for a ${asked.model} license, but license ${license.id} is ${license.model}: that is a model switch, which needs approval. The customer asks for it with Activate (licensor activate ${asked.model}), you approve the request that challenge makes; a key issued for this challenge keeps ${license.model} (issuing with --model ${asked.model} is refused)`,
    );
  }
  // A change is a finding only against a license in force: for a first license, what the
  // installation asks for is simply the request (the suggested terms carry it).
  const currentCredentials = license?.credentials;
  if (
    asked.credentials !== undefined &&
    currentCredentials !== undefined &&
    asked.credentials !== currentCredentials
  ) {
    note(
      'credentials-change',
      `the installation asks for ${asked.credentials} credentials (now ${currentCredentials})`,
    );
  }
  const currentName = license?.customerName ?? claims.license?.customerName;
  if (
    asked.customerName !== undefined &&
    currentName !== undefined &&
    asked.customerName !== currentName
  ) {
    note(
      'customer-name-change',
      `the installation asks for the customer name "${asked.customerName}"`,
    );
  }
  const expired = claims.exp < nowSeconds(context);
  if (expired) {
    note(
      'challenge-expired',
      `the challenge expired at ${new Date(claims.exp * 1000).toISOString()}`,
    );
  }

  return {
    verified,
    hash,
    expired,
    license,
    installation,
    boundElsewhere,
    transaction,
    request,
    approvalKind,
    findings,
  };
}

/** The approval request for a challenge: the stored one, or a new pending one. */
export async function requestFor(
  context: IssuerContext,
  analysis: ChallengeAnalysis,
  operator: Operator,
): Promise<ApprovalRequest | null> {
  if (analysis.request !== null) return analysis.request;
  if (analysis.approvalKind === null || analysis.license === null) return null;
  if (analysis.transaction !== null || analysis.expired) return null;
  const id = newId('req');
  const stored = await context.store.putRequest({
    id,
    kind: analysis.approvalKind,
    status: 'pending',
    licenseId: analysis.license.id,
    installationId: analysis.verified.installationId,
    challenge: analysis.verified.token,
    challengeHash: analysis.hash,
    asked: analysis.verified.claims.request,
    createdAt: context.now(),
    createdBy: operator,
    decidedAt: null,
    decidedBy: null,
    reason: null,
    transactionId: null,
  });
  if (stored.id === id) {
    await context.store.appendAuditEvent({
      id: newId('evt'),
      at: stored.createdAt,
      actor: operator,
      action: 'request.create',
      subjectId: stored.licenseId,
      transactionId: null,
      details: { requestId: id, kind: stored.kind, asked: stored.asked },
    });
  }
  return stored;
}
