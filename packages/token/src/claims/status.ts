// Claims of a status (typ licensor-status+jwt): the online service's signed answer to a check.
// Its `iat` is the "Last verify time" and its `outcome` the "Last verify result".

import { MAX_KEYSET_TOKEN_LENGTH, MAX_TOKEN_LENGTH } from '../jws/limits.js';
import { MAX_REJECTION_REASON_LENGTH, MAX_STATUS_REJECTIONS } from './bounds.js';
import {
  chainValue,
  digest,
  fail,
  id,
  integer,
  MESSAGE_VERSIONS,
  nonce,
  nullable,
  numericDate,
  object,
  oneOf,
  positiveCount,
  text,
  version,
} from './schema.js';

export type CheckOutcome = 'VALID' | 'EXPIRED' | 'SUSPENDED' | 'REVOKED' | 'UNKNOWN';
export const CHECK_OUTCOMES: readonly CheckOutcome[] = [
  'VALID',
  'EXPIRED',
  'SUSPENDED',
  'REVOKED',
  'UNKNOWN',
];

/**
 * A request of this installation the vendor declined (a model switch): status v2 `rejected`.
 * The SDK closes the pending challenge whose challengeHash() is `chal`.
 */
export interface StatusRejection {
  /** challengeHash() of the declined challenge. */
  chal: string;
  /** When the vendor declined it (NumericDate). */
  at: number;
  /** The vendor's reason, as the vendor wrote it (one line, at most 200 characters), or null. */
  reason: string | null;
}

/** Version 2 adds the optional `chain`, `skew`, `forked`, `keysets` and `rejected`. */
export interface StatusClaims {
  v: 1 | 2;
  /** The service's time: the "Last verify time". */
  iat: number;
  /** Echo of the check's nonce. */
  nonce: string;
  /** Echo: license id. */
  lid: string;
  /** Echo: installation id. */
  sub: string;
  /** The "Last verify result". UNKNOWN: no such license, or not bound to this installation. */
  outcome: CheckOutcome;
  /** Revision on record; null exactly when the outcome is UNKNOWN. */
  rev: number | null;
  termEnd: number | null;
  /** The SDK should check again before this time. */
  checkBy: number;
  /** A newer license token for this installation, if any. */
  license: string | null;
  /** v2: the value the installation's next check (and challenge) must present as `prev`. */
  chain?: string;
  /**
   * v2: the service's time minus the check's `iat`, in seconds: positive when the installation's
   * clock is behind. The SDK tells the operator; the check is answered whatever the offset.
   */
  skew?: number;
  /**
   * v2: true when this installation's checks no longer continue one chain: another copy of it
   * (or an older backup) checked from the same point. The vendor has been told.
   */
  forked?: boolean;
  /**
   * v2: versions of the vendor's signed key set (compact licensor-keyset+jwt, oldest first)
   * newer than the one the check reported trusting: each verified by the SDK against the keys
   * it trusts (the status signature does not vouch for them). Sent only when there are any.
   */
  keysets?: string[];
  /**
   * v2: requests of this installation the vendor declined whose challenges have not expired
   * (1 to 4, newest first). Only a status the SDK verified can close a pending request.
   */
  rejected?: StatusRejection[];
}

const CLAIMS = [
  'v',
  'iat',
  'nonce',
  'lid',
  'sub',
  'outcome',
  'rev',
  'termEnd',
  'checkBy',
  'license',
];
const V2_OPTIONAL = ['chain', 'skew', 'forked', 'keysets', 'rejected'];
/** At most this many key set versions ride on one status (the SDK gets the rest next time). */
export const MAX_RELAYED_KEYSETS = 8;
/**
 * A status's `skew`, in seconds: ten years either way, more than any real clock error, less than
 * a sign error can make. A check made further off is refused before it is answered.
 */
export const MAX_STATUS_SKEW_SECONDS = 10 * 366 * 86_400;
const MAX_SKEW = MAX_STATUS_SKEW_SECONDS;

function flag(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') fail(path, 'must be true or false');
  return value;
}
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function embeddedLicense(value: unknown, path: string): string | null {
  if (value === null) return null;
  if (typeof value !== 'string' || value.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(value)) {
    fail(path, `must be null or a compact license token of at most ${MAX_TOKEN_LENGTH} characters`);
  }
  return value;
}

function relayedKeysets(value: unknown, path: string): string[] {
  if (!Array.isArray(value) || value.length < 1 || value.length > MAX_RELAYED_KEYSETS) {
    fail(path, `must be an array of 1 to ${MAX_RELAYED_KEYSETS} compact key set tokens`);
  }
  return value.map((token, index) => {
    if (
      typeof token !== 'string' ||
      token.length > MAX_KEYSET_TOKEN_LENGTH ||
      !COMPACT_JWS.test(token)
    ) {
      fail(
        `${path}[${index}]`,
        `must be a compact key set token of at most ${MAX_KEYSET_TOKEN_LENGTH} characters`,
      );
    }
    return token;
  });
}

const reasonText = nullable(text(MAX_REJECTION_REASON_LENGTH));

function rejections(value: unknown, path: string): StatusRejection[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_STATUS_REJECTIONS) {
    fail(path, `must be a list of 1 to ${MAX_STATUS_REJECTIONS} declined requests`);
  }
  const seen = new Set<string>();
  return value.map((entry, index) => {
    const at = `${path}[${index}]`;
    const o = object(entry, at, ['chal', 'at', 'reason']);
    const chal = digest(o.chal, `${at}.chal`);
    if (seen.has(chal)) fail(`${at}.chal`, 'names a challenge already in the list');
    seen.add(chal);
    return {
      chal,
      at: numericDate(o.at, `${at}.at`),
      reason: reasonText(o.reason, `${at}.reason`),
    };
  });
}

/** Validates status claims; returns a copy holding exactly the schema's members. */
export function validateStatusClaims(payload: unknown): StatusClaims {
  const v = version(payload, 'status', MESSAGE_VERSIONS.status);
  const o = object(payload, '', CLAIMS, v >= 2 ? V2_OPTIONAL : []);
  const iat = numericDate(o.iat, 'iat');
  const outcome = oneOf(CHECK_OUTCOMES)(o.outcome, 'outcome');
  const rev = nullable(positiveCount)(o.rev, 'rev');
  if (outcome === 'UNKNOWN' && rev !== null)
    fail('rev', 'must be null when the outcome is UNKNOWN');
  if (outcome !== 'UNKNOWN' && rev === null)
    fail('rev', `is required when the outcome is ${outcome}`);
  const checkBy = numericDate(o.checkBy, 'checkBy');
  if (checkBy < iat) fail('checkBy', 'must not be before iat');
  const claims: StatusClaims = {
    v,
    iat,
    nonce: nonce(o.nonce, 'nonce'),
    lid: id(o.lid, 'lid'),
    sub: digest(o.sub, 'sub'),
    outcome,
    rev,
    termEnd: nullable(numericDate)(o.termEnd, 'termEnd'),
    checkBy,
    license: embeddedLicense(o.license, 'license'),
  };
  if (Object.hasOwn(o, 'chain')) claims.chain = chainValue(o.chain, 'chain');
  if (Object.hasOwn(o, 'skew')) claims.skew = integer(-MAX_SKEW, MAX_SKEW)(o.skew, 'skew');
  if (Object.hasOwn(o, 'forked')) claims.forked = flag(o.forked, 'forked');
  if (Object.hasOwn(o, 'keysets')) claims.keysets = relayedKeysets(o.keysets, 'keysets');
  if (Object.hasOwn(o, 'rejected')) claims.rejected = rejections(o.rejected, 'rejected');
  return claims;
}
