import { describe, expect, it } from 'vitest';
import {
  CapacityReachedError,
  KeysetStaleError,
  SDK_ERROR_CODES,
  SdkError,
  StateTamperedError,
  sdkError,
} from './errors.js';

describe('SDK errors: one class per failure', () => {
  it('every code has its own class, an SdkError named for it that carries the code', () => {
    const names = new Set<string>();
    for (const code of SDK_ERROR_CODES) {
      const error = sdkError(code, `refused: ${code}`, 'ERR_REASON');
      expect(error).toBeInstanceOf(SdkError);
      expect(error.code).toBe(code);
      expect(error.message).toBe(`refused: ${code}`);
      expect(error.reason).toBe('ERR_REASON');
      expect(error.name).toMatch(/^[A-Z][A-Za-z]+Error$/);
      expect(error.name).not.toBe('SdkError');
      names.add(error.name);
    }
    expect(names.size).toBe(SDK_ERROR_CODES.length);
  });

  it('a class thrown by name is caught by the code or as an SdkError', () => {
    const error = new CapacityReachedError('50 of 50 credentials are in use.');
    expect(error).toBeInstanceOf(SdkError);
    expect(error.code).toBe('ERR_CAPACITY_REACHED');
    expect(error.name).toBe('CapacityReachedError');
    expect(new StateTamperedError('edited').code).toBe('ERR_STATE_TAMPERED');
    expect(new KeysetStaleError('older').code).toBe('ERR_KEYSET_STALE');
    expect(sdkError('ERR_CAPACITY_REACHED', 'x')).toBeInstanceOf(CapacityReachedError);
  });
});
