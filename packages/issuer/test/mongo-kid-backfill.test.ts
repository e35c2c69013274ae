// A MongoDB store written before the signing kid was counted: a transaction that signs a token
// but has no `kid` gets it from its token's header when the issuer opens the store (#11).
// Needs MONGODB_URI (skipped without; LICENSOR_REQUIRE_MONGO=1 makes it required).

import { expect, it } from 'vitest';
import { describeOn, mongoAdapter } from './support/adapters.js';

const mongo = mongoAdapter();

function token(kid: string): string {
  const header = { alg: 'EdDSA', typ: 'licensor-license+jwt', kid };
  return `${Buffer.from(JSON.stringify(header)).toString('base64url')}.e30.sig`;
}

describeOn(mongo, 'MongoDB: signing kid back-fill', () => {
  // Three opens of a MongoDB store (each builds every index): up to 15 s on a loaded machine.
  it('fills the kid of token transactions that lack one, once, and counts them per key', {
    timeout: 60_000,
  }, async () => {
    const handle = await mongo.create();
    try {
      const first = await handle.open();
      const raw = (first as unknown as { connection: { db: RawDb } }).connection.db;
      const base = { operator: 'a', applied: true, at: 1, customerId: 'cus_1' };
      // A store written before the back-fill existed: no marker that it ran.
      await raw.collection('store_markers').deleteMany({});
      await raw.collection('transactions').insertMany([
        { _id: 'txn_1', ...base, kind: 'issue', licenseId: 'lic_1', token: token('kA'), kid: 'kA' },
        { _id: 'txn_2', ...base, kind: 'renew', licenseId: 'lic_1', token: token('kB'), kid: null },
        { _id: 'txn_3', ...base, kind: 'reissue', licenseId: 'lic_2', token: token('kB') },
        { _id: 'txn_4', ...base, kind: 'suspend', licenseId: 'lic_2', token: null, kid: null },
      ]);
      await first.close();
      const store = await handle.open();
      try {
        expect(await store.keyUsage.countSignedByKeys(['kA', 'kB'])).toEqual([
          { kid: 'kA', tokens: 1, licenses: 1 },
          { kid: 'kB', tokens: 2, licenses: 2 },
        ]);
        const reopened = (store as unknown as { connection: { db: RawDb } }).connection.db;
        const kids = await reopened.collection('transactions').find({}).sort({ _id: 1 }).toArray();
        expect(kids.map((d) => [d._id, d.kid ?? null])).toEqual([
          ['txn_1', 'kA'],
          ['txn_2', 'kB'],
          ['txn_3', 'kB'],
          ['txn_4', null],
        ]);
        // Once done, it is marked: a transaction without kid written now (never by Licensor) is
        // left alone by the next open, which does not search again.
        await reopened.collection('transactions').insertMany([
          {
            _id: 'txn_5',
            ...base,
            kind: 'issue',
            licenseId: 'lic_3',
            token: token('kC'),
            kid: null,
          },
        ]);
      } finally {
        await store.close();
      }
      const again = await handle.open();
      try {
        expect(await again.keyUsage.countSignedByKeys(['kC'])).toEqual([
          { kid: 'kC', tokens: 0, licenses: 0 },
        ]);
      } finally {
        await again.close();
      }
    } finally {
      await mongo.cleanup();
    }
  });
});

interface RawDb {
  collection(name: string): {
    deleteMany(filter: Record<string, unknown>): Promise<unknown>;
    insertMany(documents: Record<string, unknown>[]): Promise<unknown>;
    find(filter: Record<string, unknown>): {
      sort(by: Record<string, 1 | -1>): { toArray(): Promise<Record<string, unknown>[]> };
    };
  };
}
