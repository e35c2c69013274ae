// The service's typed errors and its code -> status table, on the one HTTP error rule of both
// servers (@licensor/http-errors): every answer that is not a status token carries the same body,
// `{"error":{"code","message","requestId"}}`; anything without a code in the table is a plain
// 500 whose message is never echoed.
import { type ErrorBody, errorAnswer, statusTable } from '@licensor/http-errors';
import { LicensorError, type TokenErrorCode } from '@licensor/token';

export type { ErrorBody };

export const SERVICE_ERROR_CODES = [
  'ERR_BODY_TOO_LARGE',
  'ERR_BODY_INCOMPLETE',
  'ERR_CONTENT_TYPE_UNSUPPORTED',
  'ERR_CHECK_TIME_SKEW',
  'ERR_CHECK_REPLAYED',
  'ERR_RATE_LIMITED',
  'ERR_STORE_UNAVAILABLE',
  'ERR_SERVICE_STOPPING',
  'ERR_METRICS_UNAVAILABLE',
  'ERR_UNAUTHENTICATED',
  'ERR_NOT_FOUND',
  'ERR_METHOD_NOT_ALLOWED',
  'ERR_NO_STATUS_KEY',
  'ERR_LISTEN_FAILED',
  'ERR_INTERNAL',
] as const;
export type ServiceErrorCode = (typeof SERVICE_ERROR_CODES)[number];

/** An error of the verify service itself; its `code` is one of `SERVICE_ERROR_CODES`. */
export class VerifyServiceError extends LicensorError {
  override readonly code: ServiceErrorCode;
  constructor(code: ServiceErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.code = code;
  }
}

// One class per failure (as in the token, issuer and portal packages); each is a
// VerifyServiceError.
export class BodyTooLargeError extends VerifyServiceError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_BODY_TOO_LARGE', message, options);
  }
}
export class BodyIncompleteError extends VerifyServiceError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_BODY_INCOMPLETE', message, options);
  }
}
export class ContentTypeUnsupportedError extends VerifyServiceError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_CONTENT_TYPE_UNSUPPORTED', message, options);
  }
}
export class CheckTimeSkewError extends VerifyServiceError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_CHECK_TIME_SKEW', message, options);
  }
}
export class CheckReplayedError extends VerifyServiceError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_CHECK_REPLAYED', message, options);
  }
}
export class StoreUnavailableError extends VerifyServiceError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_STORE_UNAVAILABLE', message, options);
  }
}
export class ServiceStoppingError extends VerifyServiceError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_SERVICE_STOPPING', message, options);
  }
}
export class MetricsUnavailableError extends VerifyServiceError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_METRICS_UNAVAILABLE', message, options);
  }
}
/** GET /metrics without the scrape token the service was started with (LICENSOR_METRICS_TOKEN). */
export class UnauthenticatedError extends VerifyServiceError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_UNAUTHENTICATED', message, options);
  }
}
export class NotFoundError extends VerifyServiceError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_NOT_FOUND', message, options);
  }
}
export class MethodNotAllowedError extends VerifyServiceError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_METHOD_NOT_ALLOWED', message, options);
  }
}
export class NoStatusKeyError extends VerifyServiceError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_NO_STATUS_KEY', message, options);
  }
}
/**
 * The server could not listen on its address (a port taken, an address not this machine's, a
 * host name that does not resolve): a refusal at start, never an HTTP answer. The listen error
 * is its cause.
 */
export class ListenFailedError extends VerifyServiceError {
  readonly host: string;
  readonly port: number;
  constructor(host: string, port: number, message: string, options?: ErrorOptions) {
    super('ERR_LISTEN_FAILED', message, options);
    this.host = host;
    this.port = port;
  }
}
export class InternalError extends VerifyServiceError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_INTERNAL', message, options);
  }
}

/** 429: carries the seconds after which the caller may try again. */
export class RateLimitedError extends VerifyServiceError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super(
      'ERR_RATE_LIMITED',
      `Too many checks from this caller; retry after ${retryAfterSeconds} s.`,
    );
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export function storeUnavailable(cause?: unknown): VerifyServiceError {
  return new StoreUnavailableError('The license store cannot be reached; retry later.', { cause });
}

// Every code this service or the token package can throw has a status here: a new code without
// one fails the typecheck instead of reaching a client as a 500.
// A token error is a 400 here: the check request itself is malformed, unsigned or forged
// (contract §2); the portal answers 422 to a pasted challenge it understood and refuses.
const SERVICE_STATUS = statusTable<ServiceErrorCode | TokenErrorCode>({
  ERR_BODY_TOO_LARGE: 413,
  ERR_INPUT_TOO_LARGE: 413,
  ERR_BODY_INCOMPLETE: 400,
  ERR_CONTENT_TYPE_UNSUPPORTED: 415,
  ERR_CHECK_TIME_SKEW: 400,
  ERR_CHECK_REPLAYED: 400,
  ERR_RATE_LIMITED: 429,
  ERR_STORE_UNAVAILABLE: 503,
  ERR_SERVICE_STOPPING: 503,
  ERR_METRICS_UNAVAILABLE: 503,
  ERR_UNAUTHENTICATED: 401,
  ERR_NOT_FOUND: 404,
  ERR_METHOD_NOT_ALLOWED: 405,
  ERR_NO_STATUS_KEY: 500,
  // Refusals at start: never an answer, only here because the table covers every code.
  ERR_LISTEN_FAILED: 500,
  ERR_INTERNAL: 500,
  // The token package's codes: the check request itself is malformed, unsigned or forged.
  ERR_JWS_MALFORMED: 400,
  ERR_BASE64URL_INVALID: 400,
  ERR_JSON_INVALID: 400,
  ERR_JWS_ALG_INVALID: 400,
  ERR_JWS_TYP_INVALID: 400,
  ERR_JWS_HEADER_FORBIDDEN: 400,
  ERR_KID_UNKNOWN: 400,
  ERR_KEY_WRONG_PURPOSE: 400,
  ERR_KEY_INVALID: 400,
  ERR_SIGNATURE_INVALID: 400,
  ERR_CLAIMS_INVALID: 400,
  ERR_VERSION_UNSUPPORTED: 400,
  // An armour block (a BEGIN or END line) where a compact check token belongs (#16.2).
  ERR_ARMOR_INVALID: 400,
  // Only ever the service's own keyring: its fault, not the caller's.
  ERR_KEYRING_INVALID: 500,
  ERR_KEYSET_STALE: 400,
});

/** The HTTP status for an error code; 500 for any code this service does not answer with. */
export function codeToStatus(code: string): number {
  return SERVICE_STATUS.statusOf(code);
}

/** The one error body. Unknown errors become ERR_INTERNAL and keep their message to the log. */
export function toErrorBody(
  error: unknown,
  requestId: string,
): { status: number; body: ErrorBody } {
  const { status, body } = errorAnswer(
    error,
    requestId,
    SERVICE_STATUS,
    'The service failed to answer; retry later.',
  );
  return { status, body };
}
