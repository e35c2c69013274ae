// The replay guard: a nonce is refused inside the window, forgotten after it, and bounded.
import { describe, expect, it } from 'vitest';
import { ReplayGuard } from './replay-guard.js';

describe('ReplayGuard', () => {
  it('admits a nonce once and refuses it again inside the window', () => {
    const guard = new ReplayGuard({ capacity: 10, windowSeconds: 300 });
    expect(guard.admit('inst', 'n1', 0)).toBe(true);
    expect(guard.admit('inst', 'n1', 599_999)).toBe(false);
  });

  it('keeps installations apart: the same nonce from two installations is two checks', () => {
    const guard = new ReplayGuard({ capacity: 10, windowSeconds: 300 });
    expect(guard.admit('a', 'n1', 0)).toBe(true);
    expect(guard.admit('b', 'n1', 0)).toBe(true);
  });

  it('forgets a nonce after twice the window, when its check is stale anyway', () => {
    const guard = new ReplayGuard({ capacity: 10, windowSeconds: 300 });
    guard.admit('inst', 'n1', 0);
    guard.admit('inst', 'n2', 600_000);
    expect(guard.size).toBe(1);
    expect(guard.admit('inst', 'n1', 600_001)).toBe(true);
  });

  it('stays within its capacity and counts nonces evicted while still inside the window', () => {
    const guard = new ReplayGuard({ capacity: 3, windowSeconds: 300 });
    for (let i = 0; i < 5; i++) guard.admit('inst', `n${i}`, i);
    expect(guard.size).toBe(3);
    expect(guard.evictedEarly).toBe(2);
    expect(guard.admit('inst', 'n4', 10)).toBe(false);
    expect(guard.admit('inst', 'n0', 10)).toBe(true);
  });
});
