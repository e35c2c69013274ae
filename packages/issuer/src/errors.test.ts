import { describe, expect, it } from 'vitest';
import * as catalog from './catalog/errors.js';
import * as errors from './errors.js';
import { ISSUER_ERROR_CODES } from './errors.js';
import * as hsm from './keys/pkcs11/errors.js';

describe('ISSUER_ERROR_CODES', () => {
  it('holds the code of every error class the package exports, once', () => {
    const classCodes = [errors, catalog, hsm].flatMap((module) =>
      Object.values(module)
        .filter(
          (value): value is { code: string } => typeof value === 'function' && 'code' in value,
        )
        .map((errorClass) => errorClass.code),
    );
    expect(classCodes.length).toBeGreaterThan(30);
    expect(new Set(ISSUER_ERROR_CODES)).toEqual(new Set(classCodes));
    expect(new Set(ISSUER_ERROR_CODES).size).toBe(ISSUER_ERROR_CODES.length);
  });
});
