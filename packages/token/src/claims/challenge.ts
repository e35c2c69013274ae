// Claims of a challenge (typ licensor-challenge+jwt): what an installation asks the vendor
// for, signed with the installation's own key.

import { MAX_KEYSET_SEQ } from './check.js';
import {
  featureNames,
  type LimitRequest,
  type LimitUsage,
  limitRequests,
  limitUsages,
} from './entitlements.js';
import {
  chainValue,
  customerName,
  digest,
  fail,
  id,
  integer,
  join,
  type LicenseModel,
  licenseModel,
  MESSAGE_VERSIONS,
  numericDate,
  object,
  oneOf,
  type Product,
  positiveCount,
  product,
  type Usage,
  usage,
  version,
} from './schema.js';

export interface ChallengeLicense {
  id: string;
  revision: number;
  customerName: string;
  model: LicenseModel;
}

export type ChallengeRequestKind = 'license' | 'model-switch';

export interface ChallengeRequest {
  /** `model-switch` is the Activate button. */
  kind: ChallengeRequestKind;
  credentials?: number;
  /** Required for `model-switch`. */
  model?: LicenseModel;
  customerName?: string;
  /** v2: features the customer asks for (names, sorted). */
  features?: string[];
  /** v2: limits the customer asks for, sorted by name. */
  limits?: LimitRequest[];
}

/** Version 2 adds the optional `usage.limits`, `request.features`, `request.limits` and `chain`. */
export interface ChallengeClaims {
  v: 1 | 2;
  /** Challenge id. */
  jti: string;
  /** Made at. */
  iat: number;
  /** Pending until. */
  exp: number;
  /** Installation id: thumbprint of the header's jwk. */
  sub: string;
  product: Product;
  license: null | ChallengeLicense;
  usage: ChallengeUsage;
  request: ChallengeRequest;
  /**
   * v2: the `chain` of the newest status the installation holds (absent before its first v2
   * status): the issuer names a challenge from a copy or an older backup by it.
   */
  chain?: string;
  /**
   * v2: the version of the vendor's signed key set the installation trusts (0: the shipped keys
   * only): the vendor sends the versions after it with the license key (an offline bundle).
   */
  keyset?: number;
}

export interface ChallengeUsage extends Usage {
  /** v2: how much of each named limit the installation uses, sorted by name. */
  limits?: LimitUsage[];
}

const CLAIMS = ['v', 'jti', 'iat', 'exp', 'sub', 'product', 'license', 'usage', 'request'];
const V2_OPTIONAL = ['chain', 'keyset'];

function challengeLicense(value: unknown, path: string): ChallengeLicense | null {
  if (value === null) return null;
  const o = object(value, path, ['id', 'revision', 'customerName', 'model']);
  return {
    id: id(o.id, join(path, 'id')),
    revision: positiveCount(o.revision, join(path, 'revision')),
    customerName: customerName(o.customerName, join(path, 'customerName')),
    model: licenseModel(o.model, join(path, 'model')),
  };
}

const REQUEST_MEMBERS = ['credentials', 'model', 'customerName'];
const REQUEST_MEMBERS_V2 = [...REQUEST_MEMBERS, 'features', 'limits'];

function challengeRequest(value: unknown, path: string, v: 1 | 2): ChallengeRequest {
  const o = object(value, path, ['kind'], v >= 2 ? REQUEST_MEMBERS_V2 : REQUEST_MEMBERS);
  const request: ChallengeRequest = {
    kind: oneOf<ChallengeRequestKind>(['license', 'model-switch'])(o.kind, join(path, 'kind')),
  };
  if (Object.hasOwn(o, 'credentials')) {
    request.credentials = positiveCount(o.credentials, join(path, 'credentials'));
  }
  if (Object.hasOwn(o, 'model')) request.model = licenseModel(o.model, join(path, 'model'));
  else if (request.kind === 'model-switch')
    fail(join(path, 'model'), 'is required for a model-switch request');
  if (Object.hasOwn(o, 'customerName')) {
    request.customerName = customerName(o.customerName, join(path, 'customerName'));
  }
  if (Object.hasOwn(o, 'features')) {
    request.features = featureNames(o.features, join(path, 'features'));
  }
  if (Object.hasOwn(o, 'limits')) request.limits = limitRequests(o.limits, join(path, 'limits'));
  return request;
}

function challengeUsage(value: unknown, path: string, v: 1 | 2): ChallengeUsage {
  if (v === 1) return usage(value, path);
  const o = object(value, path, ['credentialsInUse'], ['limits']);
  const read: ChallengeUsage = usage({ credentialsInUse: o.credentialsInUse }, path);
  if (Object.hasOwn(o, 'limits')) read.limits = limitUsages(o.limits, join(path, 'limits'));
  return read;
}

/** Validates challenge claims; returns a copy holding exactly the schema's members. */
export function validateChallengeClaims(payload: unknown): ChallengeClaims {
  const v = version(payload, 'challenge', MESSAGE_VERSIONS.challenge);
  const o = object(payload, '', CLAIMS, v >= 2 ? V2_OPTIONAL : []);
  const iat = numericDate(o.iat, 'iat');
  const exp = numericDate(o.exp, 'exp');
  if (exp <= iat) fail('exp', 'must be after iat');
  const claims: ChallengeClaims = {
    v,
    jti: id(o.jti, 'jti'),
    iat,
    exp,
    sub: digest(o.sub, 'sub'),
    product: product(o.product, 'product'),
    license: challengeLicense(o.license, 'license'),
    usage: challengeUsage(o.usage, 'usage', v),
    request: challengeRequest(o.request, 'request', v),
  };
  if (Object.hasOwn(o, 'chain')) claims.chain = chainValue(o.chain, 'chain');
  if (Object.hasOwn(o, 'keyset')) claims.keyset = integer(0, MAX_KEYSET_SEQ)(o.keyset, 'keyset');
  return claims;
}
