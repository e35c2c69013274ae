// The entitlements of a token about to be signed: from the plan the terms name (or the plan the
// license was issued from), checked against the plan's bounds, the installation's product and
// the use it reports. Read before the transaction is built, so a refusal stores nothing.

import type { ChallengeClaims } from '@licensor/token';
import { type IssuerContext, nowSeconds } from '../domain/context.js';
import type { License, Terms } from '../records.js';
import { requirePlan } from './catalog.js';
import {
  checkAgainstPlan,
  checkInstallation,
  entitlementsOfPlan,
  entitlementsWithoutPlan,
} from './entitle.js';
import type { LicenseEntitlements } from './types.js';

export interface EntitlementInput {
  terms: Terms;
  license: License | null;
  /** The challenge the token answers, or null (a renewal, a re-issue). */
  challenge: ChallengeClaims | null;
  /** Whether the model of the terms must be the plan's (not for an approved model switch). */
  enforceModel?: boolean;
}

/** Format version of the key an installation reads: the version of the challenge it made. */
export function tokenVersionFor(challenge: ChallengeClaims | null, license: License | null) {
  if (challenge !== null) return challenge.v;
  return license?.entitlements?.tokenVersion ?? 1;
}

/**
 * The entitlements for `terms`; undefined when there are none to record (no plan, no feature,
 * no limit, a version 1 installation): then the token is exactly what it was before plans.
 */
export async function entitlementsForTerms(
  context: IssuerContext,
  input: EntitlementInput,
): Promise<LicenseEntitlements | undefined> {
  const { terms, license, challenge } = input;
  const tokenVersion = tokenVersionFor(challenge, license);
  const overrides = { features: terms.features ?? [], limits: terms.limits ?? [] };
  const planRef = terms.plan ?? license?.entitlements?.plan?.id;
  let entitlements: LicenseEntitlements | undefined;
  if (planRef !== undefined) {
    const plan = await requirePlan(context, planRef);
    checkAgainstPlan(plan, {
      ...terms,
      model: input.enforceModel === false ? plan.model : terms.model,
      features: overrides.features,
      limits: overrides.limits,
    });
    const catalogue = await context.store.listProducts();
    entitlements = entitlementsOfPlan(
      plan,
      catalogue,
      overrides,
      tokenVersion,
      nowSeconds(context),
      license?.entitlements,
    );
  } else if (
    overrides.features.length > 0 ||
    overrides.limits.length > 0 ||
    tokenVersion === 2 ||
    license?.entitlements !== undefined
  ) {
    entitlements = entitlementsWithoutPlan(overrides, tokenVersion);
  }
  if (entitlements !== undefined && challenge !== null) {
    checkInstallation(entitlements, challenge.product, challenge.usage.limits);
  }
  return entitlements;
}

/**
 * Terms with the plan's term and grace filled in where the terms leave them out, for a license
 * that starts a term now (a new one, or one that was not a subscription): a license already in
 * a term keeps it (an add-on mid-term does not restart the term).
 */
export async function withPlanDefaults(
  context: IssuerContext,
  terms: Terms,
  license: License | null,
): Promise<Terms> {
  const planRef = terms.plan ?? license?.entitlements?.plan?.id;
  if (planRef === undefined || terms.model !== 'subscription') return terms;
  if (license !== null && license.term !== null) return terms;
  const plan = await requirePlan(context, planRef);
  const filled: Terms = { ...terms };
  if (filled.termDays === undefined && plan.termDays !== null)
    filled.termDays = plan.termDays.value;
  if (filled.graceDays === undefined && plan.graceDays !== null) {
    filled.graceDays = plan.graceDays.value;
  }
  return filled;
}
