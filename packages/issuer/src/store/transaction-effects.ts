// What applying a transaction writes, computed the same way for both adapters: the unique keys
// that order the log, the audit event, and the decision on an approval request. Every effect is
// keyed so that writing it a second time changes nothing (the roll-forward after a crash).

import { StoreSchemaError } from '../errors.js';
import { auditIdOfTransaction } from '../ids.js';
import type { ApprovalRequest, AuditEvent, TokenTransaction, Transaction } from '../records.js';

/** The writes of a commit, in order. A crash can stop the sequence after any of them. */
export const WRITE_STEPS = [
  'transaction',
  'customer',
  'installation',
  'license',
  'request',
  'audit',
  'outbox',
  'applied',
] as const;
export type WriteStep = (typeof WRITE_STEPS)[number];

/** Test hook: called after each write step; throwing from it simulates a crash there. */
export type WriteStepHook = (step: WriteStep, transaction: Transaction) => void;

export interface TransactionKeys {
  /** One transaction per challenge: the challenge hash, or the transaction's own id. */
  dedupeKey: string;
  /** One transaction per position in a license's log. */
  licenseSlot: string;
  /** One transaction per version of a customer. */
  customerSlot: string;
}

export function transactionKeys(transaction: Transaction): TransactionKeys {
  const own = `txn:${transaction.id}`;
  const isAnswer = transaction.token !== null && transaction.challengeHash !== null;
  return {
    dedupeKey: isAnswer ? `chal:${transaction.challengeHash}` : own,
    licenseSlot:
      transaction.licenseAfter !== null
        ? `lic:${transaction.licenseAfter.id}:${transaction.licenseAfter.seq}`
        : own,
    customerSlot:
      transaction.customerAfter !== null
        ? `cus:${transaction.customerAfter.id}:${transaction.customerAfter.version}`
        : own,
  };
}

export function challengeDedupeKey(challengeHash: string): string {
  return `chal:${challengeHash}`;
}

/** The kinds that sign a token: a Record, so that a new token kind fails typecheck until listed. */
const TOKEN_KINDS: Record<TokenTransaction['kind'], true> = {
  issue: true,
  renew: true,
  reissue: true,
  resign: true,
  'model-switch': true,
  rehost: true,
};

/** A stored transaction found by its challenge: only a transaction that signs a token has one. */
export function asAnswer(transaction: Transaction): TokenTransaction {
  if (!Object.hasOwn(TOKEN_KINDS, transaction.kind) || transaction.token === null) {
    throw new StoreSchemaError(
      `transaction ${transaction.id} (${transaction.kind}) holds a challenge slot but signs no token: the store was written by something else`,
    );
  }
  return transaction as TokenTransaction;
}

const ACTIONS: Record<Transaction['kind'], string> = {
  issue: 'license.issue',
  renew: 'license.renew',
  reissue: 'license.reissue',
  'model-switch': 'request.approve',
  rehost: 'request.approve',
  resign: 'license.resign',
  revoke: 'license.revoke',
  suspend: 'license.suspend',
  resume: 'license.resume',
  'reject-request': 'request.reject',
  'rename-customer': 'customer.rename',
};

export function auditEventOf(transaction: Transaction): AuditEvent {
  const details: Record<string, unknown> = { kind: transaction.kind };
  if (transaction.revision !== null) details.revision = transaction.revision;
  if (transaction.terms !== null) details.terms = transaction.terms;
  if (transaction.requestId !== null) details.requestId = transaction.requestId;
  if (transaction.reason !== null) details.reason = transaction.reason;
  if (transaction.customerAfter !== null) details.customerName = transaction.customerAfter.name;
  if (transaction.installationId !== null) details.installationId = transaction.installationId;
  return {
    id: auditIdOfTransaction(transaction.id),
    at: transaction.at,
    actor: transaction.operator,
    action: ACTIONS[transaction.kind],
    subjectId: transaction.licenseId ?? transaction.customerId,
    transactionId: transaction.id,
    details,
  };
}

/** The fields of the request a transaction decides (only over a pending request). */
export function requestDecisionOf(
  transaction: Transaction,
): Pick<ApprovalRequest, 'status' | 'decidedAt' | 'decidedBy' | 'reason' | 'transactionId'> | null {
  if (transaction.requestId === null) return null;
  return {
    status: transaction.kind === 'reject-request' ? 'rejected' : 'approved',
    decidedAt: transaction.at,
    decidedBy: transaction.operator,
    reason: transaction.reason,
    transactionId: transaction.id,
  };
}
