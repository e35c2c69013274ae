// Migration 21 (nonce-keys.ts): the nonce window keyed (the check's signed iat, its installation,
// the nonce). A replay carries the same signed iat, so it meets the same key; new nonces land at
// the key's right edge and a purge takes its left edge; a store upgraded from schema 20 keeps
// refusing the replays of the nonces it held.
//
// Why the iat may be part of the key: the verify service admits a bound check's nonce only after
// the check's signature holds over the claims it read (answer-check.ts), so a replay with its iat
// changed to reach a key of its own fails that signature (ERR_SIGNATURE_INVALID, asserted in
// packages/verify-service/test/checks-security.test.ts) and never gets here. An unbound check is
// answered UNKNOWN whatever its key, which only ever names its own claimed installation.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  NONCE_KEYS_MIGRATION,
  TAKE_BACK_NONCE_KEYS_SQL,
} from '../../../test/support/nonce-keys-taken-back.js';
import { SQLITE_FILE } from '../open-store.js';
import { LEGACY_IAT } from './nonce-keys.js';
import { NONCE_PURGE_BATCH, NONCE_PURGE_EVERY, type NonceWriter } from './nonce-writer.js';
import { SqliteStore } from './sqlite-store.js';

const NOW = Date.UTC(2026, 5, 1);
const IAT = NOW / 1000;
/** Held as the verify service holds a check inside its clock window (twice 300 s). */
const HELD = NOW + 600_000;

let dir: string;
let opened: SqliteStore[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'licensor-nonce-keys-'));
  opened = [];
});
afterEach(async () => {
  for (const store of opened) await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(): SqliteStore {
  const store = SqliteStore.open(dir);
  opened.push(store);
  return store;
}

async function closeAll(): Promise<void> {
  for (const store of opened.splice(0)) await store.close();
}

function raw(): Database.Database {
  return new Database(join(dir, SQLITE_FILE));
}

interface Row {
  iat: number;
  installation_id: string;
  nonce: string;
  expires_at: number;
}

/** The window's rows in key order, as another connection sees them. */
function rows(): Row[] {
  const db = raw();
  try {
    return db.prepare('SELECT * FROM check_nonces').all() as Row[];
  } finally {
    db.close();
  }
}

function writerOf(store: SqliteStore): NonceWriter {
  return (store as unknown as { nonces: NonceWriter }).nonces;
}

describe('the nonce window keyed time first (migration 21)', () => {
  it('refuses a replay (the same signed iat, installation and nonce) and keeps the rows in iat order', async () => {
    const store = open();
    expect(await store.chains.admitNonce('inst', 'b', IAT + 1, HELD, NOW)).toBe(true);
    expect(await store.chains.admitNonce('inst', 'a', IAT + 2, HELD, NOW)).toBe(true);
    expect(await store.chains.admitNonce('other', 'z', IAT, HELD, NOW)).toBe(true);
    // The replay of each, on another handle on the file too.
    const other = open();
    expect(await store.chains.admitNonce('inst', 'b', IAT + 1, HELD, NOW + 1)).toBe(false);
    expect(await other.chains.admitNonce('inst', 'a', IAT + 2, HELD, NOW + 1)).toBe(false);
    expect(await other.chains.admitNonce('other', 'z', IAT, HELD, NOW + 1)).toBe(false);
    // The table is its key (no rowid): rows read in key order are in iat order.
    expect(rows().map((row) => [row.iat, row.installation_id, row.nonce])).toEqual([
      [IAT, 'other', 'z'],
      [IAT + 1, 'inst', 'b'],
      [IAT + 2, 'inst', 'a'],
    ]);
  });

  it('refuses a nonce whose iat is not a NumericDate with ERR_INPUT_INVALID, and writes nothing', async () => {
    const store = open();
    for (const iat of [1.5, -1, Number.NaN, '1' as unknown as number]) {
      await expect(store.chains.admitNonce('inst', 'n', iat, HELD, NOW)).rejects.toMatchObject({
        code: 'ERR_INPUT_INVALID',
        field: 'issuedAt',
      });
    }
    expect(rows()).toEqual([]);
  });

  it('refuses a replay right up to its expiry, beside a purge that took the expired nonces just before it', async () => {
    const store = open();
    expect(await store.chains.admitNonce('inst', 'kept', IAT, HELD, NOW)).toBe(true);
    // Expired nonces around it in the key: an older iat, and its own iat (another installation),
    // expiring a moment before it.
    const db = raw();
    const put = db.prepare(
      'INSERT INTO check_nonces (iat, installation_id, nonce, expires_at) VALUES (?, ?, ?, ?)',
    );
    const expired = 3 * NONCE_PURGE_BATCH;
    db.transaction(() => {
      for (let i = 0; i < expired; i++) {
        put.run(i % 2 === 0 ? IAT - 1 : IAT, i % 2 === 0 ? 'inst' : 'early', `e${i}`, HELD - 1);
      }
    })();
    db.close();
    // At HELD - 1 every one of them has expired and 'kept' has not: the purges remove them (the
    // last one each time at the edge, beside 'kept').
    for (let round = 0; round < 4; round++) {
      await Promise.all(
        Array.from({ length: NONCE_PURGE_EVERY }, (_, i) =>
          store.chains.admitNonce('inst', `r${round}.${i}`, IAT + 1, HELD + 600_000, HELD - 1),
        ),
      );
      expect(await store.chains.admitNonce('inst', 'kept', IAT, HELD, HELD - 1)).toBe(false);
    }
    expect(rows().filter((row) => row.expires_at === HELD - 1)).toEqual([]);
    expect(rows()[0]).toEqual({
      iat: IAT,
      installation_id: 'inst',
      nonce: 'kept',
      expires_at: HELD,
    });
    // From its expiry on, the store holds it no longer (as before migration 21): the verify
    // service refuses such a replay by its clock window, which the hold is twice.
    expect(await store.chains.admitNonce('inst', 'kept', IAT, HELD + 600_000, HELD)).toBe(true);
  });

  it('holds a nonce under each iat it is signed with: the same nonce at another iat is another check', async () => {
    // Only the installation's key can sign the other iat (see the header of this file).
    const store = open();
    expect(await store.chains.admitNonce('inst', 'n', IAT, HELD, NOW)).toBe(true);
    expect(await store.chains.admitNonce('inst', 'n', IAT + 1, HELD, NOW)).toBe(true);
    expect(await store.chains.admitNonce('inst', 'n', IAT + 1, HELD, NOW)).toBe(false);
  });
});

describe('a store upgraded from schema 20 (migration 21)', () => {
  // The store migrates at its open, on the process's clock: these times are around it.
  const NOW = Date.now();
  const IAT = Math.floor(NOW / 1000);
  const HELD = NOW + 600_000;

  /** A store of schema 20 holding `held` (held) and `gone` (expired) nonces of 'inst'. */
  async function schema20Store(): Promise<void> {
    open();
    await closeAll();
    const db = raw();
    db.exec(TAKE_BACK_NONCE_KEYS_SQL);
    const put = db.prepare('INSERT INTO check_nonces (key, expires_at) VALUES (?, ?)');
    put.run('inst.held', HELD);
    put.run('inst.gone', NOW - 1);
    put.run('other.held2', HELD + 1);
    expect(
      db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number },
    ).toEqual({ v: NONCE_KEYS_MIGRATION - 1 });
    db.close();
  }

  it('keeps refusing a nonce it held before the upgrade, whatever iat its replay carries, until it expires', async () => {
    await schema20Store();
    const store = open();
    // Migrated on open, at this process's clock: the held rows re-keyed under LEGACY_IAT, the
    // expired one not carried.
    expect(rows()).toEqual([
      { iat: LEGACY_IAT, installation_id: 'inst', nonce: 'held', expires_at: HELD },
      { iat: LEGACY_IAT, installation_id: 'other', nonce: 'held2', expires_at: HELD + 1 },
    ]);
    // The replay of the check held before the upgrade: refused at any iat (its own was not kept).
    for (const iat of [IAT - 300, IAT, IAT + 300]) {
      expect(await store.chains.admitNonce('inst', 'held', iat, HELD, NOW)).toBe(false);
    }
    expect(await store.chains.admitNonce('other', 'held2', IAT, HELD, NOW)).toBe(false);
    // The same nonce of another installation, the expired one, and new ones: admitted.
    expect(await store.chains.admitNonce('another', 'held', IAT, HELD, NOW)).toBe(true);
    expect(await store.chains.admitNonce('inst', 'gone', IAT, HELD, NOW)).toBe(true);
    expect(await store.chains.admitNonce('inst', 'new', IAT, HELD, NOW)).toBe(true);
    expect(await store.chains.admitNonce('inst', 'new', IAT, HELD, NOW)).toBe(false);
    // After a restart too.
    await closeAll();
    const reopened = open();
    expect(await reopened.chains.admitNonce('inst', 'held', IAT, HELD, NOW + 1)).toBe(false);
    // Once it expired it is no longer held, as before the upgrade.
    expect(await reopened.chains.admitNonce('inst', 'held', IAT, HELD + 600_000, HELD)).toBe(true);
  });

  it('purges the nonces it carried once they expire, as any other', async () => {
    await schema20Store();
    const store = open();
    const after = HELD + 2;
    await Promise.all(
      Array.from({ length: NONCE_PURGE_EVERY }, (_, i) =>
        store.chains.admitNonce('inst', `n${i}`, IAT + 600, after + 600_000, after),
      ),
    );
    expect(rows().filter((row) => row.iat === LEGACY_IAT)).toEqual([]);
    // With none left the writer's thread admits with the plain statement: the same answers.
    expect(await store.chains.admitNonce('inst', 'n0', IAT + 600, after + 600_000, after)).toBe(
      false,
    );
    expect(await store.chains.admitNonce('inst', 'held', IAT, after + 600_000, after)).toBe(true);
    expect(writerOf(store).written).toBe(NONCE_PURGE_EVERY + 2);
  });
});
