// The rules of the catalogue: what a valid product and a consistent plan are. Each refusal is a
// typed error naming the field (`credentials.max`, `addOns[1]`, …).

import {
  ENTITLEMENT_NAME_PATTERN,
  LICENSE_MODELS,
  MAX_ENTITLEMENTS,
  RESERVED_LIMIT_NAMES,
  VERSION_PREFIX_PATTERN,
} from '@licensor/token';
import { TERMS_LIMITS } from '../domain/terms-limits.js';
import { PlanInvalidError, ProductInvalidError } from './errors.js';
import type { Bound, CatalogProduct, Plan, PlanFeature, PlanInput, PlanLimit } from './types.js';

const MAX_COUNT = 1_000_000_000;
const MAX_DAYS = 36_600;

/** The key two catalogue names collide on: case- and outer-space-insensitive. */
export function catalogNameKey(name: string): string {
  return name.trim().toLowerCase();
}

type Refuse = (field: string, reason: string) => never;

const refuseProduct: Refuse = (field, reason) => {
  throw new ProductInvalidError(field, reason);
};
const refusePlan: Refuse = (field, reason) => {
  throw new PlanInvalidError(field, reason);
};

const PRODUCT_MEMBERS = ['name', 'description', 'versions'] as const;
const PLAN_MEMBERS = [
  'name',
  'description',
  'products',
  'model',
  'credentials',
  'termDays',
  'graceDays',
  'renewalDays',
  'renewalGraceDays',
  'renewalWindowDays',
  'autoRenew',
  'features',
  'addOns',
  'limits',
] as const;
const BOUND_MEMBERS = ['value', 'min', 'max'] as const;
const FEATURE_MEMBERS = ['name', 'days'] as const;
const LIMIT_MEMBERS = ['name', 'value', 'min', 'max', 'days'] as const;

/**
 * Refuses a member the object should not have (a typo would otherwise be dropped without a
 * word: `"addons"` for `addOns`), naming it, the member it differs from only in case if any,
 * and else the members there are.
 */
function onlyMembers(
  value: object,
  known: readonly string[],
  at: string | null,
  refuse: Refuse,
): void {
  for (const member of Object.keys(value)) {
    if (known.includes(member)) continue;
    const near = known.find((k) => k.toLowerCase() === member.toLowerCase());
    refuse(
      at === null ? member : `${at}.${member}`,
      near === undefined
        ? `is not a member here (the members: ${known.join(', ')})`
        : `is not a member here: did you mean "${near}"?`,
    );
  }
}

/** Refuses a member a product (or a change of one) does not have. */
export function refuseUnknownProductMembers(input: object): void {
  onlyMembers(input, PRODUCT_MEMBERS, null, refuseProduct);
}

/** Refuses a member a plan (or a change of one) does not have. */
export function refuseUnknownPlanMembers(input: object): void {
  onlyMembers(input, PLAN_MEMBERS, null, refusePlan);
}

/** A display name: 1..max characters, trimmed, no control characters. */
function name(value: unknown, field: string, max: number, refuse: Refuse): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text.length === 0 || text.length > max) refuse(field, `must be 1 to ${max} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting them is the point
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(text)) {
    refuse(field, 'must not contain control characters or line breaks');
  }
  return text;
}

function description(value: unknown, field: string, refuse: Refuse): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || value.length > 1000)
    refuse(field, 'must be text of up to 1000 characters');
  return value.trim() === '' ? null : value.trim();
}

/** Checks a feature or limit name against the token schema's pattern. */
export function entitlementName(value: unknown, field: string, refuse: Refuse): string {
  if (typeof value !== 'string' || !ENTITLEMENT_NAME_PATTERN.test(value)) {
    refuse(
      field,
      'must be a name of 1 to 64 characters: a lower-case letter, then lower-case letters, digits, "-", "_" or "."',
    );
  }
  return value;
}

export function limitName(value: unknown, field: string, refuse: Refuse): string {
  const limit = entitlementName(value, field, refuse);
  if (RESERVED_LIMIT_NAMES.includes(limit)) {
    refuse(field, `must not be "${limit}": the credential count is set by credentials`);
  }
  return limit;
}

function integer(value: unknown, field: string, min: number, max: number, refuse: Refuse): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    refuse(field, `must be a whole number from ${min} to ${max}`);
  }
  return value;
}

export function versionPrefixes(value: unknown, field: string, refuse: Refuse): string[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_ENTITLEMENTS) {
    refuse(
      field,
      `must be a list of 1 to ${MAX_ENTITLEMENTS} versions, or left out for every version`,
    );
  }
  const versions = value.map((v, i) => {
    const text = typeof v === 'string' ? v.trim() : v;
    if (typeof text !== 'string' || !VERSION_PREFIX_PATTERN.test(text)) {
      refuse(`${field}[${i}]`, 'must be a version prefix such as "5", "5.2" or "5.2.1"');
    }
    return text;
  });
  return [...new Set(versions)].sort();
}

export function normaliseProduct(input: {
  name: unknown;
  description?: unknown;
  versions?: unknown;
}): Pick<CatalogProduct, 'name' | 'description' | 'versions'> {
  if (typeof input !== 'object' || input === null) refuseProduct('product', 'is missing');
  refuseUnknownProductMembers(input);
  return {
    // The SDK's product.name is at most 100 characters (token schema).
    name: name(input.name, 'name', 100, refuseProduct),
    description: description(input.description, 'description', refuseProduct),
    versions: versionPrefixes(input.versions, 'versions', refuseProduct),
  };
}

function bound(
  value: unknown,
  field: string,
  min: number,
  max: number,
  /** The members the object may have (a limit's has its name and days beside the bound). */
  members: readonly string[] = BOUND_MEMBERS,
): Bound {
  if (typeof value === 'number') {
    const fixed = integer(value, field, min, max, refusePlan);
    return { value: fixed, min: fixed, max: fixed };
  }
  if (typeof value !== 'object' || value === null) refusePlan(field, 'is missing');
  onlyMembers(value, members, field, refusePlan);
  const o = value as Partial<Bound>;
  const v = integer(o.value, `${field}.value`, min, max, refusePlan);
  const low = o.min === undefined ? v : integer(o.min, `${field}.min`, min, max, refusePlan);
  const high = o.max === undefined ? v : integer(o.max, `${field}.max`, min, max, refusePlan);
  if (o.min !== undefined && o.max !== undefined && low > high) {
    refusePlan(`${field}.min`, `(${low}) must not be above ${field}.max (${high})`);
  }
  if (v < low || v > high) {
    refusePlan(`${field}.value`, `(${v}) must be within its own bounds ${low}..${high}`);
  }
  return { value: v, min: low, max: high };
}

function features(value: unknown, field: string): PlanFeature[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > MAX_ENTITLEMENTS) {
    refusePlan(field, `must be a list of at most ${MAX_ENTITLEMENTS} features`);
  }
  const list = value.map((item, i): PlanFeature => {
    const at = `${field}[${i}]`;
    const o = typeof item === 'string' ? { name: item } : (item as Partial<PlanFeature>);
    if (typeof o !== 'object' || o === null) refusePlan(at, 'must be a feature name');
    onlyMembers(o, FEATURE_MEMBERS, at, refusePlan);
    const feature: PlanFeature = { name: entitlementName(o.name, `${at}.name`, refusePlan) };
    if (o.days !== undefined) feature.days = integer(o.days, `${at}.days`, 1, MAX_DAYS, refusePlan);
    return feature;
  });
  return sortedUnique(list, field);
}

function limits(value: unknown, field: string): PlanLimit[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > MAX_ENTITLEMENTS) {
    refusePlan(field, `must be a list of at most ${MAX_ENTITLEMENTS} limits`);
  }
  const list = value.map((item, i): PlanLimit => {
    const at = `${field}[${i}]`;
    if (typeof item !== 'object' || item === null) refusePlan(at, 'must be { name, value }');
    const o = item as Partial<PlanLimit>;
    const limit: PlanLimit = {
      name: limitName(o.name, `${at}.name`, refusePlan),
      ...bound(o, at, 0, MAX_COUNT, LIMIT_MEMBERS),
    };
    if (o.days !== undefined) limit.days = integer(o.days, `${at}.days`, 1, MAX_DAYS, refusePlan);
    return limit;
  });
  return sortedUnique(list, field);
}

function sortedUnique<T extends { name: string }>(list: T[], field: string): T[] {
  const sorted = [...list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.name === sorted[i - 1]!.name) {
      refusePlan(field, `names "${sorted[i]!.name}" twice`);
    }
  }
  return sorted;
}

/** The automatic renewal of a plan: subscriptions only, and it needs the days a renewal adds. */
function autoRenewOf(input: PlanInput, subscription: boolean): { autoRenew?: true } {
  const value = input.autoRenew;
  if (value === undefined || value === false) return {};
  if (value !== true) refusePlan('autoRenew', 'must be true or false');
  if (!subscription) {
    refusePlan('autoRenew', 'applies to subscription plans only (this plan is perpetual)');
  }
  if (input.renewalDays === undefined || input.renewalDays === null) {
    refusePlan('autoRenew', 'needs renewalDays: the days each automatic renewal adds');
  }
  return { autoRenew: true };
}

export type PlanFields = Omit<
  Plan,
  'id' | 'status' | 'revision' | 'version' | 'createdAt' | 'updatedAt'
>;

/**
 * Checks a plan and returns it normalised. `products` must already be resolved to catalogue
 * ids by the caller (`resolveProduct`), which refuses unknown and archived products.
 */
export function normalisePlan(input: PlanInput): PlanFields {
  if (typeof input !== 'object' || input === null) refusePlan('plan', 'is missing');
  refuseUnknownPlanMembers(input);
  if (!LICENSE_MODELS.includes(input.model)) {
    refusePlan('model', `must be one of ${LICENSE_MODELS.map((m) => `"${m}"`).join(', ')}`);
  }
  const subscription = input.model === 'subscription';
  for (const field of [
    'termDays',
    'graceDays',
    'renewalDays',
    'renewalGraceDays',
    'renewalWindowDays',
  ] as const) {
    if (!subscription && input[field] !== undefined && input[field] !== null) {
      refusePlan(field, 'applies to subscription plans only (this plan is perpetual)');
    }
  }
  const included = features(input.features, 'features');
  const addOns = features(input.addOns, 'addOns');
  for (const [i, addOn] of addOns.entries()) {
    if (included.some((f) => f.name === addOn.name)) {
      refusePlan(
        `addOns[${i}]`,
        `("${addOn.name}") is already a feature of every license of this plan`,
      );
    }
  }
  const products = input.products ?? [];
  if (!Array.isArray(products) || new Set(products).size !== products.length) {
    refusePlan('products', 'must be a list of different products');
  }
  const graceDays = subscription
    ? bound(input.graceDays ?? 30, 'graceDays', TERMS_LIMITS.graceDays.min, MAX_DAYS)
    : null;
  const optionalDays = (value: number | null | undefined, field: string, min: number) =>
    !subscription || value === undefined || value === null
      ? null
      : integer(value, field, min, MAX_DAYS, refusePlan);
  const renewalGraceDays = optionalDays(
    input.renewalGraceDays,
    'renewalGraceDays',
    TERMS_LIMITS.graceDays.min,
  );
  if (
    renewalGraceDays !== null &&
    graceDays !== null &&
    (renewalGraceDays < graceDays.min || renewalGraceDays > graceDays.max)
  ) {
    refusePlan(
      'renewalGraceDays',
      `must lie within the plan's grace bounds, ${graceDays.min} to ${graceDays.max}`,
    );
  }
  return {
    name: name(input.name, 'name', 100, refusePlan),
    description: description(input.description, 'description', refusePlan),
    products: [...products],
    model: input.model,
    credentials: bound(input.credentials, 'credentials', 1, MAX_COUNT),
    termDays: subscription ? bound(input.termDays ?? 365, 'termDays', 1, MAX_DAYS) : null,
    graceDays,
    renewalDays: subscription
      ? input.renewalDays === undefined || input.renewalDays === null
        ? null
        : integer(input.renewalDays, 'renewalDays', 1, MAX_DAYS, refusePlan)
      : null,
    renewalGraceDays,
    renewalWindowDays: optionalDays(input.renewalWindowDays, 'renewalWindowDays', 1),
    ...autoRenewOf(input, subscription),
    features: included,
    addOns,
    limits: limits(input.limits, 'limits'),
  };
}
