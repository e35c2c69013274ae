// Signing keys and the signed key sets on SQLite.

import type { KeyPurpose } from '@licensor/token';
import type Database from 'better-sqlite3';
import type { KeyStatus, KeysetRecord, SigningKeyRecord } from '../../records.js';
import { movedTo, type StoredKeyRecord, usableKids, withKeyStatus } from '../key-status.js';
import type { StoredPrivateKey } from '../ports.js';
import { hsmMember, privateKeyColumns, storedPrivateKeyOf } from '../private-key-row.js';
import { statement } from './statements.js';

type Row = Record<string, unknown>;

/** Migration of the key states and the key sets (numbered in migrations.ts). */
export const KEY_STATES_SQL = `
  ALTER TABLE signing_keys ADD COLUMN state TEXT
    CHECK (state IS NULL OR state IN ('next', 'active', 'retired', 'revoked'));
  ALTER TABLE signing_keys ADD COLUMN activated_at INTEGER;
  ALTER TABLE signing_keys ADD COLUMN revoked_at INTEGER;

  CREATE TABLE keysets (
    seq INTEGER PRIMARY KEY,
    token TEXT NOT NULL,
    signed_by TEXT NOT NULL,
    kids TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
`;

export function insertSigningKey(
  db: Database.Database,
  record: SigningKeyRecord,
  privateKey: StoredPrivateKey,
): void {
  const { sealed, hsm } = privateKeyColumns(privateKey);
  db.prepare(`INSERT INTO signing_keys (kid, purpose, public_key, protection, sealed, hsm,
      created_at, retired_at, state, activated_at, revoked_at, product_id)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
    record.kid,
    record.purpose,
    JSON.stringify(record.publicKey),
    privateKey.protection,
    sealed === null ? null : JSON.stringify(sealed),
    hsm === null ? null : JSON.stringify(hsm),
    record.createdAt,
    record.retiredAt,
    record.status,
    record.activatedAt,
    record.revokedAt,
    record.product ?? null,
  );
}

function recordOf(r: Row): StoredKeyRecord {
  return {
    kid: r.kid as string,
    purpose: r.purpose as KeyPurpose,
    publicKey: JSON.parse(r.public_key as string),
    protection: r.protection as SigningKeyRecord['protection'],
    ...hsmMember(r.hsm === null || r.hsm === undefined ? null : JSON.parse(r.hsm as string)),
    ...(typeof r.product_id === 'string' ? { product: r.product_id } : {}),
    status: (r.state as KeyStatus | null) ?? null,
    createdAt: r.created_at as number,
    activatedAt: (r.activated_at as number | null) ?? null,
    retiredAt: (r.retired_at as number | null) ?? null,
    revokedAt: (r.revoked_at as number | null) ?? null,
  };
}

export function listSigningKeys(db: Database.Database): SigningKeyRecord[] {
  const rows = statement(
    db,
    `SELECT kid, purpose, public_key, protection, hsm, created_at, retired_at, state,
      activated_at, revoked_at, product_id FROM signing_keys`,
  ).all() as Row[];
  return withKeyStatus(rows.map(recordOf));
}

export function readPrivateKeys(
  db: Database.Database,
  purpose: KeyPurpose,
  product: string | null = null,
): StoredPrivateKey[] {
  // The purpose and the product are in the query: other rows never leave SQLite.
  const rows = statement(
    db,
    `SELECT kid, purpose, public_key, protection, sealed, hsm, created_at, retired_at,
      state, activated_at, revoked_at, product_id FROM signing_keys
      WHERE purpose = ? AND product_id IS ?`,
  ).all(purpose, product) as Row[];
  const byKid = new Map(rows.map((r) => [r.kid as string, r]));
  return usableKids(withKeyStatus(rows.map(recordOf)), purpose, product).map((kid) => {
    const r = byKid.get(kid)!;
    return storedPrivateKeyOf({
      kid,
      purpose: r.purpose as KeyPurpose,
      protection: r.protection as string,
      sealed: r.sealed === null ? null : JSON.parse(r.sealed as string),
      hsm: r.hsm === null ? null : JSON.parse(r.hsm as string),
      publicKey: JSON.parse(r.public_key as string),
    });
  });
}

export function readSealedKey(db: Database.Database, purpose: KeyPurpose): StoredPrivateKey | null {
  const row = statement(
    db,
    `SELECT kid, purpose, public_key, protection, sealed, hsm FROM signing_keys
      WHERE purpose = ? AND protection = 'encrypted' AND sealed IS NOT NULL
      ORDER BY created_at DESC, kid DESC LIMIT 1`,
  ).get(purpose) as Row | undefined;
  if (row === undefined) return null;
  return storedPrivateKeyOf({
    kid: row.kid as string,
    purpose,
    protection: row.protection as string,
    sealed: JSON.parse(row.sealed as string),
    hsm: null,
    publicKey: JSON.parse(row.public_key as string),
  });
}

export function setSigningKeyState(
  db: Database.Database,
  kid: string,
  from: readonly KeyStatus[],
  to: KeyStatus,
  at: number,
): SigningKeyRecord | null {
  const move = db.transaction((): SigningKeyRecord | null => {
    const key = listSigningKeys(db).find((k) => k.kid === kid);
    if (key === undefined || !from.includes(key.status)) return null;
    const moved = movedTo(key, to, at);
    db.prepare(`UPDATE signing_keys SET state = ?, activated_at = ?, retired_at = ?, revoked_at = ?
        WHERE kid = ?`).run(moved.status, moved.activatedAt, moved.retiredAt, moved.revokedAt, kid);
    return moved;
  });
  return move.immediate();
}

export function insertKeyset(db: Database.Database, keyset: KeysetRecord): boolean {
  const result = db
    .prepare(`INSERT OR IGNORE INTO keysets (seq, token, signed_by, kids, created_at)
      VALUES (?, ?, ?, ?, ?)`)
    .run(keyset.seq, keyset.token, keyset.signedBy, JSON.stringify(keyset.kids), keyset.createdAt);
  return result.changes === 1;
}

export function listKeysets(db: Database.Database, afterSeq: number): KeysetRecord[] {
  const rows = statement(db, 'SELECT * FROM keysets WHERE seq > ? ORDER BY seq').all(
    afterSeq,
  ) as Row[];
  return rows.map(keysetOfRow);
}

export function latestKeysetSeq(db: Database.Database): number | null {
  const row = statement(db, 'SELECT max(seq) AS seq FROM keysets').get() as { seq: number | null };
  return row.seq;
}

/** A key set version as a row of `keysets` or `product_keysets` holds it. */
export function keysetOfRow(r: Row): KeysetRecord {
  return {
    seq: r.seq as number,
    token: r.token as string,
    signedBy: r.signed_by as string,
    kids: JSON.parse(r.kids as string) as string[],
    createdAt: r.created_at as number,
  };
}
