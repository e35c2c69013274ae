import { describe, expect, it } from 'vitest';
import { onlyDuplicateKeys } from './mongo-errors.js';

describe('a bulk write error that only says "already there"', () => {
  it('is one whose every write error is a duplicate key', () => {
    expect(onlyDuplicateKeys({ code: 11000 })).toBe(true);
    expect(onlyDuplicateKeys({ writeErrors: [{ code: 11000 }, { code: 11001 }] })).toBe(true);
    // The driver's MongoBulkWriteError holds a single write error as itself, not in an array.
    expect(onlyDuplicateKeys({ code: 11000, writeErrors: { code: 11000 } })).toBe(true);
    // mongoose's insertMany: each as { err: { code }, index }.
    expect(
      onlyDuplicateKeys({ code: 11000, writeErrors: [{ err: { code: 11000 }, index: 0 }] }),
    ).toBe(true);
    expect(onlyDuplicateKeys({ code: 11000, writeErrors: [{ err: { code: 2 }, index: 0 }] })).toBe(
      false,
    );
  });

  it('is not one with any other write error (the records are then kept and retried)', () => {
    expect(onlyDuplicateKeys({ writeErrors: [{ code: 11000 }, { code: 1 }] })).toBe(false);
    expect(onlyDuplicateKeys({ writeErrors: [{ code: 91 }] })).toBe(false);
    expect(onlyDuplicateKeys({ code: 11000, writeErrors: { code: 91 } })).toBe(false);
    expect(onlyDuplicateKeys({ code: 11000, writeErrors: [] })).toBe(true);
    expect(onlyDuplicateKeys(new Error('connection reset'))).toBe(false);
  });
});
