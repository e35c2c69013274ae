// The maps that outlive a check key on strings of their own: a key read from a check's text must
// not keep that text alive (own-string.ts). Measured on the heap: each key below is a slice of a
// 50 KB string of its own, so a map that kept the slices would hold 20 MB more.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { heapAfterGc } from '../../test/support/heap.js';
import { MemoryStore } from '../../test/support/memory-store.js';
import { ownString } from './own-string.js';
import { RateLimiter } from './rate-limiter.js';
import { ReplayGuard } from './replay-guard.js';
import { ViewCache } from './view-cache.js';

const KEYS = 400;

/** The heap's growth (bytes) while `fill` makes KEYS keys, each a slice of a 50 KB text. */
async function growth(fill: (slice: (from: number, to: number) => string) => Promise<void> | void) {
  const before = heapAfterGc();
  for (let i = 0; i < KEYS; i++) {
    const text = randomBytes(25_000).toString('hex');
    await fill((from, to) => text.slice(from, to));
  }
  return heapAfterGc() - before;
}

const retained = 2_000_000; // what a map of KEYS slices would keep: 20 MB

describe('ownString', () => {
  it('is equal to the string it copies, whatever its characters', () => {
    for (const s of [
      '',
      'ins_abc.nonce-_09',
      'café ÿ',
      'ключ',
      'emoji 🙂',
      'lone \ud800 surrogate',
    ]) {
      expect(ownString(s)).toBe(s);
    }
  });

  it('keeps none of the text the string was sliced from', async () => {
    const kept: string[] = [];
    expect(await growth((slice) => void kept.push(ownString(slice(100, 160))))).toBeLessThan(
      retained,
    );
    expect(kept).toHaveLength(KEYS);
  });
});

describe('maps that outlive a check keep their keys without the check text', () => {
  it('the replay guard', async () => {
    const guard = new ReplayGuard({ capacity: 10_000, windowSeconds: 300 });
    const grown = await growth((slice) => {
      expect(guard.admit(slice(0, 43), slice(100, 132), 0)).toBe(true);
    });
    expect(guard.size).toBe(KEYS);
    expect(grown).toBeLessThan(retained);
  });

  it('the rate limiter', async () => {
    const limiter = new RateLimiter({ burst: 10, perSecond: 1 });
    const grown = await growth((slice) => {
      expect(limiter.take(slice(0, 43), 0)).toBe(0);
    });
    expect(grown).toBeLessThan(retained);
  });

  it('the license cache', async () => {
    const cache = new ViewCache(new MemoryStore(), {
      ttlMs: 60_000,
      maxEntries: 10_000,
      storeTimeoutMs: 1_000,
    });
    const ids: string[] = [];
    const grown = await growth(async (slice) => {
      const id = slice(0, 40);
      expect((await cache.load(id, 0)).view).toBeNull();
      ids.push(ownString(id));
    });
    for (const id of ids.slice(0, 3)) expect(cache.peek(id, 1)?.view).toBeNull();
    expect(grown).toBeLessThan(retained + ids.length * 200);
  });
});
