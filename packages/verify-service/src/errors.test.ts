import { describe, expect, it } from 'vitest';
import {
  BodyTooLargeError,
  CheckReplayedError,
  codeToStatus,
  RateLimitedError,
  StoreUnavailableError,
  storeUnavailable,
  VerifyServiceError,
} from './errors.js';

describe('verify service errors: one class per failure', () => {
  it('each class is a VerifyServiceError with its code, and its status comes from the one table', () => {
    const cases = [
      [new BodyTooLargeError('too large'), 'ERR_BODY_TOO_LARGE'],
      [new CheckReplayedError('seen'), 'ERR_CHECK_REPLAYED'],
      [new RateLimitedError(3), 'ERR_RATE_LIMITED'],
      [storeUnavailable(new Error('down')), 'ERR_STORE_UNAVAILABLE'],
    ] as const;
    for (const [error, code] of cases) {
      expect(error).toBeInstanceOf(VerifyServiceError);
      expect(error.code).toBe(code);
      expect(codeToStatus(error.code)).toBeGreaterThanOrEqual(400);
    }
    expect(storeUnavailable()).toBeInstanceOf(StoreUnavailableError);
    expect(codeToStatus('ERR_STORE_UNAVAILABLE')).toBe(503);
  });
});
