// A tiny validation kit for claim sets (no runtime dependency beyond @noble): each reader takes
// an unknown value and a claim path, returns the value typed, or throws ERR_CLAIMS_INVALID
// naming the claim and the reason. Objects are rebuilt member by member, in schema order, so a
// validated claim set holds exactly the schema's members.

import { ClaimsInvalidError, VersionUnsupportedError } from '../errors.js';
import { isBase64urlOfLength } from '../lib/base64url.js';
import { MAX_COUNT, MAX_CUSTOMER_NAME_LENGTH, MAX_NUMERIC_DATE } from './bounds.js';

/**
 * The oldest format version of every message: what a build of the first release reads. Each
 * message kind has its own `v` and grows on its own (see MESSAGE_VERSIONS).
 */
export const FORMAT_VERSION = 1;

/** The format versions this build reads, per message kind (the newest last; it signs any). */
export const MESSAGE_VERSIONS = {
  challenge: [1, 2],
  license: [1, 2],
  check: [1, 2],
  status: [1, 2],
  keyset: [1, 2],
} as const satisfies Record<string, readonly number[]>;

export type MessageVersionKind = keyof typeof MESSAGE_VERSIONS;

export { MAX_COUNT, MAX_NUMERIC_DATE };

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** C0 and C1 controls, DEL, line and paragraph separators: never part of a name or a version. */
function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) return true;
  }
  return false;
}

/** A lone UTF-16 surrogate cannot be encoded as UTF-8; the verifier would refuse it. */
function hasLoneSurrogate(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return true;
    }
  }
  return false;
}

/**
 * Why text shown to people is refused for its characters, or null: control characters and line
 * breaks, lone surrogates. `text()` reads by it; the issuer refuses a name by it before storing
 * one a token could not carry.
 */
export function textRefusal(value: string): string | null {
  if (hasControlCharacter(value)) return 'must not contain control characters or line breaks';
  if (hasLoneSurrogate(value)) return 'must be valid Unicode (it has a lone surrogate)';
  return null;
}

export type Reader<T> = (value: unknown, path: string) => T;

export function fail(path: string, reason: string): never {
  throw new ClaimsInvalidError(path, reason);
}

/** Reads an object with exactly the given members (optional ones may be absent). */
export function object(
  value: unknown,
  path: string,
  required: readonly string[],
  optional: readonly string[] = [],
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(path, 'must be an object');
  }
  const record = value as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    if (!required.includes(name) && !optional.includes(name)) {
      fail(join(path, name), 'is not a known claim');
    }
  }
  for (const name of required) {
    if (!Object.hasOwn(record, name)) fail(join(path, name), 'is missing');
  }
  return record;
}

export function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

/**
 * Checks `v` first, so a payload of a newer format is refused by name, not by its members.
 * Returns the version, one of `supported`.
 */
export function version<const V extends number>(
  payload: unknown,
  kind: string,
  supported: readonly V[],
): V {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    fail('(payload)', 'must be an object');
  }
  const v = (payload as Record<string, unknown>).v;
  if (v === undefined) fail('v', 'is missing (the format version)');
  if (!supported.includes(v as V)) {
    const reads =
      supported.length === 1
        ? `version ${supported[0]}`
        : `versions ${supported.slice(0, -1).join(', ')} and ${supported[supported.length - 1]}`;
    throw new VersionUnsupportedError(
      v,
      `${kind} format version ${JSON.stringify(v)} is not supported (this build reads ${reads}); update Licensor`,
    );
  }
  return v as V;
}

export const id: Reader<string> = (value, path) => {
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) {
    fail(path, 'must be an id of 1 to 64 characters [A-Za-z0-9_-]');
  }
  return value;
};

/** A SHA-256 as base64url (43 characters): thumbprints, installation ids, challenge hashes. */
export const digest: Reader<string> = (value, path) => {
  if (!isBase64urlOfLength(value, 32)) fail(path, 'must be a SHA-256 in base64url (43 characters)');
  return value;
};

/**
 * A check chain value (issue #17): what a status hands the installation and its next check (and
 * challenge) presents. A SHA-256 as base64url (43 characters).
 */
export const chainValue: Reader<string> = digest;

/** 16 random bytes as base64url (22 characters). */
export const nonce: Reader<string> = (value, path) => {
  if (!isBase64urlOfLength(value, 16)) fail(path, 'must be 16 bytes in base64url (22 characters)');
  return value;
};

export function integer(min: number, max: number): Reader<number> {
  return (value, path) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      fail(path, `must be an integer from ${min} to ${max}`);
    }
    return value;
  };
}

/** JWT NumericDate in whole seconds. */
export const numericDate: Reader<number> = (value, path) => {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < 0 ||
    value > MAX_NUMERIC_DATE
  ) {
    fail(path, 'must be a time in whole seconds since the epoch (an integer NumericDate)');
  }
  return value;
};

export const count: Reader<number> = integer(0, MAX_COUNT);
export const positiveCount: Reader<number> = integer(1, MAX_COUNT);

/** Text shown to people: 1..max characters, no control characters, no outer spaces. */
export function text(max: number): Reader<string> {
  return (value, path) => {
    if (typeof value !== 'string' || value.length === 0 || value.length > max) {
      fail(path, `must be a string of 1 to ${max} characters`);
    }
    const refused = textRefusal(value);
    if (refused !== null) fail(path, refused);
    if (value.trim() !== value) fail(path, 'must not start or end with spaces');
    return value;
  };
}

export function oneOf<const T extends string>(values: readonly T[]): Reader<T> {
  return (value, path) => {
    if (!values.includes(value as T)) {
      fail(path, `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}`);
    }
    return value as T;
  };
}

export function nullable<T>(read: Reader<T>): Reader<T | null> {
  return (value, path) => (value === null ? null : read(value, path));
}

export type LicenseModel = 'perpetual' | 'subscription';
export const LICENSE_MODELS: readonly LicenseModel[] = ['perpetual', 'subscription'];
export const licenseModel: Reader<LicenseModel> = oneOf(LICENSE_MODELS);

export const customerName: Reader<string> = text(MAX_CUSTOMER_NAME_LENGTH);

export interface Product {
  name: string;
  version: string;
}
/** A product's name, as its SDK reports it (and as a product's own key names it). */
export const productName: Reader<string> = text(100);
export const product: Reader<Product> = (value, path) => {
  const o = object(value, path, ['name', 'version']);
  return {
    name: productName(o.name, join(path, 'name')),
    version: text(64)(o.version, join(path, 'version')),
  };
};

export interface Usage {
  credentialsInUse: number;
}
export const usage: Reader<Usage> = (value, path) => {
  const o = object(value, path, ['credentialsInUse']);
  return { credentialsInUse: count(o.credentialsInUse, join(path, 'credentialsInUse')) };
};
