// Claims of a license token (typ licensor-license+jwt), the "license key": signed by a vendor
// license-purpose key, bound to one installation. With the newest status it carries every
// field of the CMS "View License" page.

import { MAX_GRACE_SECONDS } from './bounds.js';
import {
  type FeatureGrant,
  featureGrants,
  type LimitGrant,
  limitGrants,
  type ProductGrant,
  productGrants,
} from './entitlements.js';
import {
  customerName,
  digest,
  fail,
  id,
  integer,
  join,
  type LicenseModel,
  licenseModel,
  MAX_COUNT,
  MESSAGE_VERSIONS,
  numericDate,
  object,
  positiveCount,
  version,
} from './schema.js';

export interface LicenseTerm {
  start: number;
  end: number;
  /** Offline grace period in seconds. */
  grace: number;
}

/**
 * Version 1 has the members up to `term`; version 2 adds the optional entitlements `plan`,
 * `products`, `features` and `limits`, which a version 1 token never carries.
 */
export interface LicenseClaims {
  v: 1 | 2;
  /** Transaction id. */
  jti: string;
  /** License id. */
  lid: string;
  /** Revision: >= 1, grows with each token of this license. */
  rev: number;
  /** Token issue time. */
  iat: number;
  /** Installation id the token is bound to. */
  sub: string;
  /** challengeHash() of the challenge it answers; null when delivered online only (renewal). */
  chal: string | null;
  customer: { id: string; name: string };
  model: LicenseModel;
  credentials: number;
  /** Required iff the model is `subscription`. */
  term: null | LicenseTerm;
  /** v2: the plan the license was issued from (the issuer's plan id). */
  plan?: string;
  /** v2: the products it covers; absent = any product (as every v1 license). */
  products?: ProductGrant[];
  /** v2: named features granted, sorted by name. */
  features?: FeatureGrant[];
  /** v2: named numeric limits beside `credentials`, sorted by name. */
  limits?: LimitGrant[];
}

export { MAX_GRACE_SECONDS };

const CLAIMS = [
  'v',
  'jti',
  'lid',
  'rev',
  'iat',
  'sub',
  'chal',
  'customer',
  'model',
  'credentials',
  'term',
];
const CLAIMS_V2 = ['plan', 'products', 'features', 'limits'];

function term(value: unknown, path: string): LicenseTerm {
  const o = object(value, path, ['start', 'end', 'grace']);
  const start = numericDate(o.start, join(path, 'start'));
  const end = numericDate(o.end, join(path, 'end'));
  if (end <= start) fail(join(path, 'end'), 'must be after term.start');
  return { start, end, grace: integer(0, MAX_GRACE_SECONDS)(o.grace, join(path, 'grace')) };
}

/** Validates license claims; returns a copy holding exactly the schema's members. */
export function validateLicenseClaims(payload: unknown): LicenseClaims {
  const v = version(payload, 'license', MESSAGE_VERSIONS.license);
  const o = object(payload, '', CLAIMS, v >= 2 ? CLAIMS_V2 : []);
  const customer = object(o.customer, 'customer', ['id', 'name']);
  const model = licenseModel(o.model, 'model');
  if (model === 'subscription' && o.term === null) fail('term', 'is required for a subscription');
  if (model === 'perpetual' && o.term !== null)
    fail('term', 'must be null for a perpetual license');
  const claims: LicenseClaims = {
    v,
    jti: id(o.jti, 'jti'),
    lid: id(o.lid, 'lid'),
    rev: integer(1, MAX_COUNT)(o.rev, 'rev'),
    iat: numericDate(o.iat, 'iat'),
    sub: digest(o.sub, 'sub'),
    chal: o.chal === null ? null : digest(o.chal, 'chal'),
    customer: {
      id: id(customer.id, 'customer.id'),
      name: customerName(customer.name, 'customer.name'),
    },
    model,
    credentials: positiveCount(o.credentials, 'credentials'),
    term: o.term === null ? null : term(o.term, 'term'),
  };
  if (Object.hasOwn(o, 'plan')) claims.plan = id(o.plan, 'plan');
  if (Object.hasOwn(o, 'products')) claims.products = productGrants(o.products, 'products');
  if (Object.hasOwn(o, 'features')) claims.features = featureGrants(o.features, 'features');
  if (Object.hasOwn(o, 'limits')) claims.limits = limitGrants(o.limits, 'limits');
  return claims;
}
