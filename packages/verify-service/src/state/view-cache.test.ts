// The license cache: its TTL is the revocation bound, and a store failure is never cached.
import { generateKeyPair, toPublicJwk } from '@licensor/token';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../test/support/memory-store.js';
import { ViewCache } from './view-cache.js';

const key = generateKeyPair();

function store(): MemoryStore {
  const s = new MemoryStore();
  s.put({
    licenseId: 'lic_1',
    state: 'active',
    model: 'perpetual',
    revision: 1,
    term: null,
    installationId: key.kid,
    installationKey: toPublicJwk(key.publicKey),
    latestToken: null,
  });
  return s;
}

const options = { ttlMs: 5_000, maxEntries: 100, storeTimeoutMs: 1_000 };

describe('ViewCache', () => {
  it('decodes the installation key once and serves it until the TTL passes', async () => {
    const s = store();
    const cache = new ViewCache(s, options);
    const loaded = await cache.load('lic_1', 0);
    expect(loaded.installationPublicKey).toEqual(key.publicKey);
    expect(cache.peek('lic_1', 4_999)).toBe(loaded);
    expect(cache.peek('lic_1', 5_000)).toBeUndefined();
    expect(s.reads).toBe(1);
  });

  it('caches "no such license" like a license', async () => {
    const s = store();
    const cache = new ViewCache(s, options);
    expect((await cache.load('lic_none', 0)).view).toBeNull();
    expect(cache.peek('lic_none', 1)?.view).toBeNull();
  });

  it('shares one store read between concurrent misses', async () => {
    const s = store();
    const cache = new ViewCache(s, options);
    await Promise.all([cache.load('lic_1', 0), cache.load('lic_1', 0), cache.load('lic_1', 0)]);
    expect(s.reads).toBe(1);
  });

  it('turns a store failure into ERR_STORE_UNAVAILABLE and caches nothing', async () => {
    const s = store();
    const cache = new ViewCache(s, options);
    s.down = true;
    await expect(cache.load('lic_1', 0)).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    expect(cache.peek('lic_1', 0)).toBeUndefined();
    s.down = false;
    expect((await cache.load('lic_1', 0)).view?.licenseId).toBe('lic_1');
  });

  it('treats a store read slower than the timeout as unavailable', async () => {
    const cache = new ViewCache(
      { getCheckView: () => new Promise(() => undefined) },
      { ...options, storeTimeoutMs: 10 },
    );
    await expect(cache.load('lic_1', 0)).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
  });

  it('holds no usable key for a record whose key is not the bound installation id', async () => {
    const s = store();
    s.update('lic_1', { installationKey: toPublicJwk(generateKeyPair().publicKey) });
    const cache = new ViewCache(s, options);
    expect((await cache.load('lic_1', 0)).installationPublicKey).toBeNull();
  });

  it('holds no usable key for a record whose key is broken', async () => {
    const s = store();
    s.update('lic_1', { installationKey: { kty: 'OKP', crv: 'Ed25519', x: 'short' } });
    const cache = new ViewCache(s, options);
    expect((await cache.load('lic_1', 0)).installationPublicKey).toBeNull();
  });
});
