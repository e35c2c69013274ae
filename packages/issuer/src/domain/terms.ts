// Terms the vendor gives when issuing: checked, normalised, compared (for idempotent issuing)
// and turned into the claims' subscription term.

import { textRefusal } from '@licensor/token';
import { normaliseEntitlementTerms, sameEntitlementTerms } from '../catalog/entitle.js';
import { TermsInvalidError } from '../errors.js';
import type { Term, Terms } from '../records.js';

import { DEFAULT_GRACE_DAYS, DEFAULT_TERM_DAYS, TERMS_LIMITS } from './terms-limits.js';

export { DEFAULT_GRACE_DAYS, DEFAULT_TERM_DAYS, TERMS_LIMITS };

const DAY = 86_400;

function days(field: 'termDays' | 'graceDays', value: unknown): number {
  const { min, max } = TERMS_LIMITS[field];
  if (field === 'graceDays' && value === 0) {
    throw new TermsInvalidError(
      field,
      `must be at least ${min} day: with no grace the installation could use its license only ` +
        'at the instant of an online check',
    );
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TermsInvalidError(field, `must be a whole number of days from ${min} to ${max}`);
  }
  return value;
}

/** Checks the terms and returns them trimmed, with only the members that apply. */
export function normaliseTerms(terms: Terms): Terms {
  if (typeof terms !== 'object' || terms === null)
    throw new TermsInvalidError('terms', 'are missing');
  const customerName = typeof terms.customerName === 'string' ? terms.customerName.trim() : '';
  const name = TERMS_LIMITS.customerName;
  if (customerName.length < name.minLength || customerName.length > name.maxLength) {
    throw new TermsInvalidError(
      'customerName',
      `must be ${name.minLength} to ${name.maxLength} characters`,
    );
  }
  // What a token refuses to carry (@licensor/token): stored, it would block every later key.
  const why = textRefusal(customerName);
  if (why !== null) throw new TermsInvalidError('customerName', why);
  if (terms.model !== 'perpetual' && terms.model !== 'subscription') {
    throw new TermsInvalidError('model', 'must be "perpetual" or "subscription"');
  }
  const credentials = terms.credentials;
  const { min, max } = TERMS_LIMITS.credentials;
  if (!Number.isInteger(credentials) || credentials < min || credentials > max) {
    throw new TermsInvalidError('credentials', `must be a whole number from ${min} to ${max}`);
  }
  const normal: Terms = {
    customerName,
    model: terms.model,
    credentials,
    ...normaliseEntitlementTerms(terms),
  };
  if (terms.customerId !== undefined) {
    if (
      typeof terms.customerId !== 'string' ||
      !/^cus_[A-Za-z0-9_-]{1,60}$/.test(terms.customerId)
    ) {
      throw new TermsInvalidError('customerId', 'must be a customer id (cus_…)');
    }
    normal.customerId = terms.customerId;
  }
  if (terms.model === 'perpetual') {
    if (terms.termDays !== undefined)
      throw new TermsInvalidError('termDays', 'applies to subscriptions only');
    if (terms.graceDays !== undefined)
      throw new TermsInvalidError('graceDays', 'applies to subscriptions only');
    return normal;
  }
  if (terms.termDays !== undefined) normal.termDays = days('termDays', terms.termDays);
  if (terms.graceDays !== undefined) normal.graceDays = days('graceDays', terms.graceDays);
  return normal;
}

/** Same terms as an earlier issue: a customer id given now must be the one used then. */
export function sameTerms(asked: Terms, stored: Terms, storedCustomerId: string | null): boolean {
  return (
    asked.customerName === stored.customerName &&
    asked.model === stored.model &&
    asked.credentials === stored.credentials &&
    (asked.termDays ?? null) === (stored.termDays ?? null) &&
    (asked.graceDays ?? null) === (stored.graceDays ?? null) &&
    (asked.customerId === undefined || asked.customerId === storedCustomerId) &&
    sameEntitlementTerms(asked, stored)
  );
}

/**
 * The subscription term of a token: a new term from now when `termDays` is given or the license
 * was not a subscription; otherwise the license's current term (an upgrade mid-term).
 */
export function termFor(terms: Terms, current: Term | null, nowSec: number): Term | null {
  if (terms.model === 'perpetual') return null;
  const grace = (terms.graceDays ?? (current ? current.grace / DAY : DEFAULT_GRACE_DAYS)) * DAY;
  if (terms.termDays === undefined && current !== null) return { ...current, grace };
  const length = (terms.termDays ?? DEFAULT_TERM_DAYS) * DAY;
  return { start: nowSec, end: nowSec + length, grace };
}

/** A renewal: the term grows by `termDays` from its end (or from now, when it has ended). */
export function renewedTerm(
  current: Term,
  termDays: number,
  graceDays: number | undefined,
  nowSec: number,
): Term {
  const length = days('termDays', termDays) * DAY;
  const grace = graceDays === undefined ? current.grace : days('graceDays', graceDays) * DAY;
  return { start: current.start, end: Math.max(current.end, nowSec) + length, grace };
}

export function subscriptionTerm(
  termDays: number | undefined,
  graceDays: number | undefined,
  nowSec: number,
): Term {
  const length = days('termDays', termDays ?? DEFAULT_TERM_DAYS) * DAY;
  const grace = days('graceDays', graceDays ?? DEFAULT_GRACE_DAYS) * DAY;
  return { start: nowSec, end: nowSec + length, grace };
}
