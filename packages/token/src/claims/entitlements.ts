// Entitlements (license and challenge format version 2): the products a license covers, the
// named features it grants and the named numeric limits beside the credential count, each
// feature and limit optionally with its own end date. Lists are sorted by name, without
// duplicates, so equal entitlements always sign to equal bytes.

import {
  count,
  fail,
  join,
  numericDate,
  object,
  type Product,
  type Reader,
  text,
} from './schema.js';

/** Feature and limit names: lower case, digits and `-` `_` `.`, starting with a letter. */
export const ENTITLEMENT_NAME_PATTERN = /^[a-z][a-z0-9._-]{0,63}$/;
/** A limit may not be called this: the credential count is its own claim. */
export const RESERVED_LIMIT_NAMES: readonly string[] = ['credentials'];
/** Most features, limits or products one message may carry. */
export const MAX_ENTITLEMENTS = 64;
/** A version a product grant covers: a major version, or major.minor, or major.minor.patch. */
export const VERSION_PREFIX_PATTERN = /^(0|[1-9][0-9]{0,8})(\.(0|[1-9][0-9]{0,8})){0,2}$/;

export interface FeatureGrant {
  name: string;
  /** End of this feature (NumericDate); absent = as long as the license. */
  until?: number;
}

export interface LimitGrant {
  name: string;
  /** The most of this the installation may use at once. */
  value: number;
  /** End of this limit (NumericDate); absent = as long as the license. After it the limit is 0. */
  until?: number;
}

export interface ProductGrant {
  /** The product name, as the product's SDK reports it in `product.name`. */
  name: string;
  /**
   * Versions covered, each a dotted prefix (`5` covers 5.x.y, `5.2` covers 5.2.y); absent =
   * every version.
   */
  versions?: string[];
}

/** A limit the customer asks for (challenge v2 `request.limits`). */
export interface LimitRequest {
  name: string;
  value: number;
}

/** How much of a limit an installation uses (challenge v2 `usage.limits`). */
export interface LimitUsage {
  name: string;
  inUse: number;
}

export const entitlementName: Reader<string> = (value, path) => {
  if (typeof value !== 'string' || !ENTITLEMENT_NAME_PATTERN.test(value)) {
    fail(
      path,
      'must be a name of 1 to 64 characters: a lower-case letter, then lower-case letters, digits, "-", "_" or "."',
    );
  }
  return value;
};

const limitName: Reader<string> = (value, path) => {
  const name = entitlementName(value, path);
  if (RESERVED_LIMIT_NAMES.includes(name)) {
    fail(path, `must not be "${name}" (the credential count is its own claim)`);
  }
  return name;
};

/** A non-empty list of at most MAX_ENTITLEMENTS items, sorted by `key`, no duplicates. */
function sortedList<T>(read: Reader<T>, key: (item: T) => string): Reader<T[]> {
  return (value, path) => {
    if (!Array.isArray(value) || value.length === 0 || value.length > MAX_ENTITLEMENTS) {
      fail(path, `must be a list of 1 to ${MAX_ENTITLEMENTS} entries`);
    }
    const items = value.map((item, i) => read(item, `${path}[${i}]`));
    for (let i = 1; i < items.length; i++) {
      const previous = key(items[i - 1] as T);
      const current = key(items[i] as T);
      if (current === previous) fail(`${path}[${i}]`, `repeats "${current}"`);
      if (current < previous) fail(`${path}[${i}]`, 'must be sorted by name');
    }
    return items;
  };
}

const featureGrant: Reader<FeatureGrant> = (value, path) => {
  const o = object(value, path, ['name'], ['until']);
  const grant: FeatureGrant = { name: entitlementName(o.name, join(path, 'name')) };
  if (Object.hasOwn(o, 'until')) grant.until = numericDate(o.until, join(path, 'until'));
  return grant;
};

const limitGrant: Reader<LimitGrant> = (value, path) => {
  const o = object(value, path, ['name', 'value'], ['until']);
  const grant: LimitGrant = {
    name: limitName(o.name, join(path, 'name')),
    value: count(o.value, join(path, 'value')),
  };
  if (Object.hasOwn(o, 'until')) grant.until = numericDate(o.until, join(path, 'until'));
  return grant;
};

const versionPrefix: Reader<string> = (value, path) => {
  if (typeof value !== 'string' || !VERSION_PREFIX_PATTERN.test(value)) {
    fail(path, 'must be a version prefix such as "5", "5.2" or "5.2.1"');
  }
  return value;
};

const productGrant: Reader<ProductGrant> = (value, path) => {
  const o = object(value, path, ['name'], ['versions']);
  const grant: ProductGrant = { name: text(100)(o.name, join(path, 'name')) };
  if (Object.hasOwn(o, 'versions')) {
    grant.versions = sortedList(versionPrefix, (v) => v)(o.versions, join(path, 'versions'));
  }
  return grant;
};

const limitRequest: Reader<LimitRequest> = (value, path) => {
  const o = object(value, path, ['name', 'value']);
  return {
    name: limitName(o.name, join(path, 'name')),
    value: count(o.value, join(path, 'value')),
  };
};

const limitUsage: Reader<LimitUsage> = (value, path) => {
  const o = object(value, path, ['name', 'inUse']);
  return {
    name: limitName(o.name, join(path, 'name')),
    inUse: count(o.inUse, join(path, 'inUse')),
  };
};

export const featureGrants: Reader<FeatureGrant[]> = sortedList(featureGrant, (g) => g.name);
export const limitGrants: Reader<LimitGrant[]> = sortedList(limitGrant, (g) => g.name);
export const productGrants: Reader<ProductGrant[]> = sortedList(productGrant, (g) => g.name);
export const featureNames: Reader<string[]> = sortedList(entitlementName, (name) => name);
export const limitRequests: Reader<LimitRequest[]> = sortedList(limitRequest, (r) => r.name);
export const limitUsages: Reader<LimitUsage[]> = sortedList(limitUsage, (u) => u.name);

/** True when `version` begins with the dotted segments of `prefix` (`5.2` covers `5.2.0-rc1`). */
export function versionHasPrefix(version: string, prefix: string): boolean {
  // A pre-release or build suffix starts at the first "-" or "+" and may hold dots of its own
  // (semver: 5.2.0-rc.1, 5.2.0+build.7): the version's segments are those before it.
  const segments = (version.split(/[-+]/, 1)[0] as string).split('.');
  const wanted = prefix.split('.');
  if (wanted.length > segments.length) return false;
  return wanted.every((segment, i) => segments[i] === segment);
}

/**
 * Whether a license with these product grants covers `product`. No grants (a v1 license, or a
 * v2 license without `products`) covers every product.
 */
export function coversProduct(grants: readonly ProductGrant[] | undefined, product: Product) {
  if (grants === undefined) return true;
  const grant = grants.find((g) => g.name === product.name);
  if (grant === undefined) return false;
  if (grant.versions === undefined) return true;
  return grant.versions.some((prefix) => versionHasPrefix(product.version, prefix));
}
