// The SDK's typed errors. Every refusal an operator or a CMS can cause is an SdkError with a
// stable code (listed in SDK_ERROR_CODES and the README) and a message that says what to do.
import { LicensorError, type TokenErrorCode } from '@licensor/token';

export const SDK_ERROR_CODES = [
  'ERR_INPUT_INVALID',
  'ERR_OPERATOR_INVALID',
  'ERR_NOT_AUTHORIZED',
  'ERR_NO_LICENSE',
  'ERR_LICENSE_OTHER_INSTALLATION',
  'ERR_LICENSE_OTHER_PRODUCT',
  'ERR_LICENSE_KEY_OTHER_PRODUCT',
  'ERR_LICENSE_OTHER_LICENSE',
  'ERR_CHALLENGE_REQUIRED',
  'ERR_CHALLENGE_UNKNOWN',
  'ERR_CHALLENGE_EXPIRED',
  'ERR_REQUEST_UNKNOWN',
  'ERR_TOO_MANY_PENDING',
  'ERR_REVISION_NOT_NEWER',
  'ERR_LICENSE_OLDER',
  'ERR_LICENSE_FROM_FUTURE',
  'ERR_MODEL_UNCHANGED',
  'ERR_CAPACITY_REACHED',
  'ERR_LICENSE_EXPIRED',
  'ERR_LICENSE_REVOKED',
  'ERR_LICENSE_SUSPENDED',
  'ERR_CLOCK_ROLLBACK',
  'ERR_LICENSE_NOT_STARTED',
  'ERR_VERIFY_URL_MISSING',
  'ERR_VERIFY_URL_WRONG',
  'ERR_VERIFY_UNREACHABLE',
  'ERR_VERIFY_TIMEOUT',
  'ERR_VERIFY_HTTP',
  'ERR_STATUS_INVALID',
  'ERR_STATUS_MISMATCH',
  'ERR_STATE_CORRUPT',
  'ERR_STATE_NOT_FOUND',
  'ERR_STATE_MISSING',
  'ERR_STATE_ACCESS',
  'ERR_STATE_FOREIGN',
  'ERR_STATE_TAMPERED',
  'ERR_STATE_LOCKED',
  'ERR_INSTALLATION_KEY_MISSING',
  'ERR_KEY_FILE_INSECURE',
  'ERR_TRUST_INVALID',
  'ERR_TRUST_CHANGED',
  'ERR_KEYSET_INVALID',
  'ERR_KEYSET_UNTRUSTED',
  'ERR_KEYSET_STALE',
  'ERR_KEYSET_DROPS_KEY_IN_USE',
  'ERR_KEYSET_OTHER_PRODUCT',
] as const;

export type SdkErrorCode = (typeof SDK_ERROR_CODES)[number];

/**
 * Every code a LicensorError from the SDK can carry: the SDK's own and the token codes that pass
 * through unchanged (ERR_JWS_MALFORMED, ERR_KID_UNKNOWN, …), for a CMS that switches on `code`.
 */
export type LicensorErrorCode = SdkErrorCode | TokenErrorCode;

export class SdkError extends LicensorError {
  declare readonly code: SdkErrorCode;
  /** The code of the underlying token error, when this error wraps one. */
  readonly reason: string | undefined;

  constructor(code: SdkErrorCode, message: string, reason?: string) {
    super(code, message);
    this.name = new.target.name;
    this.reason = reason;
  }
}

// One class per failure (the style of the token, issuer and portal packages): each extends
// SdkError, so `instanceof SdkError` and `.code` still hold for every one of them.
export class InputInvalidError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_INPUT_INVALID', message, reason);
  }
}
export class OperatorInvalidError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_OPERATOR_INVALID', message, reason);
  }
}
export class NotAuthorizedError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_NOT_AUTHORIZED', message, reason);
  }
}
export class NoLicenseError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_NO_LICENSE', message, reason);
  }
}
export class LicenseOtherInstallationError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_LICENSE_OTHER_INSTALLATION', message, reason);
  }
}
export class LicenseOtherProductError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_LICENSE_OTHER_PRODUCT', message, reason);
  }
}
export class LicenseKeyOtherProductError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_LICENSE_KEY_OTHER_PRODUCT', message, reason);
  }
}
export class LicenseOtherLicenseError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_LICENSE_OTHER_LICENSE', message, reason);
  }
}
export class ChallengeRequiredError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_CHALLENGE_REQUIRED', message, reason);
  }
}
export class ChallengeUnknownError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_CHALLENGE_UNKNOWN', message, reason);
  }
}
export class ChallengeExpiredError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_CHALLENGE_EXPIRED', message, reason);
  }
}
export class RequestUnknownError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_REQUEST_UNKNOWN', message, reason);
  }
}
export class TooManyPendingError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_TOO_MANY_PENDING', message, reason);
  }
}
export class RevisionNotNewerError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_REVISION_NOT_NEWER', message, reason);
  }
}
export class LicenseOlderError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_LICENSE_OLDER', message, reason);
  }
}
export class LicenseFromFutureError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_LICENSE_FROM_FUTURE', message, reason);
  }
}
export class ModelUnchangedError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_MODEL_UNCHANGED', message, reason);
  }
}
export class CapacityReachedError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_CAPACITY_REACHED', message, reason);
  }
}
export class LicenseExpiredError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_LICENSE_EXPIRED', message, reason);
  }
}
export class LicenseRevokedError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_LICENSE_REVOKED', message, reason);
  }
}
export class LicenseSuspendedError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_LICENSE_SUSPENDED', message, reason);
  }
}
export class ClockRollbackError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_CLOCK_ROLLBACK', message, reason);
  }
}
export class LicenseNotStartedError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_LICENSE_NOT_STARTED', message, reason);
  }
}
export class VerifyUrlMissingError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_VERIFY_URL_MISSING', message, reason);
  }
}
export class VerifyUrlWrongError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_VERIFY_URL_WRONG', message, reason);
  }
}
export class VerifyUnreachableError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_VERIFY_UNREACHABLE', message, reason);
  }
}
export class VerifyTimeoutError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_VERIFY_TIMEOUT', message, reason);
  }
}
export class VerifyHttpError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_VERIFY_HTTP', message, reason);
  }
}
export class StatusInvalidError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_STATUS_INVALID', message, reason);
  }
}
export class StatusMismatchError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_STATUS_MISMATCH', message, reason);
  }
}
export class StateCorruptError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_STATE_CORRUPT', message, reason);
  }
}
export class StateNotFoundError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_STATE_NOT_FOUND', message, reason);
  }
}
export class StateMissingError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_STATE_MISSING', message, reason);
  }
}
export class StateAccessError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_STATE_ACCESS', message, reason);
  }
}
export class StateForeignError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_STATE_FOREIGN', message, reason);
  }
}
export class StateTamperedError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_STATE_TAMPERED', message, reason);
  }
}
export class StateLockedError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_STATE_LOCKED', message, reason);
  }
}
export class InstallationKeyMissingError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_INSTALLATION_KEY_MISSING', message, reason);
  }
}
export class KeyFileInsecureError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_KEY_FILE_INSECURE', message, reason);
  }
}
export class TrustInvalidError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_TRUST_INVALID', message, reason);
  }
}
export class TrustChangedError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_TRUST_CHANGED', message, reason);
  }
}
export class KeysetInvalidError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_KEYSET_INVALID', message, reason);
  }
}
export class KeysetUntrustedError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_KEYSET_UNTRUSTED', message, reason);
  }
}
export class KeysetStaleError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_KEYSET_STALE', message, reason);
  }
}
export class KeysetDropsKeyInUseError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_KEYSET_DROPS_KEY_IN_USE', message, reason);
  }
}
export class KeysetOtherProductError extends SdkError {
  constructor(message: string, reason?: string) {
    super('ERR_KEYSET_OTHER_PRODUCT', message, reason);
  }
}

type SdkErrorClass = new (message: string, reason?: string) => SdkError;

/** The class of each code: a new code without a class fails the typecheck. */
const SDK_ERROR_CLASSES: Record<SdkErrorCode, SdkErrorClass> = {
  ERR_INPUT_INVALID: InputInvalidError,
  ERR_OPERATOR_INVALID: OperatorInvalidError,
  ERR_NOT_AUTHORIZED: NotAuthorizedError,
  ERR_NO_LICENSE: NoLicenseError,
  ERR_LICENSE_OTHER_INSTALLATION: LicenseOtherInstallationError,
  ERR_LICENSE_OTHER_PRODUCT: LicenseOtherProductError,
  ERR_LICENSE_KEY_OTHER_PRODUCT: LicenseKeyOtherProductError,
  ERR_LICENSE_OTHER_LICENSE: LicenseOtherLicenseError,
  ERR_CHALLENGE_REQUIRED: ChallengeRequiredError,
  ERR_CHALLENGE_UNKNOWN: ChallengeUnknownError,
  ERR_CHALLENGE_EXPIRED: ChallengeExpiredError,
  ERR_REQUEST_UNKNOWN: RequestUnknownError,
  ERR_TOO_MANY_PENDING: TooManyPendingError,
  ERR_REVISION_NOT_NEWER: RevisionNotNewerError,
  ERR_LICENSE_OLDER: LicenseOlderError,
  ERR_LICENSE_FROM_FUTURE: LicenseFromFutureError,
  ERR_MODEL_UNCHANGED: ModelUnchangedError,
  ERR_CAPACITY_REACHED: CapacityReachedError,
  ERR_LICENSE_EXPIRED: LicenseExpiredError,
  ERR_LICENSE_REVOKED: LicenseRevokedError,
  ERR_LICENSE_SUSPENDED: LicenseSuspendedError,
  ERR_CLOCK_ROLLBACK: ClockRollbackError,
  ERR_LICENSE_NOT_STARTED: LicenseNotStartedError,
  ERR_VERIFY_URL_MISSING: VerifyUrlMissingError,
  ERR_VERIFY_URL_WRONG: VerifyUrlWrongError,
  ERR_VERIFY_UNREACHABLE: VerifyUnreachableError,
  ERR_VERIFY_TIMEOUT: VerifyTimeoutError,
  ERR_VERIFY_HTTP: VerifyHttpError,
  ERR_STATUS_INVALID: StatusInvalidError,
  ERR_STATUS_MISMATCH: StatusMismatchError,
  ERR_STATE_CORRUPT: StateCorruptError,
  ERR_STATE_NOT_FOUND: StateNotFoundError,
  ERR_STATE_MISSING: StateMissingError,
  ERR_STATE_ACCESS: StateAccessError,
  ERR_STATE_FOREIGN: StateForeignError,
  ERR_STATE_TAMPERED: StateTamperedError,
  ERR_STATE_LOCKED: StateLockedError,
  ERR_INSTALLATION_KEY_MISSING: InstallationKeyMissingError,
  ERR_KEY_FILE_INSECURE: KeyFileInsecureError,
  ERR_TRUST_INVALID: TrustInvalidError,
  ERR_TRUST_CHANGED: TrustChangedError,
  ERR_KEYSET_INVALID: KeysetInvalidError,
  ERR_KEYSET_UNTRUSTED: KeysetUntrustedError,
  ERR_KEYSET_STALE: KeysetStaleError,
  ERR_KEYSET_DROPS_KEY_IN_USE: KeysetDropsKeyInUseError,
  ERR_KEYSET_OTHER_PRODUCT: KeysetOtherProductError,
};

/** The error of a code known only at run time (e.g. the limit a capacity check hit). */
export function sdkError(code: SdkErrorCode, message: string, reason?: string): SdkError {
  return new SDK_ERROR_CLASSES[code](message, reason);
}
