// Check record ids from the pooled random bytes.
import { describe, expect, it } from 'vitest';
import { newCheckId } from './check-id.js';

describe('newCheckId', () => {
  it('makes chk_ ids of 16 random bytes, distinct across pool refills', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newCheckId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^chk_[A-Za-z0-9_-]{22}$/);
  });
});
