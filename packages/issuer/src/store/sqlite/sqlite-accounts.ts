// Signing keys and vendor users on SQLite: the records beside the transaction log.

import type { KeyPurpose } from '@licensor/token';
import type Database from 'better-sqlite3';
import type { SigningKeyRecord, VendorUser } from '../../records.js';
import { withKeyStatus } from '../key-status.js';
import type { StoredPrivateKey } from '../ports.js';
import { hsmMember, privateKeyColumns, storedPrivateKeyOf } from '../private-key-row.js';

type Row = Record<string, unknown>;

export function insertSigningKey(
  db: Database.Database,
  record: SigningKeyRecord,
  privateKey: StoredPrivateKey,
): void {
  const { sealed, hsm } = privateKeyColumns(privateKey);
  db.prepare(`INSERT INTO signing_keys (kid, purpose, public_key, protection, sealed, hsm, created_at, retired_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(
    record.kid,
    record.purpose,
    JSON.stringify(record.publicKey),
    privateKey.protection,
    sealed === null ? null : JSON.stringify(sealed),
    hsm === null ? null : JSON.stringify(hsm),
    record.createdAt,
    record.retiredAt,
  );
}

export function listSigningKeys(db: Database.Database): SigningKeyRecord[] {
  const rows = db
    .prepare(
      'SELECT kid, purpose, public_key, protection, hsm, created_at, retired_at FROM signing_keys',
    )
    .all() as Row[];
  return withKeyStatus(
    rows.map((r) => ({
      kid: r.kid as string,
      purpose: r.purpose as KeyPurpose,
      publicKey: JSON.parse(r.public_key as string),
      protection: r.protection as SigningKeyRecord['protection'],
      ...hsmMember(r.hsm === null ? null : JSON.parse(r.hsm as string)),
      createdAt: r.created_at as number,
      retiredAt: r.retired_at as number | null,
    })),
  );
}

export function readPrivateKeys(db: Database.Database, purpose: KeyPurpose): StoredPrivateKey[] {
  // The purpose is in the query: rows of the other purpose never leave SQLite.
  const rows = db
    .prepare(`SELECT kid, purpose, public_key, protection, sealed, hsm FROM signing_keys
      WHERE purpose = ? AND retired_at IS NULL ORDER BY created_at DESC, kid DESC`)
    .all(purpose) as Row[];
  return rows.map((r) =>
    storedPrivateKeyOf({
      kid: r.kid as string,
      purpose: r.purpose as KeyPurpose,
      protection: r.protection as string,
      sealed: r.sealed === null ? null : JSON.parse(r.sealed as string),
      hsm: r.hsm === null ? null : JSON.parse(r.hsm as string),
      publicKey: JSON.parse(r.public_key as string),
    }),
  );
}

export function retireSigningKey(db: Database.Database, kid: string, at: number): void {
  db.prepare('UPDATE signing_keys SET retired_at = ? WHERE kid = ? AND retired_at IS NULL').run(
    at,
    kid,
  );
}

export function insertUser(db: Database.Database, user: VendorUser, passwordHash: string): void {
  db.prepare(`INSERT INTO users (id, name, role, disabled, password_hash, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)`).run(
    user.id,
    user.name,
    user.role,
    user.disabled ? 1 : 0,
    passwordHash,
    user.createdAt,
    user.updatedAt,
  );
}

export function getUserByName(
  db: Database.Database,
  name: string,
): (VendorUser & { passwordHash: string }) | null {
  const row = db.prepare('SELECT * FROM users WHERE name = ?').get(name) as Row | undefined;
  return row === undefined ? null : { ...userOf(row), passwordHash: row.password_hash as string };
}

export function listUsers(db: Database.Database): VendorUser[] {
  const rows = db.prepare('SELECT * FROM users ORDER BY name COLLATE NOCASE').all() as Row[];
  return rows.map(userOf);
}

export type UserPatch = Partial<Pick<VendorUser, 'role' | 'disabled' | 'updatedAt'>> & {
  passwordHash?: string;
};

export function updateUser(db: Database.Database, id: string, patch: UserPatch): void {
  const columns: [string, unknown][] = [
    ['role', patch.role],
    ['disabled', patch.disabled === undefined ? undefined : patch.disabled ? 1 : 0],
    ['updated_at', patch.updatedAt],
    ['password_hash', patch.passwordHash],
  ];
  const sets: string[] = [];
  const args: unknown[] = [];
  for (const [column, value] of columns) {
    if (value === undefined) continue;
    sets.push(`${column} = ?`);
    args.push(value);
  }
  if (sets.length === 0) return;
  db.prepare(`UPDATE users SET ${sets.join(', ')} WHERE id = ?`).run(...args, id);
}

function userOf(row: Row): VendorUser {
  return {
    id: row.id as string,
    name: row.name as string,
    role: row.role as VendorUser['role'],
    disabled: row.disabled === 1,
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
  };
}
