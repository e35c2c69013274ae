// The one error hierarchy of Licensor. Every error a user can cause, in any package, is a
// LicensorError with a stable `code`; callers map codes to messages and HTTP answers and never
// parse message text. The token package's own codes are the subclasses below.

const BRAND = Symbol.for('licensor.error');

/** Base of every typed Licensor error. Other packages subclass it with their own codes. */
export class LicensorError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/**
 * True for any LicensorError, also one thrown by another copy of this package (the ESM and the
 * CJS build are two copies, so `instanceof` alone can miss). With `code`, also checks the code.
 */
export function isLicensorError(value: unknown, code?: string): value is LicensorError {
  if (typeof value !== 'object' || value === null) return false;
  const branded =
    value instanceof LicensorError || (value as Record<symbol, unknown>)[BRAND] === true;
  if (!branded) return false;
  return code === undefined || (value as LicensorError).code === code;
}

export class InputTooLargeError extends LicensorError {
  static readonly code = 'ERR_INPUT_TOO_LARGE';
  constructor(message: string) {
    super(InputTooLargeError.code, message);
  }
}

export class JwsMalformedError extends LicensorError {
  static readonly code = 'ERR_JWS_MALFORMED';
  constructor(message: string) {
    super(JwsMalformedError.code, message);
  }
}

export class Base64urlInvalidError extends LicensorError {
  static readonly code = 'ERR_BASE64URL_INVALID';
  constructor(message: string) {
    super(Base64urlInvalidError.code, message);
  }
}

export class JsonInvalidError extends LicensorError {
  static readonly code = 'ERR_JSON_INVALID';
  constructor(message: string) {
    super(JsonInvalidError.code, message);
  }
}

export class JwsAlgInvalidError extends LicensorError {
  static readonly code = 'ERR_JWS_ALG_INVALID';
  constructor(message: string) {
    super(JwsAlgInvalidError.code, message);
  }
}

export class JwsTypInvalidError extends LicensorError {
  static readonly code = 'ERR_JWS_TYP_INVALID';
  constructor(message: string) {
    super(JwsTypInvalidError.code, message);
  }
}

export class JwsHeaderForbiddenError extends LicensorError {
  static readonly code = 'ERR_JWS_HEADER_FORBIDDEN';
  /** The header parameter that was refused. */
  readonly parameter: string;
  constructor(parameter: string, message: string) {
    super(JwsHeaderForbiddenError.code, message);
    this.parameter = parameter;
  }
}

export class KidUnknownError extends LicensorError {
  static readonly code = 'ERR_KID_UNKNOWN';
  constructor(message: string) {
    super(KidUnknownError.code, message);
  }
}

export class KeyWrongPurposeError extends LicensorError {
  static readonly code = 'ERR_KEY_WRONG_PURPOSE';
  constructor(message: string) {
    super(KeyWrongPurposeError.code, message);
  }
}

export class KeyInvalidError extends LicensorError {
  static readonly code = 'ERR_KEY_INVALID';
  constructor(message: string) {
    super(KeyInvalidError.code, message);
  }
}

export class SignatureInvalidError extends LicensorError {
  static readonly code = 'ERR_SIGNATURE_INVALID';
  constructor(message: string) {
    super(SignatureInvalidError.code, message);
  }
}

export class ClaimsInvalidError extends LicensorError {
  static readonly code = 'ERR_CLAIMS_INVALID';
  /** Path of the offending claim, e.g. `term.end`; `(payload)` for the payload as a whole. */
  readonly claim: string;
  /** What is wrong with it, e.g. `must be an integer >= 1`. */
  readonly reason: string;
  constructor(claim: string, reason: string) {
    super(ClaimsInvalidError.code, `claim "${claim}" ${reason}`);
    this.claim = claim;
    this.reason = reason;
  }
}

export class VersionUnsupportedError extends LicensorError {
  static readonly code = 'ERR_VERSION_UNSUPPORTED';
  /** The version found in the payload. */
  readonly version: unknown;
  constructor(version: unknown, message: string) {
    super(VersionUnsupportedError.code, message);
    this.version = version;
  }
}

export class ArmorInvalidError extends LicensorError {
  static readonly code = 'ERR_ARMOR_INVALID';
  constructor(message: string) {
    super(ArmorInvalidError.code, message);
  }
}

export class KeyringInvalidError extends LicensorError {
  static readonly code = 'ERR_KEYRING_INVALID';
  constructor(message: string, options?: ErrorOptions) {
    super(KeyringInvalidError.code, message, options);
  }
}

/** A key set that is not newer than the one trusted: a replay, or an older copy. */
export class KeysetStaleError extends LicensorError {
  static readonly code = 'ERR_KEYSET_STALE';
  constructor(message: string) {
    super(KeysetStaleError.code, message);
  }
}

/** Every code this package throws. */
export const TOKEN_ERROR_CODES = [
  InputTooLargeError.code,
  JwsMalformedError.code,
  Base64urlInvalidError.code,
  JsonInvalidError.code,
  JwsAlgInvalidError.code,
  JwsTypInvalidError.code,
  JwsHeaderForbiddenError.code,
  KidUnknownError.code,
  KeyWrongPurposeError.code,
  KeyInvalidError.code,
  SignatureInvalidError.code,
  ClaimsInvalidError.code,
  VersionUnsupportedError.code,
  ArmorInvalidError.code,
  KeyringInvalidError.code,
  KeysetStaleError.code,
] as const;

export type TokenErrorCode = (typeof TOKEN_ERROR_CODES)[number];
