// Builds a transaction that signs a license token: the next revision of a license (or the first
// of a new one), bound to an installation, with the records the transaction leads to. Issuing,
// renewing and approving a request all end here. It reads nothing: the caller has read the
// records and opened the signing key; this only decides and signs.

import {
  type JwsSigner,
  type LicenseClaims,
  type LicenseModel,
  newId,
  type PublicJwk,
  signLicenseWith,
} from '@licensor/token';
import { entitlementClaims } from '../catalog/entitle.js';
import type { LicenseEntitlements } from '../catalog/types.js';
import type { IssueResult } from '../facade.js';
import type {
  Customer,
  Installation,
  License,
  Operator,
  Term,
  Terms,
  TokenTransaction,
} from '../records.js';
import type { LicenseSigning } from './product-keys.js';

export interface TokenPlan {
  kind: TokenTransaction['kind'];
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
  /** The plan and entitlements of this token; undefined = those the license has. */
  entitlements?: LicenseEntitlements | undefined;
}

/** A customer not stored yet: version 0, so its first write is version 1. */
export function newCustomer(name: string, at: number): Customer {
  return { id: newId('cus'), name, version: 0, createdAt: at, updatedAt: at };
}

/** The customer a license names, when its record is missing (a store written before customers). */
export function customerOfLicense(license: License): Customer {
  return {
    id: license.customerId,
    name: license.customerName,
    version: 1,
    createdAt: license.createdAt,
    updatedAt: license.createdAt,
  };
}

/** What issuing, renewing and approving return once their transaction is stored. */
export function issued(transaction: TokenTransaction): IssueResult {
  return {
    token: transaction.token,
    transaction,
    license: transaction.licenseAfter,
    replayed: false,
  };
}

/**
 * The transaction of `plan`, its token signed at `at` (ms) by `signing`: one key, or the key
 * the token's claims call for (a product's own key, product-keys.ts).
 */
export async function buildTokenTransaction(
  plan: TokenPlan,
  signing: JwsSigner | LicenseSigning,
  at: number,
): Promise<TokenTransaction> {
  const iat = Math.floor(at / 1000);
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

  const entitlements = plan.entitlements ?? plan.license?.entitlements;
  const claims: LicenseClaims = {
    ...entitlementClaims(entitlements),
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
  const key = 'forClaims' in signing ? signing.forClaims(claims) : signing;
  const token = await signLicenseWith(claims, key);

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
    ...(entitlements === undefined ? {} : { entitlements }),
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
