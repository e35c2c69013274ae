// The indexes a large MongoDB store relies on, one per query a check, an issue, a portal page,
// the roll-up, the chain/fork/nonce window and the webhook outbox make (the MongoDB side of
// src/store/sqlite/query-plans.test.ts). FerretDB's `explain` does not say which index a query
// used, so this reads what the store built on open: a later change that drops one fails here.
// Needs MONGODB_URI (skipped without; LICENSOR_REQUIRE_MONGO=1 makes it required).

import { expect, it } from 'vitest';
import { describeOn, mongoAdapter } from './support/adapters.js';

/** collection → the key patterns (field order and direction) its queries need, each a prefix. */
const NEEDED: Record<string, Record<string, 1 | -1>[]> = {
  checks: [{ licenseId: 1, at: -1 }, { at: 1 }],
  check_days: [{ licenseId: 1, day: 1 }],
  licenses: [
    { updatedAt: -1 },
    { state: 1, updatedAt: -1 },
    { customerId: 1, updatedAt: -1 },
    { installationId: 1 },
    { 'term.end': 1, updatedAt: -1 },
    { 'term.end': 1, _id: 1 },
  ],
  customers: [{ name: 1 }, { nameKey: 1, _id: 1 }],
  transactions: [
    { licenseId: 1, at: -1 },
    { customerId: 1, at: -1 },
    { applied: 1 },
    // The tokens each signing key signed (the Signing keys page).
    { kid: 1, licenseId: 1 },
  ],
  installation_keysets: [{ keyset: 1 }],
  requests: [
    { status: 1, createdAt: -1 },
    { licenseId: 1, createdAt: -1 },
  ],
  audit_events: [{ at: -1 }, { subjectId: 1, at: -1 }, { action: 1, at: -1 }, { actor: 1, at: -1 }],
  forks: [
    { licenseId: 1, detectedAt: -1 },
    { status: 1, detectedAt: -1 },
    { installationId: 1, status: 1, detectedAt: -1 },
    { detectedAt: -1 },
  ],
  check_nonces: [{ expiresAt: 1 }],
  webhook_outbox: [{ fannedOut: 1, at: 1 }],
  webhook_deliveries: [
    { status: 1, nextAttemptAt: 1 },
    { endpointId: 1, createdAt: -1 },
  ],
  portal_sessions: [{ lastSeenAt: 1 }, { createdAt: 1 }, { userId: 1 }],
  login_failures: [{ key: 1, at: -1 }, { at: 1 }],
};

const mongo = mongoAdapter();

describeOn(mongo, 'MongoDB indexes of a large store', () => {
  it('are built on open for every query that reads a growing collection', async () => {
    const store = await (await mongo.create()).open();
    try {
      const connection = (store as unknown as { connection: { db: MongoDb } }).connection;
      const missing: string[] = [];
      for (const [collection, patterns] of Object.entries(NEEDED)) {
        const keys = (await connection.db.collection(collection).indexes()).map((i) =>
          JSON.stringify(Object.entries(i.key)),
        );
        for (const pattern of patterns) {
          const wanted = JSON.stringify(Object.entries(pattern));
          if (!keys.includes(wanted)) missing.push(`${collection} ${wanted}`);
        }
      }
      expect(missing).toEqual([]);
    } finally {
      await store.close();
      await mongo.cleanup();
    }
  });
});

interface MongoDb {
  collection(name: string): { indexes(): Promise<{ key: Record<string, number> }[]> };
}
