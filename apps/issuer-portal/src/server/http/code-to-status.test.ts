import { describe, expect, it } from 'vitest';
import { codeToStatus } from './code-to-status.js';

describe('codeToStatus', () => {
  it.each([
    ['ERR_UNAUTHENTICATED', 401],
    ['ERR_CSRF_INVALID', 403],
    ['ERR_FORBIDDEN', 403],
    ['ERR_REQUEST_INVALID', 400],
    ['ERR_SIGNATURE_INVALID', 422],
    ['ERR_KID_UNKNOWN', 422],
    ['ERR_INPUT_TOO_LARGE', 413],
    ['ERR_LICENSE_NOT_FOUND', 404],
    ['ERR_LICENSE_STATE', 409],
    ['ERR_STORE_UNAVAILABLE', 503],
    ['ERR_SOMETHING_NOT_FOUND', 404],
    ['ERR_UNHEARD_OF', 422],
  ])('maps %s to %i', (code, status) => {
    expect(codeToStatus(code)).toBe(status);
  });
});
