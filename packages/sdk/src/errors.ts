// The SDK's typed errors. Every refusal an operator or a CMS can cause is an SdkError with a
// stable code (listed in SDK_ERROR_CODES and the README) and a message that says what to do.
import { LicensorError } from '@licensor/token';

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

export class SdkError extends LicensorError {
  declare readonly code: SdkErrorCode;
  /** The code of the underlying token error, when this error wraps one. */
  readonly reason: string | undefined;

  constructor(code: SdkErrorCode, message: string, reason?: string) {
    super(code, message);
    this.name = 'SdkError';
    this.reason = reason;
  }
}
