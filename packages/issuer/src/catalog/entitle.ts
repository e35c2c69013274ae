// From a plan and what an issue asks to the entitlements a token carries: the plan's features,
// add-ons it allows, limits within its bounds, the products it covers. Every refusal names the
// field (`features`, `limits.sites`, `credentials`) and happens before anything is stored.

import {
  coversProduct,
  type FeatureGrant,
  type LicenseClaims,
  type LimitGrant,
  type LimitRequest,
  type LimitUsage,
  type Product,
  type ProductGrant,
} from '@licensor/token';
import { InputInvalidError, TermsInvalidError } from '../errors.js';
import type { License, Terms } from '../records.js';
import { ProductNotCoveredError } from './errors.js';
import { entitlementName, limitName } from './rules.js';
import type { CatalogProduct, LicenseEntitlements, Plan } from './types.js';

const DAY = 86_400;

const refuseTerms = (field: string, reason: string): never => {
  throw new TermsInvalidError(field, reason);
};

/** The entitlement members of issuing terms, checked and in canonical order. */
export function normaliseEntitlementTerms(
  terms: Pick<Terms, 'plan' | 'features' | 'limits'>,
): Pick<Terms, 'plan' | 'features' | 'limits'> {
  const normal: Pick<Terms, 'plan' | 'features' | 'limits'> = {};
  if (terms.plan !== undefined) {
    const plan = typeof terms.plan === 'string' ? terms.plan.trim() : '';
    if (plan === '' || plan.length > 100) refuseTerms('plan', 'must be a plan id or name');
    normal.plan = plan;
  }
  if (terms.features !== undefined) {
    if (!Array.isArray(terms.features)) refuseTerms('features', 'must be a list of feature names');
    const names = terms.features.map((f, i) => entitlementName(f, `features[${i}]`, refuseTerms));
    if (names.length > 0) normal.features = [...new Set(names)].sort();
  }
  if (terms.limits !== undefined) {
    if (!Array.isArray(terms.limits)) refuseTerms('limits', 'must be a list of { name, value }');
    const limits = terms.limits.map((l, i) => {
      const name = limitName(l?.name, `limits[${i}].name`, refuseTerms);
      const value = l?.value;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 1e9) {
        refuseTerms(`limits.${name}`, 'must be a whole number from 0 to 1000000000');
      }
      return { name, value };
    });
    const sorted = limits.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]!.name === sorted[i - 1]!.name) {
        refuseTerms(`limits.${sorted[i]!.name}`, 'is given twice');
      }
    }
    if (sorted.length > 0) normal.limits = sorted;
  }
  return normal;
}

/** Whether two terms ask for the same entitlements (for idempotent issuing). */
export function sameEntitlementTerms(a: Terms, b: Terms): boolean {
  return (
    (a.plan ?? null) === (b.plan ?? null) &&
    JSON.stringify(a.features ?? []) === JSON.stringify(b.features ?? []) &&
    JSON.stringify(a.limits ?? []) === JSON.stringify(b.limits ?? [])
  );
}

/** What an issue asks of the plan: the license's shape and the overrides. */
export interface EntitlementAsk {
  model: Terms['model'];
  credentials: number;
  termDays?: number | undefined;
  graceDays?: number | undefined;
  features?: string[] | undefined;
  limits?: LimitRequest[] | undefined;
}

function range(low: number, high: number): string {
  return low === high ? `${low}` : `from ${low} to ${high}`;
}

/** Refuses terms outside the plan's bounds, naming the field. */
export function checkAgainstPlan(plan: Plan, ask: EntitlementAsk): void {
  const of = `on plan "${plan.name}"`;
  if (plan.status === 'archived') {
    refuseTerms('plan', `"${plan.name}" is archived: restore it or choose another plan`);
  }
  if (ask.model !== plan.model) refuseTerms('model', `must be ${plan.model} ${of}`);
  const within = (field: string, value: number | undefined, bound: Plan['credentials'] | null) => {
    if (value === undefined || bound === null) return;
    if (value < bound.min || value > bound.max) {
      refuseTerms(field, `must be ${range(bound.min, bound.max)} ${of} (asked ${value})`);
    }
  };
  within('credentials', ask.credentials, plan.credentials);
  within('termDays', ask.termDays, plan.termDays);
  within('graceDays', ask.graceDays, plan.graceDays);
  const allowed = [...plan.features, ...plan.addOns].map((f) => f.name);
  for (const name of ask.features ?? []) {
    if (!allowed.includes(name)) {
      const addOns = plan.addOns.map((f) => f.name).join(', ') || 'none';
      refuseTerms('features', `"${name}" is not an add-on ${of} (its add-ons: ${addOns})`);
    }
  }
  for (const limit of ask.limits ?? []) {
    const bound = plan.limits.find((l) => l.name === limit.name);
    if (bound === undefined) {
      const names = plan.limits.map((l) => l.name).join(', ') || 'none';
      refuseTerms(`limits.${limit.name}`, `is not a limit ${of} (its limits: ${names})`);
    } else {
      within(`limits.${limit.name}`, limit.value, bound);
    }
  }
}

function productGrants(plan: Plan, catalogue: CatalogProduct[]): ProductGrant[] | null {
  if (plan.products.length === 0) return null;
  const grants = plan.products.map((id): ProductGrant => {
    const product = catalogue.find((p) => p.id === id);
    if (product === undefined) {
      throw new InputInvalidError(
        'plan',
        `"${plan.name}" names product ${id}, which is not in the catalogue`,
      );
    }
    return product.versions === null
      ? { name: product.name }
      : { name: product.name, versions: product.versions };
  });
  return grants.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const byName = <T extends { name: string }>(a: T, b: T) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/**
 * The entitlements a token issued now from `plan` with `overrides` carries. A feature or limit
 * with days of its own ends `days` after it was first granted: one the license already holds
 * (`held`, its entitlements before this token) keeps the end it has, so a re-issue, an approval
 * or a key for a new challenge does not restart its clock; one granted now ends `days` from now.
 */
export function entitlementsOfPlan(
  plan: Plan,
  catalogue: CatalogProduct[],
  overrides: LicenseEntitlements['overrides'],
  tokenVersion: 1 | 2,
  nowSec: number,
  held?: LicenseEntitlements,
): LicenseEntitlements {
  const until = (days: number | undefined, had: { until?: number } | undefined) =>
    days === undefined ? {} : { until: had?.until !== undefined ? had.until : nowSec + days * DAY };
  const heldFeature = (name: string) => held?.features.find((f) => f.name === name);
  const heldLimit = (name: string) => held?.limits.find((l) => l.name === name);
  const features: FeatureGrant[] = plan.features.map((f) => ({
    name: f.name,
    ...until(f.days, heldFeature(f.name)),
  }));
  for (const name of overrides.features) {
    if (features.some((f) => f.name === name)) continue;
    const addOn = plan.addOns.find((f) => f.name === name);
    features.push({ name, ...until(addOn?.days, heldFeature(name)) });
  }
  const limits: LimitGrant[] = plan.limits.map((l) => ({
    name: l.name,
    value: overrides.limits.find((o) => o.name === l.name)?.value ?? l.value,
    ...until(l.days, heldLimit(l.name)),
  }));
  return {
    plan: { id: plan.id, name: plan.name, revision: plan.revision },
    products: productGrants(plan, catalogue),
    features: features.sort(byName),
    limits: limits.sort(byName),
    overrides,
    tokenVersion,
  };
}

/** Entitlements without a plan: exactly the features and limits the terms give. */
export function entitlementsWithoutPlan(
  overrides: LicenseEntitlements['overrides'],
  tokenVersion: 1 | 2,
): LicenseEntitlements {
  return {
    plan: null,
    products: null,
    features: overrides.features.map((name) => ({ name })),
    limits: overrides.limits.map((l) => ({ name: l.name, value: l.value })),
    overrides,
    tokenVersion,
  };
}

/** Refuses a limit below what the installation reports in use, and a product not covered. */
export function checkInstallation(
  entitlements: LicenseEntitlements,
  product: Product | null,
  usage: LimitUsage[] | undefined,
): void {
  if (product !== null && !coversProduct(entitlements.products ?? undefined, product)) {
    throw new ProductNotCoveredError(product, describeProducts(entitlements.products));
  }
  for (const used of usage ?? []) {
    const limit = entitlements.limits.find((l) => l.name === used.name);
    if (limit !== undefined && limit.value < used.inUse) {
      refuseTerms(
        `limits.${limit.name}`,
        `(${limit.value}) is below the ${used.inUse} the installation reports in use`,
      );
    }
  }
}

export function describeProducts(products: ProductGrant[] | null): string {
  if (products === null) return 'any product';
  return products
    .map((p) => (p.versions === undefined ? p.name : `${p.name} ${p.versions.join('/')}`))
    .join(', ');
}

/** The v2 claims a token carries for these entitlements (none in a version 1 token). */
export function entitlementClaims(
  entitlements: LicenseEntitlements | undefined,
): Pick<LicenseClaims, 'v' | 'plan' | 'products' | 'features' | 'limits'> {
  if (entitlements === undefined || entitlements.tokenVersion === 1) return { v: 1 };
  const claims: Pick<LicenseClaims, 'v' | 'plan' | 'products' | 'features' | 'limits'> = { v: 2 };
  if (entitlements.plan !== null) claims.plan = entitlements.plan.id;
  if (entitlements.products !== null) claims.products = entitlements.products;
  if (entitlements.features.length > 0) claims.features = entitlements.features;
  if (entitlements.limits.length > 0) claims.limits = entitlements.limits;
  return claims;
}

/** What changes between a license's entitlements and `next`, in words. */
export function describeChanges(license: License, next: LicenseEntitlements): string[] {
  const held = license.entitlements;
  const changes: string[] = [];
  const heldFeatures = new Set(held?.features.map((f) => f.name) ?? []);
  const nextFeatures = new Set(next.features.map((f) => f.name));
  for (const name of nextFeatures) if (!heldFeatures.has(name)) changes.push(`features: + ${name}`);
  for (const name of heldFeatures) if (!nextFeatures.has(name)) changes.push(`features: - ${name}`);
  const heldLimits = new Map(held?.limits.map((l) => [l.name, l.value]) ?? []);
  for (const limit of next.limits) {
    const before = heldLimits.get(limit.name);
    if (before !== limit.value)
      changes.push(`limits.${limit.name}: ${before ?? 'none'} -> ${limit.value}`);
    heldLimits.delete(limit.name);
  }
  for (const [name, before] of heldLimits) changes.push(`limits.${name}: ${before} -> none`);
  const productsBefore = describeProducts(held?.products ?? null);
  const productsAfter = describeProducts(next.products);
  if (productsBefore !== productsAfter)
    changes.push(`products: ${productsBefore} -> ${productsAfter}`);
  return changes;
}
