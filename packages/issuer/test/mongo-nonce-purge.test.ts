// The MongoDB adapter's nonce purge on a server without TTL indexes (FerretDB): bounded and
// oldest first, as the SQLite writer's, so a store carrying a busy day's expired nonces never
// holds an admission for one unbounded delete. Needs MONGODB_URI (skipped without;
// LICENSOR_REQUIRE_MONGO=1 makes it required).

import { expect, it, vi } from 'vitest';
import {
  MONGO_NONCE_PURGE_BATCH,
  MONGO_NONCE_PURGE_EVERY,
  NONCE_PURGE_FAILED,
} from '../src/store/mongo/chains.js';
import { describeOn, mongoAdapter } from './support/adapters.js';

const mongo = mongoAdapter();
const NOW = Date.UTC(2026, 11, 1);
const HELD = NOW + 600_000;
const IAT = NOW / 1000;

interface Nonces {
  insertMany(documents: { _id: string; expiresAt: Date }[]): Promise<unknown>;
  find(filter: object): { toArray(): Promise<{ _id: string; expiresAt: Date }[]> };
}

describeOn(mongo, 'MongoDB nonce purge without TTL', () => {
  it('removes at most a bounded batch of expired nonces, the oldest, per purge; held ones stay, a replay is refused', async () => {
    const store = await (await mongo.create()).open();
    try {
      const chains = store.chains as unknown as { ttl: boolean };
      // A server with TTL indexes removes them itself: the adapter purges only without.
      chains.ttl = false;
      const db = (store as unknown as { connection: { db: { collection(n: string): Nonces } } })
        .connection.db;
      const nonces = db.collection('check_nonces');
      const backlog = MONGO_NONCE_PURGE_BATCH + 300;
      await nonces.insertMany(
        Array.from({ length: backlog }, (_, i) => ({
          _id: `old.${i}`,
          expiresAt: new Date(NOW - backlog + i),
        })),
      );
      expect(await store.chains.admitNonce('inst', 'first', IAT, HELD, NOW)).toBe(true);
      for (let i = 1; i < MONGO_NONCE_PURGE_EVERY; i++) {
        expect(await store.chains.admitNonce('inst', `n${i}`, IAT, HELD, NOW)).toBe(true);
      }
      const expired = async () =>
        (await nonces.find({}).toArray()).filter((d) => d.expiresAt.getTime() <= NOW);
      const left = await expired();
      // One purge: exactly one batch, the oldest.
      expect(left).toHaveLength(backlog - MONGO_NONCE_PURGE_BATCH);
      expect(Math.min(...left.map((d) => d.expiresAt.getTime()))).toBe(
        NOW - backlog + MONGO_NONCE_PURGE_BATCH,
      );
      // Every nonce admitted is still held: a replay is refused.
      expect(await store.chains.admitNonce('inst', 'first', IAT, HELD, NOW + 1)).toBe(false);
      expect(
        (await nonces.find({}).toArray()).filter((d) => d._id.startsWith('inst.')),
      ).toHaveLength(MONGO_NONCE_PURGE_EVERY);
      // The next purge drains the rest.
      for (let i = 0; i < MONGO_NONCE_PURGE_EVERY; i++) {
        expect(await store.chains.admitNonce('inst', `m${i}`, IAT, HELD, NOW + 2)).toBe(true);
      }
      expect(await expired()).toHaveLength(0);
    } finally {
      await store.close();
      await mongo.cleanup();
    }
  });
  it('admits the check whose admission runs a purge that fails, warns, and purges at the next one', async () => {
    const store = await (await mongo.create()).open();
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const chains = store.chains as unknown as {
        ttl: boolean;
        models: { checkNonces: { collection: { find: unknown } } };
      };
      chains.ttl = false;
      // The purge's first command refused, as a role without `find` on check_nonces is.
      const collection = chains.models.checkNonces.collection;
      collection.find = () => {
        throw Object.assign(new Error('not authorized on licensor to execute command find'), {
          code: 13,
        });
      };
      for (let i = 0; i < MONGO_NONCE_PURGE_EVERY; i++) {
        expect(await store.chains.admitNonce('inst', `n${i}`, IAT, NOW - 1, NOW)).toBe(true);
      }
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]![0]).toContain('the check nonce purge failed');
      expect(warn.mock.calls[0]![1]).toMatchObject({ code: NONCE_PURGE_FAILED });
      // The admission that ran it is held as any other: its replay is refused.
      expect(
        await store.chains.admitNonce(
          'inst',
          `n${MONGO_NONCE_PURGE_EVERY - 1}`,
          IAT,
          HELD,
          NOW - 2,
        ),
      ).toBe(false);
      // The next purge, with `find` back, removes the expired ones.
      delete (collection as { find?: unknown }).find;
      for (let i = 1; i < MONGO_NONCE_PURGE_EVERY; i++) {
        expect(await store.chains.admitNonce('inst', `m${i}`, IAT, HELD, NOW)).toBe(true);
      }
      const db = (store as unknown as { connection: { db: { collection(n: string): Nonces } } })
        .connection.db;
      const left = (await db.collection('check_nonces').find({}).toArray()).filter(
        (d) => d.expiresAt.getTime() <= NOW,
      );
      expect(left).toEqual([]);
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
      await store.close();
      await mongo.cleanup();
    }
  });
});
