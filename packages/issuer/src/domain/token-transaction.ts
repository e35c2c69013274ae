// Builds a transaction that signs a license token: the next revision of a license (or the first
// of a new one), bound to an installation, with the records the transaction leads to. Issuing,
// renewing and approving a request all end here.

import {
  type LicenseClaims,
  type LicenseModel,
  type PublicJwk,
  signLicense,
} from '@licensor/token';
import { newId } from '../ids.js';
import type {
  Customer,
  Installation,
  License,
  Operator,
  Term,
  Terms,
  Transaction,
  TransactionKind,
} from '../types.js';
import { activeLicenseKey, type IssuerContext, nowSeconds } from './context.js';

export interface TokenPlan {
  kind: Extract<TransactionKind, 'issue' | 'renew' | 'model-switch' | 'rehost'>;
  operator: Operator;
  /** The license before this token; null for a new license. */
  license: License | null;
  /** The customer as stored, or a new one (version 0: not stored yet). */
  customer: Customer;
  customerName: string;
  installation: {
    id: string;
    publicKey: PublicJwk;
    product: Installation['product'] | null;
    record: Installation | null;
  };
  model: LicenseModel;
  credentials: number;
  term: Term | null;
  challengeHash: string | null;
  challengeId: string | null;
  requestId: string | null;
  terms: Terms | null;
}

/** A customer not stored yet: version 0, so its first write is version 1. */
export function newCustomer(name: string, at: number): Customer {
  return { id: newId('cus'), name, version: 0, createdAt: at, updatedAt: at };
}

export async function buildTokenTransaction(
  context: IssuerContext,
  plan: TokenPlan,
): Promise<Transaction> {
  const at = context.now();
  const iat = nowSeconds(context);
  const key = await activeLicenseKey(context);
  const transactionId = newId('txn');
  const licenseId = plan.license?.id ?? newId('lic');
  const revision = (plan.license?.revision ?? 0) + 1;

  const customerChanged = plan.customer.version === 0 || plan.customer.name !== plan.customerName;
  const customerAfter: Customer | null = customerChanged
    ? {
        ...plan.customer,
        name: plan.customerName,
        version: plan.customer.version + 1,
        updatedAt: at,
      }
    : null;

  const claims: LicenseClaims = {
    v: 1,
    jti: transactionId,
    lid: licenseId,
    rev: revision,
    iat,
    sub: plan.installation.id,
    chal: plan.challengeHash,
    customer: { id: plan.customer.id, name: plan.customerName },
    model: plan.model,
    credentials: plan.credentials,
    term: plan.term,
  };
  const token = signLicense(claims, key);

  const installationAfter: Installation | null =
    plan.installation.product === null
      ? null
      : {
          id: plan.installation.id,
          publicKey: plan.installation.publicKey,
          product: plan.installation.product,
          firstSeenAt: plan.installation.record?.firstSeenAt ?? at,
          lastSeenAt: Math.max(at, (plan.installation.record?.lastSeenAt ?? 0) + 1),
        };

  const licenseAfter: License = {
    id: licenseId,
    customerId: plan.customer.id,
    customerName: plan.customerName,
    state: 'active',
    model: plan.model,
    credentials: plan.credentials,
    revision,
    term: plan.term,
    installationId: plan.installation.id,
    installationKey: plan.installation.publicKey,
    latestToken: token,
    latestTransactionId: transactionId,
    stateReason: null,
    seq: (plan.license?.seq ?? 0) + 1,
    createdAt: plan.license?.createdAt ?? at,
    updatedAt: at,
  };

  return {
    id: transactionId,
    kind: plan.kind,
    at,
    operator: plan.operator,
    licenseId,
    customerId: plan.customer.id,
    installationId: plan.installation.id,
    seq: licenseAfter.seq,
    revision,
    challengeHash: plan.challengeHash,
    challengeId: plan.challengeId,
    requestId: plan.requestId,
    terms: plan.terms,
    token,
    kid: key.kid,
    reason: null,
    licenseAfter,
    customerAfter,
    installationAfter,
    applied: false,
  };
}
