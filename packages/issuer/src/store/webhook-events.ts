// The webhook events a store write leads to, computed the same way for both adapters so that the
// outbox is written by the same write as the change (the transaction's commit, the request's
// insert). Ids are fixed by the change: writing an event twice (roll-forward) changes nothing.

import { createHash } from 'node:crypto';
import type { ApprovalRequest, License, Transaction } from '../records.js';
import type { OutboxEvent, WebhookDelivery, WebhookEventType } from './automation-port.js';

const TYPE_OF_KIND: Record<Transaction['kind'], WebhookEventType | null> = {
  issue: 'license.issued',
  renew: 'license.renewed',
  reissue: 'license.reissued',
  // The same license re-signed by a newly activated license key: a new token, as for a reissue.
  resign: 'license.reissued',
  revoke: 'license.revoked',
  suspend: 'license.suspended',
  resume: 'license.resumed',
  'model-switch': 'request.approved',
  rehost: 'request.approved',
  'reject-request': 'request.rejected',
  'rename-customer': null,
};

/** What receivers see of a license: the facts, not the token. */
export function licenseSummary(license: License): Record<string, unknown> {
  return {
    licenseId: license.id,
    customerId: license.customerId,
    customerName: license.customerName,
    state: license.state,
    model: license.model,
    credentials: license.credentials,
    revision: license.revision,
    term: license.term,
    installationId: license.installationId,
  };
}

export function webhookEventOfTransaction(transaction: Transaction): OutboxEvent | null {
  const type = TYPE_OF_KIND[transaction.kind];
  if (type === null) return null;
  const data: Record<string, unknown> = {
    transactionId: transaction.id,
    operator: transaction.operator,
    ...(transaction.licenseAfter === null ? {} : licenseSummary(transaction.licenseAfter)),
  };
  if (transaction.licenseId !== null) data.licenseId = transaction.licenseId;
  if (transaction.requestId !== null) data.requestId = transaction.requestId;
  if (transaction.reason !== null) data.reason = transaction.reason;
  if (transaction.kind === 'model-switch' || transaction.kind === 'rehost') {
    data.requestKind = transaction.kind;
  }
  return { id: `msg_${transaction.id.slice(4)}`, type, at: transaction.at, data };
}

export function webhookEventOfRequest(request: ApprovalRequest): OutboxEvent {
  return {
    id: `msg_rq_${request.challengeHash.slice(0, 43)}`,
    type: 'request.created',
    at: request.createdAt,
    data: {
      requestId: request.id,
      requestKind: request.kind,
      licenseId: request.licenseId,
      installationId: request.installationId,
      asked: request.asked,
      operator: request.createdBy,
    },
  };
}

/** A delivery's id is fixed by its endpoint and event: one delivery per pair, however often made. */
export function deliveryIdOf(endpointId: string, eventId: string): string {
  return `dlv_${createHash('sha256').update(`${endpointId}\u0000${eventId}`).digest('base64url').slice(0, 27)}`;
}

export function newDelivery(endpointId: string, event: OutboxEvent, now: number): WebhookDelivery {
  return {
    id: deliveryIdOf(endpointId, event.id),
    endpointId,
    eventId: event.id,
    eventType: event.type,
    status: 'pending',
    attempts: 0,
    createdAt: now,
    nextAttemptAt: now,
    leaseUntil: 0,
    lastAttemptAt: null,
    lastStatus: null,
    lastDurationMs: null,
    lastError: null,
    deliveredAt: null,
  };
}
