// `renew(licenseId, { termDays })`: a subscription token with a longer term. It answers no
// challenge (`chal: null`); the verify service hands it to the installation at its next check.
// A license of a plan renews by the plan's renewal policy: the days it adds (renewalDays), the
// grace it sets (renewalGraceDays), how early it may be renewed (renewalWindowDays); days or a
// grace the operator gives must lie within the plan's term and grace bounds.

import { findPlan } from '../catalog/catalog.js';
import {
  InputInvalidError,
  LicenseNotFoundError,
  LicenseStateError,
  NotSubscriptionError,
  RenewalTooEarlyError,
  TermsInvalidError,
} from '../errors.js';
import type { IssueResult, RenewOptions } from '../facade.js';
import type { Operator } from '../records.js';
import { commitWithRetry } from './commit.js';
import { checkOperator, currentLicense, type IssuerContext, nowSeconds } from './context.js';
import { licenseSigning } from './product-keys.js';
import { renewedTerm } from './terms.js';
import { buildTokenTransaction, customerOfLicense, issued } from './token-transaction.js';

/**
 * A renewal that holds only over the term it was decided on (the auto-renew job): when the
 * license's term end is no longer `termEnd` (another process renewed it meanwhile), nothing is
 * written and `RenewalOvertaken` is thrown. `reason` is recorded on the transaction.
 */
export interface RenewalGuard {
  termEnd: number;
  reason: string;
}

/** The term changed since the renewal was decided: another writer renewed it first. */
export class RenewalOvertaken extends Error {}

export async function renew(
  context: IssuerContext,
  licenseId: string,
  options: RenewOptions,
  operator: Operator,
  guard?: RenewalGuard,
): Promise<IssueResult> {
  const who = checkOperator(operator);
  const key = await licenseSigning(context);
  const committed = await commitWithRetry(context, `license ${licenseId}`, async () => {
    const license = await currentLicense(context, licenseId);
    if (license === null) throw new LicenseNotFoundError(licenseId);
    if (license.model !== 'subscription' || license.term === null) {
      throw new NotSubscriptionError(licenseId);
    }
    if (guard !== undefined && license.term.end !== guard.termEnd) throw new RenewalOvertaken();
    if (license.state !== 'active') {
      throw new LicenseStateError(
        license.state,
        `license ${licenseId} is ${license.state}: resume it before renewing`,
      );
    }
    if (license.installationId === null || license.installationKey === null) {
      throw new InputInvalidError('licenseId', `license ${licenseId} is bound to no installation`);
    }
    const customer = await context.store.getCustomer(license.customerId);
    // Without termDays, a license of a plan renews by the plan's renewal days.
    const planId = license.entitlements?.plan?.id;
    const plan = planId === undefined ? null : await findPlan(context, planId);
    const termDays = options.termDays ?? plan?.renewalDays ?? undefined;
    if (termDays === undefined) {
      throw new TermsInvalidError(
        'termDays',
        plan === null
          ? 'is required (the license has no plan): give the days to add'
          : `is required (plan "${plan.name}" sets no renewal days): give the days to add, or set the plan's renewalDays`,
      );
    }
    const graceDays = options.graceDays ?? plan?.renewalGraceDays ?? undefined;
    const now = nowSeconds(context);
    if (plan !== null) {
      withinPlan(plan.name, 'termDays', options.termDays, plan.termDays);
      withinPlan(plan.name, 'graceDays', options.graceDays, plan.graceDays);
      const window = plan.renewalWindowDays ?? null;
      if (window !== null && license.term.end - window * 86_400 > now) {
        throw new RenewalTooEarlyError(
          licenseId,
          plan.name,
          window,
          license.term.end - window * 86_400,
        );
      }
    }
    const term = renewedTerm(license.term, termDays, graceDays, now);
    const transaction = await buildTokenTransaction(
      {
        kind: 'renew',
        operator: who,
        license,
        customer: customer ?? customerOfLicense(license),
        customerName: customer?.name ?? license.customerName,
        installation: {
          id: license.installationId,
          publicKey: license.installationKey,
          product: null,
          record: null,
        },
        model: 'subscription',
        credentials: license.credentials,
        term,
        challengeHash: null,
        challengeId: null,
        requestId: null,
        terms: null,
      },
      key,
      context.now(),
    );
    return guard === undefined ? transaction : { ...transaction, reason: guard.reason };
  });
  if (committed.status !== 'committed') throw new Error('a renewal has no challenge');
  const { transaction } = committed;
  return issued(transaction);
}

/** Days the operator gives for a plan's license must lie within the plan's bounds. */
function withinPlan(
  planName: string,
  field: 'termDays' | 'graceDays',
  value: number | undefined,
  bound: { min: number; max: number } | null,
): void {
  if (value === undefined || bound === null) return;
  if (value < bound.min || value > bound.max) {
    throw new TermsInvalidError(
      field,
      `must be ${bound.min} to ${bound.max} days on plan "${planName}" (asked ${value})`,
    );
  }
}
