// `rejectRequest(requestId)`: the vendor declines a model switch or a rehost. Recorded as a
// transaction; issuing for that challenge is refused afterwards.

import { newId } from '@licensor/token';
import { RequestDecidedError, RequestNotFoundError } from '../errors.js';
import type { ApprovalRequest, Operator, Transaction } from '../records.js';
import { checkOperator, type IssuerContext } from './context.js';
import { checkReason } from './license-state.js';

export async function rejectRequest(
  context: IssuerContext,
  requestId: string,
  operator: Operator,
  reason?: string,
): Promise<ApprovalRequest> {
  const request = await context.store.getRequest(requestId);
  if (request === null) throw new RequestNotFoundError(requestId);
  if (request.status !== 'pending') throw new RequestDecidedError(requestId, request.status);
  const transaction: Transaction = {
    id: newId('txn'),
    kind: 'reject-request',
    at: context.now(),
    operator: checkOperator(operator),
    licenseId: request.licenseId,
    customerId: null,
    installationId: request.installationId,
    seq: null,
    revision: null,
    challengeHash: request.challengeHash,
    challengeId: null,
    requestId,
    terms: null,
    token: null,
    kid: null,
    reason: checkReason(reason),
    licenseAfter: null,
    customerAfter: null,
    installationAfter: null,
    applied: false,
  };
  await context.store.commitTransaction(transaction);
  const decided = (await context.store.getRequest(requestId))!;
  // Approved by someone else in the meantime: the request says so, and so does the error.
  if (decided.transactionId !== transaction.id) {
    throw new RequestDecidedError(requestId, decided.status);
  }
  return decided;
}
